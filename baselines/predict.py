"""Saved stance models (skops files) and labelling new sentences with them.

A model file is `skops.io.dump` of a ModelBundle's fields as a dict (the pipeline and what it was trained on);
`load_model` turns it back into a ModelBundle. skops never unpickles arbitrary objects: loading refuses any type
outside TRUSTED_TYPES (what our pipelines are made of), so a model file from elsewhere cannot run code.

Predictions are ranked for annotators: the most uncertain sentence first, uncertainty = 1 - (top score - second
score), in [0, 1]. Scores are class probabilities (predict_proba), or for tfidf-svm, which has none, the softmax of
its decision values: comparable within one model, not calibrated probabilities.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd
import skops.io
from scipy.special import softmax
from sklearn.pipeline import Pipeline
from stance_corpus.baselines.data import TARGET, TEXT
from stance_corpus.baselines.records import SENTENCE_STANCE
from stance_corpus.corpus.errors import InputError
from stance_corpus.corpus.files import atomic_path, open_output
from stance_corpus.corpus.jsonl import write_jsonl
from stance_corpus.corpus.schema import ANNOTATED_KINDS, StancePrediction

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
        "stance_corpus.baselines.features.ActorFeatures",
        "stance_corpus.baselines.features.HashtagSplitter",
        "stance_corpus.baselines.features.StanceFeatures",
    }
)


@dataclass(frozen=True)
class ModelBundle:
    """A fitted model and what it was trained on: the content of one model file."""

    pipeline: Pipeline
    model: str  # its name in models.MODELS (or actors.ACTOR_MODELS)
    task: str  # records.SENTENCE_STANCE or records.ACTOR_STANCE
    dataset: str
    dataset_version: str
    labels: tuple[str, ...]
    with_target: bool
    targets: tuple[str, ...]  # the targets of its training rows
    target_mode: str  # features.TARGET_MODES, "none" for a model without features
    normalization: str  # features.NORMALIZATIONS

    @property
    def model_version(self) -> str:
        """`<model>@<dataset version>`, the version Label Studio shows with each prediction."""
        return model_version(self.model, self.dataset_version)


def model_version(model: str, dataset_version: str) -> str:
    """The version string of a model trained on a dataset version."""
    return f"{model}@{dataset_version}"


def save_model(path: Path, bundle: ModelBundle) -> None:
    """Write `bundle` to `path` atomically (a skops file of its fields)."""
    with atomic_path(path) as temporary:
        skops.io.dump({item.name: getattr(bundle, item.name) for item in fields(ModelBundle)}, temporary)


def load_model(path: Path) -> ModelBundle:
    """The bundle of a model file written by `stance-corpus baseline`, refusing types outside TRUSTED_TYPES."""
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
    content = skops.io.load(path, trusted=sorted(untrusted))
    names = {item.name for item in fields(ModelBundle)}
    if not isinstance(content, dict) or "pipeline" not in content:
        raise InputError(path, "a skops file, but not a model written by `stance-corpus baseline`")
    if set(content) != names:
        raise InputError(path, "a model file of another stance-corpus version: run `stance-corpus baseline` again")
    content["labels"], content["targets"] = tuple(content["labels"]), tuple(content["targets"])
    return ModelBundle(**content)


def check_predictable(bundle: ModelBundle, path: Path, stances: Sequence[str] | None = None) -> None:
    """Refuse a model whose predictions `stance-corpus annotate --predictions` could not read: an actor-stance
    model, or (given the project's stance labels, `stances`) one whose labels are not among them."""
    if bundle.task != SENTENCE_STANCE:
        raise InputError(path, f"an {bundle.task} model: predict labels sentences, give a {SENTENCE_STANCE} model")
    if stances is not None and not set(bundle.labels) <= set(stances):
        raise InputError(
            path,
            f"its labels {', '.join(bundle.labels)} are not the project's stance labels ({', '.join(stances)}): "
            "predict writes stance predictions for annotators",
        )


def read_sentences(
    records: Iterable[tuple[int, object]], where: str, bundle: ModelBundle, target: str | None
) -> pd.DataFrame:
    """Rows to label from JSON objects with `id` and `text` and optional `target`, `kind` (e.g. `stance-corpus
    segment` output); segments of a kind annotators never see (headline, note, boilerplate) are skipped.

    A line without a target gets `target`, by default the model's only training target when it had one. A
    per-target model refuses a target it was not trained on: it has no features for it."""
    if target is None and len(bundle.targets) == 1:
        target = bundle.targets[0]
    rows = []
    annotated = {kind.value for kind in ANNOTATED_KINDS}
    for line, record in records:
        if not isinstance(record, dict) or not isinstance(record.get(TEXT), str) or not record[TEXT].strip():
            raise InputError(f"{where}:{line}", "needs a JSON object with a non-empty 'text'")
        if "kind" in record and record["kind"] not in annotated:
            continue
        if not isinstance(record.get("id"), str) or not record["id"]:
            raise InputError(
                f"{where}:{line}", "needs an 'id' (the segment id, as `stance-corpus segment` writes on every line)"
            )
        line_target = record.get(TARGET, target)
        if bundle.with_target and not isinstance(line_target, str):
            raise InputError(
                f"{where}:{line}",
                f"the model was trained on several targets ({', '.join(bundle.targets)}): give a 'target' "
                "string on every line or --target",
            )
        if bundle.target_mode == "per-target" and line_target not in bundle.targets:
            raise InputError(
                f"{where}:{line}",
                f"target {line_target!r}: this per-target model knows only {', '.join(bundle.targets)}",
            )
        rows.append({"segment_id": record["id"], TEXT: record[TEXT], TARGET: line_target or ""})
    return pd.DataFrame(rows, columns=["segment_id", TEXT, TARGET])


def predict_sentences(bundle: ModelBundle, sentences: pd.DataFrame) -> list[StancePrediction]:
    """One prediction per row, the most uncertain first (ties in input order); the model's labels must be stance
    labels (`check_predictable`)."""
    if sentences.empty:
        return []
    pipeline = bundle.pipeline
    features = sentences[[TEXT, TARGET] if bundle.with_target else [TEXT]]
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
    predictions = [
        StancePrediction(
            segment_id=segment_id,
            label=classes[int(np.argmax(row))],
            scores={label: round(float(value), 6) for label, value in zip(classes, row)},
            model_version=bundle.model_version,
            uncertainty=round(float(value), 6),
        )
        for segment_id, row, value in zip(sentences["segment_id"], scores, uncertainty)
    ]
    order = sorted(range(len(predictions)), key=lambda position: -uncertainty[position])
    return [predictions[position] for position in order]


def write_predictions(predictions: list[StancePrediction], path: Path) -> None:
    """Write the prediction lines (the format labeling.predictions reads) to `path`: `-` is stdout, a regular file
    is replaced whole, never in part (corpus/files.py, open_output)."""
    with open_output(path) as handle:
        write_jsonl(predictions, handle)
