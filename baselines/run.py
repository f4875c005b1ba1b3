"""The whole baseline run: data -> folds -> models -> metrics, saved models and the report.

Two tasks run through the same steps (`evaluate_task`): sentence stance (models.MODELS on the dataset) and, on a
stance-corpus release, actor stance (actors.ACTOR_MODELS on the gold mentions). The protocol of each (held-out
split or cross-validation) is chosen by baselines.protocol; figures are reported pooled over all evaluated rows
and per target.
"""

from __future__ import annotations

from importlib.metadata import version as package_version
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.pipeline import Pipeline
from stance_corpus.baselines.actors import (
    ACTOR_MODELS,
    actor_stance_data,
    gazetteer_spans,
    load_actor_data,
    token_classifier_spans,
)
from stance_corpus.baselines.data import GROUP, LABEL, SPLIT, TARGET, StanceData, has_actor_configs
from stance_corpus.baselines.metrics import BOOTSTRAP_RESAMPLES, CONFIDENCE, bootstrap_unit, stance_metrics
from stance_corpus.baselines.models import DEFAULT_OPTIONS, MODELS, ModelOptions, ModelSpec, fast_score, fit_model
from stance_corpus.baselines.predict import ModelBundle, model_version
from stance_corpus.baselines.progress import Progress
from stance_corpus.baselines.protocol import Protocol, choose_protocol, groups_for
from stance_corpus.baselines.records import (
    ACTOR_STANCE,
    SENTENCE_STANCE,
    ActorReport,
    BaselineReport,
    BootstrapSummary,
    DatasetSummary,
    FoldChoice,
    LearningCurve,
    ModelResult,
    ProtocolSummary,
    TaskResult,
)
from stance_corpus.baselines.report import PLOT_STAGES, write_report
from stance_corpus.corpus.schema import Scheme

LEARNING_CURVE_MODEL = "tfidf-logreg"
LEARNING_CURVE_SIZES = (0.2, 0.4, 0.6, 0.8, 1.0)
SOFTWARE = ("scikit-learn", "datasets", "numpy", "skops")


def run_baseline(
    data: StanceData,
    out: Path,
    seed: int,
    registry: Path | None,
    options: ModelOptions = DEFAULT_OPTIONS,
    progress: Progress | None = None,
    scheme: Scheme | None = None,
) -> Path:
    """Evaluate every registered model (sentence stance, and actor stance and the span taggers on a release with
    the actor configs), save them fitted on the training rows, write the report; returns out. `progress`: a bar
    that earlier stages (the CLI's imports) already count on, else a new one. `scheme`: the project's, to read the
    registry with (without one, the dataset's own actor types and targets)."""
    if progress is None:
        with Progress() as own:
            return run_baseline(data, out, seed, registry, options, own, scheme)
    with_actors = has_actor_configs(data.name)
    # sentence models, learning curve, plots, their model files, report; then the actor stages (_actor_baselines)
    progress.expect(2 * len(MODELS) + 1 + PLOT_STAGES + 1 + (1 + 2 + 2 * len(ACTOR_MODELS) if with_actors else 0))
    sentence, bundles = evaluate_task(SENTENCE_STANCE, data, MODELS, seed, options, progress)
    with progress.stage(f"learning curve ({LEARNING_CURVE_MODEL})"):
        model = bundles[_model_file(SENTENCE_STANCE, LEARNING_CURVE_MODEL, data)]
        curve = _learning_curve(data, choose_protocol(data, seed), model, seed)
    actors = ActorReport(skipped="the dataset has no sentences / actors / actor_tags configs")
    if with_actors:
        actors, actor_bundles = _actor_baselines(data, registry, seed, options, progress, scheme)
        bundles.update(actor_bundles)
    report = BaselineReport(
        **{name: getattr(sentence, name) for name in ("task", "dataset", "protocol", "bootstrap", "models")},
        options=options,
        seed=seed,
        learning_curve=curve,
        actors=actors,
        software={name: package_version(name) for name in SOFTWARE},
        plots=[],
    )
    return write_report(out, report, data, bundles, progress)


