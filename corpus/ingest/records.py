"""From a source record to an article ready to import: its text, its checked metadata and its id.

    SourceDefaults         what a whole source declares: its licence and language (--license, --language)
    prepare(record, ...)   an ImportCandidate, or an ImportProblem saying why the record cannot be imported

The article text: a BOM removed, line ends as "\\n", a text without blank lines read as one paragraph per line
(trafilatura's output and many exports), and the title as the first paragraph (the headline segment) unless the
text already starts with it. Ids (docs/ingest.md, "Ids"): the first 16 hex digits of the sha256 of the normalised
text (`duplicates.normalised`), so the same text gets the same id in every import; or, with --id-field, the
source's own id when it is a plain name. Metadata goes through `corpus.metadata`: a value that fails its check is
reported and stored as null (the language falls back to the source's --language; a record left without a
language or a licence is rejected).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from stance_corpus.corpus.ingest import duplicates
from stance_corpus.corpus.metadata import field_problem, strip_bom
from stance_corpus.corpus.schema import Article, ImportCandidate, ImportProblem, SourceRecord

ID_DIGITS = 16
_SOURCE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
_BLANK_LINE = re.compile(r"\n[^\S\n]*\n")


@dataclass(frozen=True)
class SourceDefaults:
    """Values for every record of the sources that lacks its own: `license` and `language` (a BCP 47 tag); and for
    every record: the `attribution` its licence asks for and the `targets` it is annotated for."""

    license: str | None = None
    language: str | None = None
    attribution: str | None = None
    targets: tuple[str, ...] = ()  # () for the project's default targets
    use_source_ids: bool = False  # ids are the records' `source_id` (--id-field), not content ids
    near_duplicates: bool = True  # compute MinHash signatures


def content_id(text: str) -> str:
    """The id of an article text: the first 16 hex digits of the sha256 of its normalised form."""
    return duplicates.content_key(text)[:ID_DIGITS]


def article_text(title: str | None, body: str) -> str:
    """The text written to `<id>.txt`: the title as the headline paragraph (unless the body starts with it), then
    the body's paragraphs; every paragraph separated by a blank line, a final newline."""
    body = strip_bom(body).replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.rstrip() for line in body.split("\n")]
    if _BLANK_LINE.search(body):
        text = "\n".join(lines).strip()
    else:
        text = "\n\n".join(line for line in lines if line.strip())
    if title:
        first = text.split("\n\n", 1)[0]
        if duplicates.normalised(first).casefold() != duplicates.normalised(title).casefold():
            text = f"{title}\n\n{text}"
    return text + "\n"


_URL_DATE = re.compile(r"/((?:19|20)\d\d)[/-](0[1-9]|1[0-2])(?:[/-](0[1-9]|[12]\d|3[01]))?(?=[/-]|$)")


def url_date(url: str) -> str | None:
    """The date a URL's path gives (`/2016/10/` -> "2016-10", `/2016/10/05/` -> "2016-10-05"), or None: news sites
    file articles under their publication month or day, and the date is never guessed beyond what the path says."""
    match = _URL_DATE.search(urlsplit(url).path)
    if match is None:
        return None
    return "-".join(part for part in match.groups() if part)


def prepare(record: SourceRecord, defaults: SourceDefaults) -> ImportCandidate | ImportProblem:
    """Check a record (already extracted when it was a page) and build its article; see the module's docstring."""
    if record.problem:
        return ImportProblem(record.origin, record.problem)
    problems: list[ImportProblem] = []

    def text_field(name: str) -> str | None:
        value = _as_text(getattr(record, name))
        if value is _NOT_TEXT:
            problems.append(ImportProblem(record.origin, _not_text(name, getattr(record, name)), name))
            return None
        return value  # type: ignore[return-value]

    body = record.text
    if not isinstance(body, str):
        return ImportProblem(record.origin, f"the text must be a string, not {type(body).__name__}")
    if not strip_bom(body).strip():
        return ImportProblem(record.origin, "empty text")
    title = text_field("title")
    title = " ".join(strip_bom(title).split()) or None if title else None
    meta: dict[str, str | None] = {}
    for name in ("published", "url", "language", "source", "author"):
        value = text_field(name)
        problem = field_problem(name, value)
        if problem:
            problems.append(ImportProblem(record.origin, f"{problem}; stored as null", name))
            value = None
        meta[name] = value
    if meta["published"] is None and meta["url"]:
        meta["published"] = url_date(meta["url"])
    language = meta.pop("language") or defaults.language
    if not language:
        return ImportProblem(record.origin, "no language: give the source's with --language TAG (BCP 47, e.g. en)")
    license = text_field("license") or defaults.license
    if not license:
        return ImportProblem(
            record.origin, "no licence: give the source's with --license TEXT, or name the record's licence field"
        )
    text = article_text(title, body)
    if defaults.use_source_ids:
        source_id = _as_text(record.source_id)
        if not isinstance(source_id, str) or not _SOURCE_ID.fullmatch(source_id):
            return ImportProblem(
                record.origin,
                f"id {record.source_id!r} (--id-field) cannot be an article id: 1-100 letters, digits, '_', '.', '-'",
            )
        article_id = source_id
    else:
        article_id = content_id(text)
    article = Article(
        id=article_id, text=text, title=title, language=language, license=license, notes=None,
        published=meta["published"], url=meta["url"], source=meta["source"], author=meta["author"],
        attribution=defaults.attribution, targets=defaults.targets,
    )
    signature = duplicates.signature(text) if defaults.near_duplicates else None
    return ImportCandidate(article, record.origin, duplicates.content_key(text), signature, tuple(problems))


_NOT_TEXT = object()


def _as_text(value: object) -> object:
    """A field's value as text: strings stripped (None when empty), numbers as digits, a list of strings joined
    with ", " (authors), an object's "name" (a news API's {"id": ..., "name": ...} source); else _NOT_TEXT."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return ", ".join(item.strip() for item in value if item.strip()) or None
    if isinstance(value, dict) and isinstance(value.get("name"), str):
        return value["name"].strip() or None
    return _NOT_TEXT


def _not_text(name: str, value: object) -> str:
    return f"field {name!r}: {type(value).__name__} {value!r:.60} is not text; stored as null"
