"""Readers of import sources: one generator function per format, each yielding `SourceRecord`s one at a time.

    iter_txt_records(path)                  a UTF-8 text file (a page saved as .txt that is HTML goes to extraction)
    iter_html_records(path)                 a saved page, .html / .htm, gzipped or not
    iter_warc_records(path)                 HTTP responses with HTML from a .warc / .warc.gz (warcio)
    iter_jsonl_records(path, fields)        JSON lines, .jsonl / .jsonl.gz, or "-" for standard input
    iter_json_records(path, fields)         .json: JSON lines (a mongoexport) or one array of objects (streamed, ijson)
    iter_csv_records(path, fields)          .csv with a header line (csv module; UTF-8, byte-order mark accepted)
    iter_parquet_records(path, fields)      .parquet, read in batches (pyarrow)
    iter_source_records(sources, fields)    every record of folders, globs, files and "-", in a stable order

Memory stays flat: one record (one page) at a time. A reader never raises for one bad record: it yields a
record whose `problem` says what is wrong (a line that is not a JSON object, a truncated gzip stream), so the
caller decides whether to stop (the default of `stance-corpus ingest`) or go on (`--skip-bad`); a record the
reader passes over on purpose (a WARC request, an image response) comes with `skipped` set, to be counted.
Records carry the source's raw values; `corpus.ingest.records` checks them.
"""

from __future__ import annotations

import csv
import glob
import gzip
import io
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from stance_corpus.corpus.errors import InputError
from stance_corpus.corpus.jsonl import BLANK, parse_json_line
from stance_corpus.corpus.schema import SourceRecord

STDIN = "-"
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_HTML_START = (b"<!doctype html", b"<html", b"<head", b"<body", b"<?xml")
_GZIP_ERRORS = (EOFError, OSError, zlib.error)  # truncated stream, bad magic number or CRC, corrupt data


@dataclass(frozen=True)
class FieldMap:
    """Which fields of a JSON, CSV or parquet record hold what: for each, the names tried in order (the first
    present and not empty wins). `stance-corpus ingest --text-field NAME` and the like replace one default.

    Ids come from the text unless `id` names the source's own id field (docs/ingest.md, "Ids"): ids of different
    sources collide (two exports both numbered 1, 2, 3), texts do not.
    """

    text: tuple[str, ...] = ("text", "body", "content", "article", "articleBody", "maintext", "full_text")
    html: tuple[str, ...] = ("html", "raw_html", "content_html")
    title: tuple[str, ...] = ("title", "headline")
    published: tuple[str, ...] = (
        "published", "date", "published_at", "publishedAt", "datePublished", "date_publish", "pubdate",
        "publication_date",
    )
    url: tuple[str, ...] = ("url", "link", "sourceUrl", "source_url", "canonical_url", "uri")
    id: tuple[str, ...] = ()
    license: tuple[str, ...] = ("license", "licence", "rights")
    language: tuple[str, ...] = ("language", "lang", "inLanguage", "language_code")
    source: tuple[str, ...] = ("source", "sourceName", "source_name", "publisher", "site_name", "sitename", "outlet")
    author: tuple[str, ...] = ("author", "authors", "byline", "creator")

    def with_names(self, **names: str | None) -> FieldMap:
        """This map with each given field read from that one name only (None keeps the default)."""
        return replace(self, **{field: (name,) for field, name in names.items() if name})

    def body_fields(self) -> tuple[str, ...]:
        """The field names a record's body may be read from: the text fields, then the HTML ones."""
        return (*self.text, *self.html)


DEFAULT_FIELDS = FieldMap()
_RECORD_FIELDS = ("title", "published", "url", "license", "language", "source", "author")


