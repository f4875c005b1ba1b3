"""The evaluation protocol of the baselines.

A dataset is evaluated on its held-out `test` split when its `train` split is big enough to train on:
at least MIN_TRAIN_ROWS labelled rows and every class that occurs anywhere in the dataset (models are fitted on
train + validation, C chosen by cross-validation on those rows). A dataset with such a train split and a
`validation` split but no `test` split (a development release, e.g. SemEval-2016's train and validation) is
evaluated on validation, models fitted on train. Otherwise ("too small", the seed corpus today)
every labelled row is predicted once by cross-validation: GroupKFold by article when there are >= 2 articles,
else StratifiedKFold with as many folds as the smallest class allows (at most MAX_FOLDS). The report says which.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import GroupKFold, StratifiedKFold
from stance_corpus.baselines.data import GROUP, LABEL, SPLIT, StanceData

MIN_TRAIN_ROWS = 100
MAX_FOLDS = 5


@dataclass(frozen=True)
class Protocol:
    """How a dataset is evaluated: which rows each model is fitted on and which it predicts."""

    kind: str  # "held-out" or "cross-validation"
    evaluated_split: str | None  # "test" or "validation" when held out; None for cross-validation
    description: str
    folds: list[tuple[np.ndarray, np.ndarray]]  # (fit rows, evaluated rows) as positions in the frame
    training_rows: np.ndarray  # what the saved models are fitted on
    splitter: GroupKFold | StratifiedKFold  # the cross-validation used for the learning curve


def cross_validation(labels: np.ndarray, groups: np.ndarray, seed: int) -> tuple[GroupKFold | StratifiedKFold, str]:
    """GroupKFold by article when there are >= 2 articles, else StratifiedKFold; and a sentence saying which."""
    articles = len(set(groups))
    if articles >= 2:
        folds = min(MAX_FOLDS, articles)
        return GroupKFold(n_splits=folds), f"GroupKFold by article, {folds} folds over {articles} articles"
    smallest = int(np.unique(labels, return_counts=True)[1].min())
    folds = max(2, min(MAX_FOLDS, smallest))
    return (
        StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed),
        f"StratifiedKFold, {folds} folds (one article, so no grouping; the smallest class has {smallest} rows)",
    )


def groups_for(splitter: GroupKFold | StratifiedKFold, groups: np.ndarray) -> np.ndarray | None:
    """The groups to pass to `splitter.split`: the articles for GroupKFold, None for the others."""
    return groups if isinstance(splitter, GroupKFold) else None


def choose_protocol(data: StanceData, seed: int) -> Protocol:
    """The protocol for this dataset (module docstring)."""
    frame = data.frame
    labels, groups = frame[LABEL].to_numpy(), frame[GROUP].to_numpy()
    train = frame[SPLIT] == "train"
    test = frame[SPLIT] == "test"
    validation = frame[SPLIT] == "validation"
    missing = sorted(set(labels) - set(labels[train]))
    if train.sum() >= MIN_TRAIN_ROWS and not missing and (test.any() or validation.any()):
        evaluated = "test" if test.any() else "validation"
        fitted_on = ["train", "validation"] if evaluated == "test" else ["train"]
        fit_rows = np.flatnonzero(frame[SPLIT].isin(fitted_on))
        eval_rows = np.flatnonzero(frame[SPLIT] == evaluated)
        splitter, how = cross_validation(labels[fit_rows], groups[fit_rows], seed)
        named = " + ".join(split for split in fitted_on if (frame[SPLIT] == split).any())
        return Protocol(
            "held-out",
            evaluated,
            f"fitted on {named} ({len(fit_rows)} rows), evaluated on {evaluated} ({len(eval_rows)} rows)"
            + ("" if evaluated == "test" else ": the dataset has no test split, so validation is the held-out split")
            + f"; learning curve: {how}",
            [(fit_rows, eval_rows)],
            fit_rows,
            splitter,
        )
    reason = (
        "no train split"
        if not train.any()
        else f"train has {int(train.sum())} labelled rows (< {MIN_TRAIN_ROWS})"
        if train.sum() < MIN_TRAIN_ROWS
        else f"train lacks class(es) {', '.join(missing)}"
        if missing
        else "no test or validation split"
    )
    splitter, how = cross_validation(labels, groups, seed)
    rows = np.arange(len(frame))
    folds = list(splitter.split(rows, labels, groups_for(splitter, groups)))
    return Protocol(
        "cross-validation",
        None,
        f"no held-out split to evaluate on ({reason}): every one of the {len(frame)} labelled rows is "
        f"predicted once by {how}",
        folds,
        rows,
        splitter,
    )
