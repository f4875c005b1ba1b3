"""Krippendorff's alpha of nominal labels: one definition for `stance-corpus agreement` and a release's card."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import krippendorff
import numpy as np


def nominal_alpha(units: Iterable[Mapping[str, int]]) -> float | None:
    """Krippendorff's alpha (nominal) over units (segments), each mapping annotator -> label index.

    None where alpha is undefined: fewer than two annotators, no unit labelled by two, or a single label in all
    the data (alpha would be 0/0).
    """
    units = list(units)
    annotators = {name: row for row, name in enumerate(sorted({name for unit in units for name in unit}))}
    labels = {label for unit in units for label in unit.values()}
    if len(annotators) < 2 or len(labels) < 2 or all(len(unit) < 2 for unit in units):
        return None
    matrix = np.full((len(annotators), len(units)), np.nan)  # annotator x unit, NaN where one did not label
    for column, unit in enumerate(units):
        for name, label in unit.items():
            matrix[annotators[name], column] = label
    return float(krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal"))
