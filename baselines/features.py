"""The features of the sentence stance models: TF-IDF of the text and the target, as one sparse matrix.

How the target enters (`target_mode`) decides what one linear model can learn:

- `pooled`: the text features plus a one-hot target. One set of word weights for every target, so a word cannot
  mean FAVOR for one target and AGAINST for another (the one-hot column only shifts each target's scores).
- `per-target`: one copy of the text features per target, zero outside that target's rows, plus the one-hot target.
  The weights of different copies never meet in the loss and L2 penalises each copy apart, so a linear model on
  this matrix is one model per target that share only C and the class weights.
- `augmented`: a shared copy plus the per-target copies (Daumé III, "Frustratingly easy domain adaptation", 2007):
  what holds for every target is learnt once, what differs is learnt per target; a target the model never saw
  gets the shared copy alone.
- `none`: no target column.

`normalization="social-media"` splits hashtags into words (`#StopTheWar` -> `#StopTheWar stop the war`; a
lower-case hashtag by the word counts of the training texts, `#prolife` -> `pro life`). It is an option for tweets,
never a default: news text has no hashtags.

Fitted vocabularies are saved as arrays, not dicts (`__getstate__`): skops writes a dict entry by entry, which made
a SemEval model file 66 MB and 12 s to write.
"""

from __future__ import annotations

import copy
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any, cast

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from stance_corpus.baselines.data import TARGET, TEXT

TARGET_MODES = ("none", "pooled", "per-target", "augmented")
NORMALIZATIONS = ("none", "social-media")
WORD_NGRAMS = (1, 3)
CHAR_NGRAMS = (2, 5)

_HASHTAG = re.compile(r"#(\w+)")
_CAMEL_PARTS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_WORD = re.compile(r"[^\W\d_]+")
_LONGEST_WORD = 20  # a hashtag is split into pieces of at most this many characters


class HashtagSplitter:
    """Splits hashtags into words: CamelCase at its capitals, one-case hashtags by the most probable sequence of
    words under the unigram counts of the texts it was fitted on (an unseen piece costs far more than any word)."""

    def __init__(self, texts: Iterable[str]) -> None:
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(word.lower() for word in _WORD.findall(_HASHTAG.sub(" ", text)))
            for tag in _HASHTAG.findall(text):
                parts = _CAMEL_PARTS.findall(tag)
                if len(parts) > 1:
                    counts.update(part.lower() for part in parts)
        self.words = np.array(sorted(counts), dtype=str)
        self.counts = np.array([counts[word] for word in self.words], dtype=np.int64)
        self._index()

    def _index(self) -> None:
        total = max(int(self.counts.sum()), 1)
        self._cost = {str(word): -math.log(int(count) / total) for word, count in zip(self.words, self.counts)}
        self._unknown = -math.log(1 / total)

    def __getstate__(self) -> dict[str, Any]:
        return {"words": self.words, "counts": self.counts}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.words, self.counts = state["words"], state["counts"]
        self._index()

    def split(self, tag: str) -> list[str]:
        """The words of one hashtag (without its '#'), lower-cased."""
        parts = _CAMEL_PARTS.findall(tag)
        if len(parts) > 1:
            return [part.lower() for part in parts]
        lowered = tag.lower()
        best = [0.0] + [math.inf] * len(lowered)
        start_of = [0] * (len(lowered) + 1)
        for end in range(1, len(lowered) + 1):
            for start in range(max(0, end - _LONGEST_WORD), end):
                piece = lowered[start:end]
                cost = best[start] + self._cost.get(piece, self._unknown + 3 * len(piece))
                if cost < best[end]:
                    best[end], start_of[end] = cost, start
        words, end = [], len(lowered)
        while end > 0:
            words.append(lowered[start_of[end] : end])
            end = start_of[end]
        return words[::-1]

    def __call__(self, texts: Iterable[str]) -> list[str]:
        """Each text with every hashtag followed by its words (the hashtag itself stays: it is a feature too)."""
        cache: dict[str, str] = {}

        def expand(match: re.Match[str]) -> str:
            tag = match.group(1)
            if tag not in cache:
                cache[tag] = f"{match.group(0)} {' '.join(self.split(tag))}"
            return cache[tag]

        return [_HASHTAG.sub(expand, text) for text in texts]


