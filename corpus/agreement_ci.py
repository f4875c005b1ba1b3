"""Agreement between two annotation passes with bootstrap confidence intervals over articles: the one definition
behind `stance-corpus agreement` (labeling/agreement.py) and the agreement section of a release's card
(corpus/release/card.py).

For one target, two annotators (the passes) and the units (segments) both rated:

    Cohen's kappa         (p_o - p_e) / (1 - p_e) from the confusion matrix of their sentence stances
    Krippendorff's alpha  nominal, 1 - (n - 1) * D_o / D_e from the coincidence matrix (C + C^T for two raters)
    actor span F1         exact and overlap one-to-one matches of their spans, the rules of corpus/spans.py
                          (the first annotator read as reference; F1 is symmetric)

Each figure is None where it is undefined (kappa and alpha when the two used a single label between them, span F1
without spans), never 0. Its 95 % interval is a percentile bootstrap that resamples whole **articles** with
replacement (a cluster bootstrap: sentences of one article share wording, actors and the annotator's reading of
the text, so resampling sentences one by one would give intervals that are too narrow): BOOTSTRAP_RESAMPLES
resamples drawn by `numpy.random.default_rng(seed)`, so the same data give the same interval, and a card built twice
is byte-identical. Resamples where a figure is undefined are left out of its interval and counted. With fewer than
two articles there is nothing to resample: the interval is None.

Every figure is a function of per-article counts (a confusion matrix, span matches and span totals), which add up:
a resample is a weighted sum of the articles' counts, so 1,000 resamples cost one matrix product.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from stance_corpus.corpus.schema import Annotation
from stance_corpus.corpus.spans import Span, exact, matching, overlap, span_key

Counts = npt.NDArray[np.int64]
"""Per-article (or per-resample) counts: a flattened confusion matrix, exact and overlap span matches, spans of each."""
_Figure = Callable[[Counts, int], "float | None"]
BOOTSTRAP_RESAMPLES = 1000
CONFIDENCE = 0.95
BOOTSTRAP_SEED = 0
# The figures of a PairAgreement, in the order the card and `stance-corpus agreement` show them.
FIGURES = ("percent_agreement", "cohen_kappa", "krippendorff_alpha", "span_f1_exact", "span_f1_overlap")
METHOD = (
    f"percentile bootstrap over articles (cluster bootstrap), {BOOTSTRAP_RESAMPLES} resamples, "
    f"numpy default_rng({BOOTSTRAP_SEED})"
)


@dataclass(frozen=True, slots=True)
class Rating:
    """One annotator's labels of one unit (a segment, for one target): its sentence stance and actor spans."""

    article_id: str
    unit: str
    annotator: str
    stance: str
    spans: tuple[Span, ...] = ()


@dataclass(frozen=True, slots=True)
class Estimate:
    """A figure and its bootstrap interval (None where undefined); `undefined_resamples`: resamples left out of the
    interval because the figure is undefined on them."""

    value: float | None
    low: float | None
    high: float | None
    undefined_resamples: int = 0


@dataclass(frozen=True, slots=True)
class PairAgreement:
    """Agreement of two annotators on the units both rated, each figure with its interval over articles."""

    annotators: tuple[str, str]
    units: int
    articles: int
    spans: tuple[int, int]  # actor spans of each annotator on those units
    percent_agreement: Estimate  # sentence stance, in %
    cohen_kappa: Estimate
    krippendorff_alpha: Estimate
    span_f1_exact: Estimate
    span_f1_overlap: Estimate
    resamples: int
    seed: int
    confidence: float


def passes(ratings: Iterable[Rating], count: int = 2) -> tuple[str, ...]:
    """The `count` annotators with the most ratings (ties by name): the passes, when an adjudicator who labelled
    only the disagreements is among the annotators."""
    rated = Counter(rating.annotator for rating in ratings)
    return tuple(sorted(rated, key=lambda name: (-rated[name], name))[:count])


def pair_agreement(
    ratings: Iterable[Rating],
    first: str,
    second: str,
    stances: Sequence[str],
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
    confidence: float = CONFIDENCE,
) -> PairAgreement:
    """The agreement of annotators `first` and `second` on the units both rated (`stances`: the label set, in
    order), with percentile bootstrap intervals over articles (module docstring)."""
    by_unit: dict[str, dict[str, Rating]] = defaultdict(dict)
    for rating in ratings:
        if rating.annotator in (first, second):
            by_unit[rating.unit][rating.annotator] = rating
    shared = [(unit[first], unit[second]) for _, unit in sorted(by_unit.items()) if first in unit and second in unit]
    labels = {label: index for index, label in enumerate(stances)}
    articles = sorted({mine.article_id for mine, _ in shared})
    position = {article: index for index, article in enumerate(articles)}
    k = len(stances)
    counts = np.zeros((len(articles), k * k + 4), dtype=np.int64)  # confusion matrix, exact, overlap, spans a, b
    for mine, theirs in shared:
        row = counts[position[mine.article_id]]
        row[labels[mine.stance] * k + labels[theirs.stance]] += 1
        row[k * k] += len(matching(mine.spans, theirs.spans, exact))
        row[k * k + 1] += len(matching(mine.spans, theirs.spans, overlap))
        row[k * k + 2] += len(mine.spans)
        row[k * k + 3] += len(theirs.spans)
    totals = counts.sum(axis=0)
    replicates = _resampled(counts, resamples, seed) if len(articles) >= 2 else None

    def estimate(figure: _Figure) -> Estimate:
        return _estimate(figure, totals, replicates, confidence, k)

    return PairAgreement(
        annotators=(first, second),
        units=len(shared),
        articles=len(articles),
        spans=(int(totals[k * k + 2]), int(totals[k * k + 3])),
        percent_agreement=estimate(_percent),
        cohen_kappa=estimate(_kappa),
        krippendorff_alpha=estimate(_alpha),
        span_f1_exact=estimate(lambda row, k: _f1(row, k, k * k)),
        span_f1_overlap=estimate(lambda row, k: _f1(row, k, k * k + 1)),
        resamples=resamples,
        seed=seed,
        confidence=confidence,
    )


