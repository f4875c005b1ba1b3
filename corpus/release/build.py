"""Building a release of a corpus project: seeds, store, card and changelog in; parquet, README.md, SHA256SUMS and
the release's own git repository out (a publishable release, schema 2, also LICENSE.md, ATTRIBUTION.md and
croissant.json: corpus/release/publishable.py).

A release is built in a hidden temporary folder beside its target and renamed into place only when complete, so an
interrupted build leaves no half release, and an existing version is never overwritten. A version pinned in the
project's released.json (corpus/release/released.py) is rebuilt from the inputs of its commit and must come out as
released; a version built before projects had a config (1.0.0) keeps its layout (no target columns) and the label
names its pin records. A new version whose scheme reorders or drops a label name that a released version
published is refused: names may only be appended.
"""

from __future__ import annotations

import dataclasses
import gc
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
from datasets import Dataset, Features
from stance_corpus.corpus.actors import load_actor_registry
from stance_corpus.corpus.articles import CATALOGUE_NAME, iter_articles
from stance_corpus.corpus.errors import ReleaseError, StoreError
from stance_corpus.corpus.guidelines import freeze_problem
from stance_corpus.corpus.jsonl import read_jsonl
from stance_corpus.corpus.orphans import segment_problem
from stance_corpus.corpus.project import CONFIG_FILE, VERSION_FROM_CARD, Project, load_project
from stance_corpus.corpus.pseudonyms import release_names
from stance_corpus.corpus.release.adjudication import decisions_per_rule
from stance_corpus.corpus.release.card import (
    DEFAULT_CONFIG,
    Publishable,
    changelog_entry,
    check_version,
    render_card,
    split_card,
)
from stance_corpus.corpus.release.croissant import CROISSANT_FILE, croissant_json
from stance_corpus.corpus.release.folder import first_difference, sha256_file, write_checksums
from stance_corpus.corpus.release.licences import (
    ATTRIBUTION_FILE,
    KNOWN_LICENCES,
    LICENSE_FILE,
    attribution_file,
    hub_license_keys,
    licence_file,
)
from stance_corpus.corpus.release.publishable import (
    CARD_KEY,
    SCHEMA_2,
    SCHEMAS,
    Publishing,
    bibtex,
    card_description,
    labelled_splits,
    publishable_features,
    publishable_tables,
    publishing_sections,
    publishing_settings,
    release_date,
    split_names_problem,
    withheld_articles,
)
from stance_corpus.corpus.release.released import (
    LEGACY_INPUTS,
    RELEASED_FILE,
    ReleasedVersion,
    extract_inputs,
    file_difference,
    labels_of,
    read_checksums,
    read_released,
    split_moves,
)
from stance_corpus.corpus.release.rows import ROW_KEYS, ReleaseSchema, Tables, build_tables, store_problem
from stance_corpus.corpus.schema import ActorTypeDef, Annotation, Article, Segment, StanceLabel
from stance_corpus.corpus.segment import TokenSpans
from stance_corpus.corpus.store import ANNOTATIONS_FILE, GOLD_FILE, read_annotations
from stance_corpus.corpus.workers import segmenting
from tqdm import tqdm

