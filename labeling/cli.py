"""`stance-corpus annotate`, `pull`, `agreement` and `adjudicate`: argument parsing and reporting; the work is in
plain functions (labeling/annotate.py, push.py, pull.py, agreement.py, review.py).

Connection (labeling/server.py): LABEL_STUDIO_URL + LABEL_STUDIO_API_KEY name a team server; without them a local
Label Studio is started with its data in --data-dir (default .label-studio/).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from stance_corpus.corpus.errors import InputError, StanceCorpusError
from stance_corpus.corpus.files import STDOUT, open_output
from stance_corpus.corpus.jsonl import to_plain
from stance_corpus.corpus.orphans import find_orphans, orphan_report, without_retired
from stance_corpus.corpus.pseudonyms import PSEUDONYMS_FILE, assign_pseudonyms
from stance_corpus.corpus.store import (
    ANNOTATIONS_FILE,
    GOLD_FILE,
    key_of,
    merge_annotations,
    read_annotations,
    write_annotations,
)
from stance_corpus.labeling.errors import LabelStudioError
from stance_corpus.labeling.settings import DATABASE_ENV, EMBEDDED_DATA_DIR

if TYPE_CHECKING:  # the SDK behind these takes a second to import: only the commands that talk to a server do
    from stance_corpus.corpus.project import Project
    from stance_corpus.corpus.schema import Annotation
    from stance_corpus.labeling.annotate import TargetPull, TargetPush
    from stance_corpus.labeling.server import LocalServer

ORPHANS_SHOWN = 5


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Mount annotate, pull, agreement and adjudicate on the `stance-corpus` parser."""
    annotate = subparsers.add_parser(
        "annotate",
        help="push heading and body segments to the Label Studio project of each target (idempotent) and serve it",
        description="For each target of the project (or those named by --target): create or update its Label "
        "Studio project (labeling config generated from stance-corpus.toml, instructions from the dataset card's "
        "guidelines) and push one task per heading and body segment of the articles annotated for it, "
        "pre-annotated with the actor gazetteer. Pushing again only adds what is missing. Without "
        "LABEL_STUDIO_URL a local server is started and kept running until Ctrl-C.",
    )
    annotate.add_argument(
        "paths", nargs="*", metavar="PATH",
        help="seed folders or .txt files (default: the project's seeds, unless --selection)",
    )
    annotate.add_argument(
        "--selection", type=Path, metavar="FILE",
        help="push the tasks of a selection of one target (`stance-corpus select` writes DIR/tasks.jsonl) instead "
        "of seed articles",
    )
    _add_target_arguments(annotate)
    annotate.add_argument(
        "--predictions", type=Path, metavar="FILE",
        help="stance predictions (`stance-corpus predict --out FILE`) for tasks of one target without a completed "
        "annotation; annotators then get the most uncertain first (without it: reading order)",
    )
    _add_connection_arguments(annotate)
    annotate.set_defaults(run=run_annotate)

    pull = subparsers.add_parser(
        "pull",
        help="export every completed annotation of each target's project into the annotation store",
        description="Export every completed annotation of every annotator from each target's Label Studio "
        "project, check each, and merge them into the store's annotations.jsonl (one record per segment, target "
        "and annotator). Invalid annotations stop the pull before anything is written.",
    )
    _add_target_arguments(pull)
    _add_connection_arguments(pull)
    pull.set_defaults(run=run_pull)

    agreement = subparsers.add_parser(
        "agreement",
        help="inter-annotator agreement on the store, per target; --adjudicate writes gold by majority",
        description="Per target: Cohen's kappa per pair, Fleiss' kappa and Krippendorff's alpha on sentence stance; "
        "actor span precision/recall/F1 (exact and overlap) and agreement on matched spans.",
    )
    agreement.add_argument("--target", action="append", metavar="ID", help="only this target (repeatable)")
    agreement.add_argument(
        "--json", type=Path, metavar="PATH", help=f"also write the figures as JSON ({STDOUT}: to stdout)"
    )
    agreement.add_argument("--adjudicate", action="store_true", help=f"write the store's {GOLD_FILE} by majority")
    agreement.add_argument(
        "--adjudicator", metavar="EMAIL",
        help="the annotator whose labels settle a segment (not counted in agreement)",
    )
    agreement.set_defaults(run=run_agreement)

    adjudicate = subparsers.add_parser(
        "adjudicate",
        help="push every disagreement between passes to each target's review project in Label Studio",
        description="For each target: every (segment, target) of the store whose passes disagree (the ties of "
        "`agreement --adjudicate`) or that an annotator flagged, and that the adjudicator has not decided, becomes a "
        "task of the target's review project ('<project title> (review)'), with each pass as a prediction named by "
        "its annotator's pseudonym. The adjudicator submits the gold there, naming the guidelines section it rests "
        "on; `pull` brings the decisions back. Pushing again adds only new disagreements.",
    )
    _add_target_arguments(adjudicate)
    adjudicate.add_argument(
        "--adjudicator", metavar="EMAIL",
        help="the adjudicator's Label Studio email: units they already decided are not pushed, their records are "
        "no pass",
    )
    adjudicate.add_argument(
        "--queue", type=Path, metavar="FILE",
        help=f"also write the review tasks not decided yet as JSON lines ({STDOUT}: stdout), for an adjudicator "
        "working outside the web UI (scripts/record_annotation_pass.py --review records the decisions)",
    )
    _add_connection_arguments(adjudicate)
    adjudicate.set_defaults(run=run_adjudicate)


