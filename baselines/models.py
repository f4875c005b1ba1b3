"""The stance models, all scikit-learn Pipelines over a DataFrame with a `text` (and optional `target`) column.

Models are registered in MODELS (name -> ModelSpec). The TF-IDF models choose C, and how the target enters
(`features.TARGET_MODES`) when the rows have several targets, by cross-validation on the training rows: the text
features are fitted once on all training rows and only the classifier is cross-validated on the resulting matrix.
TF-IDF never sees a label, so no label leaks across folds, and the search costs a few linear fits instead of a
full refit of two vectorizers per fold, per C and per target mode. Above C_SELECTION_ROWS training rows the CV runs
on a seeded stratified sample of that size, and tfidf-logreg minimises the logistic loss by SGD (SGDClassifier,
log_loss) rather than lbfgs: without either, benchmarks/baseline.py (100,000 sentences) ran over its 60 s goal.
Its penalty is set from C as alpha = 1 / (C * n_rows), the objective of LogisticRegression(C) divided by C * n_rows.

The score of the search is the task's measure: F_avg when FAVOR and AGAINST are labels, else macro-F1. The target
mode is chosen by the one-standard-error rule (Hastie, Tibshirani and Friedman, 2009, 7.10): the first mode of
TARGET_PREFERENCE whose best mean score is within one standard error (over the folds) of the best mode's. A mode
that wins the CV by a hair does not displace `augmented`, which contains the other two as special cases.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, clone
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC
from stance_corpus.baselines.data import TARGET
from stance_corpus.baselines.features import StanceFeatures, target_conditioned
from stance_corpus.baselines.metrics import AGAINST, FAVOR

C_GRID = (0.1, 0.3, 1.0)
MAX_C_FOLDS = 3
C_SELECTION_ROWS = 20_000
AUTO = "auto"
TARGET_PREFERENCE = ("augmented", "per-target", "pooled")  # for several targets, most general first


@dataclass(frozen=True)
class ModelOptions:
    """How a run builds its models: the target handling (AUTO or one of TARGET_MODES) and the text normalisation."""

    target_handling: str = AUTO
    normalization: str = "none"


DEFAULT_OPTIONS = ModelOptions()


@dataclass(frozen=True)
class ModelSpec:
    """A registered model: how to build it unfitted, and how C maps to its classifier's parameters (None: no C)."""

    build: Callable[[ModelOptions, int], Pipeline]  # (options, seed) -> an unfitted pipeline
    c_params: Callable[[float, int], dict[str, float]] | None = None  # (C, training rows) -> classifier parameters


def _tfidf(classifier: Callable[[int], BaseEstimator]) -> Callable[[ModelOptions, int], Pipeline]:
    return lambda options, seed: Pipeline(
        [("features", StanceFeatures(normalization=options.normalization)), ("classifier", classifier(seed))]
    )


def _dummy(strategy: str) -> Callable[[ModelOptions, int], Pipeline]:
    return lambda options, seed: Pipeline([("classifier", DummyClassifier(strategy=strategy, random_state=seed))])


MODELS: dict[str, ModelSpec] = {
    "majority": ModelSpec(_dummy("most_frequent")),
    "stratified": ModelSpec(_dummy("stratified")),
    "tfidf-logreg": ModelSpec(
        _tfidf(lambda seed: SGDClassifier(loss="log_loss", class_weight="balanced", random_state=seed)),
        c_params=lambda c, rows: {"alpha": 1.0 / (c * rows)},
    ),
    "tfidf-svm": ModelSpec(
        _tfidf(lambda seed: LinearSVC(class_weight="balanced", random_state=seed)),
        c_params=lambda c, rows: {"C": c},
    ),
}


@dataclass(frozen=True)
class Selection:
    """How C (and the target mode) were chosen: the CV, its scores, the choice and why."""

    grid: tuple[float, ...]
    folds: int
    cv: str
    rows: int
    scoring: str
    mean_scores: dict[str, list[float | None]]  # target mode -> mean CV score for each C of the grid
    std_scores: dict[str, list[float | None]]
    best_c: float
    target_mode: str
    target_rule: str


