"""The whole baseline run: data -> folds -> models -> metrics, saved models and the report.

The protocol (held-out test split or cross-validation) is chosen by baselines.protocol.
"""

from __future__ import annotations

import warnings
from importlib.metadata import version as package_version
from pathlib import Path

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import FitFailedWarning
from sklearn.model_selection import learning_curve
from stance_corpus.baselines.actors import actor_baseline
from stance_corpus.baselines.data import GROUP, LABEL, SPLIT, StanceData
from stance_corpus.baselines.metrics import BOOTSTRAP_RESAMPLES, CONFIDENCE, bootstrap_unit, stance_metrics
from stance_corpus.baselines.models import MODELS, TARGET, TEXT, fit_model
from stance_corpus.baselines.predict import model_version
from stance_corpus.baselines.protocol import Protocol, choose_protocol, groups_for
from stance_corpus.baselines.report import write_report
from stance_corpus.corpus.project import Project
from tqdm import tqdm

LEARNING_CURVE_MODEL = "tfidf-logreg"
LEARNING_CURVE_SIZES = (0.2, 0.4, 0.6, 0.8, 1.0)
TARGET_HANDLING = (
    "the target is a one-hot feature next to the text features of one model for all targets; one model per target "
    "was not measured against it: the corpus has a single target so far (re-measure when a second target lands)"
)


def _features(data: StanceData, rows: np.ndarray):
    return data.frame.iloc[rows][[TEXT, TARGET] if data.with_target else [TEXT]]


def run_baseline(data: StanceData, out: Path, seed: int, registry: Path | None, project: Project | None = None) -> Path:
    """Evaluate every registered model, save them fitted on the training rows, write the report; returns out."""
    protocol = choose_protocol(data, seed)
    labels = data.frame[LABEL].to_numpy()
    groups = data.frame[GROUP].to_numpy()
    evaluated = np.concatenate([rows for _, rows in protocol.folds])
    models, pipelines = {}, {}
    for name in tqdm(MODELS, desc="stance baselines", unit="model"):
        predicted = np.empty(len(data.frame), dtype=object)
        fold_params = []
        for fit_rows, eval_rows in protocol.folds:
            fitted = fit_model(
                name, _features(data, fit_rows), labels[fit_rows], data.with_target, seed, groups[fit_rows]
            )
            predicted[eval_rows] = fitted.pipeline.predict(_features(data, eval_rows))
            fold_params.append(fitted.params.get("c_selection"))
        training = protocol.training_rows
        final = fit_model(name, _features(data, training), labels[training], data.with_target, seed, groups[training])
        pipelines[name] = final.pipeline
        model_file = f"models/{name}-{data.version}.skops"
        models[name] = {
            "model_version": model_version(name, data.version),
            "model_file": model_file,
            "params": final.params,
            **({"fold_c_selection": fold_params} if any(fold_params) else {}),
            "metrics": stance_metrics(labels[evaluated], predicted[evaluated], data.labels, seed, groups[evaluated]),
        }
    curve = _learning_curve(data, protocol, pipelines[LEARNING_CURVE_MODEL], seed)
    report = {
        "dataset": {
            "name": data.name,
            "version": data.version,
            "config": data.config,
            "columns": {
                "text": data.columns.text,
                "label": data.columns.label,
                "target": data.columns.target if data.with_target else None,
            },
            "labels": list(data.labels),
            "split_sizes": data.split_sizes,
            "label_counts": {
                split: rows[LABEL].value_counts().reindex(data.labels, fill_value=0).astype(int).to_dict()
                for split, rows in data.frame.groupby(SPLIT, sort=True)
            },
            "articles": int(data.frame[GROUP].nunique()),
        },
        "protocol": {
            "kind": protocol.kind,
            "description": protocol.description,
            "evaluated_rows": len(evaluated),
            "training_rows": len(protocol.training_rows),
        },
        "target_handling": TARGET_HANDLING if data.with_target else "no target column",
        "seed": seed,
        "bootstrap": {
            "resamples": BOOTSTRAP_RESAMPLES, "confidence": CONFIDENCE, "over": bootstrap_unit(groups[evaluated])
        },
        "models": models,
        "learning_curve": curve,
        "actors": actor_baseline(data.name, registry, seed, project),
        "software": {name: package_version(name) for name in ("scikit-learn", "datasets", "numpy", "skops")},
    }
    bundles = {
        name: {
            "pipeline": pipeline,
            "model": name,
            "dataset": data.name,
            "dataset_version": data.version,
            "labels": list(data.labels),
            "with_target": data.with_target,
            "targets": sorted(data.frame[TARGET].unique()) if data.with_target else [],
        }
        for name, pipeline in pipelines.items()
    }
    return write_report(out, report, data, bundles)


def _learning_curve(data: StanceData, protocol: Protocol, pipeline, seed: int) -> dict:
    rows = protocol.training_rows
    with warnings.catch_warnings():
        # A small training subset may hold one class only: that fit fails, and its score is recorded as None.
        warnings.simplefilter("ignore", FitFailedWarning)
        sizes, _, scores = learning_curve(
            clone(pipeline),
            _features(data, rows),
            data.frame[LABEL].to_numpy()[rows],
            groups=groups_for(protocol.splitter, data.frame[GROUP].to_numpy()[rows]),
            cv=protocol.splitter,
            train_sizes=list(LEARNING_CURVE_SIZES),
            scoring="f1_macro",
            shuffle=True,
            random_state=seed,
            error_score=np.nan,
        )
    return {
        "model": LEARNING_CURVE_MODEL,
        "scoring": "macro-F1 on the held-out fold, C fixed to the saved model's",
        "train_rows": [int(size) for size in sizes],
        "mean": [None if np.isnan(row).all() else float(np.nanmean(row)) for row in scores],
        "std": [None if np.isnan(row).all() else float(np.nanstd(row)) for row in scores],
    }