def target_conditioned(text: sp.csr_matrix, targets: Sequence[str], known: Sequence[str], mode: str) -> sp.csr_matrix:
    """The text feature matrix arranged for `mode` (module docstring); `known`: the training targets, in order."""
    if mode == "none":
        return text
    position = {target: column for column, target in enumerate(known)}
    columns = np.array([position.get(target, -1) for target in targets])
    rows = np.flatnonzero(columns >= 0)
    one_hot = sp.csr_matrix(
        (np.ones(len(rows), dtype=text.dtype), (rows, columns[rows])), shape=(text.shape[0], len(known))
    )
    if mode == "pooled":
        return sp.hstack([text, one_hot], format="csr")
    copies = [sp.diags((columns == column).astype(text.dtype)) @ text for column in range(len(known))]
    shared = [text] if mode == "augmented" else []
    return sp.hstack([*shared, *copies, one_hot], format="csr")


class _CompactVocabularies:
    """Pickle-state hooks that store each fitted TfidfVectorizer's vocabulary as an array of its terms."""

    def __getstate__(self) -> dict[str, Any]:
        # A copy (BaseEstimator's state is the instance's own dict): the fitted estimator itself stays as it is.
        state: dict[str, Any] = dict(cast(BaseEstimator, super()).__getstate__())
        for name, value in list(state.items()):
            if isinstance(value, TfidfVectorizer) and hasattr(value, "vocabulary_"):
                vectorizer = copy.copy(value)
                vocabulary = vectorizer.__dict__.pop("vocabulary_")
                vectorizer.__dict__.pop("stop_words_", None)  # terms dropped by min_df: introspection only
                state[name] = vectorizer
                state[f"{name}terms"] = np.array(sorted(vocabulary, key=vocabulary.__getitem__), dtype=str)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name in [name for name in state if f"{name}terms" in state]:
            terms = state.pop(f"{name}terms")
            state[name].vocabulary_ = {str(term): index for index, term in enumerate(terms)}
        cast(BaseEstimator, super()).__setstate__(state)


class StanceFeatures(_CompactVocabularies, TransformerMixin, BaseEstimator):
    """Word 1-3-gram and char (`char_wb`) 2-5-gram TF-IDF of the `text` column (sublinear tf), arranged with the
    `target` column by `target_mode`, after `normalization` of the text; input: a DataFrame."""

    def __init__(self, target_mode: str = "none", normalization: str = "none") -> None:
        self.target_mode = target_mode
        self.normalization = normalization

    def fit(self, frame: pd.DataFrame, y: object = None) -> StanceFeatures:
        """Fit the vocabularies (and the hashtag splitter) on the rows of `frame`."""
        self.fit_transform(frame)
        return self

    def fit_transform(self, frame: pd.DataFrame, y: object = None, **fit_params: object) -> sp.csr_matrix:
        """Fit on `frame` and return its matrix, computing each TF-IDF once."""
        return self.arrange(self.fit_text(frame), frame)

    def fit_text(self, frame: pd.DataFrame) -> sp.csr_matrix:
        """Fit on `frame` and return the text part of its matrix alone (for choosing `target_mode` by CV)."""
        if self.target_mode not in TARGET_MODES:
            raise ValueError(f"target_mode {self.target_mode!r} is not one of {', '.join(TARGET_MODES)}")
        if self.normalization not in NORMALIZATIONS:
            raise ValueError(f"normalization {self.normalization!r} is not one of {', '.join(NORMALIZATIONS)}")
        texts = list(frame[TEXT])
        self.hashtags_ = HashtagSplitter(texts) if self.normalization == "social-media" else None
        texts = self._normalized(texts)
        self.word_ = TfidfVectorizer(ngram_range=WORD_NGRAMS, sublinear_tf=True, dtype=np.float32)
        self.char_ = TfidfVectorizer(analyzer="char_wb", ngram_range=CHAR_NGRAMS, sublinear_tf=True, dtype=np.float32)
        matrix = sp.hstack([self.word_.fit_transform(texts), self.char_.fit_transform(texts)], format="csr")
        self.targets_ = sorted(set(frame[TARGET])) if TARGET in frame else []
        return matrix

    def arrange(self, text: sp.csr_matrix, frame: pd.DataFrame) -> sp.csr_matrix:
        """The text matrix of `frame`'s rows arranged with their targets by `target_mode`."""
        targets = list(frame[TARGET]) if self.target_mode != "none" else []
        return target_conditioned(text, targets, self.targets_, self.target_mode)

    def transform(self, frame: pd.DataFrame) -> sp.csr_matrix:
        """The feature matrix of new rows; a target never seen in training has no per-target features."""
        texts = self._normalized(list(frame[TEXT]))
        text = sp.hstack([self.word_.transform(texts), self.char_.transform(texts)], format="csr")
        return self.arrange(text, frame)

    def _normalized(self, texts: list[str]) -> list[str]:
        return self.hashtags_(texts) if self.hashtags_ is not None else texts


