"""The baseline report as typed records: what `run_baseline` measures and `report.write_report` writes.

report.json is `dataclasses.asdict` of a BaselineReport: the sentence stance task at the top level (dataset,
protocol, bootstrap, models, learning curve), the actor baselines under `actors` (span taggers and the actor-stance
task, whose record has the same shape as the sentence task's).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from stance_corpus.baselines.metrics import StanceMetrics
from stance_corpus.baselines.models import ModelOptions, Selection

SENTENCE_STANCE = "sentence-stance"
ACTOR_STANCE = "actor-stance"


@dataclass(frozen=True)
class DatasetSummary:
    """The evaluated dataset: where it came from, its columns, labels, splits and targets."""

    name: str
    version: str
    config: str | None
    columns: dict[str, str | None]  # role (text, label, target) -> column name in the dataset
    labels: list[str]
    split_sizes: dict[str, int]
    label_counts: dict[str, dict[str, int]]  # split -> label -> labelled rows
    articles: int
    targets: list[str]  # [] without a target column
    without_text: int  # labelled rows left out: their text is withheld (a publishable release)


@dataclass(frozen=True)
class ProtocolSummary:
    """How the figures were obtained (protocol.Protocol, without the row positions)."""

    kind: str  # "held-out" or "cross-validation"
    evaluated_split: str | None  # "test", "validation", or None for cross-validation
    description: str
    evaluated_rows: int
    training_rows: int


@dataclass(frozen=True)
class BootstrapSummary:
    """How the confidence intervals were computed."""

    resamples: int
    confidence: float
    over: str  # what is resampled: rows, or whole articles


@dataclass(frozen=True)
class FoldChoice:
    """What the model's own CV chose inside one evaluation fold."""

    target_mode: str
    c: float | None


@dataclass(frozen=True)
class ModelResult:
    """One model of one task: its saved file, what was chosen for it and its scores on the evaluated rows."""

    model_version: str
    model_file: str  # relative to the report folder
    classifier: dict[str, Any]
    target_mode: str
    selection: Selection | None  # the choice of C and target mode for the saved model (fitted on training rows)
    note: str | None
    fold_choices: list[FoldChoice]  # the same choice inside each evaluation fold
    metrics: StanceMetrics  # all evaluated rows pooled (the task's official F_avg pools all targets)
    per_target: dict[str, StanceMetrics]  # each target's evaluated rows; {} with fewer than two targets


@dataclass(frozen=True)
class TaskResult:
    """The figures of one task (sentence stance, actor stance) on one dataset under one protocol."""

    task: str  # SENTENCE_STANCE or ACTOR_STANCE
    dataset: DatasetSummary
    protocol: ProtocolSummary
    bootstrap: BootstrapSummary
    models: dict[str, ModelResult]


@dataclass(frozen=True)
class LearningCurve:
    """Macro-F1 of one model over growing shares of the training rows (mean and std over CV folds)."""

    model: str
    scoring: str
    protocol: str
    train_rows: list[int]
    mean: list[float | None]
    std: list[float | None]


@dataclass(frozen=True)
class ActorReport:
    """The actor baselines: span taggers (span P/R/F1 dicts of metrics.span_metrics) and the actor-stance task."""

    skipped: str | None  # why there are none (a dataset without the actor configs)
    sentences: int = 0
    gold_spans: int = 0
    gazetteer: dict[str, Any] = field(default_factory=dict)
    token_classifier: dict[str, Any] = field(default_factory=dict)
    stance: TaskResult | None = None


@dataclass(frozen=True)
class BaselineReport(TaskResult):
    """Everything one `stance-corpus baseline` run measured (the sentence task's fields, then the rest)."""

    options: ModelOptions
    seed: int
    learning_curve: LearningCurve
    actors: ActorReport
    software: dict[str, str]
    plots: list[str]  # file names in the report folder, filled in by report.write_report