@dataclass(frozen=True)
class FittedModel:
    """A fitted pipeline with what was chosen and how, for the report."""

    pipeline: Pipeline
    classifier: dict[str, Any]  # the classifier's parameters, as plain JSON values
    target_mode: str  # features.TARGET_MODES, or "none" for a model without features
    selection: Selection | None = None
    note: str | None = None  # why no selection ran


def selection_scoring(labels: Sequence[str]) -> str:
    """ "F_avg" when FAVOR and AGAINST are labels, else "macro-F1": the score the CV search maximises."""
    return "F_avg" if FAVOR in labels and AGAINST in labels else "macro-F1"


def fast_score(scoring: str, gold: np.ndarray, predicted: np.ndarray) -> float:
    """F_avg (FAVOR and AGAINST) or macro-F1 (over the classes in gold or predicted, as sklearn's f1_macro), from
    a confusion count: sklearn's scorers validate their input at ~10 ms a call, the search makes hundreds."""
    classes = [FAVOR, AGAINST] if scoring == "F_avg" else sorted(set(gold) | set(predicted))
    f1 = []
    for label in classes:
        true_positive = float(np.sum((gold == label) & (predicted == label)))
        denominator = float(np.sum(gold == label) + np.sum(predicted == label))
        f1.append(2 * true_positive / denominator if denominator else 0.0)
    return float(np.mean(f1))


def candidate_modes(frame: pd.DataFrame, options: ModelOptions) -> tuple[list[str], str]:
    """The target modes to try on these rows, and why these."""
    if TARGET not in frame:
        return ["none"], "no target column"
    targets = frame[TARGET].nunique()
    if options.target_handling != AUTO:
        return [options.target_handling], f"{options.target_handling}: set by --target-handling"
    if targets < 2:
        return ["pooled"], "one target in the training rows: nothing to condition on"
    return list(TARGET_PREFERENCE), (
        f"{targets} targets: {', '.join(TARGET_PREFERENCE)} compared by CV; the first within one standard error "
        "of the best wins"
    )


