"""Splitting an article into segments (headline, notes, headings, body sentences, boilerplate and the news layout:
datelines, bylines, captions, credits, tag footers) with exact offsets.

Sentence boundaries come from syntok, chosen by measurement on English news (docs/corpus.md, "Why syntok"); this module
only classifies paragraphs and keeps offsets exact: `article.text[segment.start:segment.end] == segment.text`.
It also hands on syntok's word tokens of each segment (`tokenized_segments`), which the actor_tags config releases.
What counts as page furniture is configuration (`SegmentationConfig`, the project's `[segmentation]` settings).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import syntok.segmenter
from stance_corpus.corpus.schema import Article, Segment, SegmentKind
from syntok.tokenizer import Token, Tokenizer

# Paragraphs are separated by blank lines; `[^\S\n]` (whitespace but a newline) also accepts "\r\n" line ends.
_BLANK_LINE = re.compile(r"\n[^\S\n]*\n")
_NOTE = re.compile(r"\[[^\[\]]+\]")
# Page furniture that scrapers keep from news sites: the default of `SegmentationConfig.furniture`.
DEFAULT_FURNITURE: tuple[str, ...] = ("Exit mobile version", "Advertisement", "Skip to content", "Share this article")


@dataclass(frozen=True)
class SegmentationConfig:
    """What the segmenter takes from a project's configuration.

    `furniture`: whole paragraphs that are page furniture (kind boilerplate), compared case-insensitively.
    """

    furniture: tuple[str, ...] = DEFAULT_FURNITURE
    _folded: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_folded", frozenset(item.strip().casefold() for item in self.furniture))

    def is_furniture(self, paragraph: str) -> bool:
        """Whether the whole paragraph is one of the furniture strings."""
        return paragraph.casefold() in self._folded


DEFAULT_CONFIG = SegmentationConfig()
_CLOSERS = "\"'”’»)]"
_SENTENCE_FINAL = ".!?…:;"
HEADING_MAX_WORDS = 15

TokenSpans = tuple[tuple[int, int], ...]
"""(start, end) of each token in the text of its segment."""

# Keep "don't" as do + n't and hyphens as tokens: every token is a slice of the segment text.
_WORD_TOKENIZER = Tokenizer(emit_hyphen_or_underscore_sep=True, replace_not_contraction=False)
# What syntok splits words at and, unlike _WORD_TOKENIZER, does not emit by default (its own definition).
_WORD_SEPARATORS = Tokenizer._hyphens_and_underscore


def segment_article(article: Article, config: SegmentationConfig = DEFAULT_CONFIG) -> Iterator[Segment]:
    """The segments of an article in reading order; ids are stable across machines and runs."""
    for segment, _ in _segments_with_tokens(article, config):
        yield segment


def tokenized_segments(
    article: Article, config: SegmentationConfig = DEFAULT_CONFIG
) -> Iterator[tuple[Segment, TokenSpans]]:
    """`segment_article` with each segment's word tokens, exactly as `word_token_spans(segment.text)` gives them.

    Most body sentences reuse the tokens syntok made to find them, so the article is tokenized only once.
    """
    for segment, sentence_tokens in _segments_with_tokens(article, config):
        if sentence_tokens is None:
            yield segment, word_token_spans(segment.text)
        else:
            yield segment, _word_spans_from_segmenter(sentence_tokens)


def word_token_spans(text: str) -> TokenSpans:
    """(start, end) of each syntok word token of `text`, every token a slice of it: "don't" gives do + n't and
    "al-Nusra" gives al + - + Nusra (the tokens of the actor_tags config)."""
    return tuple((token.offset, token.offset + len(token.value)) for token in _WORD_TOKENIZER.tokenize(text))


def _segments_with_tokens(
    article: Article, config: SegmentationConfig
) -> Iterator[tuple[Segment, list[Token] | None]]:
    """Each segment with the segmenter's tokens of it when they can be reused (`_reusable_sentences`)."""
    seen: Counter[str] = Counter()
    index = 0
    layout = _Layout(config)
    for paragraph_number, (paragraph_start, paragraph_end) in enumerate(paragraph_spans(article.text)):
        paragraph = article.text[paragraph_start:paragraph_end]
        for kind, start, end, sentence_tokens in layout.classify(paragraph, paragraph_start, paragraph_number):
            text = article.text[start:end]
            segment = Segment(
                id=segment_id(article.id, text, seen[text]),
                article_id=article.id,
                index=index,
                paragraph=paragraph_number,
                kind=kind,
                text=text,
                start=start,
                end=end,
            )
            yield segment, sentence_tokens
            seen[text] += 1
            index += 1