def _add_target_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--target", action="append", metavar="ID", help="only this target (repeatable; default: all)")
    parser.add_argument(
        "--title", metavar="TITLE",
        help="the Label Studio project title of the one target selected (default: the target's, stance-corpus.toml)",
    )


def _add_connection_arguments(parser: argparse.ArgumentParser) -> None:
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
    """`stance-corpus annotate`: push the project's tasks to Label Studio; a local server is served until Ctrl-C."""
    from stance_corpus.corpus.articles import iter_articles
    from stance_corpus.corpus.project import load_project
    from stance_corpus.labeling.annotate import annotate_target, articles_of, gazetteer_of, titles_of
    from stance_corpus.labeling.predictions import read_predictions
    from stance_corpus.labeling.server import open_label_studio

    project = load_project(args.project)
    if args.selection is not None:
        run_annotate_selection(args, project)
        return
    targets = project.select_targets(args.target)
    titles = titles_of(targets, args.title)
    articles = list(iter_articles(args.paths or [project.seeds], project.scheme))
    for article in articles:
        project.targets_of(article)  # every catalogue target checked before any server call
    if args.predictions and len(targets) != 1:
        raise InputError("--predictions", f"are one target's; {len(targets)} targets are selected: add --target ID")
    stance = read_predictions(args.predictions, project.scheme.stance_names) if args.predictions else []
    gazetteer = gazetteer_of(project, articles)
    with open_label_studio(args.data_dir, database=args.database) as (client, url, server):
        for target in targets:
            if not articles_of(project, target, articles):
                print(f"target {target.id}: no article is annotated for it (catalogue `targets`): no project made")
                continue
            pushed = annotate_target(client, project, target, titles[target.id], articles, gazetteer, stance)
            print_target_push(pushed, url, args.predictions)
        if server is not None:
            serve_until_interrupted(server)


