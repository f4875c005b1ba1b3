"""Article metadata checks, one definition for the seed catalogue (`corpus.articles`) and for `stance-corpus ingest`.

A value is checked, never repaired or guessed:

    published   an ISO 8601 calendar date or date-time: 2016-02-10, 2016-02, 2016, 2016-02-10T13:36:00-05:00
    language    a well-formed BCP 47 tag whose subtags are registered (langcodes): en, en-GB, zh-Hant-TW
    url         an absolute http(s) URL with a host and no spaces: https://www.gov.uk/government/news/...

The catalogue refuses a line with a bad value (one line naming file:line and the problem); `ingest` stores null
for it and reports the problem. `strip_bom` removes the UTF-8 byte-order mark that editors on Windows put at the
start of a file (or of a field copied from one), so that it never ends up in a headline.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from urllib.parse import urlsplit

BOM = "\ufeff"

_YEAR_OR_MONTH = re.compile(r"\d{4}(-(0[1-9]|1[0-2]))?")
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?")
# BCP 47's shape: subtags of 1-8 letters or digits joined by hyphens (langcodes also accepts "en_US"; BCP 47 not).
_TAG_SHAPE = re.compile(r"[A-Za-z0-9]{1,8}(-[A-Za-z0-9]{1,8})*")
_URL_SCHEMES = ("http", "https")


def strip_bom(text: str) -> str:
    """`text` without the byte-order marks at its start."""
    return text.lstrip(BOM)


def date_problem(value: str) -> str | None:
    """Why `value` is not an ISO 8601 date or date-time (None when it is one)."""
    if _YEAR_OR_MONTH.fullmatch(value):
        return None
    if _DATE_TIME.fullmatch(value):
        try:
            datetime.datetime.fromisoformat(value.replace(" ", "T"))
            return None
        except ValueError as error:
            return f"{value!r} is not a valid date ({error})"
    return f"{value!r} is not an ISO 8601 date (YYYY-MM-DD, YYYY-MM, YYYY or a date-time YYYY-MM-DDThh:mm[:ss][±hh:mm])"


def language_problem(value: str) -> str | None:
    """Why `value` is not a valid BCP 47 language tag (None when it is one)."""
    import langcodes  # a registry of subtags, loaded on first use

    if _TAG_SHAPE.fullmatch(value) and langcodes.tag_is_valid(value):
        return None
    return f"{value!r} is not a BCP 47 language tag (such as en, en-GB, fr, zh-Hant)"


def url_problem(value: str) -> str | None:
    """Why `value` is not an absolute http(s) URL (None when it is one)."""
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:  # a malformed port or IPv6 host
        host = None
        parts = None
    if parts is None or parts.scheme.lower() not in _URL_SCHEMES or not host or any(c.isspace() for c in value):
        return f"{value!r} is not an absolute URL (http:// or https:// and a host, no spaces)"
    return None


# field -> its check; the fields of a catalogue line or an import record that have a format of their own.
CHECKS: dict[str, Callable[[str], str | None]] = {
    "published": date_problem,
    "language": language_problem,
    "url": url_problem,
}


def field_problem(name: str, value: object) -> str | None:
    """Why the metadata field `name` cannot hold `value` (None when it can: a string of its format, or null)."""
    if value is None:
        return None
    if not isinstance(value, str):
        return f"field {name!r} must be a string or null, not {type(value).__name__}"
    problem = CHECKS[name](value) if name in CHECKS else None
    return f"field {name!r}: {problem}" if problem else None