def map_record(values: Mapping[str, Any], origin: str, fields: FieldMap = DEFAULT_FIELDS) -> SourceRecord:
    """A record of a JSON object, CSV row or parquet row, its fields picked by `fields`."""

    def pick(names: tuple[str, ...]) -> Any:
        for name in names:
            value = values.get(name)
            if value is not None and value != "":
                return value
        return None

    text, html = pick(fields.text), pick(fields.html)
    if text is None and html is None:
        looked = ", ".join(fields.body_fields())
        return SourceRecord(origin, problem=f"no text (looked for the field(s) {looked}; name it with --text-field)")
    if html is not None and text is None:
        html = html.encode("utf-8") if isinstance(html, str) else html
        if not isinstance(html, bytes):
            return SourceRecord(origin, problem=f"the HTML field must be a string, not {type(html).__name__}")
    else:
        html = None
    return SourceRecord(
        origin,
        text=text,
        html=html,
        source_id=pick(fields.id) if fields.id else None,
        **{name: pick(getattr(fields, name)) for name in _RECORD_FIELDS},
    )


def iter_txt_records(path: Path) -> Iterator[SourceRecord]:
    """The one record of a text file: its text, or its bytes for extraction when the file is an HTML page."""
    try:
        data = _read_bytes(path)
    except _GZIP_ERRORS as error:
        yield SourceRecord(str(path), problem=f"cannot be read ({error})")
        return
    if looks_like_html(data):
        yield SourceRecord(str(path), html=data)
        return
    try:
        yield SourceRecord(str(path), text=data.decode("utf-8"))
    except UnicodeDecodeError as error:
        line = 1 + data.count(b"\n", 0, error.start)
        yield SourceRecord(f"{path}:{line}", problem=f"is not valid UTF-8 (byte {data[error.start]:#04x})")


def iter_html_records(path: Path) -> Iterator[SourceRecord]:
    """The one record of a saved page (.html, .htm, .html.gz): its bytes, decoded and extracted later."""
    try:
        yield SourceRecord(str(path), html=_read_bytes(path))
    except _GZIP_ERRORS as error:
        yield SourceRecord(str(path), problem=f"truncated or corrupt gzip file ({error})")


def iter_warc_records(path: Path) -> Iterator[SourceRecord]:
    """The HTML responses of a WARC file (.warc or .warc.gz), each with its target URI and declared charset.

    Other records (warcinfo, requests, metadata, responses that are not HTML or not status 200) come with
    `skipped` set; a truncated or corrupt archive ends with a record whose `problem` says so.
    """
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    with path.open("rb") as handle:
        records = ArchiveIterator(handle)
        try:
            for record in records:
                skipped = None
                if record.rec_type != "response" or record.http_headers is None:
                    skipped = f"a WARC {record.rec_type} record, not an HTTP response"
                else:
                    status = record.http_headers.get_statuscode()
                    content_type = (record.http_headers.get_header("Content-Type") or "").lower()
                    media_type, _, parameters = content_type.partition(";")
                    if media_type.strip() not in _HTML_TYPES:
                        skipped = f"not an HTML response ({media_type.strip() or 'no type'})"
                    elif status != "200":
                        skipped = f"HTTP status {status}, not 200"
                if skipped:
                    yield SourceRecord(f"{path}@{records.get_record_offset()}", skipped=skipped)
                    continue
                html = record.content_stream().read()  # before get_record_offset, which moves past the content
                yield SourceRecord(
                    f"{path}@{records.get_record_offset()}",
                    html=html,
                    charset=_charset(parameters),
                    url=record.rec_headers.get_header("WARC-Target-URI"),
                )
        except (ArchiveLoadFailed, *_GZIP_ERRORS) as error:
            yield SourceRecord(f"{path}@{records.get_record_offset()}", problem=f"truncated or corrupt WARC ({error})")


def iter_jsonl_records(path: Path | str, fields: FieldMap = DEFAULT_FIELDS) -> Iterator[SourceRecord]:
    """One record per non-blank line of a JSON lines file (.jsonl, .jsonl.gz), or of standard input for "-"."""
    if str(path) == STDIN:
        yield from _json_lines(sys.stdin.buffer, "<stdin>", fields)
        return
    with _open_binary(Path(path)) as handle:
        yield from _json_lines(handle, str(path), fields)


