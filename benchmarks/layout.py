"""Sentence boundaries of the project's whole segmenter (`segment_article`: paragraphs, kinds, syntok) on GUM news.

    .venv/bin/python benchmarks/layout.py [--gum ../shared/benchmarks/segmentation/gum_news_dev.jsonl]

Each GUM news document (a Wikinews article: headline, dateline, photo captions with their credits, body) is
segmented as an article, and the ends of its segments are scored against GUM's sentence ends as
benchmarks/segmenters.py scores the bare segmenters (trailing whitespace stripped, the document's own end not
counted; precision, recall and F1 over all documents). It also counts the segments of each kind and the
GUM sentences that end up in annotated kinds although they are datelines or photo credits ("Image: ..."), which
annotators would otherwise be asked to label. Run it with another checkout's Python to compare two versions.
"""

from __future__ import annotations

import re
import runpy
from collections import Counter
from pathlib import Path

import jsonlines
from stance_corpus.corpus.schema import ANNOTATED_KINDS, Article
from stance_corpus.corpus.segment import segment_article

# The GUM file and the scoring rule of benchmarks/segmenters.py, so that the two figures stay comparable.
_SEGMENTERS = runpy.run_path(str(Path(__file__).with_name("segmenters.py")))
DEFAULT_GUM: Path = _SEGMENTERS["DEFAULT_GUM"]
sentence_ends = _SEGMENTERS["sentence_ends"]
gum_arguments = _SEGMENTERS["gum_arguments"]
# What a reader of the GUM texts sees as layout rather than prose: a credit, and a weekday dateline.
_LAYOUT = re.compile(r"Image: .*|(Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day, \w+ \d{1,2}, \d{4}")


def main(argv: list[str] | None = None) -> None:
    args = gum_arguments(argv, __doc__)
    true = false = missed = 0
    kinds: Counter[str] = Counter()
    layout_annotated = layout_total = 0
    with jsonlines.open(args.gum) as documents:
        for document in documents:
            text = document["text"]
            article = Article(
                id=document["doc_id"], text=text, title=None, source=None, published=None, url=None,
                language="en", license="CC BY 2.5",
            )
            segments = list(segment_article(article))
            kinds.update(segment.kind.value for segment in segments)
            gold = sentence_ends(text, ((s["start"], s["end"]) for s in document["sentences"]))
            predicted = sentence_ends(text, ((s.start, s.end) for s in segments))
            true += len(predicted & gold)
            false += len(predicted - gold)
            missed += len(gold - predicted)
            for sentence in document["sentences"]:
                if _LAYOUT.fullmatch(text[sentence["start"]:sentence["end"]].strip()):
                    layout_total += 1
                    end = sentence["end"]
                    covering = [s for s in segments if s.start < end and s.end > sentence["start"]]
                    layout_annotated += any(s.kind in ANNOTATED_KINDS for s in covering)
    precision, recall = true / (true + false), true / (true + missed)
    f1 = 2 * precision * recall / (precision + recall)
    print(f"GUM news dev through segment_article: {true + missed} sentence ends")
    print("| P | R | F1 | true | false | missed |")
    print("|--:|--:|--:|--:|--:|--:|")
    print(f"| {precision:.3f} | {recall:.3f} | {f1:.3f} | {true} | {false} | {missed} |")
    print("segments per kind: " + ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items())))
    print(f"dateline and credit sentences of GUM in annotated segments: {layout_annotated} of {layout_total}")


if __name__ == "__main__":
    main()
