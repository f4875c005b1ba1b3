"""The one adapter between a stance predictions file (`stance-corpus predict --out FILE`) and StancePrediction records.

A line: {"segment_id": str, "label": a stance label of the project's scheme, "scores": {label: float},
"model_version": str, "uncertainty": float}. labeling never imports baselines: this file format is the whole
contract between them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TypeGuard

from stance_corpus.corpus.errors import InputError
from stance_corpus.corpus.jsonl import read_jsonl
from stance_corpus.corpus.schema import StancePrediction


def read_predictions(path: Path, stances: Sequence[str]) -> list[tuple[str, StancePrediction]]:
    """("file:line", prediction) of every line, checked against the stance labels: one model version per file, each
    segment once."""
    if not path.is_file():
        raise InputError(path, "no such predictions file (`stance-corpus predict MODEL --out FILE` writes one)")
    predictions: list[tuple[str, StancePrediction]] = []
    first_line: dict[str, str] = {}
    for line, record in read_jsonl(path):
        where = f"{path}:{line}"
        prediction = _prediction(record, where, stances)
        if predictions and prediction.model_version != predictions[0][1].model_version:
            raise InputError(
                where,
                f"model_version {prediction.model_version!r} differs from {predictions[0][1].model_version!r} of "
                f"{predictions[0][0]}: a project shows one model version, so push one file per model",
            )
        if prediction.segment_id in first_line:
            raise InputError(
                where, f"segment {prediction.segment_id} was already predicted at {first_line[prediction.segment_id]}"
            )
        first_line[prediction.segment_id] = where
        predictions.append((where, prediction))
    if not predictions:
        raise InputError(path, "holds no predictions")
    return predictions


def _prediction(record: object, where: str, stances: Sequence[str]) -> StancePrediction:
    if not isinstance(record, dict):
        raise InputError(where, "needs a JSON object with segment_id, label, scores, model_version, uncertainty")
    segment_id, label, scores = record.get("segment_id"), record.get("label"), record.get("scores")
    model_version, uncertainty = record.get("model_version"), record.get("uncertainty")
    if not isinstance(segment_id, str) or not segment_id:
        raise InputError(
            where, "has no segment_id: predict from `stance-corpus segment` output, whose lines carry segment ids"
        )
    if not isinstance(label, str) or label not in stances:
        raise InputError(where, f"label {label!r} is not one of {', '.join(stances)}")
    if not isinstance(scores, dict) or not scores or not set(scores) <= set(stances):
        raise InputError(where, f"scores {scores!r} must map labels among {', '.join(stances)} to numbers")
    if not all(_is_probability(value) for value in scores.values()):
        raise InputError(where, f"scores {scores} must each be a number in [0, 1]")
    if scores.get(label) != max(scores.values()):
        raise InputError(where, f"label {label} is not the highest of the scores {scores}")
    if not isinstance(model_version, str) or not model_version.strip():
        raise InputError(where, "has no model_version")
    if not _is_probability(uncertainty):
        raise InputError(where, f"uncertainty {uncertainty!r} must be a number in [0, 1]")
    return StancePrediction(
        segment_id=segment_id,
        label=label,
        scores={name: float(value) for name, value in scores.items()},
        model_version=model_version,
        uncertainty=float(uncertainty),
    )


def _is_probability(value: object) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0.0 <= value <= 1.0
