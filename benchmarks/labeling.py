"""Push and pull at scale on a real local Label Studio, against the plain SDK calls they wrap, in one run.

    .venv/bin/python benchmarks/labeling.py [--tasks 2000] [--annotators 2]

Tasks are the seed article's heading and body segments repeated with a numbered suffix (distinct segment ids), each
annotated by `--annotators` users (imported with the tasks). Measured in the same run on the same server:

- push: `push_tasks` (list the project, reconcile by segment id, import in batches, no pre-annotations) into an
  empty project, then again (nothing to create), against one bare `projects.import_tasks` call of all tasks (which
  duplicates every task when run twice);
- pull: `export_snapshot` + `annotations_from_export` (snapshot, download, parse task by task, check every
  annotation) against the synchronous `exports.download_sync` JSON export alone.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout without installing

from stance_corpus.corpus.articles import load_articles
from stance_corpus.corpus.project import load_project
from stance_corpus.corpus.schema import TaskData
from stance_corpus.corpus.segment import segment_article
from stance_corpus.labeling.config import label_config
from stance_corpus.labeling.pull import annotations_from_export, export_snapshot
from stance_corpus.labeling.push import ProjectSettings, ensure_project, push_tasks
from stance_corpus.labeling.server import connect, start_local_server
from stance_corpus.labeling.tasks import build_tasks

PROJECT = load_project(REPO)
TARGET = PROJECT.scheme.targets[0]


def synthetic_tasks(count: int) -> list[TaskData]:
    seed = list(build_tasks(load_articles(PROJECT.seeds), TARGET, segment_article))
    return [
        dataclasses.replace(seed[number % len(seed)], segment_id=f"{seed[number % len(seed)].segment_id}-copy{number}")
        for number in range(count)
    ]


def settings(annotators: int) -> ProjectSettings:
    return ProjectSettings(label_config(PROJECT.scheme, TARGET), instructions="", annotators_per_task=annotators)


def stance_result(stance: str) -> list[dict]:
    return [{"id": "s", "from_name": "stance", "to_name": "text", "type": "choices", "value": {"choices": [stance]}}]


def timed(work):
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--annotators", type=int, default=2)
    args = parser.parse_args()
    tasks = synthetic_tasks(args.tasks)
    with tempfile.TemporaryDirectory() as data_dir, start_local_server(Path(data_dir)) as server:
        client = connect(server.url, server.token)
        users = [
            client.users.create(email=f"annotator{n}@example.com", username=f"annotator{n}")
            for n in range(args.annotators)
        ]

        ours = ensure_project(client, "bench push", settings(args.annotators)).id
        first, report = timed(lambda: push_tasks(client, ours, tasks, TARGET.id))
        again, report_again = timed(lambda: push_tasks(client, ours, tasks, TARGET.id))
        assert len(report.created) == args.tasks and not report_again.created
        bare = ensure_project(client, "bench bare import", settings(args.annotators)).id
        request = [{"data": d.as_dict()} for d in tasks]
        bare_time, _ = timed(lambda: client.projects.import_tasks(id=bare, request=request))
        print(
            f"push of {args.tasks} tasks: push_tasks {first:.2f} s ({args.tasks / first:.0f} tasks/s), again (all "
            f"present) {again:.2f} s; bare import_tasks {bare_time:.2f} s; "
            f"ratio push_tasks / bare {first / bare_time:.2f}"
        )

        annotated = ensure_project(client, "bench pull", settings(args.annotators)).id
        stances = ("FAVOR", "AGAINST", "NONE")
        client.projects.import_tasks(
            id=annotated,
            request=[
                {
                    "data": data.as_dict(),
                    "annotations": [
                        {"result": stance_result(stances[(number + n) % 3]), "completed_by": user.id}
                        for n, user in enumerate(users)
                    ],
                }
                for number, data in enumerate(tasks)
            ],
        )
        pull_time, result = timed(
            lambda: annotations_from_export(export_snapshot(client, annotated), PROJECT.scheme, TARGET.id)
        )
        sync_time, raw = timed(
            lambda: b"".join(client.projects.exports.download_sync(id=annotated, export_type="JSON"))
        )
        assert len(result.annotations) == args.tasks * args.annotators, len(result.annotations)
        print(
            f"pull of {len(result.annotations)} annotations ({args.tasks} tasks): snapshot + checks {pull_time:.2f} s; "
            f"sync JSON export alone {sync_time:.2f} s ({len(raw) / 1e6:.1f} MB); ratio {pull_time / sync_time:.2f}"
        )


if __name__ == "__main__":
    main()
