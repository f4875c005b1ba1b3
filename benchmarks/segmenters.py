"""Candidate sentence segmenters on English news: boundary accuracy and speed (why the project uses syntok).

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python benchmarks/segmenters.py [--gum ../shared/benchmarks/segmentation/gum_news_dev.jsonl]

Each segmenter is given one paragraph (text between blank lines) at a time, as `corpus.segment` gives syntok:

- GUM news (dev half): sentence-END boundaries, trailing whitespace stripped, the document's final end not counted;
  precision, recall and F1 over all documents (as its README prescribes). The file is read in place, never copied.
- the seed article: how many of its hand-checked segment ends (tests/data/test_segment/seed_segments.jsonl, written
  by reading the seed; its final end not counted) each segmenter finds, and how many ends it adds that are wrong.

Speed: characters per second of the library call alone over the GUM paragraphs, best of a few passes, same run.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import jsonlines
from tqdm import tqdm

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout without installing

from stance_corpus.corpus.segment import paragraph_spans

DEFAULT_GUM = REPO.parent / "shared" / "benchmarks" / "segmentation" / "gum_news_dev.jsonl"
SEED_TEXT = REPO / "seeds" / "000_b923e88ad6c5b85a.txt"
SEED_SEGMENTS = REPO / "tests" / "data" / "test_segment" / "seed_segments.jsonl"
TIMING_PASSES = 3

Spans = Iterable[tuple[int, int]]


@dataclass(frozen=True)
class Candidate:
    """`split` is the library call (timed); `spans` turns its result into (start, end) offsets of the text."""

    split: Callable[[str], Any]
    spans: Callable[[str, Any], Spans]


def syntok_candidate() -> Candidate:
    import syntok.segmenter

    return Candidate(
        split=lambda text: [sentence for paragraph in syntok.segmenter.analyze(text) for sentence in paragraph],
        spans=lambda _, sentences: (
            (sentence[0].offset, sentence[-1].offset + len(sentence[-1].value)) for sentence in sentences
        ),
    )


def pysbd_candidate() -> Candidate:
    import pysbd

    return Candidate(split=pysbd.Segmenter(language="en", clean=False).segment, spans=aligned_spans)


def blingfire_candidate() -> Candidate:
    import blingfire

    return Candidate(split=blingfire.text_to_sentences_and_offsets, spans=lambda _, result: result[1])


def sentencex_candidate() -> Candidate:
    import sentencex

    return Candidate(split=lambda text: list(sentencex.segment("en", text)), spans=aligned_spans)


def spacy_candidate() -> Candidate:
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return Candidate(split=nlp, spans=lambda _, doc: ((span.start_char, span.end_char) for span in doc.sents))


# name -> (distribution to report the version of, factory of the candidate)
SEGMENTERS: dict[str, tuple[str, Callable[[], Candidate]]] = {
    "syntok": ("syntok", syntok_candidate),
    "pysbd": ("pysbd", pysbd_candidate),
    "blingfire": ("blingfire", blingfire_candidate),
    "sentencex": ("sentencex", sentencex_candidate),
    "spaCy blank('en') + sentencizer": ("spacy", spacy_candidate),
}


def aligned_spans(text: str, sentences: Iterable[str]) -> Iterator[tuple[int, int]]:
    """Offsets of sentences returned as strings, found by counting their non-space characters along the text."""
    visible = [index for index, character in enumerate(text) if not character.isspace()]
    consumed = 0
    for sentence in sentences:
        length = sum(not character.isspace() for character in sentence)
        if length:
            yield visible[consumed], visible[consumed + length - 1] + 1
            consumed += length
    if consumed != len(visible):
        raise ValueError("the segmenter changed the text: its sentences do not add up to it")


def sentence_ends(text: str, spans: Spans) -> set[int]:
    """End offsets with trailing whitespace stripped, the document's own end left out."""
    ends = {start + len(text[start:end].rstrip()) for start, end in spans if text[start:end].strip()}
    return ends - {len(text.rstrip())}


