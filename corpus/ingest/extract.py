"""From a page's bytes to its article: the character set it is decoded with, then trafilatura's body text and metadata.

    decode_html(data, declared)   the page as text, and the encoding used (`HtmlDecodingError` when none fits)
    extract_record(record)        a SourceRecord with `html` -> the same record with `text` and the page's metadata

Decoding: a byte-order mark decides; otherwise bytes that are valid UTF-8 are UTF-8 (pages that declare a legacy
charset in a <meta> but were saved or served as UTF-8 are common, and valid UTF-8 is next to never anything else);
otherwise the first declared charset (the HTTP header's, then the page's <meta> ones in order) that decodes the
bytes without error, with ISO-8859-1 and ASCII read as windows-1252 as browsers do. No charset is guessed.

Extraction: trafilatura (the field's reference, docs/ingest.md) with `EXTRACTION_SETTINGS` (chosen on the
extraction benchmark's development pages, docs/ingest.md) and dates only from the page's markup
(`extensive_search` off: no date guessed from the text). The record's own values (a WARC record's
target URI, a JSON record's title) win over what the page says; the page's `<html lang>` is its declared language.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import replace
from typing import TypedDict

from stance_corpus.corpus.schema import SourceRecord

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
# What browsers read these labels as (the WHATWG Encoding Standard).
_AS_WINDOWS_1252 = {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "ascii", "us-ascii", "cp819", "ibm819"}
DATE_PARAMETERS = {"extensive_search": False, "original_date": True}


class _ExtractionSettings(TypedDict):
    include_comments: bool
    fast: bool
    favor_recall: bool


# Chosen on the extraction benchmark's pages (docs/ingest.md, "HTML pages"): without comments, with no second
# extractor run to compare against (`fast`), favouring recall: a higher body F1 than the library's defaults, and
# faster than them even with the metadata these defaults leave out.
EXTRACTION_SETTINGS: _ExtractionSettings = {"include_comments": False, "fast": True, "favor_recall": True}

MIN_BODY_WORDS = 10  # fewer words than this besides the title: no article (a "Page not found" page, a bare menu)


class HtmlDecodingError(ValueError):
    """The bytes of a page are neither UTF-8 nor in a charset it declares."""


def decode_html(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """(text, encoding) of a page: see the module's docstring for the order in which encodings are tried."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, errors="replace"), encoding
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    labels = [declared] if declared else []
    labels += [match.group(1).decode("ascii") for match in _META_CHARSET.finditer(data[:4096])]
    for label in labels:
        encoding = "windows-1252" if label.lower() in _AS_WINDOWS_1252 else label
        try:
            return data.decode(encoding), codecs.lookup(encoding).name
        except (LookupError, UnicodeDecodeError):
            continue
    told = ", ".join(dict.fromkeys(labels)) or "none"
    raise HtmlDecodingError(f"the page is not valid UTF-8 nor in a charset it declares (declared: {told})")


def extract_record(record: SourceRecord) -> SourceRecord:
    """`record` with the article body of its `html` as `text` (and `html` dropped), and the title, date, author,
    site name, URL, licence and language that the page declares wherever the record has none.

    A page that cannot be decoded or has no extractable body comes back with `problem` set.
    """
    import trafilatura

    assert record.html is not None
    try:
        page, _ = decode_html(record.html, record.charset)
    except HtmlDecodingError as error:
        return replace(record, html=None, problem=str(error))
    tree = trafilatura.load_html(page)
    if tree is None:
        return replace(record, html=None, problem="not an HTML page that can be parsed")
    language = tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang")
    document = trafilatura.bare_extraction(
        tree,
        url=record.url if isinstance(record.url, str) else None,
        with_metadata=True,
        date_extraction_params=DATE_PARAMETERS,
        **EXTRACTION_SETTINGS,
    )
    # A trafilatura Document (None when it finds nothing): its attributes, None where it has none.
    text, title = getattr(document, "text", None), getattr(document, "title", None)
    if not text or len(text.split()) - len((title or "").split()) < MIN_BODY_WORDS:
        return replace(record, html=None, problem="no extractable article body in the page")
    found = {
        "title": title,
        "published": getattr(document, "date", None),
        "author": getattr(document, "author", None),
        "source": getattr(document, "sitename", None),
        "url": getattr(document, "url", None),
        "license": getattr(document, "license", None),
        "language": language.strip() if language else None,
    }
    return replace(
        record,
        html=None,
        text=text,
        **{name: value for name, value in found.items() if value and getattr(record, name) in (None, "")},
    )
