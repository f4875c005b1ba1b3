"""Precision, recall and F1 of the gazetteer (`corpus.actors.find_actor_mentions`) against gold actor spans.

    .venv/bin/python benchmarks/gazetteer.py [--store annotations/gold.jsonl] [--registry seeds/actors.jsonl]

Runs the matcher on the text of every annotation of the store and compares its spans with the annotated ones, with
the span rules of `corpus.spans`, spans identified by actor id: `exact` (same offsets and same actor id) and
`overlap` (at least one shared character and the same actor id), each span matched at most once. Stances are not
compared: the gazetteer proposes spans only. Any store of corpus/store.py works, e.g. one annotator's records.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stance_corpus.corpus.actors import REGISTRY_FILE, find_actor_mentions, load_actor_registry
from stance_corpus.corpus.errors import StanceCorpusError
from stance_corpus.corpus.schema import Actor, ActorSpan, Annotation
from stance_corpus.corpus.spans import SpanScores, exact, matching, span_key, span_scores
from stance_corpus.corpus.store import GOLD_FILE, STORE_DIR, read_annotations


def mention_scores(annotations: list[Annotation], registry: dict[str, Actor]) -> dict[str, SpanScores]:
    """Exact and overlap scores of the gazetteer's spans against every annotation of the list."""
    return span_scores(
        ([span_key(g, by="actor_id") for g in a.actors], [span_key(p, by="actor_id") for p in predicted])
        for a, predicted in _predicted(annotations, registry)
    )


def misses(annotations: list[Annotation], registry: dict[str, Actor]) -> list[tuple[str, str, ActorSpan]]:
    """(segment id, 'extra' or 'missed', span) for every span without an exact counterpart: where aliases fall short."""
    found = []
    for annotation, predicted in _predicted(annotations, registry):
        gold = annotation.actors
        pairs = matching(
            [span_key(g, by="actor_id") for g in gold], [span_key(p, by="actor_id") for p in predicted], exact
        )
        matched_gold, matched_predicted = {g for g, _ in pairs}, {p for _, p in pairs}
        found.extend((annotation.segment_id, "extra", p) for i, p in enumerate(predicted) if i not in matched_predicted)
        found.extend((annotation.segment_id, "missed", g) for i, g in enumerate(gold) if i not in matched_gold)
    return found


def _predicted(annotations: list[Annotation], registry: dict[str, Actor]) -> list[tuple[Annotation, list[ActorSpan]]]:
    return [(annotation, find_actor_mentions(annotation.text, registry)) for annotation in annotations]


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=STORE_DIR / GOLD_FILE, help="annotation store file (JSONL)")
    parser.add_argument("--registry", type=Path, default=REGISTRY_FILE, help="actor registry (JSONL)")
    args = parser.parse_args(argv)
    try:
        registry = load_actor_registry(args.registry)
        annotations = read_annotations(args.store)
    except StanceCorpusError as error:
        print(f"gazetteer: error: {error}", file=sys.stderr)
        return 1
    if not annotations:
        print(f"gazetteer: error: {args.store}: no annotations yet, nothing to score", file=sys.stderr)
        return 1
    scores = mention_scores(annotations, registry)
    any_score = next(iter(scores.values()))
    print(
        f"gazetteer vs {args.store}: {len(annotations)} annotations, {any_score.reference} gold spans, "
        f"{any_score.predicted} predicted ({len(registry)} actors in {args.registry})"
    )
    print(f"{'match':<8} {'precision':>9} {'recall':>7} {'f1':>6}")
    for name, score in scores.items():
        print(f"{name:<8} {_share(score.precision):>9} {_share(score.recall):>7} {_share(score.f1):>6}")
    for segment_id, kind, span in misses(annotations, registry):
        print(f"{kind:<6} {segment_id} {span.start}..{span.end} {span.text!r} -> {span.actor_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
