"""Span precision, recall and F1: the one definition behind annotator agreement (`stance-corpus agreement`), the
actor baselines (`stance-corpus baseline`) and the gazetteer benchmark (`benchmarks/gazetteer.py`).

A span is `(start, end, label)`: character offsets into its sentence and what identifies it, the actor type or the
actor id (`span_key(span, by=...)`). The spans of one sentence are matched one to one, each span at most once:

    exact    same start, end and label
    overlap  same label and at least one shared character; the largest one-to-one matching there is

Over all sentences, with `reference` and `predicted` the numbers of spans on each side:

    precision = matches / predicted      recall = matches / reference      F1 = 2 * matches / (reference + predicted)

(F1 is the harmonic mean of precision and recall). A figure is None where it is undefined, never 0.0: precision
without a predicted span, recall without a reference span, F1 without either. "Nothing to score" is not
"scored zero".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from stance_corpus.corpus.schema import ActorSpan

Span = tuple[int, int, str | None]
"""(start, end, label): offsets into the sentence; the label is the actor type or the actor id (None: unknown)."""

SpanLabel = Literal["type", "actor_id"]
MATCHINGS: tuple[str, ...] = ("exact", "overlap")


@dataclass(frozen=True, slots=True)
class SpanScores:
    """Matches and precision, recall, F1 of one matching over a set of sentences (None where undefined)."""

    matches: int
    reference: int
    predicted: int
    precision: float | None
    recall: float | None
    f1: float | None


def span_key(span: ActorSpan, by: SpanLabel = "type") -> Span:
    """The span as (start, end, label), labelled by its actor type or by its actor id."""
    return span.start, span.end, span.type if by == "type" else span.actor_id


def exact(first: Span, second: Span) -> bool:
    """Same offsets and label."""
    return first == second


def overlap(first: Span, second: Span) -> bool:
    """Same label and at least one shared character."""
    return first[2] == second[2] and first[0] < second[1] and second[0] < first[1]


MATCHES: dict[str, Callable[[Span, Span], bool]] = {"exact": exact, "overlap": overlap}


def matching(reference: Sequence[Span], predicted: Sequence[Span], matches: Callable[[Span, Span], bool]) -> list[
    tuple[int, int]
]:
    """The largest one-to-one matching of one sentence's spans: (reference index, predicted index) pairs, sorted.

    Augmenting paths (Kuhn's algorithm), reference spans tried in order: a sentence holds a handful of spans.
    """
    partner: dict[int, int] = {}  # predicted index -> reference index

    def augment(reference_index: int, visited: set[int]) -> bool:
        for predicted_index, candidate in enumerate(predicted):
            if predicted_index in visited or not matches(reference[reference_index], candidate):
                continue
            visited.add(predicted_index)
            if predicted_index not in partner or augment(partner[predicted_index], visited):
                partner[predicted_index] = reference_index
                return True
        return False

    for reference_index in range(len(reference)):
        augment(reference_index, set())
    return sorted((reference_index, predicted_index) for predicted_index, reference_index in partner.items())


def span_scores(sentences: Iterable[tuple[Sequence[Span], Sequence[Span]]]) -> dict[str, SpanScores]:
    """Exact and overlap scores over sentences, each given as (reference spans, predicted spans)."""
    pairs = list(sentences)
    reference = sum(len(spans) for spans, _ in pairs)
    predicted = sum(len(spans) for _, spans in pairs)
    return {
        name: scores(sum(len(matching(gold, found, matches)) for gold, found in pairs), reference, predicted)
        for name, matches in MATCHES.items()
    }


def scores(matches: int, reference: int, predicted: int) -> SpanScores:
    """Precision, recall and F1 from counts (module docstring)."""
    return SpanScores(
        matches=matches,
        reference=reference,
        predicted=predicted,
        precision=matches / predicted if predicted else None,
        recall=matches / reference if reference else None,
        f1=2 * matches / (reference + predicted) if reference + predicted else None,
    )
