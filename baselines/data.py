"""Any stance dataset `datasets.load_dataset` opens, as one labelled table: the adapter at the baselines' edge.

Rows without a label are dropped; labels become their names (ClassLabel names, or the strings themselves).
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path

import datasets
import pandas as pd
from stance_corpus.corpus.errors import InputError, StanceCorpusError
from stance_corpus.corpus.project import Project
from stance_corpus.corpus.release.build import release_version
from stance_corpus.corpus.release.card import DEFAULT_CONFIG, split_card

# The columns of StanceData.frame. Models read TEXT and TARGET (and the actor columns of features.py).
TEXT = "text"
TARGET = "target"
LABEL = "label"
GROUP = "group"
SPLIT = "split"
ACTOR_CONFIGS = (DEFAULT_CONFIG, "actors", "actor_tags")  # a stance-corpus release's configs with actor mentions


@dataclass(frozen=True)
class Columns:
    """Which dataset columns hold the text, the label and the target."""

    text: str = "text"
    label: str = "stance"
    target: str | None = "target"
    target_required: bool = False  # True when the user named the target column: then it must exist


@dataclass(frozen=True)
class StanceData:
    """One labelled table of a dataset, whatever its columns were called, with the splits it came in."""

    name: str
    version: str
    config: str | None
    frame: pd.DataFrame  # TEXT, TARGET (when with_target), LABEL (name), GROUP (article id or ""), SPLIT
    labels: tuple[str, ...]  # every class, in the dataset's order
    with_target: bool
    columns: Columns
    without_text: int = 0  # labelled rows left out because their text is withheld (null)

    @property
    def split_sizes(self) -> dict[str, int]:
        """Labelled rows per split, in the dataset's split order."""
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
    return load_config(dataset, config), config


def load_config(dataset: str, config: str | None) -> datasets.DatasetDict:
    """`datasets.load_dataset(dataset, config)`, rebuilt from the files when `dataset` is a local folder. datasets'
    cache key for a folder whose README.md lists its configs (a release's card does) depends on the folder's name
    and card, not on where it is or what its files hold: two releases `1.0.0` in different folders share one cache
    entry, and the second would be read as the first one's rows (or fail on the first one's split sizes). So a
    folder is read through a cache of its own, kept in memory and removed at once."""
    if not Path(dataset).is_dir():
        return datasets.load_dataset(dataset, config)
    with tempfile.TemporaryDirectory(prefix="stance-corpus-datasets-") as cache:
        return datasets.load_dataset(dataset, config, cache_dir=cache, keep_in_memory=True)


def has_actor_configs(dataset: str) -> bool:
    """Whether the dataset has the ACTOR_CONFIGS of a stance-corpus release (then the actor baselines run)."""
    return set(ACTOR_CONFIGS) <= set(datasets.get_dataset_config_names(dataset))


def load_stance_data(dataset: str, config: str | None, columns: Columns) -> StanceData:
    """The labelled rows of one config of `dataset` (anything `datasets.load_dataset` opens) as one table; one-line
    errors for a dataset that cannot be opened, an unknown config or column, or fewer than two classes."""
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
    withheld = frame[TEXT].isna()  # a publishable release's texts whose licence forbids republishing them
    if withheld.all() and len(frame):
        raise InputError(
            f"{dataset} ({config or 'default'})",
            f"every labelled row's {columns.text!r} is withheld (null): restore the texts first "
            "(`stance-corpus release restore`)",
        )
    frame = frame[~withheld].reset_index(drop=True)
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
        without_text=int(withheld.sum()),
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
