"""`stance-corpus baseline` and `stance-corpus predict`: argument parsing only; the work is in plain functions."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DEFAULT_TARGET_COLUMN = "target"


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    baseline = subparsers.add_parser(
        "baseline",
        help="evaluate scikit-learn stance and actor baselines on a dataset and write a report",
        description="Evaluate majority, stratified, tfidf-logreg and tfidf-svm stance models (and the actor "
        "taggers when the dataset has the actor configs) on DATASET, anything datasets.load_dataset opens offline "
        "(default: the project's current release, <releases>/<its version>). Writes report.json, report.md, "
        "PNG plots and the fitted models (skops) to --out.",
    )
    baseline.add_argument("dataset", nargs="?", metavar="DATASET")
    baseline.add_argument("--config", help="default: 'sentences' when the dataset has it, else its default config")
    baseline.add_argument("--out", type=Path, metavar="DIR", help="default: the project's <reports>/<dataset version>")
    baseline.add_argument("--text-column", default="text")
    baseline.add_argument("--label-column", default="stance", help="a ClassLabel or a string column")
    baseline.add_argument("--target-column", help=f"default: {DEFAULT_TARGET_COLUMN!r} when the dataset has it")
    baseline.add_argument("--seed", type=int, default=0)
    baseline.add_argument(
        "--actor-registry",
        type=Path,
        metavar="FILE",
        help="the gazetteer's actor registry (default: the project's, when there is a project)",
    )
    baseline.set_defaults(run=run_baseline_command)

    predict = subparsers.add_parser(
        "predict",
        help="label sentences with a saved stance model, the most uncertain first",
        description="Label the sentences of INPUT (JSON lines with 'text' and optionally 'id', 'target', 'kind', "
        "e.g. the output of `stance-corpus segment`; default: stdin) with MODEL, a .skops file written by "
        "`stance-corpus baseline`. Writes one JSON line per sentence: segment_id, label, scores, model_version, "
        "uncertainty, sorted by uncertainty (highest first).",
    )
    predict.add_argument("model", type=Path, metavar="MODEL")
    predict.add_argument("input", nargs="?", type=Path, metavar="INPUT")
    predict.add_argument("--out", type=Path, metavar="FILE", help="default: stdout")
    predict.add_argument(
        "--target",
        help="the stance target of lines that give none: its text, or the id of a target of the project (default: "
        "the model's target, if it had one)",
    )
    predict.set_defaults(run=run_predict_command)


# The baselines import datasets and scikit-learn (seconds); importing them only when used keeps other commands quick.
def run_baseline_command(args: argparse.Namespace) -> None:
    import datasets
    from stance_corpus.baselines.data import Columns, default_dataset, load_stance_data
    from stance_corpus.baselines.run import run_baseline
    from stance_corpus.corpus.project import CONFIG_FILE, load_project

    datasets.disable_progress_bars()
    project = load_project(args.project) if not args.dataset or (args.project / CONFIG_FILE).is_file() else None
    dataset = args.dataset or str(default_dataset(project))
    columns = Columns(
        text=args.text_column,
        label=args.label_column,
        target=args.target_column or DEFAULT_TARGET_COLUMN,
        target_required=args.target_column is not None,
    )
    data = load_stance_data(dataset, args.config, columns)
    reports = project.reports if project is not None else Path("reports")
    registry = args.actor_registry or (project.actors if project is not None else None)
    out = run_baseline(data, args.out or reports / data.version, args.seed, registry, project)
    print(f"baseline report of {dataset} {data.version}: {out / 'report.md'} (and report.json, plots, models/)")


def run_predict_command(args: argparse.Namespace) -> None:
    from stance_corpus.baselines.predict import load_model, predict_sentences, read_sentences, write_predictions
    from stance_corpus.corpus.errors import InputError
    from stance_corpus.corpus.jsonl import read_jsonl, write_jsonl
    from stance_corpus.corpus.project import CONFIG_FILE, load_project

    bundle = load_model(args.model)
    if args.target and (args.project / CONFIG_FILE).is_file():
        scheme = load_project(args.project).scheme
        args.target = scheme.target(args.target).name if args.target in scheme.target_ids else args.target
    where = str(args.input or "<stdin>")
    try:
        records = list(read_jsonl(args.input or sys.stdin.buffer, where))
    except FileNotFoundError:
        raise InputError(where, "no such file") from None
    except OSError as error:  # a folder, no permission: one line, like every input error
        raise InputError(where, f"cannot be read: {error.strerror or error}") from None
    predictions = predict_sentences(bundle, read_sentences(records, where, bundle, args.target))
    if args.out:
        write_predictions(predictions, args.out)
        print(f"{args.out}: {len(predictions)} predictions, most uncertain first", file=sys.stderr)
    else:
        write_jsonl(predictions, sys.stdout)
