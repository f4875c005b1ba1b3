"""JSON Lines at the edges: one compact, UTF-8, key-ordered object a line, so committed files diff cleanly."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import IO, Any

import jsonlines
import orjson
from stance_corpus.corpus.errors import InputError

dumps = functools.partial(json.dumps, ensure_ascii=False, separators=(", ", ": "))


def _fields(record: Any) -> Any:
    """A dataclass record (not a dataclass type) as a dict of its fields; anything else as it is."""
    return asdict(record) if is_dataclass(record) and not isinstance(record, type) else record


def to_plain(record: Any) -> Any:
    """A dataclass record as plain JSON types (enums become their values, tuples lists)."""
    return json.loads(json.dumps(_fields(record)))


def write_jsonl(records: Iterable[Any], stream: IO[str]) -> int:
    """Write records to an open text stream; returns how many."""
    count = 0
    with jsonlines.Writer(stream, dumps=dumps, flush=False) as writer:
        for record in records:
            writer.write(_fields(record))
            count += 1
    return count


def read_jsonl(source: Path | IO[bytes], name: str | None = None) -> Iterator[tuple[int, Any]]:
    """(line number, parsed JSON) of each non-blank line of a file, or of an open binary stream such as
    `sys.stdin.buffer` (named `name` in errors, default "<stdin>"), one line in memory at a time.

    Read line by line rather than with jsonlines' reader, which numbers records, not lines, once it skips a blank
    line, and raises a bare UnicodeDecodeError on bytes that are not UTF-8: here a bad line raises InputError naming
    `file:line` and the problem. A leading byte-order mark is accepted. Opening a file raises OSError as usual.
    """
    if isinstance(source, Path):
        with source.open("rb") as handle:
            yield from _lines(handle, str(source))
    else:
        yield from _lines(source, name or "<stdin>")


def _lines(handle: IO[bytes], name: str) -> Iterator[tuple[int, Any]]:
    for line_number, line in enumerate(handle, start=1):
        if (record := parse_json_line(line, f"{name}:{line_number}", first=line_number == 1)) is not BLANK:
            yield line_number, record


BLANK = object()
"""What `parse_json_line` returns for a blank line."""


def parse_json_line(line: bytes, where: str, first: bool = False) -> Any:
    """The JSON value of one line of bytes (BLANK for a blank line); InputError naming `where` and the problem.

    `first`: the first line of a file, which may start with a byte-order mark.
    """
    # orjson reads valid lines twice as fast as json; whatever it refuses (a blank line, a byte-order mark,
    # bad UTF-8, NaN, big integers, bad JSON) goes through json, which accepts what it always did and
    # names the problem exactly.
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        if not line.strip():
            return BLANK
        return _parse_exactly(line, where, first)


def _parse_exactly(line: bytes, where: str, first: bool) -> Any:
    try:
        text = line.decode("utf-8-sig" if first else "utf-8")
    except UnicodeDecodeError as error:
        raise InputError(
            where, f"is not valid UTF-8 (byte {line[error.start]:#04x} at byte {error.start + 1} of the line)"
        ) from error
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(where, f"not valid JSON ({error.msg}, column {error.colno})") from error