def iter_json_records(path: Path, fields: FieldMap = DEFAULT_FIELDS) -> Iterator[SourceRecord]:
    """The records of a .json file: one array of objects (streamed with ijson) or JSON lines (a mongoexport)."""
    with _open_binary(path) as handle:
        try:
            start = handle.peek(64).lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
        except _GZIP_ERRORS as error:
            yield SourceRecord(str(path), problem=f"truncated or corrupt gzip file ({error})")
            return
        if start != b"[":
            yield from _json_lines(handle, str(path), fields)
            return
        import ijson

        index = -1
        try:
            for index, value in enumerate(ijson.items(handle, "item", use_float=True)):
                yield _mapped(value, f"{path}[{index}]", fields)
        except (ijson.JSONError, *_GZIP_ERRORS) as error:
            yield SourceRecord(f"{path}[{index + 1}]", problem=f"not valid JSON ({error})")


def iter_csv_records(path: Path, fields: FieldMap = DEFAULT_FIELDS) -> Iterator[SourceRecord]:
    """One record per row of a CSV file with a header line; `origin` is the line the row starts on.

    A header without any text column is one problem for the whole file (`file:1`).
    """
    csv.field_size_limit(1 << 30)  # article texts are longer than the module's default of 128 KiB
    with _open_binary(path) as binary:
        handle = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
        rows = csv.DictReader(handle)
        try:
            header = rows.fieldnames or []
            if not set(header) & set(fields.body_fields()):
                looked = ", ".join(fields.body_fields())
                yield SourceRecord(
                    f"{path}:1", problem=f"no text column (looked for {looked}; name it with --text-field)"
                )
                return
            line = rows.line_num + 1
            for row in rows:
                yield _mapped(row, f"{path}:{line}", fields)
                line = rows.line_num + 1
        except UnicodeDecodeError as error:
            yield SourceRecord(f"{path}:{rows.line_num + 1}", problem=f"is not valid UTF-8 ({error.reason})")
        except csv.Error as error:
            yield SourceRecord(f"{path}:{rows.line_num}", problem=f"not valid CSV ({error})")
        except _GZIP_ERRORS as error:
            yield SourceRecord(f"{path}:{rows.line_num + 1}", problem=f"truncated or corrupt gzip file ({error})")


def iter_parquet_records(path: Path, fields: FieldMap = DEFAULT_FIELDS) -> Iterator[SourceRecord]:
    """One record per row of a parquet file, read a batch at a time; `origin` is `file:row N` (from 1)."""
    import pyarrow
    import pyarrow.parquet

    try:
        table = pyarrow.parquet.ParquetFile(path)
    except (pyarrow.ArrowException, OSError) as error:
        yield SourceRecord(str(path), problem=f"not a readable parquet file ({error})")
        return
    if not set(table.schema_arrow.names) & set(fields.body_fields()):
        looked = ", ".join(fields.body_fields())
        yield SourceRecord(str(path), problem=f"no text column (looked for {looked}; name it with --text-field)")
        return
    row = 0
    for batch in table.iter_batches(batch_size=512):
        for values in batch.to_pylist():
            row += 1
            yield map_record(values, f"{path}:row {row}", fields)


# suffix (lower case, gzip suffix included) -> reader; the readers that take no field map are wrapped.
READERS: dict[str, Callable[[Path, FieldMap], Iterator[SourceRecord]]] = {
    ".txt": lambda path, _: iter_txt_records(path),
    ".html": lambda path, _: iter_html_records(path),
    ".htm": lambda path, _: iter_html_records(path),
    ".html.gz": lambda path, _: iter_html_records(path),
    ".htm.gz": lambda path, _: iter_html_records(path),
    ".warc": lambda path, _: iter_warc_records(path),
    ".warc.gz": lambda path, _: iter_warc_records(path),
    ".jsonl": iter_jsonl_records,
    ".jsonl.gz": iter_jsonl_records,
    ".json": iter_json_records,
    ".json.gz": iter_json_records,
    ".csv": iter_csv_records,
    ".csv.gz": iter_csv_records,
    ".parquet": iter_parquet_records,
}


