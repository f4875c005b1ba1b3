"""`stance-corpus annotate`, `pull` and `agreement`: argument parsing and reporting; the work is in plain functions.

Connection (labeling/server.py): LABEL_STUDIO_URL + LABEL_STUDIO_API_KEY name a team server; without them a local
Label Studio is started with its data in --data-dir (default .label-studio/).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import threading
from pathlib import Path

from stance_corpus.corpus.actors import REGISTRY_FILE, find_actor_mentions, load_actor_registry
from stance_corpus.corpus.articles import iter_articles
from stance_corpus.corpus.errors import InputError, LabelStudioError
from stance_corpus.corpus.files import write_text_atomic
from stance_corpus.corpus.jsonl import to_plain
from stance_corpus.corpus.schema import SEED_TARGET
from stance_corpus.corpus.store import (
    ANNOTATIONS_FILE,
    GOLD_FILE,
    STORE_DIR,
    merge_annotations,
    read_annotations,
    write_annotations,
)
from stance_corpus.labeling.predictions import read_predictions
from stance_corpus.labeling.selection import read_selection
from stance_corpus.labeling.settings import DATABASE_ENV, EMBEDDED_DATA_DIR
from stance_corpus.labeling.tasks import build_tasks

DEFAULT_PROJECT = "stance-corpus"
DATASET_CARD = Path("DATASET_CARD.md")
DEFAULT_ANNOTATORS_PER_TASK = 2


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    annotate = subparsers.add_parser(
        "annotate",
        help="push heading and body segments to a Label Studio project (idempotent) and serve it",
        description="Create or update the Label Studio project (labeling config, instructions from the dataset "
        "card) and push one task per heading and body segment, pre-annotated with the actor gazetteer. Pushing "
        "again only adds what is missing. Without LABEL_STUDIO_URL a local server is started and kept running "
        "until Ctrl-C.",
    )
    annotate.add_argument(
        "paths", nargs="*", metavar="PATH", help="seed folders or .txt files (default: seeds, unless --selection)"
    )
    annotate.add_argument(
        "--selection", type=Path, metavar="FILE",
        help="push the tasks of a selection (`stance-corpus select` writes DIR/tasks.jsonl) instead of seed folders",
    )
    annotate.add_argument("--target", default=SEED_TARGET, help="the stance target shown to annotators")
    annotate.add_argument("--actors", type=Path, default=REGISTRY_FILE, help="actor registry for pre-annotations")
    annotate.add_argument("--guidelines", type=Path, default=DATASET_CARD, help="dataset card holding the guidelines")
    annotate.add_argument(
        "--predictions", type=Path, metavar="FILE",
        help="stance predictions (`stance-corpus predict --out FILE`) for tasks without a completed annotation; "
        "annotators then get the most uncertain first (without it: reading order)",
    )
    annotate.add_argument(
        "--annotators-per-task", type=int, default=DEFAULT_ANNOTATORS_PER_TASK, metavar="N",
        help="how many annotators label each task (agreement needs 2 or more)",
    )
    _add_connection_arguments(annotate)
    annotate.set_defaults(run=run_annotate)

    pull = subparsers.add_parser(
        "pull",
        help="export every completed annotation into the annotation store",
        description="Export every completed annotation of every annotator, check each, and merge them into "
        "STORE/annotations.jsonl. Invalid annotations stop the pull before anything is written.",
    )
    _add_connection_arguments(pull)
    pull.add_argument("--store", type=Path, default=STORE_DIR, metavar="DIR", help="annotation store directory")
    pull.set_defaults(run=run_pull)

    agreement = subparsers.add_parser(
        "agreement",
        help="inter-annotator agreement on the store; --adjudicate writes gold by majority",
        description="Cohen's kappa per pair, Fleiss' kappa and Krippendorff's alpha on sentence stance; actor span "
        "precision/recall/F1 (exact and overlap) and agreement on matched spans.",
    )
    agreement.add_argument("--store", type=Path, default=STORE_DIR, metavar="DIR", help="annotation store directory")
    agreement.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as JSON")
    agreement.add_argument("--adjudicate", action="store_true", help=f"write STORE/{GOLD_FILE} by majority")
    agreement.add_argument(
        "--adjudicator", metavar="EMAIL",
        help="the annotator whose labels settle a segment (not counted in agreement)",
    )
    agreement.set_defaults(run=run_agreement)


def _add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", default=DEFAULT_PROJECT, metavar="TITLE", help="Label Studio project title")
    parser.add_argument(
        "--data-dir", type=Path, default=EMBEDDED_DATA_DIR, metavar="DIR",
        help="data of the local Label Studio (when LABEL_STUDIO_URL is not set)",
    )
    parser.add_argument(
        "--database", choices=sorted(DATABASE_ENV),
        help="database of the local Label Studio; postgresql reads POSTGRE_HOST, POSTGRE_PORT, POSTGRE_NAME, "
        "POSTGRE_USER, POSTGRE_PASSWORD (default: DJANGO_DB of the environment, else sqlite)",
    )


# The Label Studio SDK and the statistics libraries take seconds to import: only the commands that use them do.
def run_annotate(args: argparse.Namespace) -> None:
    from stance_corpus.labeling.push import (
        SAMPLING_ORDER,
        SEQUENTIAL_SAMPLING,
        ensure_project,
        guidelines_html,
        push_tasks,
    )
    from stance_corpus.labeling.server import open_label_studio

    if args.annotators_per_task < 1:
        raise InputError("--annotators-per-task", "must be 1 or more")
    if args.selection and args.paths:
        raise InputError("annotate", "give seed PATHs or --selection FILE, not both")
    if args.selection:
        tasks = read_selection(args.selection)
    else:
        tasks = list(build_tasks(iter_articles(args.paths or ["seeds"]), args.target))
    registry = load_actor_registry(args.actors)
    model_version = f"gazetteer-{hashlib.sha256(args.actors.read_bytes()).hexdigest()[:8]}"
    instructions = guidelines_html(args.guidelines)
    stance = read_predictions(args.predictions) if args.predictions else []
    with open_label_studio(args.data_dir, database=args.database) as (client, url, server):
        project = ensure_project(client, args.project, instructions, args.annotators_per_task)
        report = push_tasks(
            client, project.id, tasks,
            find_spans=lambda text: find_actor_mentions(text, registry), model_version=model_version, stance=stance,
        )
        state = "created" if project.created else f"updated ({', '.join(project.updated)})" if project.updated else "up to date"
        print(f"project {project.title!r} (id {project.id}) {state} at {url}")
        print(
            f"{len(tasks)} task(s) for {len({t['article_id'] for t in tasks})} article(s): "
            f"{len(report.created)} created, {len(report.plan.present)} already present, "
            f"{len(report.plan.changed)} changed since pushed (not pushed)"
        )
        for changed in report.plan.changed:
            print(
                f"  changed: task {changed.task_id} (segment {changed.old['segment_id']}) was {changed.old['text']!r}, "
                f"the seed now says {changed.new['text']!r}; the new text is not pushed: review the task in Label "
                "Studio (delete it there to push the new text; its pulled annotations stay in the store)"
            )
        if args.selection and report.plan.gone:  # tasks of earlier selections or seeds: not gone, only not chosen now
            print(f"  {len(report.plan.gone)} task(s) of the project are not in this selection, left in place")
        for task_id, data in [] if args.selection else report.plan.gone:
            print(f"  no longer in the corpus: task {task_id} (segment {data.get('segment_id')}), left in place")
        for segment_id, task_ids in report.duplicated.items():
            print(f"  warning: segment {segment_id} has {len(task_ids)} tasks ({task_ids}); delete all but one")
        print(f"pre-annotations {report.model_version}: {report.predicted} task(s) pre-annotated now")
        if report.stance is not None:
            print(
                f"stance predictions {report.stance.model_version} ({args.predictions}): {report.stance.predicted} "
                f"task(s) predicted now, {report.stance.already_predicted} already predicted, "
                f"{report.stance.annotated} left alone (already annotated)"
            )
        sampling = report.stance.sampling if report.stance is not None else SEQUENTIAL_SAMPLING
        print(f"task order: {sampling} ({SAMPLING_ORDER[sampling]})")
        if server is not None:
            print(f"Label Studio is running at {server.url} (user {server.username}); press Ctrl-C to stop it")
            try:
                threading.Event().wait()
            except KeyboardInterrupt:
                print("stopping Label Studio")


def run_pull(args: argparse.Namespace) -> None:
    from stance_corpus.labeling.pull import annotations_from_export, export_snapshot
    from stance_corpus.labeling.push import find_project
    from stance_corpus.labeling.server import open_label_studio

    with open_label_studio(args.data_dir, database=args.database) as (client, url, _):
        project = find_project(client, args.project)
        if project is None:
            raise LabelStudioError(f"Label Studio at {url} has no project titled {args.project!r}: run annotate first")
        tasks = export_snapshot(client, project.id)
    result = annotations_from_export(tasks)
    path = args.store / ANNOTATIONS_FILE
    existing = read_annotations(path)
    merged = merge_annotations(existing, result.annotations)
    before = path.read_bytes() if path.exists() else None
    write_annotations(path, merged)
    changed = "unchanged" if path.read_bytes() == before else "updated"
    print(f"{result.tasks} task(s) in project {args.project!r}, {result.tasks_without_annotation} without a completed annotation")
    for annotator in sorted(result.completed.keys() | result.cancelled.keys()):
        print(f"  {annotator}: {result.completed[annotator]} completed, {result.cancelled[annotator]} skipped/cancelled")
    print(f"{result.drafts} draft(s) not exported (unsubmitted work stays in Label Studio)")
    print(
        f"{path}: {len(merged)} annotation(s) ({len(result.annotations)} pulled, "
        f"{len(merged) - len(result.annotations)} kept from earlier pulls), {changed}"
    )


def run_agreement(args: argparse.Namespace) -> None:
    from stance_corpus.labeling.agreement import actor_span_agreement, adjudicate, sentence_stance_agreement

    annotations = read_annotations(args.store / ANNOTATIONS_FILE)
    if not annotations:
        raise InputError(args.store / ANNOTATIONS_FILE, "no annotations: run `stance-corpus pull` first")
    counted = [a for a in annotations if a.annotator != args.adjudicator]
    figures = {
        "sentence_stance": sentence_stance_agreement(counted),
        "actor_spans": actor_span_agreement(counted),
    }
    print(format_agreement(figures))
    if args.adjudicate:
        gold, ties = adjudicate(annotations, args.adjudicator)
        gold_path = args.store / GOLD_FILE
        write_annotations(gold_path, gold)
        figures["adjudication"] = {
            "adjudicator": args.adjudicator,
            "gold_segments": len(gold),
            "ties": [to_plain(tie) for tie in ties],
        }
        print(f"\n{gold_path}: {len(gold)} gold segment(s); {len(ties)} tie(s) left out for review")
        for tie in ties:
            print(f"  tie: segment {tie.segment_id} {tie.text[:60]!r}: {tie.problem}")
    if args.json:
        write_text_atomic(args.json, json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
        print(f"figures written to {args.json}")


def _show(value: object) -> str:
    return "n/a" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def format_agreement(figures: dict) -> str:
    stance, spans = figures["sentence_stance"], figures["actor_spans"]
    width = max([len(" / ".join(pair["annotators"])) for pair in stance["pairs"] + spans["pairs"]] + [4])
    lines = [
        (
            f"Sentence stance: {stance['segments']} segment(s), {stance['segments_with_two_or_more']} with 2+ "
            f"annotators; annotators: {', '.join(stance['annotators'])}"
        ),
        f"  {'pair':<{width}} {'segments':>8} {'agree %':>8} {'kappa':>7}",
    ]
    for pair in stance["pairs"]:
        lines.append(
            f"  {' / '.join(pair['annotators']):<{width}} {pair['segments']:>8} {_show(pair['percent_agreement']):>8} "
            f"{_show(pair['cohen_kappa']):>7}"
        )
    lines.append(f"  Fleiss' kappa: {_show(stance['fleiss_kappa']['value'])} ({stance['fleiss_kappa']['segments']} segment(s) rated by all)")
    lines.append(f"  Krippendorff's alpha (nominal): {_show(stance['krippendorff_alpha']['value'])}")
    lines.append("Actor spans (first annotator of a pair as reference):")
    lines.append(
        f"  {'pair':<{width}} {'exact P':>7} {'R':>6} {'F1':>6} {'ovl P':>6} {'R':>6} {'F1':>6} {'stance %':>8} {'kappa':>6} {'id %':>6}"
    )
    for pair in spans["pairs"]:
        exact, overlap, stance_match = pair["exact"], pair["overlap"], pair["matched_span_stance"]
        lines.append(
            f"  {' / '.join(pair['annotators']):<{width}} {_show(exact['precision']):>7} {_show(exact['recall']):>6} "
            f"{_show(exact['f1']):>6} {_show(overlap['precision']):>6} {_show(overlap['recall']):>6} "
            f"{_show(overlap['f1']):>6} {_show(stance_match['percent_agreement']):>8} "
            f"{_show(stance_match['cohen_kappa']):>6} {_show(pair['matched_span_actor_id']['percent_agreement']):>6}"
        )
    return "\n".join(lines)