def _actor_baselines(
    data: StanceData,
    registry: Path | None,
    seed: int,
    options: ModelOptions,
    progress: Progress,
    scheme: Scheme | None,
) -> tuple[ActorReport, dict[str, ModelBundle]]:
    with progress.stage("load the actor configs"):
        actors = load_actor_data(data.name)
        mentions = actor_stance_data(data.name, actors)
    if mentions is None:  # one stance class among the mentions: no actor-stance models, nor their files
        progress.expect(2 + PLOT_STAGES + len(MODELS) + 1)
    with progress.stage("actor spans: gazetteer"):
        gazetteer = gazetteer_spans(actors, registry, scheme)
    with progress.stage("actor spans: token classifier"):
        token_classifier = token_classifier_spans(actors, seed)
    stance, bundles = (
        evaluate_task(ACTOR_STANCE, mentions, ACTOR_MODELS, seed, options, progress) if mentions else (None, {})
    )
    report = ActorReport(
        skipped=None,
        sentences=len(actors.tagged),
        gold_spans=sum(len(spans) for spans in actors.gold.values()),
        gazetteer=gazetteer,
        token_classifier=token_classifier,
        stance=stance,
    )
    return report, bundles


def evaluate_task(
    task: str,
    data: StanceData,
    specs: dict[str, ModelSpec],
    seed: int,
    options: ModelOptions,
    progress: Progress,
) -> tuple[TaskResult, dict[str, ModelBundle]]:
    """Every model of `specs` on `data` under its protocol: the task's figures, and each model fitted on the
    training rows (by model file name)."""
    protocol = choose_protocol(data, seed)
    labels = data.frame[LABEL].to_numpy()
    groups = data.frame[GROUP].to_numpy()
    targets = data.frame[TARGET].to_numpy() if data.with_target else None
    evaluated = np.concatenate([rows for _, rows in protocol.folds])
    training = protocol.training_rows
    results: dict[str, ModelResult] = {}
    bundles: dict[str, ModelBundle] = {}
    for name, spec in specs.items():
        with progress.stage(f"{task} {name}"):
            predicted = np.empty(len(data.frame), dtype=object)
            choices = []
            final = None
            for fit_rows, eval_rows in protocol.folds:
                fitted = fit_model(spec, _inputs(data, fit_rows), labels[fit_rows], seed, groups[fit_rows], options)
                predicted[eval_rows] = fitted.pipeline.predict(_inputs(data, eval_rows))
                choices.append(FoldChoice(fitted.target_mode, fitted.selection.best_c if fitted.selection else None))
                if np.array_equal(fit_rows, training):  # held out: the fold's model is the one to save
                    final = fitted
            if final is None:
                final = fit_model(spec, _inputs(data, training), labels[training], seed, groups[training], options)
            model_file = _model_file(task, name, data)
            results[name] = ModelResult(
                model_version=model_version(name, data.version),
                model_file=model_file,
                classifier=final.classifier,
                target_mode=final.target_mode,
                selection=final.selection,
                note=final.note,
                fold_choices=choices if protocol.kind == "cross-validation" else [],
                metrics=stance_metrics(labels[evaluated], predicted[evaluated], data.labels, seed, groups[evaluated]),
                per_target=_per_target(labels, predicted, targets, groups, evaluated, data.labels, seed),
            )
            bundles[model_file] = ModelBundle(
                pipeline=final.pipeline,
                model=name,
                task=task,
                dataset=data.name,
                dataset_version=data.version,
                labels=tuple(data.labels),
                with_target=data.with_target,
                targets=tuple(sorted(set(targets[training]))) if targets is not None else (),
                target_mode=final.target_mode,
                normalization=options.normalization,
            )
    result = TaskResult(
        task=task,
        dataset=summarize(data),
        protocol=ProtocolSummary(
            kind=protocol.kind,
            evaluated_split=protocol.evaluated_split,
            description=protocol.description,
            evaluated_rows=len(evaluated),
            training_rows=len(training),
        ),
        bootstrap=BootstrapSummary(BOOTSTRAP_RESAMPLES, CONFIDENCE, bootstrap_unit(groups[evaluated])),
        models=results,
    )
    return result, bundles


