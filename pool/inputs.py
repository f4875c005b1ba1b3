"""The pool's inputs: seed folders (`<id>.txt` files and their catalogue) and JSON Lines files of articles.

A JSONL line is one article: the catalogue fields (docs/corpus.md) plus `text`, e.g. `{"id": "a1", "text": "...",
"language": "en", "license": "CC-BY-4.0", "title": null, ...}`. Articles reach the pipeline exactly as
`stance-corpus segment` reads them, so their segments and segment ids are the same.

Sharding (`rank` of `world_size` tasks), as datatrove's readers do it: with at least as many input files as tasks,
each task reads whole files (file i goes to task i mod world_size); with fewer files, every task walks all of them
and keeps article i (in input order) when i mod world_size == rank: it parses every JSONL line (orjson, cheap next
to segmenting) but reads only its own text files of a seed folder.
The assignment depends on the inputs and world_size only, so a re-run gives every task the same articles.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson
from stance_corpus.corpus.articles import (
    CATALOGUE_NAME,
    TEXT_SUFFIX,
    check_article_text,
    check_catalogue_record,
    read_article,
    read_catalogue,
)
from stance_corpus.corpus.errors import InputError
from stance_corpus.corpus.jsonl import read_jsonl
from stance_corpus.corpus.schema import Article

JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")


def resolve_inputs(paths: list[str | Path]) -> list[Path]:
    """The input files and seed folders that `paths` name, in a stable order (a folder without a catalogue is searched
    for JSONL files); InputError for a path that is none of these."""
    if not paths:
        raise InputError("stance-corpus pool", "no input given: name seed folders or .jsonl files")
    inputs: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir() and (path / CATALOGUE_NAME).is_file():
            inputs.append(path)
        elif path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.name.endswith(JSONL_SUFFIXES))
            if not found:
                raise InputError(path, f"holds neither a seed catalogue {CATALOGUE_NAME} nor .jsonl files")
            inputs.extend(found)
        elif path.is_file() and path.name.endswith(JSONL_SUFFIXES):
            inputs.append(path)
        elif path.exists():
            raise InputError(path, "not a pool input: give seed folders or .jsonl / .jsonl.gz files of articles")
        else:
            raise InputError(path, "no such file or folder")
    resolved = [path.resolve() for path in inputs]
    if len(set(resolved)) != len(resolved):
        raise InputError(paths[0], "the same input is named twice")
    return resolved


def iter_shard(inputs: list[Path], rank: int, world_size: int) -> Iterator[Article]:
    """The articles of task `rank` out of `world_size`, in input order (see the module docstring)."""
    if len(inputs) >= world_size:
        for path in inputs[rank::world_size]:
            yield from _READERS[_kind(path)](path, 0, 1)
        return
    position = 0  # how many articles the inputs before this one hold
    for number, path in enumerate(inputs):
        yield from _READERS[_kind(path)](path, (rank - position) % world_size, world_size)
        if number + 1 < len(inputs):
            position += _COUNTERS[_kind(path)](path)


def _kind(path: Path) -> str:
    return "seeds" if path.is_dir() else "jsonl"


def _seed_folder(folder: Path, first: int, step: int) -> Iterator[Article]:
    """Every `step`-th article of a seed folder's catalogue from the `first`-th on."""
    catalogue = read_catalogue(folder)
    for number, (article_id, meta) in enumerate(catalogue.items()):
        if number % step != first:
            continue
        text_path = folder / f"{article_id}{TEXT_SUFFIX}"
        if not text_path.is_file():
            raise InputError(folder / CATALOGUE_NAME, f"article {article_id!r} has no text file {text_path.name}")
        yield read_article(meta, text_path)


def _seed_count(folder: Path) -> int:
    return len(read_catalogue(folder))


def _jsonl(path: Path, first: int, step: int) -> Iterator[Article]:
    """Every `step`-th article line of a JSONL file from the `first`-th on (blank lines do not count)."""
    for number, (line_number, record) in enumerate(_jsonl_records(path)):
        if number % step == first:
            yield article_from_record(record, f"{path}:{line_number}")


def _jsonl_records(path: Path) -> Iterator[tuple[int, object]]:
    if not path.name.endswith(".gz"):
        yield from read_jsonl(path)
        return
    try:
        with gzip.open(path, "rb") as handle:
            for line_number, line in enumerate(handle, start=1):
                if line.strip():
                    try:
                        yield line_number, orjson.loads(line)
                    except orjson.JSONDecodeError as error:
                        raise InputError(f"{path}:{line_number}", f"not valid JSON ({error})") from None
    except (OSError, EOFError) as error:
        raise InputError(path, f"cannot be read as gzip ({error})") from None


def _jsonl_count(path: Path) -> int:
    return sum(1 for _ in _jsonl_records(path))


def article_from_record(record: object, where: str) -> Article:
    """The one adapter from a JSONL article line to an Article: the catalogue's rules plus a non-empty `text`."""
    if not isinstance(record, dict):
        raise InputError(where, "not a JSON object")
    text = record.get("text")
    if not isinstance(text, str):
        raise InputError(where, "needs a 'text' string (the article, headline first, paragraphs between blank lines)")
    check_article_text(text, where)
    meta = check_catalogue_record({name: value for name, value in record.items() if name != "text"}, where)
    return Article(text=text, **meta)


_READERS: dict[str, Callable[[Path, int, int], Iterator[Article]]] = {"seeds": _seed_folder, "jsonl": _jsonl}
_COUNTERS: dict[str, Callable[[Path], int]] = {"seeds": _seed_count, "jsonl": _jsonl_count}