def run_annotate_selection(args: argparse.Namespace, project: Project) -> None:
    """`stance-corpus annotate --selection FILE`: push the selected tasks (of one target) into its project."""
    from stance_corpus.labeling.annotate import push_target_tasks, selection_gazetteer, titles_of
    from stance_corpus.labeling.predictions import read_predictions
    from stance_corpus.labeling.selection import read_selection
    from stance_corpus.labeling.server import open_label_studio

    if args.paths:
        raise InputError("annotate", "give seed PATHs or --selection FILE, not both")
    selected = read_selection(args.selection, project.scheme)
    target_ids = sorted({task.data.target_id for task in selected})
    if len(target_ids) != 1:
        raise InputError(args.selection, f"holds tasks of {len(target_ids)} targets ({', '.join(target_ids)}): one")
    (target,) = project.select_targets(target_ids)
    if args.target and args.target != [target.id]:
        raise InputError("--target", f"the selection's tasks are of target {target.id!r}")
    title = titles_of((target,), args.title)[target.id]
    stance = read_predictions(args.predictions, project.scheme.stance_names) if args.predictions else []
    tasks = [task.data for task in selected]
    articles = len({task.article_id for task in tasks})
    gazetteer = selection_gazetteer(project, selected)
    with open_label_studio(args.data_dir, database=args.database) as (client, url, server):
        pushed = push_target_tasks(client, project, target, title, tasks, articles, gazetteer, stance)
        print_target_push(pushed, url, args.predictions, selection=True)
        if server is not None:
            serve_until_interrupted(server)


def print_target_push(pushed: TargetPush, url: str, predictions: Path | None, selection: bool = False) -> None:
    """The lines annotate prints for one target (`selection`: its tasks are a selection, not the whole corpus)."""
    from stance_corpus.labeling.push import SAMPLING_ORDER, SEQUENTIAL_SAMPLING

    project, report = pushed.project, pushed.report
    state = "up to date" if not project.updated else f"updated ({', '.join(project.updated)})"
    state = "created" if project.created else state
    print(f"target {pushed.target.id}: project {project.title!r} (id {project.id}) {state} at {url}")
    print(
        f"{pushed.tasks} task(s) for {pushed.articles} article(s): "
        f"{len(report.created)} created, {len(report.plan.present)} already present, "
        f"{len(report.plan.changed)} changed since pushed (not pushed)"
    )
    for changed in report.plan.changed:
        print(
            f"  changed: task {changed.task_id} (segment {changed.old.segment_id}) was {changed.old.text!r}, "
            f"the seed now says {changed.new.text!r}; the new text is not pushed: review the task in Label "
            "Studio (delete it there to push the new text; its pulled annotations stay in the store)"
        )
    if selection and report.plan.gone:  # tasks of earlier selections or seeds: not gone, only not chosen now
        print(f"  {len(report.plan.gone)} task(s) of the project are not in this selection, left in place")
    for task_id, data in [] if selection else report.plan.gone:
        print(f"  no longer in the corpus: task {task_id} (segment {data.segment_id}), left in place")
    for segment_id, task_ids in report.duplicated.items():
        print(f"  warning: segment {segment_id} has {len(task_ids)} tasks ({task_ids}); delete all but one")
    print(f"pre-annotations {report.model_version}: {report.predicted} task(s) pre-annotated now")
    if report.stance is not None:
        print(
            f"stance predictions {report.stance.model_version} ({predictions}): {report.stance.predicted} "
            f"task(s) predicted now, {report.stance.already_predicted} already predicted, "
            f"{report.stance.annotated} left alone (already annotated)"
        )
    sampling = report.stance.sampling if report.stance is not None else SEQUENTIAL_SAMPLING
    print(f"task order: {sampling} ({SAMPLING_ORDER[sampling]})")


def serve_until_interrupted(server: LocalServer) -> None:
    """Keep the local Label Studio running for the annotators until Ctrl-C (or SIGTERM)."""
    print(f"Label Studio is running at {server.url} (user {server.username}); press Ctrl-C to stop it")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        print("stopping Label Studio")


