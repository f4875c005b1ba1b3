"""Splitting an article into segments (headline, notes, headings, body sentences, boilerplate) with exact offsets.

Sentence boundaries come from syntok, chosen by measurement on English news (docs/corpus.md, "Why syntok"); this module
only classifies paragraphs and keeps offsets exact: `article.text[segment.start:segment.end] == segment.text`.
It also hands on syntok's word tokens of each segment (`tokenized_segments`), which the actor_tags config releases.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Collection, Iterator

import syntok.segmenter
from stance_corpus.corpus.schema import Article, Segment, SegmentKind
from syntok.tokenizer import Token, Tokenizer

# Paragraphs are separated by blank lines; `[^\S\n]` (whitespace but a newline) also accepts "\r\n" line ends.
_BLANK_LINE = re.compile(r"\n[^\S\n]*\n")
_NOTE = re.compile(r"\[[^\[\]]+\]")
# Page furniture that scrapers keep from news sites; matched on a whole paragraph, case-insensitively. A project
# names its own (`[segmentation] furniture` of stance-corpus.toml): these are the default.
BOILERPLATE = frozenset({"exit mobile version", "advertisement", "skip to content", "share this article"})
Furniture = Collection[str]
_CLOSERS = "\"'”’»)]"
_SENTENCE_FINAL = ".!?…:;"
HEADING_MAX_WORDS = 15

TokenSpans = tuple[tuple[int, int], ...]
"""(start, end) of each token in the text of its segment."""

# Keep "don't" as do + n't and hyphens as tokens: every token is a slice of the segment text.
_WORD_TOKENIZER = Tokenizer(emit_hyphen_or_underscore_sep=True, replace_not_contraction=False)
# What syntok splits words at and, unlike _WORD_TOKENIZER, does not emit by default (its own definition).
_WORD_SEPARATORS = Tokenizer._hyphens_and_underscore


def segment_article(article: Article, furniture: Furniture = BOILERPLATE) -> Iterator[Segment]:
    """The segments of an article in reading order; ids are stable across machines and runs. A paragraph that is one
    of `furniture` (case-insensitively) is boilerplate."""
    for segment, _ in _segments_with_tokens(article, _folded(furniture)):
        yield segment


def tokenized_segments(article: Article, furniture: Furniture = BOILERPLATE) -> Iterator[tuple[Segment, TokenSpans]]:
    """`segment_article` with each segment's word tokens, exactly as `word_token_spans(segment.text)` gives them.

    Most body sentences reuse the tokens syntok made to find them, so the article is tokenized only once.
    """
    for segment, sentence_tokens in _segments_with_tokens(article, _folded(furniture)):
        if sentence_tokens is None:
            yield segment, word_token_spans(segment.text)
        else:
            yield segment, _word_spans_from_segmenter(sentence_tokens)


def word_token_spans(text: str) -> TokenSpans:
    """(start, end) of each syntok word token of `text`, every token a slice of it: "don't" gives do + n't and
    "al-Nusra" gives al + - + Nusra (the tokens of the actor_tags config)."""
    return tuple((token.offset, token.offset + len(token.value)) for token in _WORD_TOKENIZER.tokenize(text))


def _folded(furniture: Furniture) -> frozenset[str]:
    return frozenset(item.casefold() for item in furniture)


def _segments_with_tokens(article: Article, furniture: frozenset[str]) -> Iterator[tuple[Segment, list[Token] | None]]:
    """Each segment with the segmenter's tokens of it when they can be reused (`_reusable_sentences`)."""
    seen: Counter[str] = Counter()
    index = 0
    for paragraph_number, (paragraph_start, paragraph_end) in enumerate(paragraph_spans(article.text)):
        paragraph = article.text[paragraph_start:paragraph_end]
        for kind, start, end, sentence_tokens in _classify(paragraph, paragraph_start, paragraph_number, furniture):
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


def _classify(
    paragraph: str, offset: int, number: int, furniture: frozenset[str]
) -> Iterator[tuple[SegmentKind, int, int, list[Token] | None]]:
    whole = (offset, offset + len(paragraph), None)
    if number == 0:
        yield SegmentKind.HEADLINE, *whole
    elif _NOTE.fullmatch(paragraph):
        yield SegmentKind.NOTE, *whole
    elif paragraph.casefold() in furniture:
        yield SegmentKind.BOILERPLATE, *whole
    elif _is_heading(paragraph):
        yield SegmentKind.HEADING, *whole
    else:
        for (start, end), sentence_tokens in _reusable_sentences(paragraph):
            yield SegmentKind.BODY, offset + start, offset + end, sentence_tokens


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
