"""Precision, recall and F1 of the gazetteer (`corpus.actors.find_actor_mentions`) against gold actor spans.

    .venv/bin/python benchmarks/gazetteer.py [--store annotations/gold.jsonl] [--registry seeds/actors.jsonl]

Runs the matcher on the text of every annotation of the store and compares its spans with the annotated ones, on two
criteria: `exact` (same offsets and same actor id) and `overlap` (at least one shared character and the same actor
id; each predicted span counts once for precision, each gold span once for recall). Stances are not compared: the
gazetteer proposes spans only. Any store of corpus/store.py works, e.g. one annotator's records.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stance_corpus.corpus.actors import REGISTRY_FILE, find_actor_mentions, load_actor_registry
from stance_corpus.corpus.errors import StanceCorpusError
from stance_corpus.corpus.schema import Actor, ActorSpan, Annotation
from stance_corpus.corpus.store import GOLD_FILE, STORE_DIR, read_annotations

CRITERIA = {
    "exact": lambda a, b: (a.start, a.end, a.actor_id) == (b.start, b.end, b.actor_id),
    "overlap": lambda a, b: a.actor_id == b.actor_id and a.start < b.end and b.start < a.end,
}


def mention_scores(annotations: list[Annotation], registry: dict[str, Actor]) -> dict[str, dict[str, float]]:
    """criterion -> {precision, recall, f1, predicted, gold} over every annotation of the list."""
    pairs = [(find_actor_mentions(a.text, registry), list(a.actors)) for a in annotations]
    predicted_total = sum(len(predicted) for predicted, _ in pairs)
    gold_total = sum(len(gold) for _, gold in pairs)
    scores = {}
    for name, same in CRITERIA.items():
        correct_predicted = sum(any(same(p, g) for g in gold) for predicted, gold in pairs for p in predicted)
        found_gold = sum(any(same(p, g) for p in predicted) for predicted, gold in pairs for g in gold)
        precision = correct_predicted / predicted_total if predicted_total else 0.0
        recall = found_gold / gold_total if gold_total else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores[name] = {
            "precision": precision, "recall": recall, "f1": f1, "predicted": predicted_total, "gold": gold_total,
        }
    return scores


def misses(annotations: list[Annotation], registry: dict[str, Actor]) -> list[tuple[str, str, ActorSpan]]:
    """(segment id, 'extra' or 'missed', span) for every span without an exact counterpart: where aliases fall short."""
    exact = CRITERIA["exact"]
    found = []
    for annotation in annotations:
        predicted = find_actor_mentions(annotation.text, registry)
        gold = annotation.actors
        found.extend((annotation.segment_id, "extra", p) for p in predicted if not any(exact(p, g) for g in gold))
        found.extend((annotation.segment_id, "missed", g) for g in gold if not any(exact(p, g) for p in predicted))
    return found


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
        f"gazetteer vs {args.store}: {len(annotations)} annotations, {any_score['gold']} gold spans, "
        f"{any_score['predicted']} predicted ({len(registry)} actors in {args.registry})"
    )
    print(f"{'match':<8} {'precision':>9} {'recall':>7} {'f1':>6}")
    for name, score in scores.items():
        print(f"{name:<8} {score['precision']:>9.3f} {score['recall']:>7.3f} {score['f1']:>6.3f}")
    for segment_id, kind, span in misses(annotations, registry):
        print(f"{kind:<6} {segment_id} {span.start}..{span.end} {span.text!r} -> {span.actor_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