# Fixed identity and dates: the same release always gets the same commit id.
_GIT_ENV = {
    "GIT_AUTHOR_NAME": "stance-corpus release",
    "GIT_AUTHOR_EMAIL": "release@stance-corpus.invalid",
    "GIT_AUTHOR_DATE": "2000-01-01T00:00:00+00:00",
    "GIT_COMMITTER_NAME": "stance-corpus release",
    "GIT_COMMITTER_EMAIL": "release@stance-corpus.invalid",
    "GIT_COMMITTER_DATE": "2000-01-01T00:00:00+00:00",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def build_release(
    project: Project,
    version: str | None = None,
    out: Path | None = None,
    workers: int | None = None,
    schema: int | None = None,
) -> tuple[Path, bool]:
    """Build the release of a project (its seeds, store, card and changelog), segmenting articles in `workers`
    processes (default: one per CPU), in release `schema` (default: the project's; 1: texts as they are; 2:
    publishable, corpus/release/publishable.py).

    A version pinned in the project's released.json is built from the inputs of its commit, in its own schema, and
    must come out byte for byte as released; any other version must keep every released article and sentence in its
    split and every released label name in its place.
    Returns (release folder, True if written / False if that version already existed byte for byte).
    """
    schema = project.release_schema if schema is None else schema
    if schema not in SCHEMAS:
        raise ReleaseError(None, f"release schema {schema} is not one of {', '.join(map(str, SCHEMAS))}")
    with _cyclic_gc_paused():
        released = read_released(project.root)
        version = release_version(project, version)
        pinned = released.get(version)
        if pinned is None:
            check_released_labels(project, released.values())
            return _build_release(project, version, out, workers, schema, released=list(released.values()))
        with tempfile.TemporaryDirectory(prefix=f"stance-corpus-{version}-inputs-") as source:
            extract_inputs(project.root, pinned.source_commit, pinned.inputs, Path(source))
            return _build_release(
                pinned_project(project, pinned, Path(source)),
                version,
                out or project.releases / version,
                workers,
                pinned.schema,
                pinned=pinned,
            )


def release_version(project: Project, version: str | None = None) -> str:
    """The version a build makes: `version`, else the project's (a fixed one, or its card's YAML `version`)."""
    if version:
        return check_version(version)
    if project.version != VERSION_FROM_CARD:
        return check_version(project.version)
    header, _ = split_card(_read(project.card), str(project.card))
    return check_version(str(header["version"]))


def pinned_project(project: Project, pinned: ReleasedVersion, source: Path) -> Project:
    """The project as it was when `pinned` was built, its inputs extracted into `source`: with the config of that
    commit, or, for a version built before projects had one (1.0.0), the current config's settings with the
    released label names and the layout of then (no target columns)."""
    if CONFIG_FILE in pinned.inputs:
        return load_project(source)
    if tuple(pinned.inputs) != LEGACY_INPUTS:
        raise ReleaseError(RELEASED_FILE, f"version {pinned.version} has no {CONFIG_FILE} among its inputs")
    scheme = project.scheme
    if pinned.labels:
        scheme = dataclasses.replace(
            scheme,
            stances=tuple(StanceLabel(name) for name in pinned.labels["stance"]),
            actor_types=tuple(ActorTypeDef(name, "", "", "") for name in pinned.labels["actor_type"]),
        )
    seeds, store, card, changelog = (source / path for path in LEGACY_INPUTS)
    return dataclasses.replace(
        project, root=source, scheme=scheme, target_columns=False, seeds=seeds, store=store, card=card,
        changelog=changelog,
    )


def _read(path: Path) -> str:
    if not path.is_file():
        raise ReleaseError(path, "missing: a release needs the project's card and changelog (docs/project.md)")
    return path.read_text(encoding="utf-8")


def _build_release(
    project: Project,
    version: str,
    out: Path | None,
    workers: int | None,
    schema: int,
    released: list[ReleasedVersion] | None = None,
    pinned: ReleasedVersion | None = None,
) -> tuple[Path, bool]:
    root = project.root
    header, body = split_card(_read(project.card), str(project.card))
    changelog = _read(project.changelog)
    notes = changelog_entry(changelog, version, str(project.changelog))
    publishing = publishing_settings(header, str(project.card)) if schema == SCHEMA_2 else None
    frozen = freeze_problem(body) if schema == SCHEMA_2 else None
    if frozen:
        raise ReleaseError(project.card, frozen)
    out = out or project.releases / version
    layout = ReleaseSchema(project.scheme, project.target_columns)

    # Sorted by id: the order of the rows, whichever worker segments which article.
    articles = sorted(iter_articles([project.seeds], project.scheme), key=lambda article: article.id)
    if project.actors.is_file():
        load_actor_registry(project.actors, project.scheme)  # a bad registry stops a release too
    article_targets = {article.id: tuple(t.id for t in project.targets_of(article)) for article in articles}
    gold_path, raw_path = project.store / GOLD_FILE, project.store / ANNOTATIONS_FILE
    segments: dict[str, Segment] = {}
    with segmenting(articles, workers, project.segmentation) as segmented:
        # Read while the workers segment: a bad store line stops the build before the segmenting ends.
        gold, raw = read_annotations(gold_path, project.scheme), read_annotations(raw_path, project.scheme)
        if not gold:
            raise StoreError(gold_path, "no gold annotation yet, so no sentence to release")
        progress = tqdm(segmented, total=len(articles), desc="segmenting", unit="article", disable=None)
        released_raw = _pseudonymous(project.store, raw, pinned=pinned is not None)
        tables = build_tables(_noting_segments(progress, segments), gold, released_raw, layout, article_targets)
    _check_store(gold_path, gold, segments, article_targets, gold=True)
    _check_store(raw_path, raw, segments, article_targets, gold=False)
    features: Mapping[str, Features] = layout.features
    by_id = {article.id: article for article in articles}
    withheld: set[str] = set()
    statistics: Publishable | None = None
    if schema == SCHEMA_2:
        tables, left_out = labelled_splits(tables)
        by_id = {row["id"]: by_id[row["id"]] for rows in tables.get("articles", {}).values() for row in rows}
        withheld = withheld_articles(by_id)
        problem = split_names_problem(tables)
        if problem:
            raise ReleaseError(None, f"release {version}: {problem}")
        tables = publishable_tables(tables, by_id, withheld)
        features = publishable_features(layout.features)
        released_units = {
            (row["id"], row["target_id"]) for rows in tables[DEFAULT_CONFIG].values() for row in rows
        }
        decided = [a for a in gold if (a.segment_id, a.target) in released_units]
        statistics = Publishable(left_out, project.annotators_per_task, decisions_per_rule(decided))
    moved = split_moves(tables, released or [])
    if moved:
        raise ReleaseError(None, f"{moved}: an article or sentence never moves to another split between versions")
    inputs = _input_checksums(root, [project.seeds / CATALOGUE_NAME, *sorted(project.seeds.glob("*.txt"))])
    inputs.update(_input_checksums(root, [raw_path, gold_path]))

    out.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.building-"))
    try:
        files = write_tables(tables, building, features)
        header = {key: value for key, value in header.items() if key != CARD_KEY}
        if publishing is not None:
            header, body = _write_publishable_files(
                building, header, body, version, changelog, by_id, withheld, publishing, files, features
            )
        card = render_card(header, body, version, tables, files, inputs, notes, layout, features, statistics)
        (building / "README.md").write_text(card, encoding="utf-8")
        write_checksums(building)
        if pinned is not None:
            difference = file_difference(pinned.files, read_checksums(building))
            if difference:
                raise ReleaseError(
                    None,
                    f"version {version} is released ({RELEASED_FILE}) and this build of its inputs at commit "
                    f"{pinned.source_commit[:12]} would change it ({difference}): a released version never changes "
                    f"(a parquet file records the pyarrow that wrote it, here {pa.__version__}: rebuild with the one "
                    "the version was built with, as this repository's constraints.txt pins it)"
                )
        if out.exists():
            difference = first_difference(out, building)
            if difference:
                raise ReleaseError(
                    out, f"version {version} exists and would change ({difference}); a released version never "
                    "changes: bump the version (and CHANGELOG.md) instead"
                )
            return out, False
        _commit_and_tag(building, version)
        building.chmod(0o755)  # mkdtemp made it 0700; a release is as readable as the files in it
        os.rename(building, out)
        return out, True
    finally:
        shutil.rmtree(building, ignore_errors=True)


def check_released_labels(project: Project, released: Iterable[ReleasedVersion]) -> None:
    """Refuse a scheme that reorders or drops a ClassLabel name that a released version published (its pin in
    released.json records them); appending names is fine."""
    current = labels_of(project.scheme)
    for entry in released:
        for column, names in (entry.labels or {}).items():
            now = current.get(column, [])
            if now[: len(names)] != names:
                raise ReleaseError(
                    project.config_path,
                    f"the {column} labels {now} must start with {names}, in that order: "
                    f"release {entry.version} published them ({project.root / RELEASED_FILE}). Reordering or removing "
                    "a released label would renumber the ClassLabels of every later release; append new labels at the "
                    "end instead"
                )


def _pseudonymous(store: Path, raw: list[Annotation], pinned: bool) -> list[Annotation]:
    """The annotators' records under their pseudonyms (corpus/pseudonyms.py): no email goes into a release."""
    names = release_names(store, {annotation.annotator for annotation in raw}, pinned)
    return [
        annotation if names[annotation.annotator] == annotation.annotator
        else dataclasses.replace(annotation, annotator=names[annotation.annotator])
        for annotation in raw
    ]


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """A build holds millions of small objects (segments, tokens, annotations, rows) and makes no reference cycles
    worth collecting, yet Python's cyclic collector rescans them all each time enough new ones have been made: at
    100,000 sentences that took 40% of the build. Paused for the build, restored after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _noting_segments(
    segmented: Iterable[tuple[Article, list[tuple[Segment, TokenSpans]]]], segments: dict[str, Segment]
) -> Iterator[tuple[Article, list[tuple[Segment, TokenSpans]]]]:
    """Pass the articles on, adding their segments to `segments` by id for the store check."""
    for article, tokenized in segmented:
        segments.update((segment.id, segment) for segment, _ in tokenized)
        yield article, tokenized


def _check_store(
    path: Path,
    annotations: list[Annotation],
    segments: dict[str, Segment],
    article_targets: dict[str, tuple[str, ...]],
    gold: bool,
) -> None:
    for position, annotation in enumerate(annotations):
        problem = store_problem(annotation, segments, store_annotator_is_gold=gold, article_targets=article_targets)
        if problem:
            orphaned = segment_problem(annotation, segments, article_targets) is not None
            hint = " (`stance-corpus orphans` lists such records, `--retire` archives them)" if orphaned else ""
            raise StoreError(f"{path}:{_line_number(path, position)}", f"{problem}{hint}")


def _line_number(path: Path, position: int) -> int:
    """The file line of the store's `position`-th record (blank lines are skipped by the reader)."""
    return next(number for index, (number, _) in enumerate(read_jsonl(path)) if index == position)


def _input_checksums(root: Path, paths: list[Path]) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): sha256_file(path) if path.exists() else "(missing: empty store)"
        for path in paths
    }