def run_pull(args: argparse.Namespace) -> None:
    """`stance-corpus pull`: every completed annotation of the project's Label Studio projects -> the store."""
    from stance_corpus.corpus.project import load_project
    from stance_corpus.labeling.annotate import pull_target, titles_of
    from stance_corpus.labeling.server import embedded_data_dir, open_label_studio

    project = load_project(args.project)
    targets = project.select_targets(args.target)
    titles = titles_of(targets, args.title)
    data_dir = embedded_data_dir(args.data_dir)
    with open_label_studio(args.data_dir, database=args.database) as (client, url, _):
        pulled = [pull_target(client, project, target, titles[target.id], data_dir) for target in targets]
    if all(target.result is None for target in pulled):
        raise LabelStudioError(
            f"Label Studio at {url} has no project titled {' or '.join(repr(t.title) for t in pulled)}: "
            "run annotate first"
        )
    records = [a for target in pulled if target.result is not None for a in target.result.annotations]
    reviews = [target.review.result for target in pulled if target.review and target.review.result]
    decisions = [a for result in reviews for a in result.annotations]
    check_decisions_are_not_passes(records, decisions)
    records, retired = without_retired(project.store, [*records, *decisions])
    path = project.store / ANNOTATIONS_FILE
    existing = read_annotations(path, project.scheme)
    merged = merge_annotations(existing, records)
    before = path.read_bytes() if path.exists() else None
    write_annotations(path, merged)
    changed = "unchanged" if path.read_bytes() == before else "updated"
    named = assign_pseudonyms(project.store, {annotation.annotator for annotation in merged})
    for target in pulled:
        print_target_pull(target)
        if target.review is not None:
            print_target_pull(target.review, review=True)
    if named:
        print(f"{len(named)} new annotator(s) given a release pseudonym in {project.store / PSEUDONYMS_FILE}")
    if retired:
        print(f"{retired} annotation(s) retired with `stance-corpus orphans --retire` not brought back")
    report_orphans(project)
    print(
        f"{path}: {len(merged)} annotation(s) ({len(records)} pulled, "
        f"{len(merged) - len(records)} kept from earlier pulls), {changed}"
    )


def report_orphans(project: Project, file: TextIO | None = None) -> None:
    """The store's orphaned annotations (`stance-corpus orphans`), the first few of them (when there are seeds)."""
    if not project.seeds.is_dir():
        return
    try:
        found = find_orphans(project)
    except StanceCorpusError as error:  # the command itself went well: say why the check could not be made
        print(f"orphaned annotations not checked: {error}", file=file)
        return
    if found:
        print("\n".join(orphan_report(found, project.store, limit=ORPHANS_SHOWN)), file=file)


def check_decisions_are_not_passes(passes: list[Annotation], decisions: list[Annotation]) -> None:
    """An adjudicator's decision and a pass by the same person of the same unit would be one store record: refused."""
    keys = {key_of(annotation) for annotation in passes}
    both = [decision for decision in decisions if key_of(decision) in keys]
    if both:
        first = both[0]
        raise LabelStudioError(
            f"{first.annotator} annotated segment {first.segment_id} (target {first.target}) both in the target's "
            "project and in its review project: an adjudicator decides units they did not label; delete one in Label "
            "Studio; nothing was written"
        )


def print_target_pull(pulled: TargetPull, review: bool = False) -> None:
    """The lines pull prints for one target (`review`: for its review project)."""
    result = pulled.result
    if result is None:
        print(f"target {pulled.target.id}: no Label Studio project titled {pulled.title!r} yet (annotate creates it)")
        return
    what = "review project" if review else "project"
    print(
        f"target {pulled.target.id}: {result.tasks} task(s) in {what} {pulled.title!r}, "
        f"{result.tasks_without_annotation} without a completed annotation"
    )
    for annotator in sorted(result.completed.keys() | result.cancelled.keys()):
        completed, cancelled = result.completed[annotator], result.cancelled[annotator]
        print(f"  {annotator}: {completed} completed, {cancelled} skipped/cancelled")
    print(f"  {result.drafts} draft(s) not exported (unsubmitted work stays in Label Studio)")
    flagged = sum(annotation.needs_adjudication for annotation in result.annotations)
    commented = sum(annotation.comment is not None for annotation in result.annotations)
    if review:
        print(f"  {len(result.annotations)} decision(s), {commented} with a comment")
    else:
        print(f"  {flagged} flagged for adjudication, {commented} with a comment")
    if pulled.leftovers_removed:
        print(f"  removed {pulled.leftovers_removed} export snapshot(s) left on the server by interrupted pulls")
    if pulled.left_on_server:
        print(
            f"  the team server keeps this pull's export file media/export/{pulled.project_id}/"
            f"{pulled.left_on_server} (a full copy of the annotations: Label Studio 1.23 deletes the snapshot but "
            "not its file; the server's admin can remove it, see docs/reliability.md)"
        )