def _resampled(counts: Counts, resamples: int, seed: int) -> Counts:
    """resamples x columns: the counts of each resample of the articles (drawn with replacement)."""
    rng = np.random.default_rng(seed)
    articles = len(counts)
    drawn = rng.integers(0, articles, size=(resamples, articles))
    weights = np.zeros((resamples, articles), dtype=np.int64)
    np.add.at(weights, (np.repeat(np.arange(resamples), articles), drawn.ravel()), 1)
    resampled: Counts = weights @ counts
    return resampled


def _estimate(
    figure: _Figure, totals: Counts, replicates: Counts | None, confidence: float, k: int
) -> Estimate:
    value = figure(totals, k)
    if replicates is None or value is None:
        return Estimate(value, None, None, 0)
    values = [figure(row, k) for row in replicates]
    defined = np.array([v for v in values if v is not None], dtype=float)
    undefined = len(values) - len(defined)
    if not len(defined):
        return Estimate(value, None, None, undefined)
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(defined, [tail, 100 - tail])
    return Estimate(value, float(low), float(high), undefined)


def _confusion(row: Counts, k: int) -> npt.NDArray[np.float64]:
    return row[: k * k].reshape(k, k).astype(float)


def _percent(row: Counts, k: int) -> float | None:
    confusion = _confusion(row, k)
    total = confusion.sum()
    return float(100 * np.trace(confusion) / total) if total else None


def _kappa(row: Counts, k: int) -> float | None:
    confusion = _confusion(row, k)
    total = confusion.sum()
    if not total:
        return None
    observed = np.trace(confusion) / total
    expected = float(confusion.sum(axis=1) @ confusion.sum(axis=0)) / total**2
    return None if expected >= 1 else float((observed - expected) / (1 - expected))


def _alpha(row: Counts, k: int) -> float | None:
    confusion = _confusion(row, k)
    coincidence = confusion + confusion.T  # two raters: every unit is one pair of values, counted both ways
    per_value = coincidence.sum(axis=1)
    n = per_value.sum()
    disagreeing = coincidence.sum() - np.trace(coincidence)
    expected = (n * n - float(per_value @ per_value)) / (n - 1) if n > 1 else 0.0
    return None if expected <= 0 else float(1 - disagreeing / expected)


def _f1(row: Counts, k: int, column: int) -> float | None:
    spans = row[k * k + 2] + row[k * k + 3]
    return float(2 * row[column] / spans) if spans else None


def rating_of(annotation: Annotation) -> Rating:
    """The Rating of a store record (its spans keyed by offsets and actor type, `corpus.spans.span_key`)."""
    return Rating(
        annotation.article_id,
        annotation.segment_id,
        annotation.annotator,
        annotation.stance,
        tuple(span_key(span) for span in annotation.actors),
    )


def estimate_dict(estimate: Estimate, digits: int = 4) -> dict[str, Any]:
    """An Estimate as JSON: value, [low, high] (null where undefined) and the undefined resamples."""

    def rounded(number: float | None) -> float | None:
        return None if number is None else round(number, digits)

    interval = None if estimate.low is None else [rounded(estimate.low), rounded(estimate.high)]
    return {"value": rounded(estimate.value), "ci": interval, "undefined_resamples": estimate.undefined_resamples}


def pair_dict(pair: PairAgreement) -> dict[str, Any]:
    """A PairAgreement as JSON (what `stance-corpus agreement --json` writes per annotator pair)."""
    return {
        "annotators": list(pair.annotators),
        "units": pair.units,
        "articles": pair.articles,
        "spans": list(pair.spans),
        **{name: estimate_dict(getattr(pair, name)) for name in FIGURES},
    }


def interval_text(estimate: Estimate, digits: int = 3) -> str:
    """'0.712 [0.655, 0.768]'; 'undefined' without a value; the value alone without an interval."""
    if estimate.value is None:
        return "undefined"
    if estimate.low is None or estimate.high is None:
        return f"{estimate.value:.{digits}f}"
    return f"{estimate.value:.{digits}f} [{estimate.low:.{digits}f}, {estimate.high:.{digits}f}]"
