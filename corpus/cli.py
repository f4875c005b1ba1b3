"""`stance-corpus segment` (and, later, `release`): argument parsing only; the work is in plain functions."""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter

from corpus.articles import iter_articles
from corpus.jsonl import write_jsonl
from corpus.segment import segment_article


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    segment = subparsers.add_parser(
        "segment",
        help="split seed articles into segments, one JSON object a line on stdout",
        description="Split seed articles into headline, note, heading, body and boilerplate segments with exact "
        "character offsets. PATH is a seed folder (with articles.jsonl) or a .txt file of one.",
    )
    segment.add_argument("paths", nargs="+", metavar="PATH")
    segment.add_argument(
        "--summary", action="store_true", help="print counts per article and kind instead of the segments"
    )
    segment.set_defaults(run=run_segment)


def run_segment(args: argparse.Namespace) -> None:
    segments = (segment for article in iter_articles(args.paths) for segment in segment_article(article))
    if args.summary:
        print_summary(segments)
        return
    # Through a temporary file, so that a failure half-way leaves stdout empty and memory stays flat.
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as buffer:
        write_jsonl(segments, buffer)
        buffer.seek(0)
        for chunk in iter(lambda: buffer.read(1 << 16), ""):
            sys.stdout.write(chunk)


def print_summary(segments) -> None:
    per_kind: Counter[str] = Counter()
    articles: set[str] = set()
    for segment in segments:
        per_kind[segment.kind.value] += 1
        articles.add(segment.article_id)
    kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(per_kind.items()))
    print(f"{len(articles)} article(s), {sum(per_kind.values())} segments: {kinds}")
