"""JSON Lines at the edges: one compact, UTF-8, key-ordered object a line, so committed files diff cleanly."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import IO, Any

import jsonlines

dumps = functools.partial(json.dumps, ensure_ascii=False, separators=(", ", ": "))


def to_plain(record: Any) -> Any:
    """A dataclass record as plain JSON types (enums become their values, tuples lists)."""
    return json.loads(json.dumps(asdict(record) if is_dataclass(record) else record))


def write_jsonl(records: Iterable[Any], stream: IO[str]) -> int:
    """Write records to an open text stream; returns how many."""
    count = 0
    with jsonlines.Writer(stream, dumps=dumps, flush=False) as writer:
        for record in records:
            writer.write(asdict(record) if is_dataclass(record) else record)
            count += 1
    return count


def read_jsonl(path: Path) -> Iterator[tuple[int, Any]]:
    """(line number, object) for each non-empty line of a JSONL file."""
    with jsonlines.open(path) as reader:
        yield from enumerate(reader.iter(skip_empty=True), start=1)