SPAN, LEFT, RIGHT, ACTOR_TYPE = "span", "left", "right", "actor_type"
CONTEXT_WORDS = 5
_TOKEN = re.compile(r"\w+|[^\w\s]")


def actor_context(sentence: str, start: int, end: int) -> tuple[str, str, str]:
    """(span text, the CONTEXT_WORDS tokens before it, the CONTEXT_WORDS tokens after it) of a mention."""
    left = _TOKEN.findall(sentence[:start])[-CONTEXT_WORDS:]
    right = _TOKEN.findall(sentence[end:])[:CONTEXT_WORDS]
    return sentence[start:end], " ".join(left), " ".join(right)


class ActorFeatures(_CompactVocabularies, TransformerMixin, BaseEstimator):
    """The features of one actor mention for its stance: word 1-2-gram TF-IDF of the span, of its left and right
    context windows (columns SPAN, LEFT, RIGHT: `actor_context`) and of the whole sentence (TEXT), each in its own
    columns, with the actor type and the target one-hot."""

    def fit(self, frame: pd.DataFrame, y: object = None) -> ActorFeatures:
        """Fit the vocabularies on the mentions of `frame`."""
        self.fit_transform(frame)
        return self

    def fit_transform(self, frame: pd.DataFrame, y: object = None, **fit_params: object) -> sp.csr_matrix:
        """Fit on `frame` and return its matrix."""
        self.span_, self.left_, self.right_, self.sentence_ = (
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, dtype=np.float32, token_pattern=r"(?u)\b\w+\b")
            for _ in range(4)
        )
        self.types_ = sorted(set(frame[ACTOR_TYPE]))
        self.targets_ = sorted(set(frame[TARGET])) if TARGET in frame else []
        blocks = [vectorizer.fit_transform(frame[column]) for vectorizer, column in self._vectorizers()]
        return sp.hstack([*blocks, *self._one_hots(frame)], format="csr")

    def transform(self, frame: pd.DataFrame) -> sp.csr_matrix:
        """The feature matrix of new mentions."""
        blocks = [vectorizer.transform(frame[column]) for vectorizer, column in self._vectorizers()]
        return sp.hstack([*blocks, *self._one_hots(frame)], format="csr")

    def _vectorizers(self) -> list[tuple[TfidfVectorizer, str]]:
        return [(self.span_, SPAN), (self.left_, LEFT), (self.right_, RIGHT), (self.sentence_, TEXT)]

    def _one_hots(self, frame: pd.DataFrame) -> list[sp.csr_matrix]:
        nothing = sp.csr_matrix((len(frame), 0), dtype=np.float32)
        columns = [(ACTOR_TYPE, self.types_)] + ([(TARGET, self.targets_)] if self.targets_ else [])
        return [target_conditioned(nothing, list(frame[column]), known, "pooled") for column, known in columns]
