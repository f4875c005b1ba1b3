"""Saved stance models (skops files) and labelling new sentences with them.

A model file is `skops.io.dump` of {"pipeline", "model", "dataset", "dataset_version", "labels", "with_target",
"targets"} (`targets`: the targets it was trained on).
skops never unpickles arbitrary objects: loading refuses any type outside TRUSTED_TYPES (what our pipelines are
made of), so a model file from elsewhere cannot run code.

Predictions are ranked for annotators: the most uncertain sentence first, uncertainty = 1 - (top score - second
score), in [0, 1]. Scores are class probabilities (predict_proba), or for tfidf-svm, which has none, the softmax of
its decision values: comparable within one model, not calibrated probabilities.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import skops.io
from scipy.special import softmax
from stance_corpus.baselines.models import TARGET, TEXT
from stance_corpus.corpus.errors import InputError
from stance_corpus.corpus.files import atomic_path, open_output
from stance_corpus.corpus.jsonl import write_jsonl
from stance_corpus.corpus.schema import ANNOTATED_KINDS

TRUSTED_TYPES = frozenset(
    {
        "builtins.slice",
        "numpy.dtype",
        "numpy.float32",
        "numpy.float64",
        "numpy.int64",
        "numpy.ndarray",
        "scipy.sparse._csr.csr_matrix",
        "sklearn.compose._column_transformer.ColumnTransformer",
        "sklearn.compose._column_transformer._RemainderColsList",
        "sklearn.dummy.DummyClassifier",
        "sklearn.feature_extraction.text.TfidfTransformer",
        "sklearn.feature_extraction.text.TfidfVectorizer",
        "sklearn.linear_model._stochastic_gradient.SGDClassifier",
        "sklearn.pipeline.Pipeline",
        "sklearn.preprocessing._encoders.OneHotEncoder",
        "sklearn.svm._classes.LinearSVC",
        "sklearn.utils._bunch.Bunch",
    }
)


def model_version(model: str, dataset_version: str) -> str:
    return f"{model}@{dataset_version}"


def save_model(path: Path, bundle: dict) -> None:
    with atomic_path(path) as temporary:
        skops.io.dump(bundle, temporary)


def load_model(path: Path) -> dict:
    if not path.is_file():
        raise InputError(
            path, "no such model file (`stance-corpus baseline` writes them under reports/<version>/models)"
        )
    try:
        untrusted = set(skops.io.get_untrusted_types(file=path))
    except (zipfile.BadZipFile, KeyError, ValueError) as error:  # what skops raises on a file not in its format
        raise InputError(path, f"not a skops model file ({error.__class__.__name__}: {error})") from None
    refused = sorted(untrusted - TRUSTED_TYPES)
    if refused:
        raise InputError(path, f"refusing to load types a stance baseline never contains: {', '.join(refused)}")
    bundle = skops.io.load(path, trusted=sorted(untrusted))
    if not isinstance(bundle, dict) or "pipeline" not in bundle:
        raise InputError(path, "a skops file, but not a model written by `stance-corpus baseline`")
    return bundle


def read_sentences(records: Iterable[tuple[int, object]], where: str, bundle: dict, target: str | None) -> pd.DataFrame:
    """Rows to label from JSON objects with `text` and optional `id`, `target`, `kind` (e.g. `stance-corpus
    segment` output); segments of a kind annotators never see (headline, note, boilerplate) are skipped.

    A line without a target gets `target`, by default the model's only training target when it had one."""
    if target is None and len(bundle["targets"]) == 1:
        target = bundle["targets"][0]
    rows = []
    annotated = {kind.value for kind in ANNOTATED_KINDS}
    for line, record in records:
        if not isinstance(record, dict) or not isinstance(record.get(TEXT), str) or not record[TEXT].strip():
            raise InputError(f"{where}:{line}", "needs a JSON object with a non-empty 'text'")
        if "kind" in record and record["kind"] not in annotated:
            continue
        line_target = record.get(TARGET, target)
        if bundle["with_target"] and not isinstance(line_target, str):
            raise InputError(
                f"{where}:{line}",
                f"the model was trained on several targets ({', '.join(bundle['targets'])}): give a 'target' "
                "string on every line or --target",
            )
        rows.append({"segment_id": record.get("id"), TEXT: record[TEXT], TARGET: line_target or ""})
    return pd.DataFrame(rows, columns=["segment_id", TEXT, TARGET])


def predict_sentences(bundle: dict, sentences: pd.DataFrame) -> list[dict]:
    """One prediction per row, the most uncertain first (ties in input order)."""
    if sentences.empty:
        return []
    pipeline = bundle["pipeline"]
    features = sentences[[TEXT, TARGET] if bundle["with_target"] else [TEXT]]
    if hasattr(pipeline, "predict_proba"):
        scores = pipeline.predict_proba(features)
    else:
        margins = np.asarray(pipeline.decision_function(features), dtype=float)
        if margins.ndim == 1:  # two classes: one margin, positive for the second class
            margins = np.column_stack([-margins / 2, margins / 2])
        scores = softmax(margins, axis=1)
    classes = [str(label) for label in pipeline.classes_]
    top_two = np.sort(scores, axis=1)[:, -2:]
    uncertainty = 1.0 - (top_two[:, 1] - top_two[:, 0])
    version = model_version(bundle["model"], bundle["dataset_version"])
    predictions = [
        {
            "segment_id": segment_id,
            "label": classes[int(np.argmax(row))],
            "scores": {label: round(float(value), 6) for label, value in zip(classes, row)},
            "model_version": version,
            "uncertainty": round(float(value), 6),
        }
        for segment_id, row, value in zip(sentences["segment_id"], scores, uncertainty)
    ]
    order = sorted(range(len(predictions)), key=lambda position: -uncertainty[position])
    return [predictions[position] for position in order]


def write_predictions(predictions: list[dict], path: Path) -> None:
    """The predictions as JSON lines to `path` (`-`: stdout; a regular file is replaced whole, never in part)."""
    with open_output(path) as handle:
        write_jsonl(predictions, handle)
