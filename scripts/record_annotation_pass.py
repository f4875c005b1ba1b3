"""Record an annotation pass made outside the web UI as one annotator's completed annotations in Label Studio.

The input is a JSONL file, one line per segment: {"segment_id", "stance", "actors": [{start, end, text, type,
actor_id, stance}], "comment" (optional)} with offsets into the segment text; actor_id null is *not in the
registry*. Each line becomes a completed annotation by the named annotator (created as a Label Studio user if
missing) on the task of that segment, exactly as if it had been submitted in the labeling screen; `stance-corpus
pull` then exports it like any other. Segments the annotator has already annotated are left as they are, so running
it twice records nothing twice.

The seed's annotation passes reached Label Studio this way (DATASET_CARD.md, "Annotators, dates and agreement"):

    .venv/bin/python scripts/record_annotation_pass.py LABELS.jsonl --annotator EMAIL [--project DIR] [--target ID]

With --review, the lines are an adjudicator's decisions on the target's review project (`stance-corpus adjudicate
--queue FILE` lists its undecided tasks): {"segment_id", "stance", "actors", "rule", "comment"}, `rule` one of the
guidelines sections the review project offers (required), `comment` optional. A decision on a task whose sentence
was edited since it was pushed is refused, as is any line the review screen would refuse.

Connection as for every command: LABEL_STUDIO_URL + LABEL_STUDIO_API_KEY, else the embedded server of --data-dir.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stance_corpus.corpus.articles import iter_articles
from stance_corpus.corpus.errors import InputError, StanceCorpusError
from stance_corpus.corpus.jsonl import read_jsonl
from stance_corpus.corpus.project import Project, load_project
from stance_corpus.corpus.schema import Annotation, Target
from stance_corpus.corpus.segment import segment_article
from stance_corpus.corpus.store import annotation_from_record
from stance_corpus.labeling.annotate import articles_of
from stance_corpus.labeling.convert import required_id, result_from_annotation
from stance_corpus.labeling.push import existing_tasks, find_project
from stance_corpus.labeling.review import review_title, rules_of
from stance_corpus.labeling.server import EMBEDDED_DATA_DIR, open_label_studio
from stance_corpus.labeling.tasks import build_tasks
from tqdm import tqdm


def record_pass(
    labels_path: Path,
    annotator: str,
    project: Project,
    target: Target,
    data_dir: Path,
    review: bool = False,
    title: str | None = None,
) -> tuple[int, int]:
    """(recorded, already there) for the annotation pass in labels_path of `target`, recorded as `annotator`; with
    `review`, the adjudicator's decisions on the target's review project. `title`: the target's project title
    (default: the target's, stance-corpus.toml)."""
    project_title = title or target.label_studio_title
    rules: list[str] = []
    current: dict[str, str] = {}
    if review:
        project_title = review_title(project_title)
        rules = rules_of(project, target)
        articles = articles_of(project, target, list(iter_articles([project.seeds], project.scheme)))
        segments = build_tasks(articles, target, lambda article: segment_article(article, project.segmentation))
        current = {data.segment_id: data.text for data in segments}
    with open_label_studio(data_dir) as (client, url, _server):
        ls_project = find_project(client, project_title)
        if ls_project is None:
            raise InputError(
                project_title, f"no such Label Studio project at {url}: run `stance-corpus annotate` first"
            )
        project_id = required_id(ls_project.id, f"project {project_title!r}")
        tasks = {task.data.segment_id: (task.id, task.data) for task in existing_tasks(client, project_id, target.id)}
        user = next((u for u in client.users.list() if u.email == annotator), None)
        if user is None:
            user = client.users.create(email=annotator, username=annotator.split("@")[0])
        annotated = {
            task_id
            for task_id, _ in tasks.values()
            if any(annotation.completed_by == user.id for annotation in client.annotations.list(id=task_id))
        }
        # Every line is checked (labels, offsets, task) before the first annotation is sent.
        checked: dict[int, Annotation] = {}
        for line_number, labels in read_jsonl(labels_path):
            where = f"{labels_path}:{line_number}"
            if not isinstance(labels, dict):
                raise InputError(where, "not a JSON object")
            if review and labels.get("rule") not in rules:
                raise InputError(where, f"rule {labels.get('rule')!r} is not a section of the guidelines ({rules})")
            if not review and "rule" in labels:
                raise InputError(where, "a pass names no rule (only an adjudicator's decision does: --review)")
            if labels.get("segment_id") not in tasks:
                raise InputError(
                    where, f"segment {labels.get('segment_id')!r} has no task in project {project_title!r}"
                )
            task_id, data = tasks[labels["segment_id"]]
            if review and current.get(data.segment_id) != data.text:
                raise InputError(
                    where, f"segment {data.segment_id!r} was edited since its review task was pushed (task {task_id}):"
                    " a decision on the old text is refused; retire it with `stance-corpus orphans --retire`"
                )
            if task_id in checked:
                raise InputError(where, f"segment {labels['segment_id']!r} is on an earlier line too")
            record = {
                **labels,
                "article_id": data.article_id,
                "text": data.text,
                "target": target.id,
                "annotator": annotator,
            }
            checked[task_id] = annotation_from_record(record, where, project.scheme)
        to_record = [(task_id, annotation) for task_id, annotation in checked.items() if task_id not in annotated]
        for task_id, annotation in tqdm(to_record, desc=f"recording {annotator}", unit="task"):
            result = result_from_annotation(annotation)
            client.annotations.create(id=task_id, result=result, completed_by=user.id)
    return len(to_record), len(checked) - len(to_record)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("labels", type=Path, help="JSONL of one pass: segment_id, stance, actors")
    parser.add_argument("--annotator", required=True, metavar="EMAIL", help="the Label Studio user who made the pass")
    parser.add_argument("--project", type=Path, default=Path(), help="the corpus project (default: this folder)")
    parser.add_argument("--target", help="the target of the pass (default: the project's only target)")
    parser.add_argument("--data-dir", type=Path, default=EMBEDDED_DATA_DIR, help="embedded server data directory")
    parser.add_argument(
        "--review", action="store_true",
        help="the lines are an adjudicator's decisions (with rule and comment) on the target's review project",
    )
    parser.add_argument("--title", help="the target's Label Studio project title (default: stance-corpus.toml's)")
    args = parser.parse_args(argv)
    try:
        if not args.labels.is_file():
            raise InputError(args.labels, "no such file")
        project = load_project(args.project)
        targets = project.select_targets([args.target] if args.target else None)
        if len(targets) != 1:
            raise InputError("--target", f"the project has {len(targets)} targets: name the one of the pass")
        recorded, already = record_pass(
            args.labels, args.annotator, project, targets[0], args.data_dir, args.review, args.title
        )
    except StanceCorpusError as error:
        print(f"record_annotation_pass: error: {error}", file=sys.stderr)
        return 1
    print(f"{args.annotator}: {recorded} annotations recorded, {already} already there")
    return 0


if __name__ == "__main__":
    sys.exit(main())