def read_gum(path: Path) -> list[tuple[str, set[int]]]:
    documents = []
    with jsonlines.open(path) as lines:
        for document in lines:
            spans = ((sentence["start"], sentence["end"]) for sentence in document["sentences"])
            documents.append((document["text"], sentence_ends(document["text"], spans)))
    return documents


def seed_gold() -> tuple[str, set[int]]:
    """The seed text and the ends of its hand-checked segments, located in order in the text."""
    text = SEED_TEXT.read_text(encoding="utf-8")
    spans, cursor = [], 0
    with jsonlines.open(SEED_SEGMENTS) as lines:
        for line in lines:
            segment = line["text"]
            start = text.index(segment, cursor)
            cursor = start + len(segment)
            spans.append((start, cursor))
    return text, sentence_ends(text, spans)


def document_spans(candidate: Candidate, text: str) -> Iterator[tuple[int, int]]:
    for paragraph_start, paragraph_end in paragraph_spans(text):
        paragraph = text[paragraph_start:paragraph_end]
        for start, end in candidate.spans(paragraph, candidate.split(paragraph)):
            yield paragraph_start + start, paragraph_start + end


def score(candidate: Candidate, documents: list[tuple[str, set[int]]]) -> tuple[int, int, int]:
    """(true, false, missed) sentence ends over all documents."""
    true = false = missed = 0
    for text, gold in documents:
        predicted = sentence_ends(text, document_spans(candidate, text))
        true += len(predicted & gold)
        false += len(predicted - gold)
        missed += len(gold - predicted)
    return true, false, missed


def chars_per_second(split: Callable[[str], Any], paragraphs: list[str]) -> float:
    best = float("inf")
    for _ in range(TIMING_PASSES):
        start = time.perf_counter()
        for paragraph in paragraphs:
            split(paragraph)
        best = min(best, time.perf_counter() - start)
    return sum(map(len, paragraphs)) / best


def gum_arguments(argv: list[str] | None, description: str | None) -> argparse.Namespace:
    """The options of a GUM benchmark (--gum FILE), the file checked to exist."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gum", type=Path, default=DEFAULT_GUM, help=f"GUM news JSONL (default {DEFAULT_GUM})")
    args = parser.parse_args(argv)
    if not args.gum.is_file():
        parser.error(f"{args.gum}: no such file (the GUM news benchmark is in the shared reference material)")
    return args


def main(argv: list[str] | None = None) -> None:
    args = gum_arguments(argv, __doc__)

    gum = read_gum(args.gum)
    seed = [seed_gold()]
    seed_ends = len(seed[0][1])
    gum_paragraphs = [text[start:end] for text, _ in gum for start, end in paragraph_spans(text)]
    gum_chars = sum(len(text) for text, _ in gum)
    print(f"GUM news dev: {len(gum)} documents, {sum(len(g) for _, g in gum)} sentence ends, {gum_chars:,} characters")
    print(f"seed: {seed_ends} hand-checked segment ends")
    rows = [
        "| segmenter | version | GUM P | GUM R | GUM F1 | seed ends found | seed ends wrong | chars/s |",
        "|---|---|--:|--:|--:|--:|--:|--:|",
    ]
    for name, (distribution, factory) in tqdm(SEGMENTERS.items(), desc="segmenters", leave=False):
        try:
            candidate = factory()
        except ImportError as error:
            raise SystemExit(f"{name}: {error}; install the candidates with: pip install -e '.[bench]'") from None
        true, false, missed = score(candidate, gum)
        precision, recall = true / (true + false), true / (true + missed)
        seed_true, seed_false, _ = score(candidate, seed)
        speed = chars_per_second(candidate.split, gum_paragraphs)
        f1 = 2 * precision * recall / (precision + recall)
        rows.append(
            f"| {name} | {version(distribution)} | {precision:.3f} | {recall:.3f} | {f1:.3f} "
            f"| {seed_true}/{seed_ends} | {seed_false} | {speed:,.0f} |"
        )
    print(*rows, sep="\n")


if __name__ == "__main__":
    main()
