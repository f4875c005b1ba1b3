"""The one adapter between a selection file (`stance-corpus select` writes `tasks.jsonl`) and tasks for
`stance-corpus annotate --selection FILE`: the segments chosen from a pool, pushed instead of a seed folder's.

A line is one task's data (corpus.schema.TaskData: `text`, `segment_id`, `article_id`, `target_id`, `target`,
`publisher`, `headline`, `previous`, `next`, `kind`, all strings) and `actors`, the gazetteer's spans the pool found
in it (`start`, `end`, `text`, `type`, `actor_id`; found with the article's text, which the task does not carry, as
the context of scoped aliases). labeling never imports the pool: this file format is the contract.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from stance_corpus.corpus.errors import InputError
from stance_corpus.corpus.jsonl import read_jsonl
from stance_corpus.corpus.schema import ANNOTATED_KINDS, ActorSpan, Scheme, TaskData

TASK_FIELDS = tuple(item.name for item in fields(TaskData))
ACTORS_FIELD = "actors"
SPAN_FIELDS = ("start", "end", "text", "type", "actor_id")


@dataclass(frozen=True)
class SelectedTask:
    """One line of a selection: the task and its pre-annotated actor spans (stance: the scheme's default)."""

    data: TaskData
    spans: tuple[ActorSpan, ...]


def selection_line(data: TaskData, spans: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The line of a selection file for a task and its gazetteer spans (dicts with SPAN_FIELDS)."""
    return {**data.as_dict(), ACTORS_FIELD: [{name: span[name] for name in SPAN_FIELDS} for span in spans]}


def read_selection(path: Path, scheme: Scheme) -> list[SelectedTask]:
    """Every task of a selection file, checked against the project's scheme: every field a string, text and ids
    non-empty, a target of the project, a kind annotators see, each segment once, spans inside their text with an
    actor type of the scheme."""
    if not path.is_file():
        raise InputError(path, "no such selection file (`stance-corpus select POOL --out DIR` writes DIR/tasks.jsonl)")
    annotated = {kind.value for kind in ANNOTATED_KINDS}
    tasks: list[SelectedTask] = []
    first_line: dict[str, int] = {}
    for line, record in read_jsonl(path):
        where = f"{path}:{line}"
        if not isinstance(record, dict) or set(record) != {*TASK_FIELDS, ACTORS_FIELD}:
            raise InputError(where, f"needs a JSON object with exactly the fields {', '.join(TASK_FIELDS)}, actors")
        if not all(isinstance(record[name], str) for name in TASK_FIELDS):
            raise InputError(where, "every field of a selected task but actors is a string")
        for name in ("text", "segment_id", "article_id", "target_id"):
            if not record[name].strip():
                raise InputError(where, f"{name} is empty")
        if record["target_id"] not in scheme.target_ids:
            raise InputError(
                where, f"target {record['target_id']!r} is not a target of the project ({', '.join(scheme.target_ids)})"
            )
        if record["kind"] not in annotated:
            raise InputError(where, f"kind {record['kind']!r} is not annotated (only {', '.join(sorted(annotated))})")
        if record["segment_id"] in first_line:
            earlier = first_line[record["segment_id"]]
            raise InputError(where, f"segment {record['segment_id']} was already selected on line {earlier}")
        first_line[record["segment_id"]] = line
        data = TaskData(**{name: record[name] for name in TASK_FIELDS})
        tasks.append(SelectedTask(data, _spans(record[ACTORS_FIELD], data.text, scheme, where)))
    if not tasks:
        raise InputError(path, "selects no segment")
    return tasks


def _spans(raw: object, text: str, scheme: Scheme, where: str) -> tuple[ActorSpan, ...]:
    if not isinstance(raw, list):
        raise InputError(where, "actors must be a list of spans")
    spans = []
    for span in raw:
        if not isinstance(span, dict) or set(span) != set(SPAN_FIELDS):
            raise InputError(where, f"an actor span needs exactly the fields {', '.join(SPAN_FIELDS)}")
        start, end = span["start"], span["end"]
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
            raise InputError(where, f"actor span {start!r}-{end!r} is not inside the text")
        if text[start:end] != span["text"]:
            found = text[start:end]
            raise InputError(where, f"actor span {start}-{end} is {found!r} in the text, not {span['text']!r}")
        if span["type"] not in scheme.actor_type_names:
            raise InputError(where, f"actor type {span['type']!r} is not one of the project's")
        if span["actor_id"] is not None and not isinstance(span["actor_id"], str):
            raise InputError(where, "an actor span's actor_id is a string or null")
        spans.append(ActorSpan(start, end, span["text"], span["type"], span["actor_id"], scheme.default_stance))
    return tuple(spans)
