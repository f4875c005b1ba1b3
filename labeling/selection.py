"""The one adapter between a selection file (`stance-corpus select` writes `tasks.jsonl`) and task data for
`stance-corpus annotate --selection FILE`: the segments chosen from a pool, pushed instead of a seed folder's.

A line is one task's data: {"text", "segment_id", "article_id", "target", "headline", "previous", "next", "kind"},
all strings (labeling/tasks.py, TASK_FIELDS). labeling never imports the pool: this file format is the contract.
"""

from __future__ import annotations

from pathlib import Path

from stance_corpus.corpus.errors import InputError
from stance_corpus.corpus.jsonl import read_jsonl
from stance_corpus.corpus.schema import ANNOTATED_KINDS
from stance_corpus.labeling.tasks import TASK_FIELDS


def read_selection(path: Path) -> list[dict]:
    """The task data of every line, checked: every field a string, text and ids non-empty, a kind annotators see,
    each segment once."""
    if not path.is_file():
        raise InputError(path, "no such selection file (`stance-corpus select POOL --out DIR` writes DIR/tasks.jsonl)")
    annotated = {kind.value for kind in ANNOTATED_KINDS}
    tasks: list[dict] = []
    first_line: dict[str, int] = {}
    for line, record in read_jsonl(path):
        where = f"{path}:{line}"
        if not isinstance(record, dict) or set(record) != set(TASK_FIELDS):
            raise InputError(where, f"needs a JSON object with exactly the fields {', '.join(TASK_FIELDS)}")
        if not all(isinstance(record[name], str) for name in TASK_FIELDS):
            raise InputError(where, "every field of a selected task is a string")
        for name in ("text", "segment_id", "article_id", "target"):
            if not record[name].strip():
                raise InputError(where, f"{name} is empty")
        if record["kind"] not in annotated:
            raise InputError(where, f"kind {record['kind']!r} is not annotated (only {', '.join(sorted(annotated))})")
        if record["segment_id"] in first_line:
            raise InputError(where, f"segment {record['segment_id']} was already selected on line {first_line[record['segment_id']]}")
        first_line[record["segment_id"]] = line
        tasks.append({name: record[name] for name in TASK_FIELDS})
    if not tasks:
        raise InputError(path, "selects no segment")
    return tasks
