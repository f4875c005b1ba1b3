"""Building a release: seeds, store, card and changelog in; parquet, README.md, SHA256SUMS and the release's own
git repository out.

A release is built in a hidden temporary folder beside its target and renamed into place only when complete, so an
interrupted build leaves no half release, and an existing version is never overwritten.
"""

from __future__ import annotations

import gc
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
from datasets import Dataset
from stance_corpus.corpus.articles import CATALOGUE_NAME, iter_articles
from stance_corpus.corpus.errors import ReleaseError
from stance_corpus.corpus.jsonl import read_jsonl
from stance_corpus.corpus.release.card import (
    CARD_FILE,
    CHANGELOG_FILE,
    changelog_entry,
    check_version,
    render_card,
    split_card,
)
from stance_corpus.corpus.release.folder import RELEASES_DIR, first_difference, sha256_file, write_checksums
from stance_corpus.corpus.release.rows import FEATURES, Tables, build_tables, store_problem
from stance_corpus.corpus.schema import Annotation, Article, Segment
from stance_corpus.corpus.segment import TokenSpans
from stance_corpus.corpus.store import ANNOTATIONS_FILE, GOLD_FILE, STORE_DIR, read_annotations
from stance_corpus.corpus.workers import segmenting
from tqdm import tqdm

SEEDS_DIR = Path("seeds")
# Fixed identity and dates: the same release always gets the same commit id.
_GIT_ENV = {
    "GIT_AUTHOR_NAME": "stance-corpus release",
    "GIT_AUTHOR_EMAIL": "release@stance-corpus.invalid",
    "GIT_AUTHOR_DATE": "2000-01-01T00:00:00+00:00",
    "GIT_COMMITTER_NAME": "stance-corpus release",
    "GIT_COMMITTER_EMAIL": "release@stance-corpus.invalid",
    "GIT_COMMITTER_DATE": "2000-01-01T00:00:00+00:00",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def build_release(
    root: Path, version: str | None = None, out: Path | None = None, workers: int | None = None
) -> tuple[Path, bool]:
    """Build the release of the project folder `root` (seeds/, annotations/, DATASET_CARD.md, CHANGELOG.md),
    segmenting articles in `workers` processes (default: one per CPU).

    Returns (release folder, True if written / False if that version already existed byte for byte).
    """
    with _cyclic_gc_paused():
        return _build_release(root, version, out, workers)


def _build_release(root: Path, version: str | None, out: Path | None, workers: int | None) -> tuple[Path, bool]:
    card_path, changelog_path = root / CARD_FILE, root / CHANGELOG_FILE
    for path in (card_path, changelog_path):
        if not path.is_file():
            raise ReleaseError(f"{path}: missing: run `stance-corpus release` from the repository root")
    header, body = split_card(card_path.read_text(encoding="utf-8"), str(card_path))
    version = check_version(version or str(header["version"]))
    notes = changelog_entry(changelog_path.read_text(encoding="utf-8"), version, str(changelog_path))
    out = out or root / RELEASES_DIR / version

    # Sorted by id: the order of the rows, whichever worker segments which article.
    articles = sorted(iter_articles([root / SEEDS_DIR]), key=lambda article: article.id)
    gold_path, raw_path = root / STORE_DIR / GOLD_FILE, root / STORE_DIR / ANNOTATIONS_FILE
    segments: dict[str, Segment] = {}
    with segmenting(articles, workers) as segmented:
        # Read while the workers segment: a bad store line stops the build before the segmenting ends.
        gold, raw = read_annotations(gold_path), read_annotations(raw_path)
        if not gold:
            raise ReleaseError(f"{gold_path}: no gold annotation yet, so no sentence to release")
        progress = tqdm(segmented, total=len(articles), desc="segmenting", unit="article", disable=None)
        tables = build_tables(_noting_segments(progress, segments), gold, raw)
    _check_store(gold_path, gold, segments, gold=True)
    _check_store(raw_path, raw, segments, gold=False)
    inputs = _input_checksums(root, [root / SEEDS_DIR / CATALOGUE_NAME, *sorted((root / SEEDS_DIR).glob("*.txt"))])
    inputs.update(_input_checksums(root, [raw_path, gold_path]))

    out.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.building-"))
    try:
        files = write_tables(tables, building)
        card = render_card(header, body, version, tables, files, inputs, notes)
        (building / "README.md").write_text(card, encoding="utf-8")
        write_checksums(building)
        if out.exists():
            difference = first_difference(out, building)
            if difference:
                raise ReleaseError(
                    f"{out}: version {version} exists and would change ({difference}); a released version never "
                    "changes: bump the version (and CHANGELOG.md) instead"
                )
            return out, False
        _commit_and_tag(building, version)
        building.chmod(0o755)  # mkdtemp made it 0700; a release is as readable as the files in it
        os.rename(building, out)
        return out, True
    finally:
        shutil.rmtree(building, ignore_errors=True)


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """A build holds millions of small objects (segments, tokens, annotations, rows) and makes no reference cycles
    worth collecting, yet Python's cyclic collector rescans them all each time enough new ones have been made: at
    100,000 sentences that took 40% of the build. Paused for the build, restored after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _noting_segments(
    segmented: Iterable[tuple[Article, list[tuple[Segment, TokenSpans]]]], segments: dict[str, Segment]
) -> Iterator[tuple[Article, list[tuple[Segment, TokenSpans]]]]:
    """Pass the articles on, adding their segments to `segments` by id for the store check."""
    for article, tokenized in segmented:
        segments.update((segment.id, segment) for segment, _ in tokenized)
        yield article, tokenized


def _check_store(path: Path, annotations: list[Annotation], segments: dict[str, Segment], gold: bool) -> None:
    for position, annotation in enumerate(annotations):
        problem = store_problem(annotation, segments, store_annotator_is_gold=gold)
        if problem:
            raise ReleaseError(f"{path}:{_line_number(path, position)}: {problem}")


def _line_number(path: Path, position: int) -> int:
    """The file line of the store's `position`-th record (blank lines are skipped by the reader)."""
    return next(number for index, (number, _) in enumerate(read_jsonl(path)) if index == position)


def _input_checksums(root: Path, paths: list[Path]) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): sha256_file(path) if path.exists() else "(missing: empty store)"
        for path in paths
    }


