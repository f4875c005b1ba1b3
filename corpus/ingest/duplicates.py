"""Exact and near duplicates among imported articles (and the articles already in the project).

    normalised(text)         the text that ids and exact duplicates are computed on: NFKC, whitespace runs as one space
    content_key(text)        sha256 hex of the normalised text: equal for exact duplicates
    signature(text)          the MinHash signature (datasketch) of the text's word 3-shingles, as bytes
    DuplicateIndex           first come, first kept: `find` says what an article duplicates, `keep` adds it

Near duplicates are found with MinHash LSH (datasketch's `MinHashLSH`) and confirmed by the signatures' Jaccard
estimate: an article whose estimate against a kept one is at least the threshold is a near duplicate of it. The
default threshold comes from benchmarks/duplicates.py (docs/ingest.md, "Duplicates"): wire copies of one story
with a changed lead, an added byline or a trailing correction, against other stories of the same sources.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
import zlib
from dataclasses import dataclass
from typing import Any

NUM_PERM = 128
SHINGLE_WORDS = 4
DEFAULT_NEAR_THRESHOLD = 0.6
LSH_WEIGHTS = (0.1, 0.9)  # datasketch's weights of false positives and false negatives when it chooses the bands
_SEED = 1  # datasketch's permutations: fixed, so signatures are the same in every process and run
_SCHEME = "affine32"  # datasketch 2's default permutation scheme: 32-bit values
_DTYPE = "<u4"
_WORD = re.compile(r"\w+", re.UNICODE)


def normalised(text: str) -> str:
    """NFKC-normalised, whitespace runs as one space, outer whitespace removed."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def content_key(text: str) -> str:
    """The sha256 (hex) of the normalised text."""
    return hashlib.sha256(normalised(text).encode("utf-8")).hexdigest()


def signature(text: str, num_perm: int = NUM_PERM) -> bytes:
    """The MinHash signature of the text's lower-cased word `SHINGLE_WORDS`-grams (`num_perm` uint32, as bytes).

    Shingles are hashed with CRC-32 (zlib, in C: four times faster than datasketch's default SHA-1 here, and
    datasketch's affine32 scheme mixes the values before permuting them).
    """
    words = _WORD.findall(unicodedata.normalize("NFKC", text).casefold())
    size = min(SHINGLE_WORDS, len(words)) or 1
    shingles = {" ".join(words[i:i + size]).encode("utf-8") for i in range(max(1, len(words) - size + 1))}
    minhash = _new_minhash(num_perm)
    minhash.update_batch(list(shingles))
    signature: bytes = minhash.hashvalues.astype(_DTYPE).tobytes()
    return signature


@functools.lru_cache(maxsize=4)
def _permutations(num_perm: int) -> Any:  # datasketch is untyped: a pair of numpy arrays
    """datasketch's permutations for `num_perm`, made once per process (making them costs more than hashing)."""
    from datasketch import MinHash

    return MinHash(num_perm=num_perm, seed=_SEED, scheme=_SCHEME).permutations


def _new_minhash(num_perm: int, hashvalues: Any = None) -> Any:  # a datasketch MinHash
    from datasketch import MinHash

    return MinHash(
        num_perm=num_perm, seed=_SEED, scheme=_SCHEME, hashfunc=zlib.crc32, hashvalues=hashvalues,
        permutations=_permutations(num_perm),
    )


def similarity(first: bytes, second: bytes) -> float:
    """The Jaccard estimate of two signatures: the share of equal MinHash values."""
    import numpy

    a, b = numpy.frombuffer(first, dtype=_DTYPE), numpy.frombuffer(second, dtype=_DTYPE)
    return float(numpy.count_nonzero(a == b)) / len(a)


@dataclass(frozen=True, slots=True)
class Match:
    """What a new article duplicates: the kept article's id and origin, "exact" or "near", and the estimate."""

    kind: str
    kept_id: str
    kept_origin: str
    similarity: float


class DuplicateIndex:
    """The kept articles, by content key and in an LSH index of their signatures. `threshold` None: exact only."""

    def __init__(self, threshold: float | None = DEFAULT_NEAR_THRESHOLD, num_perm: int = NUM_PERM) -> None:
        self.threshold = threshold
        self.num_perm = num_perm
        self._by_key: dict[str, tuple[str, str]] = {}
        self._signatures: dict[str, tuple[bytes, str]] = {}
        self._lsh = None
        if threshold is not None:
            from datasketch import MinHashLSH

            # Bands tuned to miss few pairs near the threshold (a false candidate only costs one comparison).
            self._lsh = MinHashLSH(threshold=threshold, num_perm=num_perm, weights=LSH_WEIGHTS)

    def find(self, key: str, signature_bytes: bytes | None) -> Match | None:
        """What an article of this content key and signature duplicates among the kept ones (None: nothing)."""
        kept = self._by_key.get(key)
        if kept is not None:
            return Match("exact", kept[0], kept[1], 1.0)
        if self._lsh is not None and signature_bytes is not None:
            return self._nearest(signature_bytes)
        return None

    def keep(self, article_id: str, origin: str, key: str, signature_bytes: bytes | None) -> None:
        """Add an article as kept (an article already in the project, or a new one that duplicates nothing)."""
        self._by_key.setdefault(key, (article_id, origin))
        if self._lsh is not None and signature_bytes is not None and article_id not in self._signatures:
            self._lsh.insert(article_id, self._minhash(signature_bytes))
            self._signatures[article_id] = (signature_bytes, origin)

    def _nearest(self, signature_bytes: bytes) -> Match | None:
        assert self._lsh is not None and self.threshold is not None
        best: Match | None = None
        for candidate in sorted(self._lsh.query(self._minhash(signature_bytes))):
            kept_signature, kept_origin = self._signatures[candidate]
            estimate = similarity(signature_bytes, kept_signature)
            if estimate >= self.threshold and (best is None or estimate > best.similarity):
                best = Match("near", candidate, kept_origin, estimate)
        return best

    def _minhash(self, signature_bytes: bytes) -> Any:
        import numpy

        return _new_minhash(self.num_perm, numpy.frombuffer(signature_bytes, dtype=_DTYPE))
