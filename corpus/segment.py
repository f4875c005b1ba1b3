"""Splitting an article into segments (headline, notes, headings, body sentences, boilerplate) with exact offsets.

Sentence boundaries come from syntok, chosen by measurement on English news (README, "Segmentation"); this module
only classifies paragraphs and keeps offsets exact: `article.text[segment.start:segment.end] == segment.text`.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterator

import syntok.segmenter

from corpus.schema import Article, Segment, SegmentKind

# Paragraphs are separated by blank lines; `[^\S\n]` (whitespace but a newline) also accepts "\r\n" line ends.
_PARAGRAPH = re.compile(r"\S(?:.*?\S)?(?=\s*\n[^\S\n]*\n|\s*\Z)", re.DOTALL)
_NOTE = re.compile(r"\[[^\[\]]+\]")
# Page furniture that scrapers keep from news sites; matched on a whole paragraph, case-insensitively.
BOILERPLATE = frozenset({"exit mobile version", "advertisement", "skip to content", "share this article"})
_CLOSERS = "\"'”’»)]"
_SENTENCE_FINAL = ".!?…:;"
HEADING_MAX_WORDS = 15


def segment_article(article: Article) -> Iterator[Segment]:
    """The segments of an article in reading order; ids are stable across machines and runs."""
    seen: Counter[str] = Counter()
    index = 0
    for paragraph_number, (paragraph_start, paragraph_end) in enumerate(paragraph_spans(article.text)):
        paragraph = article.text[paragraph_start:paragraph_end]
        for kind, start, end in _classify(paragraph, paragraph_start, paragraph_number):
            text = article.text[start:end]
            yield Segment(
                id=segment_id(article.id, text, seen[text]),
                article_id=article.id,
                index=index,
                paragraph=paragraph_number,
                kind=kind,
                text=text,
                start=start,
                end=end,
            )
            seen[text] += 1
            index += 1


def paragraph_spans(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each paragraph: text between blank lines, without its surrounding whitespace."""
    for match in _PARAGRAPH.finditer(text):
        yield match.span()


def segment_id(article_id: str, text: str, occurrence: int) -> str:
    """Derived from content, not position: editing one sentence leaves every other id unchanged.

    `occurrence` tells apart identical sentences of one article (0 for the first, 1 for the second, ...).
    """
    digest = hashlib.sha256(f"{article_id}\n{occurrence}\n{text}".encode("utf-8")).hexdigest()
    return f"{article_id}-{digest[:12]}"


def _classify(paragraph: str, offset: int, number: int) -> Iterator[tuple[SegmentKind, int, int]]:
    whole = (offset, offset + len(paragraph))
    if number == 0:
        yield SegmentKind.HEADLINE, *whole
    elif _NOTE.fullmatch(paragraph):
        yield SegmentKind.NOTE, *whole
    elif paragraph.casefold() in BOILERPLATE:
        yield SegmentKind.BOILERPLATE, *whole
    elif _is_heading(paragraph):
        yield SegmentKind.HEADING, *whole
    else:
        for start, end in sentence_spans(paragraph):
            yield SegmentKind.BODY, offset + start, offset + end


def _is_heading(paragraph: str) -> bool:
    """A short one-line paragraph that does not end a sentence: "Rebel supply lines threatened"."""
    return (
        "\n" not in paragraph
        and len(paragraph.split()) <= HEADING_MAX_WORDS
        and paragraph.rstrip(_CLOSERS)[-1:] not in _SENTENCE_FINAL
    )


def sentence_spans(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each sentence of `text`, from the first character of its first token to its last."""
    for paragraph in syntok.segmenter.analyze(text):
        for sentence in paragraph:
            last = sentence[-1]
            yield sentence[0].offset, last.offset + len(last.value)