def write_tables(tables: Tables, folder: Path) -> dict[str, dict[str, tuple[str, int]]]:
    """One parquet file per config and split, typed Features embedded; config -> split -> (path, arrow bytes)."""
    files: dict[str, dict[str, tuple[str, int]]] = {}
    for config, splits in tqdm(tables.items(), desc="writing", unit="config", disable=None):
        (folder / config).mkdir()
        for split, rows in splits.items():
            # Through pyarrow rather than Dataset.from_list, which encodes row by row in Python (3x slower here);
            # to_parquet still writes the file, the same bytes either way.
            relative = f"{config}/{split}.parquet"
            # A fixed fingerprint (it only names cache files, which a release never makes) spares hashing the table.
            dataset = Dataset(pa.Table.from_pylist(rows, schema=FEATURES[config].arrow_schema), fingerprint=relative)
            dataset.to_parquet(folder / relative)
            files.setdefault(config, {})[split] = (relative, dataset.data.nbytes)
    return files


def _commit_and_tag(folder: Path, version: str) -> None:
    env = {**os.environ, **_GIT_ENV}
    commands = (
        ["git", "init", "--quiet", "--initial-branch=main"],
        ["git", "add", "--all"],
        ["git", "commit", "--quiet", "--no-verify", "--message", f"stance-corpus dataset {version}"],
        ["git", "tag", f"v{version}"],
    )
    for command in commands:
        result = subprocess.run(command, check=False, cwd=folder, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise ReleaseError(f"{folder}: `{' '.join(command)}` failed: {result.stderr.strip()}")


