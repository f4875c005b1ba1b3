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

import datetime
import functools
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


_MONTH_NUMBERS = {
    name: number
    for number, names in enumerate(
        (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
         ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
         ("dec", "december")),
        start=1,
    )
    for name in names
}
_MONTH = r"(?i:(?P<month>{names})\.?)".format(names="|".join(sorted(_MONTH_NUMBERS, key=len, reverse=True)))
_DAY = r"(?P<day>0?[1-9]|[12]\d|3[01])(?i:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_CALENDAR_DATES = (
    rf"{_MONTH}\s+{_DAY},?\s+{_YEAR}",  # October 5, 2016; Oct. 5 2016
    rf"{_DAY}\s+{_MONTH},?\s+{_YEAR}",  # 5 October 2016
    r"(?P<year>(?:19|20)\d\d)-(?P<month>0[1-9]|1[0-2])-(?P<day>0[1-9]|[12]\d|3[01])",  # 2016-10-05
)
# What may stand before the date in a dateline: a place ("WASHINGTON,", "BAGHDAD, Iraq,", "Taipei, Taiwan,") with an
# agency ("(Reuters)"), a word that says the date is the publication's ("Published:"), a weekday ("Friday,").
_DATELINE_PLACE = (
    r"(?:[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,3}(?:,\s+[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,3})?"
    r"(?:\s*\([A-Z][\w&.'’ -]{0,30}\))?\s*,\s+)?"
)
_PUBLISHED_WORD = r"(?:(?i:published|posted|released|issued|dated)(?:\s+on)?\s*:?\s+)?"
_WEEKDAY = (
    r"(?:(?i:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues|tue|wed|thurs|thur|thu|fri|sat|sun)"
    r"\.?,?\s+)?"
)
_TIME = r"(?:,?\s+(?:at\s+)?\d{1,2}[:.]\d\d(?:\s*(?i:[ap]\.?m\.?))?(?:\s+[A-Z]{2,4})?)?"
# After the date: the dateline's dash, a colon, the agency, or the end of the paragraph. "Nov. 6, 2016, the SDF" is a
# date inside a sentence (often of the event, not of the text): not taken.
_DATELINE_END = r"\s*(?:—|–|--|-|:|\(|\||\.?\s*$)"
_TEXT_DATES = tuple(
    re.compile(rf"{_DATELINE_PLACE}{_PUBLISHED_WORD}{_WEEKDAY}{date}{_TIME}{_DATELINE_END}")
    for date in _CALENDAR_DATES
)
TEXT_DATE_PARAGRAPHS = 2  # the paragraphs after the headline that are looked at
TEXT_DATE_AFTER_WORDS = 16  # the second one only after a short first one (a byline, a place): not after the lead


def text_date(text: str) -> str | None:
    """The date of a dateline at the opening of an article text (`YYYY-MM-DD`), or None.

    The text's first paragraph is its headline; the paragraph after it (or the one after that when the first is
    short: a byline) gives the date when it opens with a calendar date with a day, a month and a year: a paragraph
    that is the date ("Friday, August 21, 2015"), or a dateline ("WASHINGTON, Oct. 5, 2016 —", "5 October 2016:",
    "Published: 2016-10-05"). A date inside a sentence ("arrived Dec. 10, 2016, to join"), a date without its year
    ("On Jan. 8, ..."), relative words ("yesterday") give nothing: the date is never guessed.
    """
    previous = ""
    for number, paragraph in enumerate(text.split("\n\n", TEXT_DATE_PARAGRAPHS + 1)[1:1 + TEXT_DATE_PARAGRAPHS]):
        paragraph = paragraph.strip()
        if number and len(previous.split()) > TEXT_DATE_AFTER_WORDS:
            return None  # after the lead: a date opening the second paragraph of a story is one of its events
        previous = paragraph
        for pattern in _TEXT_DATES:
            match = pattern.match(paragraph)
            if match is None:
                continue
            month = match.group("month").rstrip(".").lower()
            try:
                date = datetime.date(
                    int(match.group("year")), int(month) if month.isdigit() else _MONTH_NUMBERS[month],
                    int(match.group("day")),
                )
            except ValueError:  # February 30
                return None
            return date.isoformat()
    return None


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
        if value is not None and (surrogate := _lone_surrogate(value)):  # type: ignore[arg-type]
            problems.append(ImportProblem(record.origin, f"field {name!r} {surrogate}; stored as null", name))
            return None
        return value  # type: ignore[return-value]

    body = record.text
    if not isinstance(body, str):
        return ImportProblem(record.origin, f"the text must be a string, not {type(body).__name__}")
    if surrogate := _lone_surrogate(body):
        return ImportProblem(record.origin, f"the text {surrogate}")
    if not strip_bom(body).strip():
        return ImportProblem(record.origin, "empty text")
    title = text_field("title")
    title = " ".join(strip_bom(title).split()) or None if title else None
    meta: dict[str, str | None] = {}
    for name in ("published", "url", "language", "source", "author"):
        value = text_field(name)
        problem = _language_problem(value) if name == "language" else field_problem(name, value)
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
    key = duplicates.content_key(text)
    if meta["published"] is None:
        meta["published"] = text_date(text)
    if defaults.use_source_ids:
        source_id = _as_text(record.source_id)
        if not isinstance(source_id, str) or not _SOURCE_ID.fullmatch(source_id):
            return ImportProblem(
                record.origin,
                f"id {record.source_id!r} (--id-field) cannot be an article id: 1-100 letters, digits, '_', '.', '-'",
            )
        article_id = source_id
    else:
        article_id = key[:ID_DIGITS]  # content_id(text), from the one normalisation and hash of the text
    article = Article(
        id=article_id, text=text, title=title, language=language, license=license, notes=None,
        published=meta["published"], url=meta["url"], source=meta["source"], author=meta["author"],
        attribution=defaults.attribution, targets=defaults.targets,
    )
    signature = duplicates.signature(text) if defaults.near_duplicates else None
    return ImportCandidate(article, record.origin, key, signature, tuple(problems))


@functools.lru_cache(maxsize=1024)
def _language_problem(value: str | None) -> str | None:
    """field_problem("language", value), remembered: an import's records share a few tags, and checking one against
    the subtag registry costs more than the rest of a record's checks."""
    return field_problem("language", value)


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


def _lone_surrogate(value: str) -> str | None:
    """What is wrong with a string that UTF-8 cannot write, or None: JSON's \\u escapes can spell half of a
    surrogate pair ("\\ud83d" without its second half), which Python decodes to a lone surrogate."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        return (
            f"holds a lone surrogate ({value[error.start]!r} at character {error.start + 1}), half of a character "
            "that UTF-8 cannot write"
        )
    return None


def _not_text(name: str, value: object) -> str:
    return f"field {name!r}: {type(value).__name__} {value!r:.60} is not text; stored as null"