def fit_model(
    spec: ModelSpec,
    frame: pd.DataFrame,
    labels: np.ndarray,
    seed: int,
    groups: np.ndarray | None = None,
    options: ModelOptions = DEFAULT_OPTIONS,
) -> FittedModel:
    """Fit one model on the rows of `frame`; C (and the target mode) by stratified CV when every class has >= 2
    rows, with folds that keep each group (article) whole when there are at least as many groups as folds:
    sentences of one article share names and wording, so folds that split articles would favour a C that
    memorises them."""
    pipeline = spec.build(options, seed)
    classifier = pipeline.named_steps["classifier"]
    _, counts = np.unique(labels, return_counts=True)
    folds = min(MAX_C_FOLDS, int(counts.min()))
    if spec.c_params is None:
        pipeline.fit(frame, labels)
        return FittedModel(pipeline, _plain(classifier.get_params()), "none")
    features = clone(pipeline.named_steps["features"])
    modes, why = candidate_modes(frame, options) if isinstance(features, StanceFeatures) else (["none"], "")
    if isinstance(features, StanceFeatures):
        text = features.fit_text(frame)
        targets = list(frame[TARGET]) if TARGET in frame else []
        matrices = {mode: target_conditioned(text, targets, features.targets_, mode) for mode in modes}
    else:
        matrices = {"none": features.fit_transform(frame)}
    if folds < 2:
        mode = modes[0]
        fitted_classifier = clone(classifier).set_params(**spec.c_params(1.0, len(labels)))
        return _assemble(
            features,
            mode,
            fitted_classifier.fit(matrices[mode], labels),
            None,
            "none: a class has fewer than 2 training rows, C = 1 used" + (f"; target mode {mode}" if why else ""),
        )
    sample = np.arange(len(labels))
    if len(labels) > C_SELECTION_ROWS:
        sample = train_test_split(sample, train_size=C_SELECTION_ROWS, stratify=labels, random_state=seed)[0]
    fold_rows = len(sample) * (folds - 1) // folds
    sample_groups = None if groups is None else groups[sample]
    by_group = sample_groups is not None and len(set(sample_groups)) >= folds
    splitter = (StratifiedGroupKFold if by_group else StratifiedKFold)(folds, shuffle=True, random_state=seed)
    scoring = selection_scoring(sorted(set(labels)))
    splits = list(splitter.split(sample, labels[sample], sample_groups if by_group else None))
    means: dict[str, list[float | None]] = {}
    stds: dict[str, list[float | None]] = {}
    for mode, matrix in matrices.items():
        rows = matrix[sample]
        scores = np.array(
            [
                [
                    _fold_score(classifier, spec.c_params(c, fold_rows), rows, labels[sample], fit, held, scoring)
                    for fit, held in splits
                ]
                for c in C_GRID
            ]
        )
        means[mode] = [_finite(np.mean(row)) for row in scores]
        stds[mode] = [_finite(np.std(row)) for row in scores]
    mode, rule = _choose_mode(modes, means, stds, folds, why)
    best_c = C_GRID[int(np.argmax([-np.inf if s is None else s for s in means[mode]]))]
    fitted_classifier = clone(classifier).set_params(**spec.c_params(best_c, len(labels)))
    selection = Selection(
        grid=C_GRID,
        folds=folds,
        cv=splitter.__class__.__name__ + (" by article" if by_group else ""),
        rows=len(sample),
        scoring=scoring,
        mean_scores=means,
        std_scores=stds,
        best_c=best_c,
        target_mode=mode,
        target_rule=rule,
    )
    return _assemble(features, mode, fitted_classifier.fit(matrices[mode], labels), selection, None)


def _fold_score(
    classifier: BaseEstimator,
    params: dict[str, float],
    matrix: sp.csr_matrix,
    labels: np.ndarray,
    fit: np.ndarray,
    held: np.ndarray,
    scoring: str,
) -> float:
    """The score on `held` of the classifier with `params` fitted on `fit`; NaN when that fit fails."""
    try:
        fitted = clone(classifier).set_params(**params).fit(matrix[fit], labels[fit])
    except ValueError:  # e.g. a fold whose training rows hold a single class
        return float("nan")
    return fast_score(scoring, labels[held], fitted.predict(matrix[held]))


def _choose_mode(
    modes: list[str], means: dict[str, list[float | None]], stds: dict[str, list[float | None]], folds: int, why: str
) -> tuple[str, str]:
    """The one-standard-error rule over the modes' best scores (module docstring)."""
    if len(modes) == 1:
        return modes[0], why
    best = {mode: max((s for s in means[mode] if s is not None), default=-np.inf) for mode in modes}
    top = max(modes, key=lambda mode: best[mode])
    if not np.isfinite(best[top]):
        return modes[0], f"{why}; no mode scored (every fit failed), so {modes[0]}"
    top_std = stds[top][means[top].index(best[top])] or 0.0
    standard_error = top_std / np.sqrt(folds)
    chosen = next(mode for mode in modes if best[mode] >= best[top] - standard_error)
    return chosen, f"{why}; best {top} {best[top]:.4f} (standard error {standard_error:.4f})"


def _assemble(
    features: BaseEstimator, mode: str, classifier: BaseEstimator, selection: Selection | None, note: str | None
) -> FittedModel:
    if isinstance(features, StanceFeatures):
        features.set_params(target_mode=mode)
    pipeline = Pipeline([("features", features), ("classifier", classifier)])
    return FittedModel(pipeline, _plain(classifier.get_params()), mode, selection, note)


def _finite(score: float) -> float | None:
    return round(float(score), 6) if np.isfinite(score) else None


def _plain(params: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)
        for key, value in sorted(params.items())
    }
