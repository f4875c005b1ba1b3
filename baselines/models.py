"""The stance models, all scikit-learn Pipelines over a DataFrame with a `text` (and optional `target`) column.

Models are registered in MODELS (name -> ModelSpec). The TF-IDF models choose C by cross-validation on the
training rows: the features are fitted once on all training rows and only the classifier is cross-validated on the
resulting matrix. TF-IDF never sees a label, so no label leaks across folds, and C selection costs a few linear fits
instead of a full refit of two vectorizers per fold and per C. Above C_SELECTION_ROWS training rows the CV runs on
a seeded stratified sample of that size, and tfidf-logreg minimises the logistic loss by SGD (SGDClassifier,
log_loss) rather than lbfgs: without either, benchmarks/baseline.py (100,000 sentences) ran over its 60 s goal.
Its penalty is set from C as alpha = 1 / (C * n_rows), the objective of LogisticRegression(C) divided by C * n_rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold, StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.svm import LinearSVC

TEXT = "text"
TARGET = "target"
C_GRID = (0.1, 1.0, 10.0)
MAX_C_FOLDS = 3
C_SELECTION_ROWS = 20_000


def stance_features(with_target: bool) -> ColumnTransformer:
    """Word 1-3-gram and char 2-5-gram TF-IDF of the text; the target one-hot encoded when there is one."""
    transformers: list[tuple[str, Any, str | list[str]]] = [
        ("word", TfidfVectorizer(ngram_range=(1, 3), sublinear_tf=True, min_df=1, dtype=np.float32), TEXT),
        ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, dtype=np.float32), TEXT),
    ]
    if with_target:
        transformers.append(("target", OneHotEncoder(handle_unknown="ignore"), [TARGET]))
    return ColumnTransformer(transformers)


def _tfidf(classifier: Callable[[int], object]) -> Callable[[bool, int], Pipeline]:
    return lambda with_target, seed: Pipeline(
        [("features", stance_features(with_target)), ("classifier", classifier(seed))]
    )


def _dummy(strategy: str) -> Callable[[bool, int], Pipeline]:
    return lambda with_target, seed: Pipeline([("classifier", DummyClassifier(strategy=strategy, random_state=seed))])


@dataclass(frozen=True)
class ModelSpec:
    build: Callable[[bool, int], Pipeline]  # (with_target, seed) -> an unfitted pipeline
    c_params: Callable[[float, int], dict] | None = None  # (C, training rows) -> classifier parameters


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
class FittedModel:
    pipeline: Pipeline
    params: dict  # what was chosen and how, for the report


def fit_model(
    name: str, frame: pd.DataFrame, labels: np.ndarray, with_target: bool, seed: int, groups: np.ndarray | None = None
) -> FittedModel:
    """Fit one registered model on the rows of `frame`; C by stratified CV when every class has >= 2 rows, with
    folds that keep each group (article) whole when there are at least as many groups as folds: sentences of one
    article share names and wording, so folds that split articles would favour a C that memorises them."""
    spec = MODELS[name]
    pipeline = spec.build(with_target, seed)
    _, counts = np.unique(labels, return_counts=True)
    folds = min(MAX_C_FOLDS, int(counts.min()))
    if spec.c_params is None:
        pipeline.fit(frame, labels)
        return FittedModel(pipeline, {"classifier": _plain(pipeline.named_steps["classifier"].get_params())})
    if folds < 2:
        pipeline.set_params(**{f"classifier__{k}": v for k, v in spec.c_params(1.0, len(labels)).items()})
        pipeline.fit(frame, labels)
        return FittedModel(
            pipeline,
            {
                "classifier": _plain(pipeline.named_steps["classifier"].get_params()),
                "c_selection": "none: a class has fewer than 2 training rows, C = 1 used",
            },
        )
    features = clone(pipeline.named_steps["features"])
    matrix = features.fit_transform(frame)
    sample = np.arange(len(labels))
    if len(labels) > C_SELECTION_ROWS:
        sample = train_test_split(sample, train_size=C_SELECTION_ROWS, stratify=labels, random_state=seed)[0]
    fold_rows = len(sample) * (folds - 1) // folds
    sample_groups = None if groups is None else groups[sample]
    by_group = sample_groups is not None and len(set(sample_groups)) >= folds
    splitter = (StratifiedGroupKFold if by_group else StratifiedKFold)(folds, shuffle=True, random_state=seed)
    search = GridSearchCV(
        pipeline.named_steps["classifier"],
        [{key: [value] for key, value in spec.c_params(c, fold_rows).items()} for c in C_GRID],
        scoring="f1_macro",
        cv=splitter,
        refit=False,
    )
    search.fit(matrix[sample], labels[sample], groups=sample_groups if by_group else None)
    best_c = C_GRID[search.best_index_]
    classifier = clone(pipeline.named_steps["classifier"]).set_params(**spec.c_params(best_c, len(labels)))
    fitted = Pipeline([("features", features), ("classifier", classifier.fit(matrix, labels))])
    return FittedModel(
        fitted,
        {
            "classifier": _plain(classifier.get_params()),
            "c_selection": {
                "grid": list(C_GRID),
                "folds": folds,
                "cv": splitter.__class__.__name__ + (" by article" if by_group else ""),
                "rows": len(sample),
                "scoring": "f1_macro",
                "mean_scores": [_finite(score) for score in search.cv_results_["mean_test_score"]],
                "best_c": best_c,
            },
        },
    )


def _finite(score: float) -> float | None:
    return round(float(score), 6) if np.isfinite(score) else None


def _plain(params: dict) -> dict:
    return {
        key: value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)
        for key, value in sorted(params.items())
    }
