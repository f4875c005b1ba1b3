"""Any stance dataset `datasets.load_dataset` opens, as one labelled table: the adapter at the baselines' edge.

Rows without a label are dropped; labels become their names (ClassLabel names, or the strings themselves).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import datasets
import pandas as pd
from stance_corpus.baselines.models import TARGET, TEXT
from stance_corpus.corpus.errors import InputError, StanceCorpusError
from stance_corpus.corpus.project import Project
from stance_corpus.corpus.release.build import release_version
from stance_corpus.corpus.release.card import DEFAULT_CONFIG, split_card

LABEL = "label"
GROUP = "group"
SPLIT = "split"


@dataclass(frozen=True)
class Columns:
    text: str = "text"
    label: str = "stance"
    target: str | None = "target"
    target_required: bool = False  # True when the user named the target column: then it must exist


@dataclass(frozen=True)
class StanceData:
    name: str
    version: str
    config: str | None
    frame: pd.DataFrame  # TEXT, TARGET (when with_target), LABEL (name), GROUP (article id or ""), SPLIT
    labels: tuple[str, ...]  # every class, in the dataset's order
    with_target: bool
    columns: Columns

    @property
    def split_sizes(self) -> dict[str, int]:
        return {str(split): int(count) for split, count in self.frame[SPLIT].value_counts(sort=False).items()}


def default_dataset(project: Project | None) -> Path:
    """The project's current release: <releases>/<the project's version>."""
    if project is None:
        raise InputError("baseline", "give a DATASET, or --project DIR to use the project's current release")
    version = release_version(project)
    folder = project.releases / version
    if not (folder / "README.md").is_file():
        raise InputError(folder, f"no release {version} built yet: run `stance-corpus release` first")
    return folder


def open_config(dataset: str, config: str | None) -> tuple[datasets.DatasetDict, str | None]:
    """The splits of one config; `config=None` takes `sentences` when the dataset has it, else its default."""
    try:
        names = datasets.get_dataset_config_names(dataset)
    except (FileNotFoundError, ValueError, ConnectionError, datasets.exceptions.DatasetNotFoundError) as error:
        raise InputError(dataset, f"cannot be opened by datasets.load_dataset: {error}") from None
    if config is None:
        config = DEFAULT_CONFIG if DEFAULT_CONFIG in names else None
    elif config not in names:
        raise InputError(dataset, f"has no config {config!r} (configs: {', '.join(names)})")
    loaded = datasets.load_dataset(dataset, config)
    return loaded, config


def load_stance_data(dataset: str, config: str | None, columns: Columns) -> StanceData:
    splits, config = open_config(dataset, config)
    features = next(iter(splits.values())).features
    _check_columns(dataset, config, features, columns)
    label_feature = features[columns.label]
    with_target = columns.target is not None and columns.target in features
    frames = []
    for split, rows in splits.items():
        wanted = [columns.text, columns.label, *([columns.target] if with_target else [])]
        group_column = "article_id" if "article_id" in features else None
        table = rows.select_columns(wanted + ([group_column] if group_column else [])).to_pandas()
        frame = pd.DataFrame({TEXT: table[columns.text], LABEL: table[columns.label], SPLIT: split})
        frame[GROUP] = table[group_column] if group_column else ""
        if with_target:
            frame[TARGET] = table[columns.target].fillna("")
        frames.append(frame)
    frame = pd.concat(frames, ignore_index=True)
    if isinstance(label_feature, datasets.ClassLabel):
        labels = tuple(label_feature.names)
        frame = frame[frame[LABEL] >= 0]
        frame[LABEL] = [labels[index] for index in frame[LABEL]]
    else:
        frame = frame[frame[LABEL].notna() & (frame[LABEL].astype(str) != "")]
        frame[LABEL] = frame[LABEL].astype(str)
        labels = tuple(sorted(frame[LABEL].unique()))
    frame = frame.reset_index(drop=True)
    present = sorted(frame[LABEL].unique())
    if len(present) < 2:
        raise InputError(
            f"{dataset} ({config or 'default'})",
            f"column {columns.label!r} has {'only the class ' + repr(present[0]) if present else 'no labelled row'}: "
            "a stance baseline needs at least two classes",
        )
    return StanceData(
        name=dataset,
        version=dataset_version(Path(dataset), frame),
        config=config,
        frame=frame,
        labels=labels,
        with_target=with_target,
        columns=columns,
    )


def _check_columns(dataset: str, config: str | None, features: datasets.Features, columns: Columns) -> None:
    wanted: dict[str, str | None] = {"--text-column": columns.text, "--label-column": columns.label}
    if columns.target_required:
        wanted["--target-column"] = columns.target
    for option, column in wanted.items():
        if column not in features:
            raise InputError(
                f"{dataset} ({config or 'default'})",
                f"no column {column!r} ({option}); its columns are: {', '.join(features)}",
            )
    if not (
        isinstance(features[columns.text], datasets.Value)
        and features[columns.text].dtype in {"string", "large_string"}
    ):
        raise InputError(dataset, f"column {columns.text!r} (--text-column) holds {features[columns.text]}, not text")


def dataset_version(path: Path, frame: pd.DataFrame) -> str:
    """The `version` key of the dataset card; for other datasets a hash of the labelled rows, so results stay
    traceable to the data they came from."""
    try:
        return str(split_card((path / "README.md").read_text(encoding="utf-8"), str(path))[0]["version"])
    except (OSError, StanceCorpusError):
        pass
    digest = hashlib.sha256(frame.to_csv(index=False).encode("utf-8")).hexdigest()
    return f"sha256-{digest[:12]}"