def _write_publishable_files(
    building: Path,
    header: dict[str, Any],
    body: str,
    version: str,
    changelog: str,
    articles: Mapping[str, Article],
    withheld: set[str],
    publishing: Publishing,
    files: Mapping[str, Mapping[str, tuple[str, int]]],
    features: Mapping[str, Features],
) -> tuple[dict[str, Any], str]:
    """LICENSE.md, ATTRIBUTION.md and croissant.json of a schema 2 release; returns the card header with the
    licence keys of its data and the card body with its generated sections."""
    included = {article_id for article_id in articles if article_id not in withheld}
    text_licences = sorted({articles[article_id].license for article_id in included})
    (building / LICENSE_FILE).write_text(
        licence_file(version, articles.values(), included, publishing.labels_license), encoding="utf-8"
    )
    (building / ATTRIBUTION_FILE).write_text(attribution_file(version, articles.values(), included), encoding="utf-8")
    pretty_name = str(header.get("pretty_name") or "stance-corpus")
    date = release_date(changelog, version)
    citation = bibtex(pretty_name, version, publishing, date)
    licence_urls = [
        KNOWN_LICENCES[lid].url if lid in KNOWN_LICENCES else lid for lid in [*text_licences, publishing.labels_license]
    ]
    (building / CROISSANT_FILE).write_text(
        croissant_json(
            name=pretty_name,
            description=card_description(body),
            version=version,
            licences=list(dict.fromkeys(licence_urls)),
            cite_as=citation,
            url=publishing.url,
            date_published=date,
            creators=publishing.authors,
            features=features,
            files={
                config: {split: (path, sha256_file(building / path)) for split, (path, _) in per_split.items()}
                for config, per_split in files.items()
            },
            splits=list(next(iter(files.values()))),
            keys={config: ROW_KEYS[config] for config in files},
        ),
        encoding="utf-8",
    )
    licence_keys = hub_license_keys(text_licences, publishing.labels_license)
    header = {key: value for key, value in header.items() if not key.startswith("license")}
    position = next((index for index, key in enumerate(header) if key not in ("pretty_name", "version")), len(header))
    items = list(header.items())
    header = dict([*items[:position], *licence_keys.items(), *items[position:]])
    sections = publishing_sections(version, articles, withheld, publishing, citation)
    return header, f"{body.rstrip()}\n\n{sections}\n"


