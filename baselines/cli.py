"""`stance-corpus baseline` and `stance-corpus predict`: argument parsing only; the work is in plain functions."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

DEFAULT_TARGET_COLUMN = "target"
# The choices of --target-handling and --normalization, as in baselines.models and baselines.features (which import
# scikit-learn: parsing arguments stays cheap). tests/test_baseline.py checks that they agree.
TARGET_HANDLING = ("auto", "pooled", "per-target", "augmented")
NORMALIZATIONS = ("none", "social-media")


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Mount `baseline` and `predict` on the `stance-corpus` parser."""
    baseline = subparsers.add_parser(
        "baseline",
        help="evaluate scikit-learn stance and actor baselines on a dataset and write a report",
        description="Evaluate majority, stratified, tfidf-logreg and tfidf-svm stance models (and the actor "
        "taggers and actor-stance models when the dataset has the actor configs) on DATASET, anything "
        "datasets.load_dataset opens offline (default: the project's current release, <releases>/<its version>). "
        "With several targets, how the target enters the model (pooled, per-target, augmented) is chosen by "
        "cross-validation on the training rows. Writes report.json, report.md, PNG plots and the fitted models "
        "(skops) to --out.",
    )
    baseline.add_argument("dataset", nargs="?", metavar="DATASET")
    baseline.add_argument("--config", help="default: 'sentences' when the dataset has it, else its default config")
    baseline.add_argument("--out", type=Path, metavar="DIR", help="default: the project's <reports>/<dataset version>")
    baseline.add_argument("--text-column", default="text")
    baseline.add_argument("--label-column", default="stance", help="a ClassLabel or a string column")
    baseline.add_argument("--target-column", help=f"default: {DEFAULT_TARGET_COLUMN!r} when the dataset has it")
    baseline.add_argument("--seed", type=int, default=0)
    baseline.add_argument(
        "--target-handling",
        choices=TARGET_HANDLING,
        default="auto",
        help="one model for all targets with a one-hot target (pooled), one per target (per-target), or shared + "
        "per-target feature copies (augmented); default: auto, chosen by cross-validation on the training rows",
    )
    baseline.add_argument(
        "--normalization",
        choices=NORMALIZATIONS,
        default="none",
        help="social-media: split hashtags into words (for tweets; news text has none); default: %(default)s",
    )
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
        description="Label the sentences of INPUT (JSON lines with 'id' and 'text' and optionally 'target', 'kind', "
        "e.g. the output of `stance-corpus segment`; default: stdin) with MODEL, a .skops file written by "
        "`stance-corpus baseline`. Writes one JSON line per sentence: segment_id, label, scores, model_version, "
        "uncertainty, sorted by uncertainty (highest first).",
    )
    predict.add_argument("model", type=Path, metavar="MODEL")
    predict.add_argument("input", nargs="?", type=Path, metavar="INPUT")
    predict.add_argument("--out", type=Path, metavar="FILE", help="default (or -): stdout")
    predict.add_argument(
        "--target",
        help="the stance target of lines that give none: its text, or the id of a target of the project (default: "
        "the model's target, if it had one)",
    )
    predict.set_defaults(run=run_predict_command)


# The baselines import datasets and scikit-learn (seconds); importing them only when used keeps other commands quick.
def run_baseline_command(args: argparse.Namespace) -> None:
    """`stance-corpus baseline`: load the dataset, run every baseline, write the report."""
    import datasets
    from stance_corpus.baselines.data import Columns, default_dataset, load_stance_data
    from stance_corpus.baselines.progress import Progress
    from stance_corpus.baselines.report import check_report_folder
    from stance_corpus.corpus.project import CONFIG_FILE, load_project

    if args.out is not None:
        check_report_folder(args.out)  # before minutes of fitting
    datasets.disable_progress_bars()
    # A dataset folder whose README.md has no YAML header is fine here; the Hub's warning would cut the bar.
    logging.getLogger("huggingface_hub.repocard").setLevel(logging.ERROR)
    project = load_project(args.project) if not args.dataset or (args.project / CONFIG_FILE).is_file() else None
    dataset = args.dataset or str(default_dataset(project))
    columns = Columns(
        text=args.text_column,
        label=args.label_column,
        target=args.target_column or DEFAULT_TARGET_COLUMN,
        target_required=args.target_column is not None,
    )
    data = load_stance_data(dataset, args.config, columns)  # before the bar: a bad dataset is one line on stderr
    with Progress() as progress:
        with progress.stage("import scikit-learn, matplotlib, skops"):
            from stance_corpus.baselines.models import ModelOptions
            from stance_corpus.baselines.run import run_baseline
        options = ModelOptions(target_handling=args.target_handling, normalization=args.normalization)
        out = args.out or (project.reports if project is not None else Path("reports")) / data.version
        registry = args.actor_registry or (project.actors if project is not None else None)
        scheme = project.scheme if project is not None else None
        out = run_baseline(data, out, args.seed, registry, options, progress, scheme)
    print(f"baseline report of {dataset} {data.version}: {out / 'report.md'} (and report.json, plots, models/)")
    protocol = json.loads((out / "report.json").read_text(encoding="utf-8"))["protocol"]
    evaluation = (
        f"held out, the {protocol['evaluated_split']} split" if protocol["evaluated_split"] else "cross-validation"
    )
    print(f"evaluation: {evaluation} ({protocol['description']})")


def run_predict_command(args: argparse.Namespace) -> None:
    """`stance-corpus predict`: label JSON-lines sentences with a saved model, most uncertain first."""
    from stance_corpus.baselines.predict import (
        check_predictable,
        load_model,
        predict_sentences,
        read_sentences,
        write_predictions,
    )
    from stance_corpus.corpus.errors import InputError
    from stance_corpus.corpus.files import STDOUT, same_file
    from stance_corpus.corpus.jsonl import read_jsonl
    from stance_corpus.corpus.project import CONFIG_FILE, load_project

    for other, what in ((args.input, "the input"), (args.model, "the model")):
        if args.out is not None and other is not None and same_file(args.out, other):
            raise InputError(args.out, f"is also {what}: give --out another file")
    bundle = load_model(args.model)
    scheme = load_project(args.project).scheme if (args.project / CONFIG_FILE).is_file() else None
    if args.target and scheme is not None and args.target in scheme.target_ids:
        args.target = scheme.target(args.target).name
    check_predictable(bundle, args.model, scheme.stance_names if scheme is not None else None)
    stdin = args.input is None or str(args.input) == STDOUT
    where = "<stdin>" if stdin else str(args.input)
    try:
        records = list(read_jsonl(sys.stdin.buffer if stdin else args.input, where))
    except FileNotFoundError:
        raise InputError(where, "no such file") from None
    except OSError as error:  # a folder, no permission: one line, like every input error
        raise InputError(where, f"cannot be read: {error.strerror or error}") from None
    predictions = predict_sentences(bundle, read_sentences(records, where, bundle, args.target))
    write_predictions(predictions, args.out or Path(STDOUT))
    if args.out is not None and str(args.out) != STDOUT:
        print(f"{args.out}: {len(predictions)} predictions, most uncertain first", file=sys.stderr)
