"""Reading seed articles: a folder of UTF-8 text files `<id>.txt` and a catalogue `articles.jsonl` describing them.

Every input is checked before the first article is handed out, so a bad file fails the whole run up front
(nothing is written partially), while the articles themselves are then read one at a time (memory stays flat).
A folder is checked whole: its catalogue (metadata formats: `corpus.metadata`), its texts and, when it has one,
its actor registry `actors.jsonl` (`corpus.actors`), so that a bad registry stops every command that reads seeds.
A UTF-8 byte-order mark at the start of a text file is not part of the article's text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypedDict

from stance_corpus.corpus.actors import load_actor_registry
from stance_corpus.corpus.errors import InputError
from stance_corpus.corpus.jsonl import dumps, read_jsonl
from stance_corpus.corpus.metadata import BOM, field_problem, strip_bom
from stance_corpus.corpus.schema import Article, Scheme

CATALOGUE_NAME = "articles.jsonl"
REGISTRY_NAME = "actors.jsonl"
TEXT_SUFFIX = ".txt"

_REQUIRED_FIELDS = ("id", "language", "license")
_OPTIONAL_FIELDS = ("title", "source", "published", "url", "notes", "attribution", "author")
# The order of a catalogue line's fields as `catalogue_line` writes them (that of the seed catalogue).
_LINE_ORDER = ("id", "title", "source", "published", "url", "language", "license", "notes", "attribution", "author")
TARGETS_FIELD = "targets"  # the target ids an article is annotated for (default: the project's default targets)


class CatalogueEntry(TypedDict):
    """One checked line of a catalogue: every field of `Article` but its text (null where the source says nothing)."""

    id: str
    language: str
    license: str
    title: str | None
    source: str | None
    published: str | None
    url: str | None
    notes: str | None
    attribution: str | None
    author: str | None
    targets: tuple[str, ...]  # () for the project's default targets


def load_articles(path: str | Path) -> list[Article]:
    """All articles of a seed folder (or of one `<id>.txt` file of it), checked, in catalogue order."""
    return list(iter_articles([path]))


def iter_articles(paths: list[str | Path], scheme: Scheme | None = None) -> Iterator[Article]:
    """Check every article named by `paths` (folders or `.txt` files), then yield them one by one.

    Raises InputError, naming the file (and line) and the problem, before yielding anything.
    """
    selected = _select(paths, scheme)
    _check_texts(selected)
    for meta, text_path in selected:
        yield read_article(meta, text_path)


def read_catalogue(folder: Path) -> dict[str, CatalogueEntry]:
    """The catalogue of a seed folder: article id -> metadata fields, checked line by line."""
    catalogue_path = folder / CATALOGUE_NAME
    if not catalogue_path.is_file():
        raise InputError(catalogue_path, f"missing: every seed folder needs its catalogue {CATALOGUE_NAME}")
    entries: dict[str, CatalogueEntry] = {}
    for line_number, record in read_jsonl(catalogue_path):
        meta = _check_catalogue_record(record, f"{catalogue_path}:{line_number}")
        if meta["id"] in entries:
            raise InputError(f"{catalogue_path}:{line_number}", f"duplicate article id {meta['id']!r}")
        entries[meta["id"]] = meta
    return entries  # empty in a new project


def _check_catalogue_record(record: object, where: str) -> CatalogueEntry:
    if not isinstance(record, dict):
        raise InputError(where, "not a JSON object")
    unknown = sorted(set(record) - set(_REQUIRED_FIELDS) - set(_OPTIONAL_FIELDS) - {TARGETS_FIELD})
    if unknown:
        raise InputError(where, f"unknown field(s) {', '.join(unknown)}")
    for name in _REQUIRED_FIELDS:
        if not isinstance(record.get(name), str) or not record[name].strip():
            raise InputError(where, f"field {name!r} is required and must be a non-empty string")
    for name in (*_REQUIRED_FIELDS, *_OPTIONAL_FIELDS):
        problem = field_problem(name, record.get(name))
        if problem:
            raise InputError(where, problem)
    if Path(record["id"]).name != record["id"] or record["id"].startswith("."):
        raise InputError(where, f"article id {record['id']!r} must be a plain file stem")
    title = record.get("title")
    return CatalogueEntry(
        id=record["id"],
        language=record["language"],
        license=record["license"],
        title=None if title is None else strip_bom(title),
        source=record.get("source"),
        published=record.get("published"),
        url=record.get("url"),
        notes=record.get("notes"),
        attribution=record.get("attribution"),
        author=record.get("author"),
        targets=_targets(record, where),
    )


def _targets(record: dict[str, Any], where: str) -> tuple[str, ...]:
    """`targets`: a non-empty list of distinct target ids, or absent / null for the project's default targets (())."""
    targets = record.get(TARGETS_FIELD)
    if targets is None:
        return ()
    if (
        not isinstance(targets, list) or not targets or len(set(targets)) != len(targets)
        or not all(isinstance(target, str) and target for target in targets)
    ):
        raise InputError(where, f"field {TARGETS_FIELD!r} must be a list of distinct target ids, or null (the default)")
    return tuple(targets)


