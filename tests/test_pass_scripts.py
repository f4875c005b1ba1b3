"""A pass made outside the web UI, as release 2.0.0's were: scripts/export_tasks.py writes a target's tasks with
their pre-filled spans, the labels made from them go back with scripts/record_annotation_pass.py, and `pull`
returns them (comment and a *not in the registry* actor included). Real Label Studio; tests/data/test_labeling."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import annotate, annotated_segments, pull
from stance_corpus.corpus.project import load_project
from stance_corpus.corpus.store import ANNOTATIONS_FILE, read_annotations

pytestmark = pytest.mark.labelstudio

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
TARGET = "geneva"  # the target of tests/data/test_labeling
ANNOTATOR = "outside-pass@example.org"


def script(name: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """scripts/NAME ARGS... against the server of the environment (LABEL_STUDIO_URL)."""
    return subprocess.run(
        [sys.executable, SCRIPTS / name, *map(str, args)], capture_output=True, text=True, check=False,
        env=os.environ, timeout=300,
    )


def test_a_pass_exported_labelled_and_recorded_outside_the_web_ui(
    label_studio_env, project, project_title, capsys, tmp_path
):
    assert annotate(capsys, project, project_title)[0] == 0
    common = ("--project", project, "--target", TARGET, "--title", project_title)
    exported = script("export_tasks.py", *common)
    assert exported.returncode == 0, exported.stderr
    tasks = [json.loads(line) for line in exported.stdout.splitlines()]
    segments = annotated_segments(project / "seeds")
    assert [task["segment_id"] for task in tasks] == [segment.id for segment in segments]
    assert all(task["text"][span["start"] : span["end"]] == span["text"] for task in tasks for span in task["prefill"])
    # The pass keeps every pre-filled span, marks those of the first task with any as not in the registry, and
    # comments there.
    marked = next(number for number, task in enumerate(tasks) if task["prefill"])
    labels = []
    for number, task in enumerate(tasks):
        actors = [{**span, "stance": "NONE", "actor_id": None if number == marked else span["actor_id"]}
                  for span in task["prefill"]]
        line = {"segment_id": task["segment_id"], "stance": "NONE", "actors": actors}
        if number == marked:
            line["comment"] = "who these actors are"
        labels.append(line)
    labels_path = tmp_path / "labels.jsonl"
    labels_path.write_text("".join(json.dumps(line) + "\n" for line in labels), encoding="utf-8")
    recorded = script("record_annotation_pass.py", labels_path, "--annotator", ANNOTATOR, *common)
    assert recorded.returncode == 0, recorded.stderr
    assert f"{ANNOTATOR}: {len(tasks)} annotations recorded, 0 already there" in recorded.stdout
    # Exported again for the same annotator: nothing left to label.
    again = script("export_tasks.py", *common, "--annotator", ANNOTATOR)
    assert again.returncode == 0 and again.stdout == ""
    assert pull(capsys, project, project_title)[0] == 0
    loaded = load_project(project)
    records = {a.segment_id: a for a in read_annotations(loaded.store / ANNOTATIONS_FILE, loaded.scheme)
               if a.annotator == ANNOTATOR}
    assert sorted(records) == sorted(task["segment_id"] for task in tasks)
    for number, task in enumerate(tasks):
        record = records[task["segment_id"]]
        assert [(s.start, s.end, s.type, s.actor_id) for s in record.actors] == [
            (s["start"], s["end"], s["type"], None if number == marked else s["actor_id"]) for s in task["prefill"]]
        assert record.comment == ("who these actors are" if number == marked else None)
