"""Inter-annotator agreement and adjudication: pure functions over lists of Annotation records.

Sentence stance: Cohen's kappa per annotator pair (scikit-learn), Fleiss' kappa on the segments every annotator
rated (statsmodels), Krippendorff's alpha with missing ratings (corpus.reliability). Actor spans: pairwise
precision/recall/F1 on exact (start, end, type) and overlap (same type, shared characters) one-to-one matches
(corpus.spans), and agreement on the stance and actor id of exactly matched spans. `adjudicate` turns majorities
into gold and lists ties.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import Enum
from itertools import combinations
from typing import Literal, TypeVar

from sklearn.metrics import cohen_kappa_score
from stance_corpus.corpus.reliability import nominal_alpha
from stance_corpus.corpus.schema import GOLD_ANNOTATOR, STANCE_LABELS, ActorSpan, Annotation
from stance_corpus.corpus.spans import Span, SpanScores, exact, matching, overlap, scores, span_key
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa


def by_segment(annotations: Iterable[Annotation]) -> dict[str, dict[str, Annotation]]:
    """segment id -> annotator -> annotation (gold left out)."""
    grouped: dict[str, dict[str, Annotation]] = defaultdict(dict)
    for annotation in annotations:
        if annotation.annotator != GOLD_ANNOTATOR:
            grouped[annotation.segment_id][annotation.annotator] = annotation
    return dict(grouped)


def _number(value: float | None) -> float | None:
    """None where a statistic is undefined (e.g. kappa when both raters used a single label)."""
    return None if value is None or math.isnan(value) else round(float(value), 4)


def _kappa(first: Sequence[str], second: Sequence[str], labels: Sequence[str]) -> float | None:
    if not first:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # 0/0 when both used one label: reported as undefined
        return _number(cohen_kappa_score(first, second, labels=list(labels)))


def _annotator_pairs(
    segments: dict[str, dict[str, Annotation]],
) -> tuple[list[str], list[tuple[str, str, list[dict[str, Annotation]]]]]:
    """The annotators, and each pair of them with the segments both rated."""
    annotators = sorted({name for ratings in segments.values() for name in ratings})
    pairs = [
        (first, second, [r for r in segments.values() if first in r and second in r])
        for first, second in combinations(annotators, 2)
    ]
    return annotators, pairs


def _percent(agreeing: int, total: int) -> float | None:
    return _number(100 * agreeing / total) if total else None


def sentence_stance_agreement(annotations: Iterable[Annotation]) -> dict:
    segments = by_segment(annotations)
    annotators, annotator_pairs = _annotator_pairs(segments)
    pairs = []
    for first, second, shared in annotator_pairs:
        a = [r[first].stance.value for r in shared]
        b = [r[second].stance.value for r in shared]
        pairs.append(
            {
                "annotators": [first, second],
                "segments": len(shared),
                "percent_agreement": _percent(sum(x == y for x, y in zip(a, b)), len(shared)),
                "cohen_kappa": _kappa(a, b, STANCE_LABELS),
            }
        )
    rated_by_all = [r for r in segments.values() if len(annotators) >= 2 and len(r) == len(annotators)]
    fleiss = None
    if rated_by_all:
        table, _ = aggregate_raters(
            [[STANCE_LABELS.index(r[name].stance.value) for name in annotators] for r in rated_by_all],
            n_cat=len(STANCE_LABELS),
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            fleiss = _number(fleiss_kappa(table, method="fleiss"))
    alpha = nominal_alpha(
        {name: STANCE_LABELS.index(a.stance.value) for name, a in ratings.items()} for ratings in segments.values()
    )
    return {
        "annotators": annotators,
        "segments": len(segments),
        "segments_with_two_or_more": sum(len(r) >= 2 for r in segments.values()),
        "pairs": pairs,
        "fleiss_kappa": {"segments": len(rated_by_all), "value": fleiss},
        "krippendorff_alpha": {"segments": len(segments), "value": _number(alpha)},
    }


def _prf(span_scores: SpanScores) -> dict[str, int | float | None]:
    return {
        "matches": span_scores.matches,
        "precision": _number(span_scores.precision),
        "recall": _number(span_scores.recall),
        "f1": _number(span_scores.f1),
    }


def actor_span_agreement(annotations: Iterable[Annotation]) -> dict:
    """Per annotator pair (the first read as reference): span P/R/F1 and agreement on exactly matched spans."""
    segments = by_segment(annotations)
    annotators, annotator_pairs = _annotator_pairs(segments)
    pairs = []
    for first, second, shared in annotator_pairs:
        reference = sum(len(r[first].actors) for r in shared)
        predicted = sum(len(r[second].actors) for r in shared)
        exact_matches = overlap_matches = 0
        stances: tuple[list[str], list[str]] = ([], [])
        same_actor_id = 0
        for ratings in shared:
            mine, theirs = ratings[first].actors, ratings[second].actors
            mine_keys, their_keys = [span_key(span) for span in mine], [span_key(span) for span in theirs]
            for index, other in matching(mine_keys, their_keys, exact):
                exact_matches += 1
                stances[0].append(mine[index].stance.value)
                stances[1].append(theirs[other].stance.value)
                same_actor_id += mine[index].actor_id == theirs[other].actor_id
            overlap_matches += len(matching(mine_keys, their_keys, overlap))
        pairs.append(
            {
                "annotators": [first, second],
                "segments": len(shared),
                "spans": [reference, predicted],
                "exact": _prf(scores(exact_matches, reference, predicted)),
                "overlap": _prf(scores(overlap_matches, reference, predicted)),
                "matched_span_stance": {
                    "spans": exact_matches,
                    "percent_agreement": _percent(sum(a == b for a, b in zip(*stances)), exact_matches),
                    "cohen_kappa": _kappa(*stances, STANCE_LABELS),
                },
                "matched_span_actor_id": {
                    "spans": exact_matches,
                    "percent_agreement": _percent(same_actor_id, exact_matches),
                },
            }
        )
    return {"annotators": annotators, "pairs": pairs}


@dataclass(frozen=True)
class Tie:
    """A segment left out of gold: what is tied, for an adjudicator to settle in Label Studio."""

    segment_id: str
    article_id: str
    text: str
    problem: str


class _Tied(Enum):
    TIED = "tied"


TIED = _Tied.TIED  # not None: "no actor id" can be the majority value
Vote = TypeVar("Vote")


def _winner(votes: Counter[Vote]) -> Vote | Literal[_Tied.TIED]:
    """The value most annotators chose, or TIED when two values share the top count."""
    ranked = votes.most_common()
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return TIED
    return ranked[0][0]


def adjudicate(annotations: Iterable[Annotation], adjudicator: str | None = None) -> tuple[list[Annotation], list[Tie]]:
    """Gold labels (annotator "gold") by majority, and the ties left out.

    A segment the adjudicator annotated takes the adjudicator's labels. Otherwise the sentence stance is the
    majority one; a span (exact start, end, type) is kept when more than half the annotators marked it, with the
    majority stance and actor id; a span marked by exactly half of them, or any tied vote, makes the segment a tie.
    """
    gold: list[Annotation] = []
    ties: list[Tie] = []
    for segment_id, ratings in sorted(by_segment(annotations).items()):
        any_rating = next(iter(ratings.values()))
        if adjudicator in ratings:
            gold.append(replace(ratings[adjudicator], annotator=GOLD_ANNOTATOR))
            continue
        voters = list(ratings.values())
        problems = []
        stance = _winner(Counter(a.stance for a in voters))
        if stance is TIED:
            problems.append(f"sentence stance {_votes(Counter(a.stance.value for a in voters))}")
        spans: dict[Span, list[ActorSpan]] = defaultdict(list)
        for annotation in voters:
            for span in annotation.actors:
                spans[span_key(span)].append(span)
        kept = []
        for key, marked in sorted(spans.items()):
            label = f"span {marked[0].text!r} {key[0]}..{key[1]} {key[2]}"
            if 2 * len(marked) == len(voters):
                problems.append(f"{label} marked by {len(marked)} of {len(voters)}")
                continue
            if 2 * len(marked) < len(voters):
                continue
            span_stance = _winner(Counter(span.stance for span in marked))
            actor_id = _winner(Counter(span.actor_id for span in marked))
            if span_stance is TIED:
                problems.append(f"{label} stance {_votes(Counter(s.stance.value for s in marked))}")
            if actor_id is TIED:
                problems.append(f"{label} actor id {_votes(Counter(str(s.actor_id) for s in marked))}")
            if span_stance is TIED or actor_id is TIED:
                continue
            kept.append(replace(marked[0], stance=span_stance, actor_id=actor_id))
        if problems or stance is TIED:
            ties.append(Tie(segment_id, any_rating.article_id, any_rating.text, "; ".join(problems)))
            continue
        updated = [a.updated_at for a in voters if a.updated_at]
        gold.append(
            replace(
                any_rating,
                annotator=GOLD_ANNOTATOR,
                stance=stance,
                actors=tuple(kept),
                created_at=min((a.created_at for a in voters if a.created_at), default=None),
                updated_at=max(updated, default=None),
            )
        )
    return gold, ties


def _votes(votes: Counter[str]) -> str:
    return "tied: " + ", ".join(f"{value} x{count}" for value, count in sorted(votes.items()))
