"""Stance and span metrics, pure functions of gold and predicted labels.

F_avg is the SemEval-2016 Task 6 measure: the mean of F1(FAVOR) and F1(AGAINST); NONE counts only through the
errors it causes. Confidence intervals are percentile bootstraps with numpy's Generator(seed): over whole articles
when the evaluated rows come from two or more (sentences of one article are not independent, so resampling them
one by one gives intervals that are too narrow), else over rows.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support
from stance_corpus.corpus.spans import Span, span_scores

FAVOR, AGAINST = "FAVOR", "AGAINST"
BOOTSTRAP_RESAMPLES = 1000
CONFIDENCE = 0.95


def bootstrap_unit(groups: Sequence[str]) -> str:
    """What the bootstrap resamples for rows of these groups (articles)."""
    articles = len(set(groups))
    return f"articles ({articles}, each taken whole)" if articles >= 2 else "rows (one article)"


@dataclass(frozen=True)
class Estimate:
    """A figure and its 95% percentile-bootstrap interval."""

    value: float
    ci95: tuple[float, float]


@dataclass(frozen=True)
class ClassScores:
    """Precision, recall and F1 of one class, and how many evaluated rows have it."""

    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class StanceMetrics:
    """The scores of one model on one set of evaluated rows."""

    macro_f1: Estimate
    accuracy: Estimate
    f_avg: Estimate | None  # None unless FAVOR and AGAINST are labels
    per_class: dict[str, ClassScores]
    confusion_matrix: list[list[int]]  # rows: gold, columns: predicted, in the dataset's label order
    rows: int


def stance_metrics(
    gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str], seed: int, groups: Sequence[str]
) -> StanceMetrics:
    """Macro-F1, accuracy, F_avg (when FAVOR and AGAINST are labels), per-class P/R/F1, 95% bootstrap CIs
    (`bootstrap_unit(groups)`: `groups` gives each row's article).

    Macro-F1 averages over the classes that occur in `gold`: a class the evaluation rows never contain has no F1.
    """
    gold_array, predicted_array = np.asarray(gold), np.asarray(predicted)
    classes = [label for label in labels if label in set(gold_array)]
    precision, recall, f1, support = precision_recall_fscore_support(
        gold_array, predicted_array, labels=list(labels), zero_division=0
    )
    has_f_avg = FAVOR in labels and AGAINST in labels
    intervals = _bootstrap(gold_array, predicted_array, np.asarray(groups), list(labels), classes, has_f_avg, seed)
    f_avg = float(np.mean([f1[list(labels).index(FAVOR)], f1[list(labels).index(AGAINST)]])) if has_f_avg else None
    macro_f1 = float(f1_score(gold_array, predicted_array, labels=classes, average="macro", zero_division=0))
    return StanceMetrics(
        macro_f1=Estimate(macro_f1, intervals["macro_f1"]),
        accuracy=Estimate(float(accuracy_score(gold_array, predicted_array)), intervals["accuracy"]),
        f_avg=None if f_avg is None else Estimate(f_avg, intervals["f_avg"]),
        per_class={
            label: ClassScores(float(p), float(r), float(f), int(s))
            for label, p, r, f, s in zip(labels, precision, recall, f1, support)
        },
        confusion_matrix=confusion_matrix(gold_array, predicted_array, labels=list(labels)).tolist(),
        rows=len(gold_array),
    )


def _bootstrap(
    gold: np.ndarray,
    predicted: np.ndarray,
    groups: np.ndarray,
    labels: list[str],
    classes: list[str],
    has_f_avg: bool,
    seed: int,
) -> dict[str, tuple[float, float]]:
    # F1 from a confusion matrix per resample: sklearn's scorers cost ~1 ms a call, 1000 resamples x 3 metrics.
    index = {label: position for position, label in enumerate(labels)}
    gold_ids = np.array([index[label] for label in gold])
    predicted_ids = np.array([index[label] for label in predicted])
    size = len(labels)
    rng = np.random.default_rng(seed)
    samples: dict[str, list[float]] = {"macro_f1": [], "accuracy": [], "f_avg": []}
    averaged = [index[label] for label in classes]
    _, group_ids = np.unique(groups, return_inverse=True)
    members = [np.flatnonzero(group_ids == group) for group in range(group_ids.max() + 1)]
    for _ in range(BOOTSTRAP_RESAMPLES):
        if len(members) >= 2:
            rows = np.concatenate([members[group] for group in rng.integers(0, len(members), size=len(members))])
        else:
            rows = rng.integers(0, len(gold_ids), size=len(gold_ids))
        counts = np.bincount(gold_ids[rows] * size + predicted_ids[rows], minlength=size * size).reshape(size, size)
        true_positive = np.diag(counts).astype(float)
        denominator = counts.sum(axis=0) + counts.sum(axis=1)
        f1 = np.divide(2 * true_positive, denominator, out=np.zeros(size), where=denominator > 0)
        samples["macro_f1"].append(f1[averaged].mean())
        samples["accuracy"].append(true_positive.sum() / len(rows))
        if has_f_avg:
            samples["f_avg"].append((f1[index[FAVOR]] + f1[index[AGAINST]]) / 2)
    tail = (1 - CONFIDENCE) / 2 * 100
    return {
        name: (float(np.percentile(values, tail)), float(np.percentile(values, 100 - tail)))
        for name, values in samples.items()
        if values
    }


def span_metrics(gold: Sequence[Collection[Span]], predicted: Sequence[Collection[Span]]) -> dict:
    """Span P/R/F1 over sentences (each sentence's gold and predicted (start, end, type) spans): exact and overlap
    one-to-one matches, None where undefined (`corpus.spans`)."""
    scores = span_scores((list(gold_spans), list(found)) for gold_spans, found in zip(gold, predicted))
    return {
        **{name: asdict(figures) for name, figures in scores.items()},
        "gold_spans": sum(len(spans) for spans in gold),
        "predicted_spans": sum(len(spans) for spans in predicted),
    }
