"""What several test modules share: running the command, an annotation store for a release project, the Label
Studio fixture project of tests/data/test_labeling (a corpus project: stance-corpus.toml, seeds, registry, card),
annotating through the server's API as other users would, stopping `annotate`.

Fixtures live in conftest.py; these are plain functions and constants, imported by name (`from helpers import run`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from label_studio_sdk import LabelStudio
from stance_corpus.corpus import load_articles, segment_article
from stance_corpus.corpus.project import load_project
from stance_corpus.corpus.schema import ANNOTATED_KINDS, GOLD_ANNOTATOR, ActorSpan, Annotation, Segment
from stance_corpus.corpus.store import write_annotations
from stance_corpus.labeling.server import RUNNING_FILE, LocalServer, connect

from stance_corpus.cli import main

# The corpus project of the Label Studio tests (tests/data/test_labeling): its seeds, registry, card and config.
LABELING_DATA = Path(__file__).parent / "data" / "test_labeling"
ACTORS = LABELING_DATA / "actors.jsonl"
TARGET = "the Geneva talks"  # its one target's name
TARGET_ID = "geneva"
SCHEME = load_project(LABELING_DATA).scheme
# The heading and body segments of data/test_labeling/seeds/talks.txt in reading order, read off the file by hand.
TALKS = [
    ("body", "Russia said on Monday that the talks in Geneva would go on."),
    ("body", "The UN envoy welcomed the ceasefire."),
    ("body", "Rebel groups rejected it."),
    ("heading", "Fighting near Aleppo"),
    ("body", "Assad vowed to retake the city."),
]

# The databases of the `label_studio` fixture (conftest.py); a test that must pass on both: @on_sqlite_and_postgresql.
DATABASES = ("sqlite", "postgresql")
on_sqlite_and_postgresql = pytest.mark.parametrize(
    "label_studio", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)], indirect=True
)


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    """`stance-corpus ARGS...` in this process: (exit status, stdout, stderr)."""
    code = main([str(arg) for arg in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def labeling_project(folder: Path, annotators_per_task: int | None = None) -> Path:
    """A copy of the Label Studio tests' corpus project (tests/data/test_labeling, without its later/ article) at
    `folder`, that a test may change; with `annotators_per_task`, that many annotators per task."""
    project = shutil.copytree(LABELING_DATA, folder, ignore=shutil.ignore_patterns("later"))
    if annotators_per_task is not None:
        with (project / "stance-corpus.toml").open("a", encoding="utf-8") as config:
            config.write(f"\n[annotation]\nannotators_per_task = {annotators_per_task}\n")
    return project


def annotate(capsys: pytest.CaptureFixture[str], project: Path, title: str, *extra: str | Path) -> tuple[int, str, str]:
    """`stance-corpus annotate` of a corpus project (a copy of tests/data/test_labeling) into the Label Studio
    project `title`."""
    return run(capsys, "annotate", "--project", project, "--title", title, *extra)


def pull(capsys: pytest.CaptureFixture[str], project: Path, title: str, *extra: str | Path) -> tuple[int, str, str]:
    """`stance-corpus pull` of the Label Studio project `title` into the corpus project's store."""
    return run(capsys, "pull", "--project", project, "--title", title, *extra)


Labels = Mapping[str, tuple[str, Sequence[tuple[str, str, str]]]]
"""sentence text -> (its stance, its actor spans as (words, type, stance))."""


def annotated_segments(seeds: Path) -> list[Segment]:
    """The heading and body segments of every article of a seed folder, in order."""
    return [s for a in load_articles(seeds) for s in segment_article(a) if s.kind in ANNOTATED_KINDS]


def write_store(root: Path, labels: Labels, target: str) -> None:
    """The annotation store of the project folder `root`: gold and "alice" give each annotated sentence its `labels`
    for `target` (its id; NONE without spans for a sentence not in them); "bob" gives every sentence NONE."""
    gold, raw = [], []
    for segment in annotated_segments(root / "seeds"):
        stance, actors = labels.get(segment.text, ("NONE", []))
        spans = tuple(
            ActorSpan(start, start + len(name), name, kind, None, actor_stance)
            for name, kind, actor_stance in actors
            for start in [segment.text.index(name)]
        )
        record = {"segment_id": segment.id, "article_id": segment.article_id, "text": segment.text, "target": target}
        gold.append(Annotation(**record, annotator=GOLD_ANNOTATOR, stance=stance, actors=spans))
        raw.append(Annotation(**record, annotator="alice", stance=stance, actors=spans))
        raw.append(Annotation(**record, annotator="bob", stance="NONE"))
    write_annotations(root / "annotations" / "gold.jsonl", gold)
    write_annotations(root / "annotations" / "annotations.jsonl", raw)