def paragraph_spans(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each paragraph: text between blank lines, without its surrounding whitespace."""
    start = 0
    for blank in (*_BLANK_LINE.finditer(text), None):
        end = blank.start() if blank else len(text)
        piece = text[start:end]
        stripped = piece.lstrip()
        if stripped:
            first = start + len(piece) - len(stripped)
            yield first, first + len(stripped.rstrip())
        if blank:
            start = blank.end()


def segment_id(article_id: str, text: str, occurrence: int) -> str:
    """Derived from content, not position: editing one sentence leaves every other id unchanged.

    `occurrence` tells apart identical sentences of one article (0 for the first, 1 for the second, ...).
    """
    digest = hashlib.sha256(f"{article_id}\n{occurrence}\n{text}".encode()).hexdigest()
    return f"{article_id}-{digest[:12]}"


Classified = tuple[SegmentKind, int, int, "list[Token] | None"]


class _Layout:
    """Classifies the paragraphs of one article in reading order; remembers whether its lead has been seen (a
    dateline such as "EVANSVILLE, Ind. —" opens the lead and nothing after it)."""

    def __init__(self, config: SegmentationConfig) -> None:
        self.config = config
        self.lead_seen = False

    def classify(self, paragraph: str, offset: int, number: int) -> Iterator[Classified]:
        whole = (offset, offset + len(paragraph), None)
        if number == 0:
            yield SegmentKind.HEADLINE, *whole
        elif _NOTE.fullmatch(paragraph):
            yield SegmentKind.NOTE, *whole
        elif self.config.is_furniture(paragraph):
            yield SegmentKind.BOILERPLATE, *whole
        elif kind := _layout_paragraph_kind(paragraph):
            yield kind, *whole
        elif credit := _CREDIT.search(paragraph):
            yield from _sentences(SegmentKind.CAPTION, paragraph[: credit.start()].rstrip(), offset)
            yield SegmentKind.CREDIT, offset + credit.start(), *whole[1:]
        elif _is_heading(paragraph):
            yield SegmentKind.HEADING, *whole
        else:
            dateline = None if self.lead_seen else _DATELINE_PREFIX.match(paragraph)
            self.lead_seen = True
            if dateline and _is_dateline_prefix(dateline.group("place")):
                yield SegmentKind.DATELINE, offset, offset + len(dateline.group(0).rstrip()), None
                yield from _sentences(SegmentKind.BODY, paragraph[dateline.end():], offset + dateline.end())
            else:
                yield from _sentences(SegmentKind.BODY, paragraph, offset)


def _sentences(kind: SegmentKind, text: str, offset: int) -> Iterator[Classified]:
    for (start, end), sentence_tokens in _reusable_sentences(text) if text.strip() else ():
        yield kind, offset + start, offset + end, sentence_tokens


# -- News layout (docs/corpus.md, "News layout"): what a news page puts around the story. -------------------------
_MONTHS = "january february march april may june july august september october november december"
_MONTH_ABBREVIATIONS = "jan feb mar apr jun jul aug sep sept oct nov dec"
_WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs fri sat sun"
_DATE_WORDS = frozenset(
    f"{_MONTHS} {_MONTH_ABBREVIATIONS} {_WEEKDAYS} published updated posted last first on at am pm a m p "
    "utc gmt et est edt ct cst cdt pt pst pdt bst cet cest ist st nd rd th".split()
)
_MONTH_WORDS = frozenset(f"{_MONTHS} {_MONTH_ABBREVIATIONS}".split())
_DATE_PIECES = re.compile(r"[^\W\d_]+|\d+|[,.:/|·•()\s–—-]+|.", re.UNICODE)
_ISO_DATE = re.compile(r"(19|20)\d\d-[01]\d-[0-3]\d")
_YEAR = re.compile(r"(19|20)\d\d")
# "By Laura Smith-Spark, CNN": "By" and words that are capitalized or join names; at most 12 of them.
_BYLINE = re.compile(
    r"(?:By|BY|Written by|Words by|Story by)\s+[A-Z][\w.'’-]*"
    r"(?:(?:\s*[,|/&—–-]\s*|\s+)(?:[A-Z][\w.'’-]*|and|of|the|for|in|de|da|del|la|le|van|von|der|bin|al|el))*"
)
_REPORTING = re.compile(r"\(?(?:Additional )?(?:Reporting|Writing|Editing|Compiled|Produced) by [^()]+\)?")
_TAGS = re.compile(
    r"(?:(?:Tags|Tagged|Topics|Categories|Category|Keywords|Related topics|Subjects)\s*:|Filed under:?|Posted in:?"
    r"|Tagged with:?)\s+\S.*",
    re.DOTALL,
)
# A credit at the end of a paragraph: "Image: UK Government.", "(AP Photo/Hussein Malla)", "Photo by X/Getty Images".
_CREDIT = re.compile(
    r"(?:(?<=\s)|^)[(\[]?(?:(?:AP|AFP|Reuters|EPA|Getty|Xinhua|Anadolu|SANA)\s+)?"
    r"(?:Images?|Photos?|Photograph|Photography|Pictures?|Pic|Credits?|Illustration|Graphic|Video|Footage)"
    r"(?:\s+credit)?\s*(?::|/|\s+by\b|\s+courtesy\b)\s*[^\s:](?:[^.!?:\n]|(?<=\b[A-Z])\.){0,80}?[.)\]]{0,2}$"
)
# "EVANSVILLE, Ind. —", "WASHINGTON (Reuters) -", "Taipei, Taiwan —", "(CNN) —" opening a story's lead.
_DATELINE_PREFIX = re.compile(
    r"(?P<place>(?:[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,3}(?:,\s+[A-Z0-9][\w.'’-]*(?:\s+[A-Z0-9][\w.'’-]*){0,3})?)?"
    r"(?:\s*\([A-Z][\w&.'’ -]{0,30}\))?)\s*(?:—|–|--| - )\s*(?=\S)"
)
_DATELINE_PLACE_MAX = 60


def _layout_paragraph_kind(paragraph: str) -> SegmentKind | None:
    """The layout kind of a whole paragraph (a date, a byline, a tag footer, a credit alone), or None."""
    if "\n" in paragraph.strip():
        return SegmentKind.TAGS if _TAGS.fullmatch(paragraph) and len(paragraph.split()) <= 60 else None
    words = len(paragraph.split())
    if words <= 16 and _is_date(paragraph):
        return SegmentKind.DATELINE
    if words <= 13 and _BYLINE.fullmatch(paragraph.rstrip(".")) and not paragraph.endswith(("!", "?")):
        return SegmentKind.BYLINE
    if words <= 40 and _REPORTING.fullmatch(paragraph.rstrip(".")):
        return SegmentKind.BYLINE
    if words <= 60 and _TAGS.fullmatch(paragraph):
        return SegmentKind.TAGS
    if (credit := _CREDIT.search(paragraph)) and credit.start() == 0:
        return SegmentKind.CREDIT
    return None


def _is_date(paragraph: str) -> bool:
    """A paragraph that is a date and nothing else: "Friday, August 21, 2015", "Updated 1:36 p.m. ET, Feb 10, 2016"."""
    pieces = _DATE_PIECES.findall(paragraph.casefold())
    words = [piece for piece in pieces if piece[0].isalpha()]
    if any(word not in _DATE_WORDS for word in words):
        return False
    if any(not (piece[0].isalnum() or piece.strip(",.:/|·•()–— -\t") == "") for piece in pieces):
        return False
    has_year = any(_YEAR.fullmatch(piece) for piece in pieces)
    return bool(_ISO_DATE.search(paragraph)) or (has_year and any(word in _MONTH_WORDS for word in words))


def _is_dateline_prefix(place: str) -> bool:
    """A dateline's place is short and either in capitals ("WASHINGTON"), followed by its region ("Taipei, Taiwan")
    or by the agency ("(Reuters)"); "Group F —" or "Kerry —" opening a sentence is none of these."""
    if not place or len(place) > _DATELINE_PLACE_MAX:
        return False
    town = place.split(",")[0].split("(")[0]
    return town.strip() == "" or town.isupper() or "," in place or "(" in place


def _is_heading(paragraph: str) -> bool:
    """A short one-line paragraph that does not end a sentence: "Rebel supply lines threatened"."""
    return (
        "\n" not in paragraph
        and len(paragraph.split()) <= HEADING_MAX_WORDS
        and paragraph.rstrip(_CLOSERS)[-1:] not in _SENTENCE_FINAL
    )


def _reusable_sentences(text: str) -> Iterator[tuple[tuple[int, int], list[Token] | None]]:
    """Each sentence's span with its tokens, or None where they may differ from tokenizing the sentence alone.

    syntok tokenizes each run of non-space characters on its own, so a sentence's tokens are those of its text
    alone when it starts and ends at the edges of runs; a sentence split inside a run ("...ended.Next") is not.
    """
    sentences = [sentence for paragraph in syntok.segmenter.analyze(text) for sentence in paragraph]
    for position, sentence in enumerate(sentences):
        first, last = sentence[0], sentence[-1]
        following = sentences[position + 1][0] if position + 1 < len(sentences) else None
        whole_runs = _starts_run(first) and (following is None or _starts_run(following))
        yield (first.offset, last.offset + len(last.value)), sentence if whole_runs else None


def _starts_run(token: Token) -> bool:
    """Inside a run, syntok's segmenter gives a token the spacing "" or the hyphen or underscore it split the word
    at; the first token of a run gets the spaces before it (or starts the text)."""
    return token.offset == 0 or (token.spacing != "" and token.spacing[-1] not in _WORD_SEPARATORS)


def _word_spans_from_segmenter(sentence_tokens: list[Token]) -> TokenSpans:
    """`word_token_spans` of a sentence from the segmenter's tokens of it, offsets made relative to the sentence.

    The segmenter's tokenizer differs from `_WORD_TOKENIZER` only in folding a hyphen or underscore that splits a
    word into the spacing of the next token: emit it again, as the character right before that token.
    """
    start = sentence_tokens[0].offset
    spans: list[tuple[int, int]] = []
    for token in sentence_tokens:
        begin = token.offset - start
        if token.spacing[-1:] in _WORD_SEPARATORS:
            spans.append((begin - 1, begin))
        spans.append((begin, begin + len(token.value)))
    return tuple(spans)
