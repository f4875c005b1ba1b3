"""Building a release of a corpus project: seeds, store, card and changelog in; parquet, README.md, SHA256SUMS and
the release's own git repository out.

A release is built in a hidden temporary folder beside its target and renamed into place only when complete, so an
interrupted build leaves no half release, and an existing version is never overwritten. The ClassLabel names of
every version built are recorded in the project's `released-labels.json`: a later build whose scheme reorders or
drops a name some version published is refused (names may only be appended).
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
from datasets import Dataset
from stance_corpus.corpus.articles import CATALOGUE_NAME, iter_articles
from stance_corpus.corpus.errors import ReleaseError
from stance_corpus.corpus.files import write_text_atomic
from stance_corpus.corpus.jsonl import read_jsonl
from stance_corpus.corpus.project import VERSION_FROM_CARD, Project
from stance_corpus.corpus.release.card import changelog_entry, check_version, render_card, split_card
from stance_corpus.corpus.release.folder import first_difference, sha256_file, write_checksums
from stance_corpus.corpus.release.rows import ReleaseSchema, Tables, build_tables, store_problem
from stance_corpus.corpus.schema import Annotation, Article, Scheme, Segment
from stance_corpus.corpus.segment import TokenSpans
from stance_corpus.corpus.store import ANNOTATIONS_FILE, GOLD_FILE, read_annotations
from stance_corpus.corpus.workers import segmenting
from tqdm import tqdm

RELEASED_LABELS_FILE = "released-labels.json"
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
    project: Project, version: str | None = None, out: Path | None = None, workers: int | None = None
) -> tuple[Path, bool]:
    """Build the release of a project (its seeds, store, card and changelog), segmenting articles in `workers`
    processes (default: one per CPU).

    Returns (release folder, True if written / False if that version already existed byte for byte).
    """
    with _cyclic_gc_paused():
        return _build_release(project, version, out, workers)


def release_version(project: Project, version: str | None = None) -> str:
    """The version a build makes: `version`, else the project's (a fixed one, or its card's YAML `version`)."""
    if version:
        return check_version(version)
    if project.version != VERSION_FROM_CARD:
        return check_version(project.version)
    header, _ = split_card(_read(project.card), str(project.card))
    return check_version(str(header["version"]))


def _read(path: Path) -> str:
    if not path.is_file():
        raise ReleaseError(f"{path}: missing: a release needs the project's card and changelog (docs/project.md)")
    return path.read_text(encoding="utf-8")


def _build_release(project: Project, version: str | None, out: Path | None, workers: int | None) -> tuple[Path, bool]:
    root = project.root
    header, body = split_card(_read(project.card), str(project.card))
    version = release_version(project, version)
    notes = changelog_entry(_read(project.changelog), version, str(project.changelog))
    out = out or project.releases / version
    schema = ReleaseSchema(project.scheme, project.format)
    check_released_labels(project, version)

    # Sorted by id: the order of the rows, whichever worker segments which article.
    articles = sorted(iter_articles([project.seeds]), key=lambda article: article.id)
    article_targets = {article.id: tuple(t.id for t in project.targets_of(article)) for article in articles}
    gold_path, raw_path = project.store / GOLD_FILE, project.store / ANNOTATIONS_FILE
    segments: dict[str, Segment] = {}
    with segmenting(articles, workers, project.furniture) as segmented:
        # Read while the workers segment: a bad store line stops the build before the segmenting ends.
        gold, raw = read_annotations(gold_path, project.scheme), read_annotations(raw_path, project.scheme)
        if not gold:
            raise ReleaseError(f"{gold_path}: no gold annotation yet, so no sentence to release")
        progress = tqdm(segmented, total=len(articles), desc="segmenting", unit="article", disable=None)
        tables = build_tables(_noting_segments(progress, segments), gold, raw, schema, article_targets)
    _check_store(gold_path, gold, segments, article_targets, gold=True)
    _check_store(raw_path, raw, segments, article_targets, gold=False)
    seeds = [project.seeds / CATALOGUE_NAME, *sorted(project.seeds.glob("*.txt"))]
    inputs = _input_checksums(root, seeds)
    inputs.update(_input_checksums(root, [raw_path, gold_path]))

    out.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.building-"))
    try:
        files = write_tables(tables, building, schema)
        card = render_card(header, body, version, tables, files, inputs, notes, schema)
        (building / "README.md").write_text(card, encoding="utf-8")
        write_checksums(building)
        if out.exists():
            difference = first_difference(out, building)
            if difference:
                raise ReleaseError(
                    f"{out}: version {version} exists and would change ({difference}); a released version never "
                    "changes: bump the version (and CHANGELOG.md) instead"
                )
            return out, False
        _commit_and_tag(building, version)
        building.chmod(0o755)  # mkdtemp made it 0700; a release is as readable as the files in it
        os.rename(building, out)
        record_released_labels(project, version)
        return out, True
    finally:
        shutil.rmtree(building, ignore_errors=True)


def _labels_of(scheme: Scheme) -> dict[str, list[str]]:
    """The ClassLabel names a release publishes (the BIO tags follow from the actor types)."""
    return {"stance": list(scheme.stance_names), "actor_type": list(scheme.actor_type_names)}


def _released_labels(project: Project) -> dict[str, dict[str, list[str]]]:
    path = project.root / RELEASED_LABELS_FILE
    if not path.is_file():
        return {}
    try:
        recorded = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ReleaseError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(recorded, dict) or not all(isinstance(labels, dict) for labels in recorded.values()):
        raise ReleaseError(f"{path}: must map each version to its label names")
    return recorded


def check_released_labels(project: Project, version: str) -> None:
    """Refuse a scheme that reorders or drops a ClassLabel name of a version already released (released-labels.json),
    or that changes any name of `version` itself; appending names for a new version is fine."""
    current = _labels_of(project.scheme)
    path = project.root / RELEASED_LABELS_FILE
    for released, labels in sorted(_released_labels(project).items()):
        for column, names in labels.items():
            now = current.get(column, [])
            kept = now == names if released == version else now[: len(names)] == names
            if not kept:
                rule = "be those it was built with" if released == version else "start with them, in that order"
                raise ReleaseError(
                    f"{project.config_path}: the {column} labels {now} must {rule}: release {released} published "
                    f"{names} ({path}). Reordering or removing a released label would renumber the ClassLabels of "
                    "every later release; append new labels at the end instead"
                )


def record_released_labels(project: Project, version: str) -> None:
    """Add `version`'s label names to released-labels.json (unchanged when they are there already)."""
    recorded = _released_labels(project)
    if recorded.get(version) == _labels_of(project.scheme):
        return
    recorded[version] = _labels_of(project.scheme)
    text = json.dumps(dict(sorted(recorded.items())), indent=2, ensure_ascii=False) + "\n"
    write_text_atomic(project.root / RELEASED_LABELS_FILE, text)


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
            raise ReleaseError(f"{path}:{_line_number(path, position)}: {problem}")