def reader_of(path: Path) -> Callable[[Path, FieldMap], Iterator[SourceRecord]] | None:
    """The reader of a file by its name's suffixes (None for a type it does not read)."""
    name = path.name.lower()
    for suffix in sorted(READERS, key=len, reverse=True):
        if name.endswith(suffix):
            return READERS[suffix]
    return None


def source_files(sources: Iterable[str]) -> Iterator[Path | str]:
    """The files the sources name, in order: a folder's readable files (recursively, sorted by path, other files
    and hidden ones left out), a glob pattern's matches (sorted), a file, or "-" (standard input).

    InputError for a path that does not exist, a pattern that matches nothing, a file of a type no reader reads.
    """
    for source in sources:
        if source == STDIN:
            yield STDIN
            continue
        path = Path(source)
        if path.is_dir():
            for file in sorted(p for p in path.rglob("*") if p.is_file()):
                hidden = any(part.startswith(".") for part in file.relative_to(path).parts)
                if not hidden and reader_of(file):
                    yield file
        elif path.is_file():
            if reader_of(path) is None:
                raise InputError(path, f"not a file type ingest reads ({', '.join(READERS)})")
            yield path
        elif glob.has_magic(source):
            matches = sorted(Path(match) for match in glob.glob(source, recursive=True))
            files = [match for match in matches if match.is_file() and reader_of(match)]
            if not files:
                raise InputError(source, "matches no file that ingest reads")
            yield from files
        else:
            raise InputError(path, "no such file or folder")


def iter_source_records(sources: Iterable[str], fields: FieldMap = DEFAULT_FIELDS) -> Iterator[SourceRecord]:
    """Every record of every source (`source_files`), file after file."""
    for file in source_files(sources):
        if file == STDIN:
            yield from iter_jsonl_records(STDIN, fields)
        else:
            reader = reader_of(Path(file))
            assert reader is not None
            yield from reader(Path(file), fields)


def looks_like_html(data: bytes) -> bool:
    """Whether bytes are an HTML page (a doctype or an <html>, <head> or <body> tag first), whatever the file name."""
    return data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower().startswith(_HTML_START)


def _json_lines(handle: Iterable[bytes], name: str, fields: FieldMap) -> Iterator[SourceRecord]:
    line_number = 0
    try:
        for line_number, line in enumerate(handle, start=1):
            where = f"{name}:{line_number}"
            try:
                value = parse_json_line(line, where, first=line_number == 1)
            except InputError as error:
                yield SourceRecord(where, problem=error.problem)
                continue
            if value is not BLANK:
                yield _mapped(value, where, fields)
    except _GZIP_ERRORS as error:
        where = f"{name}:{line_number + 1}"
        yield SourceRecord(where, problem=f"truncated or corrupt gzip file ({error}); lines before it were read")


def _mapped(value: Any, origin: str, fields: FieldMap) -> SourceRecord:
    if not isinstance(value, dict):
        return SourceRecord(origin, problem=f"not a JSON object (a {type(value).__name__})")
    return map_record(value, origin, fields)


def _open_binary(path: Path) -> io.BufferedReader | gzip.GzipFile:
    """The file's bytes, decompressed for a .gz name; both kinds can `peek`."""
    if path.name.lower().endswith(".gz"):
        return gzip.GzipFile(path, "rb")
    return path.open("rb")


def _read_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.name.lower().endswith(".gz") else data


def _charset(parameters: str) -> str | None:
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip() == "charset" and value.strip(" \"'"):
            return value.strip(" \"'")
    return None