def project_tasks(server: LocalServer, title: str) -> list[dict[str, Any]]:
    """Every task of the project titled `title`, in creation order: its id and its data."""
    client = connect(server.url, server.token)
    (project,) = [p for p in client.projects.list(title=title) if p.title == title]
    tasks = client.tasks.list(project=project.id, page_size=100, include="id,data")
    return [{"id": task.id, **task.data} for task in sorted(tasks, key=lambda task: task.id)]


def users(client: LabelStudio, *names: str) -> list[Any]:
    """New Label Studio users, one per name, with e-mail addresses unique to this run."""
    suffix = hashlib.sha256(str(datetime.now()).encode()).hexdigest()[:6]
    return [client.users.create(email=f"{name}-{suffix}@example.com", username=f"{name}-{suffix}") for name in names]


def stance_result(stance: str) -> list[dict[str, Any]]:
    """The Label Studio result of a sentence stance alone."""
    return [
        {"id": "sentence", "from_name": "stance", "to_name": "text", "type": "choices", "value": {"choices": [stance]}}
    ]


def span_result(
    region: str, text: str, mention: str, actor_type: str, actor_id: str | None, stance: str, typed: bool = False
) -> list[dict[str, Any]]:
    """The Label Studio results of one actor span of `text` (its first `mention`), as the web UI sends them: its
    actor chosen from the registry list (None: "not in the registry"), or `typed` as projects made before the list
    held it (None: no id)."""
    start = text.index(mention)
    value = {"start": start, "end": start + len(mention), "text": mention}
    result = [
        {
            "id": region,
            "from_name": "actor",
            "to_name": "text",
            "type": "labels",
            "value": {**value, "labels": [actor_type]},
        },
        {
            "id": region,
            "from_name": "actor_stance",
            "to_name": "text",
            "type": "choices",
            "value": {**value, "choices": [stance]},
        },
    ]
    if typed and actor_id:
        result.append(
            {
                "id": region,
                "from_name": "actor_id",
                "to_name": "text",
                "type": "textarea",
                "value": {**value, "text": [actor_id]},
            }
        )
    elif not typed:
        result.append(
            {
                "id": region,
                "from_name": "actor_id",
                "to_name": "text",
                "type": "taxonomy",
                "value": {**value, "taxonomy": [[actor_id or "NOT_IN_REGISTRY"]]},
            }
        )
    return result


def interrupt(process: subprocess.Popen[str], data_dir: Path) -> None:
    """Ctrl-C a running `stance-corpus annotate`; if it does not stop within a minute, kill it and the Label Studio
    it started (its own process group, named in running.json) so that no server outlives the test, then fail."""
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError, KeyError, ValueError):
            os.killpg(json.loads((data_dir / RUNNING_FILE).read_text(encoding="utf-8"))["pid"], signal.SIGKILL)
        process.kill()
        process.wait()
        pytest.fail("stance-corpus annotate did not stop within 60 s of Ctrl-C")


# A toy stance dataset for the baselines (tests/test_baseline.py) and the pool's model (tests/test_pool.py).
STANCE_LABELS = ("FAVOR", "AGAINST", "NONE")
CUES = {"FAVOR": "welcomed", "AGAINST": "condemned", "NONE": "visited"}


def write_dataset(folder: Path, splits: dict[str, list[dict]], class_label: bool = True) -> str:
    """A parquet dataset folder (one file per split) with `text`, `stance`, `target`, `article_id` columns."""
    import datasets  # a second to import: only the tests that write datasets do

    stance = datasets.ClassLabel(names=list(STANCE_LABELS)) if class_label else datasets.Value("string")
    features = datasets.Features(
        {
            "text": datasets.Value("string"),
            "stance": stance,
            "target": datasets.Value("string"),
            "article_id": datasets.Value("string"),
        }
    )
    (folder / "data").mkdir(parents=True)
    for split, rows in splits.items():
        datasets.Dataset.from_list(rows, features=features).to_parquet(folder / "data" / f"{split}.parquet")
    return str(folder)


def separable_rows(count: int, articles: int, class_label: bool = True, start: int = 0) -> list[dict]:
    """Each class has its own cue word and nothing else tells the classes apart: a linear model must be perfect."""
    rows = []
    for number in range(start, start + count):
        label = STANCE_LABELS[number % 3]
        rows.append(
            {
                "text": f"On day {number} the minister {CUES[label]} the plan for district {number * 7 % 31}.",
                "stance": STANCE_LABELS.index(label) if class_label else label,
                "target": "the plan",
                "article_id": f"article-{number // 3 % articles}",
            }
        )
    return rows