def _line_number(path: Path, position: int) -> int:
    """The file line of the store's `position`-th record (blank lines are skipped by the reader)."""
    return next(number for index, (number, _) in enumerate(read_jsonl(path)) if index == position)


def _input_checksums(root: Path, paths: list[Path]) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): sha256_file(path) if path.exists() else "(missing: empty store)"
        for path in paths
    }


def write_tables(tables: Tables, folder: Path, schema: ReleaseSchema) -> dict[str, dict[str, tuple[str, int]]]:
    """One parquet file per config and split, typed Features embedded; config -> split -> (path, arrow bytes)."""
    files: dict[str, dict[str, tuple[str, int]]] = {}
    for config, splits in tqdm(tables.items(), desc="writing", unit="config", disable=None):
        (folder / config).mkdir()
        for split, rows in splits.items():
            # Through pyarrow rather than Dataset.from_list, which encodes row by row in Python (3x slower here);
            # to_parquet still writes the file, the same bytes either way.
            relative = f"{config}/{split}.parquet"
            # A fixed fingerprint (it only names cache files, which a release never makes) spares hashing the table.
            table = pa.Table.from_pylist(rows, schema=schema.features[config].arrow_schema)
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
            raise ReleaseError(f"{folder}: `{' '.join(command)}` failed: {result.stderr.strip()}")


