"""Label Studio at team scale: push 10,000 tasks and pull 10,000 annotated tasks, on SQLite and on PostgreSQL, each
beside the bare SDK call doing the same in the same run, with the peak memory of every step.

    .venv/bin/python benchmarks/labelstudio_scale.py [--tasks 10000] [--database sqlite postgresql]

- push: our `push_tasks` (list the project, reconcile by segment id, import in batches; no pre-annotations) into an
  empty project, beside one bare `projects.import_tasks` call of the same tasks into another empty project;
- pull: our `stance-corpus pull` (export snapshot, downloaded to a temporary file and parsed task by task, check
  every annotation, merge and write the store), beside the bare synchronous JSON export (`exports.download_sync`)
  parsed with `json.loads`.

Tasks and their two annotators' annotations are benchmarks/labeling.py's (seed segments with numbered ids). Every
step runs alone in a fresh process, so its peak resident memory (VmHWM) is its own; each step is measured at
--tasks and at a tenth of it, to show how memory grows with the number of tasks. PostgreSQL is a throwaway cluster
of Debian's binaries (tests/postgres.py, as in the tests; scripts/install-system-deps.sh installs them).
Goal (issue 7): ours <= 1.2x the bare SDK in both directions; memory flat in the number of tasks.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import runpy
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout; also makes tests/postgres.py importable

import shutil

from stance_corpus.labeling.push import ensure_project, push_tasks
from stance_corpus.labeling.server import TOKEN_ENV, URL_ENV, connect, start_local_server

from stance_corpus.cli import main as stance_corpus_main

# benchmarks/ is no package (and site-packages holds an unrelated `benchmarks`): load the sibling by its path.
_SIBLING = runpy.run_path(str(Path(__file__).with_name("labeling.py")))
synthetic_tasks, stance_result = _SIBLING["synthetic_tasks"], _SIBLING["stance_result"]
settings, TARGET = _SIBLING["settings"], _SIBLING["TARGET"]
GOAL_RATIO = 1.2
ANNOTATORS = 2
STANCES = ("FAVOR", "AGAINST", "NONE")


def _measured(step: Callable[[], object]) -> tuple[float, float]:
    """(seconds, peak resident MB of this process) of one step, without its output; runs in a fresh process."""
    with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
        start = time.perf_counter()
        step()
        seconds = time.perf_counter() - start
    return seconds, _peak_resident_mb()


def _peak_resident_mb() -> float:
    """VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so a spawned child would report its parent's peak."""
    status = Path("/proc/self/status").read_text(encoding="utf-8")
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))) / 1024


def push_ours(url: str, token: str, project: int, tasks: list) -> tuple[float, float]:
    client = connect(url, token)
    return _measured(lambda: push_tasks(client, project, tasks, TARGET.id))


def push_bare(url: str, token: str, project: int, tasks: list) -> tuple[float, float]:
    client = connect(url, token)
    request = [{"data": d.as_dict()} for d in tasks]
    return _measured(lambda: client.projects.import_tasks(id=project, request=request))


def pull_ours(url: str, token: str, title: str, folder: str) -> tuple[float, float]:
    """`stance-corpus pull` into the corpus project `folder` (this repository's config, an empty store)."""
    os.environ[URL_ENV], os.environ[TOKEN_ENV] = url, token

    def pull() -> None:
        if stance_corpus_main(["pull", "--project", folder, "--title", title]) != 0:
            raise RuntimeError(f"stance-corpus pull of {title!r} failed")

    return _measured(pull)


def pull_bare(url: str, token: str, project: int) -> tuple[float, float]:
    client = connect(url, token)
    return _measured(
        lambda: json.loads(b"".join(client.projects.exports.download_sync(id=project, export_type="JSON")))
    )


def in_fresh_process(function: Callable, *args) -> tuple[float, float]:
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


@contextlib.contextmanager
def label_studio(database: str, data_dir: Path) -> Iterator:
    if database == "sqlite":
        with start_local_server(data_dir) as server:
            yield server
        return
    from tests.postgres import running_postgres

    with running_postgres() as cluster:
        env = cluster.create_database("label_studio").label_studio_env()
        with start_local_server(data_dir, extra_env=env) as server:
            yield server


def measure(database: str, sizes: list[int]) -> Iterator[tuple]:
    """One row per (step, size), as soon as it is measured."""
    with tempfile.TemporaryDirectory() as work, label_studio(database, Path(work) / "label-studio") as server:
        client = connect(server.url, server.token)
        users = [
            client.users.create(email=f"annotator{n}-{database}@example.com", username=f"annotator{n}-{database}")
            for n in range(ANNOTATORS)
        ]
        for size in sizes:
            tasks = synthetic_tasks(size)
            ours, bare = (
                ensure_project(client, f"push {who} {size}", settings(ANNOTATORS)).id for who in ("ours", "bare")
            )
            pushed = (in_fresh_process(push_ours, server.url, server.token, ours, tasks),
                      in_fresh_process(push_bare, server.url, server.token, bare, tasks))
            for project in (ours, bare):
                count = len(list(client.tasks.list(project=project, page_size=1000, include="id")))
                assert count == size, f"project {project} holds {count} tasks, not {size}"
            yield database, "push", size, *pushed

            title = f"pull {size}"
            annotated = ensure_project(client, title, settings(ANNOTATORS)).id
            for start in range(0, size, 1000):
                client.projects.import_tasks(id=annotated, request=[
                    {"data": data.as_dict(), "annotations": [
                        {"result": stance_result(STANCES[(number + n) % 3]), "completed_by": user.id}
                        for n, user in enumerate(users)
                    ]}
                    for number, data in enumerate(tasks[start:start + 1000], start=start)
                ])
            folder = Path(work) / f"project-{size}"
            folder.mkdir()
            shutil.copy(REPO / "stance-corpus.toml", folder)
            pulled = (in_fresh_process(pull_ours, server.url, server.token, title, str(folder)),
                      in_fresh_process(pull_bare, server.url, server.token, annotated))
            lines = (folder / "annotations" / "annotations.jsonl").read_text(encoding="utf-8").count("\n")
            assert lines == size * ANNOTATORS, f"the store holds {lines} annotations, not {size * ANNOTATORS}"
            yield database, "pull", size, *pulled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--database", nargs="+", choices=("sqlite", "postgresql"), default=["sqlite", "postgresql"])
    args = parser.parse_args()
    sizes = [args.tasks // 10, args.tasks]
    print(f"{'database':<10} {'step':<5} {'tasks':>6} {'ours s':>7} {'bare s':>7} {'ratio':>6} "
          f"{'ours MB':>8} {'bare MB':>8}", flush=True)
    for database in args.database:
        for _, step, size, (ours_s, ours_mb), (bare_s, bare_mb) in measure(database, sizes):
            print(f"{database:<10} {step:<5} {size:>6} {ours_s:>7.2f} {bare_s:>7.2f} {ours_s / bare_s:>6.2f} "
                  f"{ours_mb:>8.0f} {bare_mb:>8.0f}", flush=True)
    print(
        f"goal: ratio <= {GOAL_RATIO} (ours / bare SDK); peak memory of a step, MB, at {sizes[0]} and {sizes[1]} tasks"
    )


if __name__ == "__main__":
    main()