def catalogue_line(article: Article) -> str:
    """The catalogue line (JSON, without its newline) of an article: what `read_catalogue` reads back as its
    metadata. The one writer of catalogue lines (`stance-corpus ingest`); `attribution` and `author` only when known."""
    record = {name: getattr(article, name) for name in _LINE_ORDER}
    for name in ("attribution", "author"):
        if record[name] is None:
            del record[name]
    if article.targets:
        record[TARGETS_FIELD] = list(article.targets)
    return dumps(record)


def _select(paths: list[str | Path], scheme: Scheme | None) -> list[tuple[CatalogueEntry, Path]]:
    """(metadata, text path) for every article the paths name, each folder matched against its catalogue."""
    if not paths:
        raise InputError("stance-corpus", "no seed path given")
    selected: dict[Path, tuple[CatalogueEntry, Path]] = {}  # by resolved path: naming one file twice selects it once
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            check_registry(path, scheme)
            catalogue = read_catalogue(path)
            on_disk = {p.stem: p for p in path.glob(f"*{TEXT_SUFFIX}")}
            for article_id in catalogue:
                if article_id not in on_disk:
                    raise InputError(
                        path / CATALOGUE_NAME, f"article {article_id!r} has no text file {article_id}{TEXT_SUFFIX}"
                    )
            for stem, text_path in sorted(on_disk.items()):
                if stem not in catalogue:
                    raise InputError(text_path, f"has no line in {path / CATALOGUE_NAME}")
            for article_id, meta in catalogue.items():
                selected[on_disk[article_id].resolve()] = (meta, on_disk[article_id])
        elif path.is_file():
            if path.suffix != TEXT_SUFFIX:
                raise InputError(path, f"not a seed text: give a folder or a {TEXT_SUFFIX} file")
            check_registry(path.parent, scheme)
            catalogue = read_catalogue(path.parent)
            if path.stem not in catalogue:
                raise InputError(path, f"has no line in {path.parent / CATALOGUE_NAME}")
            selected[path.resolve()] = (catalogue[path.stem], path)
        else:
            raise InputError(path, "no such file or folder")
    return _with_unique_ids(list(selected.values()))


def check_registry(folder: Path, scheme: Scheme | None) -> None:
    """Check the actor registry of a seed folder, when it has one, against the project's scheme (InputError naming
    its file:line); without a scheme (no project) there are no actor types to check it against."""
    if scheme is not None and (folder / REGISTRY_NAME).is_file():
        load_actor_registry(folder / REGISTRY_NAME, scheme)


def _with_unique_ids(selected: list[tuple[CatalogueEntry, Path]]) -> list[tuple[CatalogueEntry, Path]]:
    """Segment ids derive from article ids, so two folders must not both hold an article of one id."""
    first_with_id: dict[str, Path] = {}
    for meta, text_path in selected:
        if meta["id"] in first_with_id:
            raise InputError(
                text_path, f"article id {meta['id']!r} is also the id of {first_with_id[meta['id']]}: ids must differ"
            )
        first_with_id[meta["id"]] = text_path
    return selected


def read_article(meta: CatalogueEntry, text_path: Path) -> Article:
    """The article of one catalogue entry (`read_catalogue`) and its text file (the pool reads seed folders so)."""
    return Article(text=_read_text(text_path), **meta)


def _check_texts(selected: list[tuple[CatalogueEntry, Path]]) -> None:
    first_with_digest: dict[str, Path] = {}
    for _, text_path in selected:
        digest = hashlib.sha256(_read_text(text_path).encode("utf-8")).hexdigest()
        if digest in first_with_digest:
            raise InputError(text_path, f"same text as {first_with_digest[digest]}: an article must appear once")
        first_with_digest[digest] = text_path


def _read_text(path: Path) -> str:
    data = path.read_bytes().removeprefix(BOM.encode("utf-8"))
    if not data.strip():
        raise InputError(path, "is empty")
    if b"\x00" in data:
        raise InputError(path, "is a binary file (contains NUL bytes), not UTF-8 text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = 1 + data.count(b"\n", 0, error.start)
        column = error.start - data.rfind(b"\n", 0, error.start)
        raise InputError(
            f"{path}:{line}", f"is not valid UTF-8 (byte {data[error.start]:#04x} at byte {column} of the line)"
        ) from error