def write_tables(
    tables: Tables, folder: Path, features: Mapping[str, Features]
) -> dict[str, dict[str, tuple[str, int]]]:
    """One parquet file per config and split, typed Features embedded; config -> split -> (path, arrow bytes)."""
    files: dict[str, dict[str, tuple[str, int]]] = {}
    for config, splits in tqdm(tables.items(), desc="writing", unit="config", disable=None):
        (folder / config).mkdir()
        for split, rows in splits.items():
            # Through pyarrow rather than Dataset.from_list, which encodes row by row in Python (3x slower here);
            # to_parquet still writes the file, the same bytes either way.
            relative = f"{config}/{split}.parquet"
            # A fixed fingerprint (it only names cache files, which a release never makes) spares hashing the table.
            table = pa.Table.from_pylist(rows, schema=features[config].arrow_schema)
            dataset = Dataset(table, fingerprint=relative)
            dataset.to_parquet(folder / relative)
            files.setdefault(config, {})[split] = (relative, dataset.data.nbytes)
    return files


def _commit_and_tag(folder: Path, version: str) -> None:
    env = {**os.environ, **_GIT_ENV}
    commands = (
        ["git", "init", "--quiet", "--initial-branch=main"],
        ["git", "add", "--all"],
        ["git", "commit", "--quiet", "--no-verify", "--message", f"stance-corpus dataset {version}"],
        ["git", "tag", f"v{version}"],
    )
    for command in commands:
        result = subprocess.run(command, check=False, cwd=folder, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise ReleaseError(folder, f"`{' '.join(command)}` failed: {result.stderr.strip()}")


