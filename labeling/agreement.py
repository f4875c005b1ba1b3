"""Inter-annotator agreement and adjudication: pure functions over lists of Annotation records, per target.

Sentence stance: Cohen's kappa per annotator pair (scikit-learn), Fleiss' kappa on the segments every annotator
rated (statsmodels), Krippendorff's alpha with missing ratings (corpus.reliability). Actor spans: pairwise
precision/recall/F1 on exact (start, end, type) and overlap (same type, shared characters) one-to-one matches
(corpus.spans), and agreement on the stance and actor id of exactly matched spans. Per annotator pair, Cohen's kappa,
Krippendorff's alpha and span F1 with bootstrap CIs over articles (corpus.agreement_ci, the definition the release
card uses too). `agreement_per_target` computes all of them for each target of a scheme; `adjudicate` turns the
majority of each (segment, target) into gold and lists ties and the units an annotator flagged as needing
adjudication (with their comments): the adjudication queue.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import combinations
from typing import Any, Generic, TypeVar

from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import cohen_kappa_score
from stance_corpus.corpus.agreement_ci import METHOD, pair_agreement, pair_dict, rating_of
from stance_corpus.corpus.reliability import nominal_alpha
from stance_corpus.corpus.schema import GOLD_ANNOTATOR, ActorSpan, Annotation, Scheme
from stance_corpus.corpus.spans import Span, SpanScores, exact, matching, overlap, scores, span_key
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

Unit = tuple[str, str]
"""(segment id, target id): what a stance label is given to."""


def by_unit(annotations: Iterable[Annotation]) -> dict[Unit, dict[str, Annotation]]:
    """(segment id, target id) -> annotator -> annotation (gold left out)."""
    grouped: dict[Unit, dict[str, Annotation]] = defaultdict(dict)
    for annotation in annotations:
        if annotation.annotator != GOLD_ANNOTATOR:
            grouped[(annotation.segment_id, annotation.target)][annotation.annotator] = annotation
    return dict(grouped)


def agreement_per_target(annotations: Iterable[Annotation], scheme: Scheme) -> dict[str, dict[str, Any]]:
    """target id -> {"sentence_stance": ..., "actor_spans": ...} for every target with annotations, in scheme order."""
    annotations = list(annotations)
    figures: dict[str, dict[str, Any]] = {}
    for target in scheme.targets:
        mine = [a for a in annotations if a.target == target.id]
        if mine:
            figures[target.id] = {
                "sentence_stance": sentence_stance_agreement(mine, scheme.stance_names),
                "actor_spans": actor_span_agreement(mine, scheme.stance_names),
                "intervals": pair_intervals(mine, scheme.stance_names),
            }
    return figures


def pair_intervals(annotations: Iterable[Annotation], stances: Sequence[str]) -> dict[str, Any]:
    """Per annotator pair (of one target's annotations): kappa, alpha and span F1 with bootstrap CIs over articles
    (corpus.agreement_ci)."""
    ratings = [rating_of(a) for a in annotations if a.annotator != GOLD_ANNOTATOR]
    _, pairs = _annotator_pairs(by_unit(annotations))
    return {
        "method": METHOD,
        "pairs": [pair_dict(pair_agreement(ratings, first, second, stances)) for first, second, _ in pairs],
    }


def _number(value: float | None) -> float | None:
    """None where a statistic is undefined (e.g. kappa when both raters used a single label)."""
    return None if value is None or math.isnan(value) else round(float(value), 4)


def _kappa(first: Sequence[str], second: Sequence[str], labels: Sequence[str]) -> float | None:
    if not first:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # 0/0 when both used one label: reported as undefined
        warnings.simplefilter("ignore", UndefinedMetricWarning)  # scikit-learn 1.9's word for the same
        return _number(cohen_kappa_score(first, second, labels=list(labels)))


def _annotator_pairs(
    segments: dict[Unit, dict[str, Annotation]],
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


def sentence_stance_agreement(annotations: Iterable[Annotation], stances: Sequence[str]) -> dict:
    """Sentence stance agreement of the annotations (of one target: a segment is one unit), `stances` the labels."""
    segments = by_unit(annotations)
    annotators, annotator_pairs = _annotator_pairs(segments)
    pairs = []
    for first, second, shared in annotator_pairs:
        a = [r[first].stance for r in shared]
        b = [r[second].stance for r in shared]
        pairs.append(
            {
                "annotators": [first, second],
                "segments": len(shared),
                "percent_agreement": _percent(sum(x == y for x, y in zip(a, b)), len(shared)),
                "cohen_kappa": _kappa(a, b, stances),
            }
        )
    rated_by_all = [r for r in segments.values() if len(annotators) >= 2 and len(r) == len(annotators)]
    fleiss = None
    if rated_by_all:
        table, _ = aggregate_raters(
            [[stances.index(r[name].stance) for name in annotators] for r in rated_by_all],
            n_cat=len(stances),
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            fleiss = _number(fleiss_kappa(table, method="fleiss"))
    alpha = nominal_alpha(
        {name: stances.index(a.stance) for name, a in ratings.items()} for ratings in segments.values()
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


def actor_span_agreement(annotations: Iterable[Annotation], stances: Sequence[str]) -> dict:
    """Per annotator pair (the first read as reference): span P/R/F1 and agreement on exactly matched spans."""
    segments = by_unit(annotations)
    annotators, annotator_pairs = _annotator_pairs(segments)
    pairs = []
    for first, second, shared in annotator_pairs:
        reference = sum(len(r[first].actors) for r in shared)
        predicted = sum(len(r[second].actors) for r in shared)
        exact_matches = overlap_matches = 0
        span_stances: tuple[list[str], list[str]] = ([], [])
        same_actor_id = 0
        for ratings in shared:
            mine, theirs = ratings[first].actors, ratings[second].actors
            mine_keys, their_keys = [span_key(span) for span in mine], [span_key(span) for span in theirs]
            for index, other in matching(mine_keys, their_keys, exact):
                exact_matches += 1
                span_stances[0].append(mine[index].stance)
                span_stances[1].append(theirs[other].stance)
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
                    "percent_agreement": _percent(sum(a == b for a, b in zip(*span_stances)), exact_matches),
                    "cohen_kappa": _kappa(*span_stances, stances),
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
    """A (segment, target) left out of gold: what is tied, for an adjudicator to settle in Label Studio."""

    segment_id: str
    target: str
    article_id: str
    text: str
    problem: str


Value = TypeVar("Value", bound=Hashable | None)


@dataclass(frozen=True)
class Majority(Generic[Value]):
    """The value most voters chose; `tied` when two values share the top count (then `value` is one of them)."""

    value: Value
    tied: bool

    @staticmethod
    def of(votes: Counter[Value]) -> Majority[Value]:
        ranked = votes.most_common()
        return Majority(ranked[0][0], tied=len(ranked) > 1 and ranked[0][1] == ranked[1][1])


def adjudicate(annotations: Iterable[Annotation], adjudicator: str | None = None) -> tuple[list[Annotation], list[Tie]]:
    """Gold labels (annotator "gold") of every (segment, target) by majority, and the ties left out.

    A unit the adjudicator annotated takes the adjudicator's labels. Otherwise the sentence stance is the
    majority one; a span (exact start, end, type) is kept when more than half the annotators marked it, with the
    majority stance and actor id; a span marked by exactly half of them, or any tied vote, makes the unit a tie.
    A unit that an annotator flagged as needing adjudication is never decided by majority: it is listed with the
    flags and every comment on it. Gold carries no flag, and the adjudicator's comment and rule only.
    """
    gold: list[Annotation] = []
    ties: list[Tie] = []
    for _, ratings in sorted(by_unit(annotations).items()):
        decided = _adjudicate_unit(ratings, adjudicator)
        if isinstance(decided, Tie):
            ties.append(decided)
        else:
            gold.append(decided)
    return gold, ties


def _adjudicate_unit(ratings: dict[str, Annotation], adjudicator: str | None) -> Annotation | Tie:
    if adjudicator in ratings:
        return replace(ratings[adjudicator], annotator=GOLD_ANNOTATOR, needs_adjudication=False)
    voters = list(ratings.values())
    problems = [f"flagged for adjudication by {a.annotator}" for a in voters if a.needs_adjudication]
    if problems:
        problems += [f"comment by {a.annotator}: {a.comment!r}" for a in voters if a.comment]
    stance = Majority.of(Counter(a.stance for a in voters))
    if stance.tied:
        problems.append(f"sentence stance {_votes(Counter(a.stance for a in voters))}")
    spans, span_problems = _gold_spans(voters)
    problems.extend(span_problems)
    first = voters[0]
    if problems:
        return Tie(first.segment_id, first.target, first.article_id, first.text, "; ".join(problems))
    updated = [a.updated_at for a in voters if a.updated_at]
    return replace(
        first,
        annotator=GOLD_ANNOTATOR,
        stance=stance.value,
        actors=tuple(spans),
        created_at=min((a.created_at for a in voters if a.created_at), default=None),
        updated_at=max(updated, default=None),
        comment=None,
        rule=None,
    )


def _gold_spans(voters: Sequence[Annotation]) -> tuple[list[ActorSpan], list[str]]:
    """The spans more than half the voters marked, with their majority stance and actor id; and what is tied."""
    spans: dict[Span, list[ActorSpan]] = defaultdict(list)
    for annotation in voters:
        for span in annotation.actors:
            spans[span_key(span)].append(span)
    kept: list[ActorSpan] = []
    problems: list[str] = []
    for key, marked in sorted(spans.items()):
        label = f"span {marked[0].text!r} {key[0]}..{key[1]} {key[2]}"
        if 2 * len(marked) == len(voters):
            problems.append(f"{label} marked by {len(marked)} of {len(voters)}")
            continue
        if 2 * len(marked) < len(voters):
            continue
        stance = Majority.of(Counter(span.stance for span in marked))
        actor_id = Majority.of(Counter(span.actor_id for span in marked))
        if stance.tied:
            problems.append(f"{label} stance {_votes(Counter(s.stance for s in marked))}")
        if actor_id.tied:
            problems.append(f"{label} actor id {_votes(Counter(str(s.actor_id) for s in marked))}")
        kept.append(replace(marked[0], stance=stance.value, actor_id=actor_id.value))
    return kept, problems


def _votes(votes: Counter[str]) -> str:
    return "tied: " + ", ".join(f"{value} x{count}" for value, count in sorted(votes.items()))