def run_agreement(args: argparse.Namespace) -> None:
    """`stance-corpus agreement`: agreement figures of the store, per target; with --adjudicate, the gold file."""
    from stance_corpus.corpus.project import load_project
    from stance_corpus.labeling.agreement import adjudicate, agreement_per_target

    project = load_project(args.project)
    targets = {target.id for target in project.select_targets(args.target)}
    path = project.store / ANNOTATIONS_FILE
    annotations = [a for a in read_annotations(path, project.scheme) if a.target in targets]
    if not annotations:
        raise InputError(path, "no annotations (of the targets asked for): run `stance-corpus pull` first")
    counted = [a for a in annotations if a.annotator != args.adjudicator]
    report = sys.stderr if str(args.json) == STDOUT else sys.stdout  # `--json -`: stdout holds the figures only
    figures: dict = {"targets": agreement_per_target(counted, project.scheme)}
    for target_id, per_target in figures["targets"].items():
        print(f"Target {target_id}: {project.scheme.target(target_id).name}", file=report)
        print(format_agreement(per_target), file=report)
    report_orphans(project, file=report)
    if args.adjudicate:
        gold, ties = adjudicate(annotations, args.adjudicator)
        gold_path = project.store / GOLD_FILE
        kept = [a for a in read_annotations(gold_path, project.scheme) if a.target not in targets]
        write_annotations(gold_path, [*kept, *gold])
        figures["adjudication"] = {
            "adjudicator": args.adjudicator,
            "gold_segments": {target: sum(a.target == target for a in gold) for target in figures["targets"]},
            "ties": [to_plain(tie) for tie in ties],
        }
        print(f"\n{gold_path}: {len(gold)} gold label(s); {len(ties)} tie(s) left out for review", file=report)
        for tie in ties:
            problem = f"  tie: segment {tie.segment_id} (target {tie.target}) {tie.text[:60]!r}: {tie.problem}"
            print(problem, file=report)
    if args.json:
        with open_output(args.json) as output:
            output.write(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
        if str(args.json) != STDOUT:
            print(f"figures written to {args.json}")


def run_adjudicate(args: argparse.Namespace) -> None:
    """`stance-corpus adjudicate`: every disagreement of the store -> its target's review project in Label Studio."""
    from stance_corpus.corpus.project import load_project
    from stance_corpus.labeling.annotate import titles_of
    from stance_corpus.labeling.review import push_review, queue_lines, review_items, review_title
    from stance_corpus.labeling.server import open_label_studio

    project = load_project(args.project)
    targets = project.select_targets(args.target)
    titles = titles_of(targets, args.title)
    path = project.store / ANNOTATIONS_FILE
    records = read_annotations(path, project.scheme)
    if not records:
        raise InputError(path, "no annotations: run `stance-corpus pull` first")
    report = sys.stderr if str(args.queue) == STDOUT else sys.stdout  # `--queue -`: stdout holds the queue only
    selections = {target.id: review_items(project, target, records, args.adjudicator) for target in targets}
    named = sorted({name for selection in selections.values() for name in selection.named})
    if named:
        pseudonyms = project.store / PSEUDONYMS_FILE
        print(f"{len(named)} new annotator(s) given a release pseudonym in {pseudonyms}", file=report)
    queue: list[dict] = []

    def announce(line: str) -> None:
        print(line, file=report)

    with open_label_studio(args.data_dir, database=args.database, announce=announce) as (client, url, _):
        for target in targets:
            selection = selections[target.id]
            title = review_title(titles[target.id])
            for tie in selection.stale:
                print(
                    f"  stale: segment {tie.segment_id} (target {target.id}) was edited or left the corpus since it "
                    f"was annotated ({tie.text[:60]!r}): not pushed; `stance-corpus orphans --retire` retires it",
                    file=report,
                )
            if not selection.items:
                print(f"target {target.id}: no disagreement to review", file=report)
                continue
            pushed = push_review(client, project, target, title, selection.items)
            state = "created" if pushed.project.created else "up to date"
            state = f"updated ({', '.join(pushed.project.updated)})" if pushed.project.updated else state
            where = f"review project {title!r} (id {pushed.project.id})"
            print(f"target {target.id}: {where} {state} at {url}", file=report)
            print(
                f"{len(selection.items)} unit(s) to adjudicate: {len(pushed.created)} task(s) created, "
                f"{len(pushed.present)} already present ({len(pushed.decided)} task(s) of the project decided, "
                f"`pull` brings them back)",
                file=report,
            )
            pending = {s for s in [*pushed.created, *pushed.present] if s not in pushed.decided}
            queue.extend(queue_lines(selection.items, pending))
    if args.queue:
        with open_output(args.queue) as output:
            for line in queue:
                output.write(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n")
        if str(args.queue) != STDOUT:
            print(f"{len(queue)} undecided review task(s) written to {args.queue}")


def _show(value: object) -> str:
    return "n/a" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def format_agreement(figures: dict) -> str:
    """The agreement figures as the table `stance-corpus agreement` prints."""
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
    lines.append(
        f"  Fleiss' kappa: {_show(stance['fleiss_kappa']['value'])} "
        f"({stance['fleiss_kappa']['segments']} segment(s) rated by all)"
    )
    lines.append(f"  Krippendorff's alpha (nominal): {_show(stance['krippendorff_alpha']['value'])}")
    lines.append("Actor spans (first annotator of a pair as reference):")
    lines.append(
        f"  {'pair':<{width}} {'exact P':>7} {'R':>6} {'F1':>6} {'ovl P':>6} {'R':>6} {'F1':>6} "
        f"{'stance %':>8} {'kappa':>6} {'id %':>6}"
    )
    for pair in spans["pairs"]:
        exact, overlap, stance_match = pair["exact"], pair["overlap"], pair["matched_span_stance"]
        lines.append(
            f"  {' / '.join(pair['annotators']):<{width}} {_show(exact['precision']):>7} {_show(exact['recall']):>6} "
            f"{_show(exact['f1']):>6} {_show(overlap['precision']):>6} {_show(overlap['recall']):>6} "
            f"{_show(overlap['f1']):>6} {_show(stance_match['percent_agreement']):>8} "
            f"{_show(stance_match['cohen_kappa']):>6} {_show(pair['matched_span_actor_id']['percent_agreement']):>6}"
        )
    intervals = figures.get("intervals")
    if intervals:
        lines.append(f"95% CIs ({intervals['method']}):")
        for pair in intervals["pairs"]:
            shown = ", ".join(f"{label} {_interval(pair[name])}" for name, label in _INTERVAL_LABELS)
            lines.append(f"  {' / '.join(pair['annotators'])} ({pair['units']} segments, {pair['articles']} articles): "
                         f"{shown}")
    return "\n".join(lines)


_INTERVAL_LABELS = (
    ("cohen_kappa", "kappa"),
    ("krippendorff_alpha", "alpha"),
    ("span_f1_exact", "span F1 exact"),
    ("span_f1_overlap", "overlap"),
)


def _interval(estimate: dict) -> str:
    if estimate["value"] is None:
        return "n/a"
    low_high = estimate["ci"]
    return f"{estimate['value']:.3f}" + (f" [{low_high[0]:.3f}, {low_high[1]:.3f}]" if low_high else "")