def summarize(data: StanceData) -> DatasetSummary:
    """What the report says about the dataset."""
    frame = data.frame
    return DatasetSummary(
        name=data.name,
        version=data.version,
        config=data.config,
        columns={
            "text": data.columns.text,
            "label": data.columns.label,
            "target": data.columns.target if data.with_target else None,
        },
        labels=list(data.labels),
        split_sizes=data.split_sizes,
        label_counts={
            str(split): {
                str(label): int(count)
                for label, count in rows[LABEL].value_counts().reindex(data.labels, fill_value=0).items()
            }
            for split, rows in frame.groupby(SPLIT, sort=True)
        },
        articles=int(frame[GROUP].nunique()),
        targets=sorted(frame[TARGET].unique()) if data.with_target else [],
        without_text=data.without_text,
    )


def _inputs(data: StanceData, rows: np.ndarray) -> pd.DataFrame:
    """The model inputs of these rows: every column but the label, article and split."""
    return data.frame.iloc[rows].drop(columns=[LABEL, GROUP, SPLIT])


def _model_file(task: str, name: str, data: StanceData) -> str:
    return (
        f"models/{name}-{data.version}.skops"
        if task == SENTENCE_STANCE
        else f"models/{task}-{name}-{data.version}.skops"
    )


def _per_target(
    labels: np.ndarray,
    predicted: np.ndarray,
    targets: np.ndarray | None,
    groups: np.ndarray,
    evaluated: np.ndarray,
    label_set: tuple[str, ...],
    seed: int,
) -> dict:
    """Each target's metrics over its evaluated rows; {} unless the dataset holds two or more targets (a target
    without evaluated rows, say none in the test split, has no entry)."""
    if targets is None or len(set(targets)) < 2:
        return {}
    result = {}
    for target in sorted(set(targets[evaluated])):
        rows = evaluated[targets[evaluated] == target]
        result[str(target)] = stance_metrics(labels[rows], predicted[rows], label_set, seed, groups[rows])
    return result


def _learning_curve(data: StanceData, protocol: Protocol, bundle: ModelBundle, seed: int) -> LearningCurve:
    """Macro-F1 over growing shares of each CV fold's training rows. The features are fitted once per fold on all
    of its training rows, which have no labels to leak, and only the classifier sees the growing labelled share:
    the curve measures what more labels buy, the question an annotation budget asks, at the cost of one TF-IDF
    fit per fold instead of one per fold and share."""
    rows = protocol.training_rows
    labels = data.frame[LABEL].to_numpy()[rows]
    inputs = _inputs(data, rows)
    pipeline: Pipeline = bundle.pipeline
    groups = groups_for(protocol.splitter, data.frame[GROUP].to_numpy()[rows])
    splits = list(protocol.splitter.split(rows, labels, groups))
    smallest = min(len(fit) for fit, _ in splits)
    sizes = [max(1, round(share * smallest)) for share in LEARNING_CURVE_SIZES]
    rng = np.random.default_rng(seed)
    scores: list[list[float]] = []
    for fit, held in splits:
        features = clone(pipeline.named_steps["features"])
        matrix = features.fit_transform(inputs.iloc[fit])
        held_matrix = features.transform(inputs.iloc[held])
        order = rng.permutation(len(fit))
        fold_scores = []
        for size in sizes:
            chosen = order[:size]
            if len(set(labels[fit][chosen])) < 2:  # one class only: nothing to fit
                fold_scores.append(float("nan"))
                continue
            classifier = clone(pipeline.named_steps["classifier"]).fit(matrix[chosen], labels[fit][chosen])
            fold_scores.append(fast_score("macro-F1", labels[held], classifier.predict(held_matrix)))
        scores.append(fold_scores)
    by_size = np.array(scores).T
    return LearningCurve(
        model=LEARNING_CURVE_MODEL,
        scoring="macro-F1 on the held-out fold; C and target mode fixed to the saved model's; the TF-IDF fitted on "
        "all of the fold's training rows, the classifier on the labelled share",
        protocol=f"{protocol.splitter.get_n_splits()}-fold {protocol.splitter.__class__.__name__} over the "
        f"{len(rows)} training rows; mean and standard deviation over folds (no CI)",
        train_rows=sizes,
        mean=[None if np.isnan(row).all() else float(np.nanmean(row)) for row in by_size],
        std=[None if np.isnan(row).all() else float(np.nanstd(row)) for row in by_size],
    )
