"""Agreement with bootstrap CIs over articles (corpus/agreement_ci.py) on hand-made passes whose figures are worked
out below by hand, and checked against scikit-learn's kappa and the krippendorff package."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score
from stance_corpus.corpus.agreement_ci import (
    Rating,
    interval_text,
    pair_agreement,
    pair_dict,
    passes,
    rating_of,
)
from stance_corpus.corpus.reliability import nominal_alpha
from stance_corpus.corpus.schema import ActorSpan, Annotation

STANCES = ("FAVOR", "AGAINST", "NONE")
G = "GOVERNMENT"
# Article a1: the passes agree on all four units; article a2: on two of four (u5 F/N, u8 N/F).
PASSES = {
    # unit: (article, stance of x, stance of y, spans of x, spans of y)
    "u1": ("a1", "FAVOR", "FAVOR", ((0, 5, G),), ((0, 5, G),)),
    "u2": ("a1", "AGAINST", "AGAINST", (), ()),
    "u3": ("a1", "NONE", "NONE", (), ()),
    "u4": ("a1", "NONE", "NONE", (), ()),
    "u5": ("a2", "FAVOR", "NONE", ((0, 5, G),), ((0, 4, G),)),  # an overlap, not an exact match
    "u6": ("a2", "NONE", "NONE", (), ()),
    "u7": ("a2", "AGAINST", "AGAINST", (), ()),
    "u8": ("a2", "NONE", "FAVOR", (), ()),
}


def ratings(units: dict = PASSES) -> list[Rating]:
    return [
        Rating(article, unit, name, stance, spans)
        for unit, (article, first, second, first_spans, second_spans) in units.items()
        for name, stance, spans in (("x", first, first_spans), ("y", second, second_spans))
    ]


def test_figures_and_intervals_over_articles_are_the_hand_computed_ones() -> None:
    pair = pair_agreement(ratings(), "x", "y", STANCES)
    assert (pair.units, pair.articles, pair.spans) == (8, 2, (2, 2))
    # p_o = 6/8; marginals x: F2 A2 N4, y: F2 A2 N4, p_e = (4 + 4 + 16) / 64 = 0.375; kappa = 0.375 / 0.625.
    assert pair.cohen_kappa.value == pytest.approx(0.6)
    # Coincidences: 16 values, n_F = 4, n_A = 4, n_N = 8, 4 disagreeing; D_e = (256 - 96) / 15; 1 - 4 / D_e.
    assert pair.krippendorff_alpha.value == pytest.approx(0.625)
    assert pair.percent_agreement.value == pytest.approx(75.0)
    assert pair.span_f1_exact.value == pytest.approx(0.5)  # 2 * 1 match / (2 + 2) spans
    assert pair.span_f1_overlap.value == pytest.approx(1.0)
    first = [PASSES[u][1] for u in sorted(PASSES)]
    second = [PASSES[u][2] for u in sorted(PASSES)]
    assert pair.cohen_kappa.value == pytest.approx(cohen_kappa_score(first, second, labels=list(STANCES)))
    units = [{"x": STANCES.index(a), "y": STANCES.index(b)} for a, b in zip(first, second, strict=True)]
    assert pair.krippendorff_alpha.value == pytest.approx(nominal_alpha(units))

    # Two articles: a resample is a1 twice, a2 twice (each about 1 in 4 of 1,000) or both, so the 2.5 and 97.5
    # percentiles are the figures of a2 alone and a1 alone. a2 twice: p_o = 1/2, p_e = 6/16, kappa 0.2; its
    # coincidences have the marginals above and 8 disagreeing: alpha 1 - 8 * 15 / 160 = 0.25.
    for estimate, low, high in (
        (pair.cohen_kappa, 0.2, 1.0),
        (pair.krippendorff_alpha, 0.25, 1.0),
        (pair.percent_agreement, 50.0, 100.0),
        (pair.span_f1_exact, 0.0, 1.0),
        (pair.span_f1_overlap, 1.0, 1.0),
    ):
        assert (estimate.low, estimate.high, estimate.undefined_resamples) == (
            pytest.approx(low), pytest.approx(high), 0
        )
    assert interval_text(pair.cohen_kappa) == "0.600 [0.200, 1.000]"
    # Seeded: the same data give the same interval, whatever order the ratings come in.
    assert pair_agreement(list(reversed(ratings())), "x", "y", STANCES) == pair


def test_one_article_has_no_interval_and_a_single_label_no_kappa() -> None:
    one = {unit: labels for unit, labels in PASSES.items() if labels[0] == "a2"}
    pair = pair_agreement(ratings(one), "x", "y", STANCES)
    assert (pair.articles, pair.cohen_kappa.value, pair.cohen_kappa.low, pair.cohen_kappa.high) == (
        1, pytest.approx(0.2), None, None
    )
    assert interval_text(pair.cohen_kappa) == "0.200"
    same = {f"u{n}": (f"a{n}", "NONE", "NONE", (), ()) for n in range(3)}
    pair = pair_agreement(ratings(same), "x", "y", STANCES)
    assert pair.cohen_kappa.value is None and pair.krippendorff_alpha.value is None
    assert pair.percent_agreement.value == pytest.approx(100.0) and pair.span_f1_exact.value is None
    assert interval_text(pair.cohen_kappa) == "undefined"
    assert pair_dict(pair)["cohen_kappa"] == {"value": None, "ci": None, "undefined_resamples": 0}


def test_undefined_resamples_are_left_out_and_counted() -> None:
    # a1 agrees on NONE only (kappa undefined on a1 alone), a2 disagrees: resamples of a1 twice are undefined.
    units = {
        "u1": ("a1", "NONE", "NONE", (), ()),
        "u2": ("a2", "FAVOR", "NONE", (), ()),
    }
    pair = pair_agreement(ratings(units), "x", "y", STANCES)
    # The resamples draw article positions (sorted ids: a1 is 0) with numpy's default_rng(0): a1 twice is undefined.
    drawn = np.random.default_rng(0).integers(0, 2, size=(1000, 2))
    assert pair.cohen_kappa.undefined_resamples == int((drawn.sum(axis=1) == 0).sum())
    assert pair.cohen_kappa.value == pytest.approx(0.0)  # p_o = 1/2, p_e = (1 * 0 + 1 * 2) / 4 = 1/2


def test_passes_are_the_annotators_with_most_ratings_and_store_records_convert() -> None:
    adjudicated = [*ratings(), Rating("a2", "u5", "judge", "NONE")]
    assert passes(adjudicated) == ("x", "y")
    span = ActorSpan(3, 9, "regime", "GOVERNMENT", "syrian_government", "AGAINST")
    record = Annotation("s1", "a1", "The regime", "syria_peace", "x", "AGAINST", actors=(span,))
    assert rating_of(record) == Rating("a1", "s1", "x", "AGAINST", ((3, 9, "GOVERNMENT"),))
