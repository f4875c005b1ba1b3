"""Building a release: seeds, store, card and changelog in; parquet, README.md, SHA256SUMS and the release's own
git repository out.

A release is built in a hidden temporary folder beside its target and renamed into place only when complete, so an
interrupted build leaves no half release, and an existing version is never overwritten.
"""

from __future__ import annotations

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
from stance_corpus.corpus.articles import CATALOGUE_NAME, iter_articles
from stance_corpus.corpus.errors import ReleaseError, StoreError
from stance_corpus.corpus.guidelines import freeze_problem
from stance_corpus.corpus.jsonl import read_jsonl
from stance_corpus.corpus.release import CARD_FILE, CHANGELOG_FILE
from stance_corpus.corpus.release.card import (
    changelog_entry,
    check_version,
    render_card,
    split_card,
)
from stance_corpus.corpus.release.croissant import CROISSANT_FILE, croissant_json
from stance_corpus.corpus.release.folder import RELEASES_DIR, first_difference, sha256_file, write_checksums
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
    SCHEMA_1,
    SCHEMA_2,
    SCHEMAS,
    Publishing,
    bibtex,
    card_description,
    publishable_features,
    publishable_tables,
    publishing_sections,
    publishing_settings,
    release_date,
    split_names_problem,
    withheld_articles,
)
from stance_corpus.corpus.release.released import (
    RELEASED_FILE,
    ReleasedVersion,
    extract_inputs,
    file_difference,
    read_checksums,
    read_released,
    split_moves,
)
from stance_corpus.corpus.release.rows import FEATURES, ROW_KEYS, Tables, build_tables, store_problem
from stance_corpus.corpus.schema import Annotation, Article, Segment
from stance_corpus.corpus.segment import TokenSpans
from stance_corpus.corpus.store import ANNOTATIONS_FILE, GOLD_FILE, STORE_DIR, read_annotations
from stance_corpus.corpus.workers import segmenting
from tqdm import tqdm

SEEDS_DIR = Path("seeds")
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
    root: Path,
    version: str | None = None,
    out: Path | None = None,
    workers: int | None = None,
    schema: int = SCHEMA_1,
) -> tuple[Path, bool]:
    """Build the release of the project folder `root` (seeds/, annotations/, DATASET_CARD.md, CHANGELOG.md),
    segmenting articles in `workers` processes (default: one per CPU), in release `schema` (1: the format of 1.0.0;
    2: publishable, corpus/release/publishable.py).

    A version pinned in `root`'s released.json is built from the inputs of its commit, in its own schema, and must
    come out byte for byte as released; any other version must keep every released article and sentence in its split.
    Returns (release folder, True if written / False if that version already existed byte for byte).
    """
    if schema not in SCHEMAS:
        raise ReleaseError(None, f"release schema {schema} is not one of {', '.join(map(str, SCHEMAS))}")
    with _cyclic_gc_paused():
        released = read_released(root)
        version = check_version(version or str(_read_card(root)[0]["version"]))
        pinned = released.get(version)
        if pinned is None:
            return _build_release(root, version, out, workers, schema, released=list(released.values()))
        with tempfile.TemporaryDirectory(prefix=f"stance-corpus-{version}-inputs-") as source:
            extract_inputs(root, pinned.source_commit, pinned.inputs, Path(source))
            return _build_release(
                Path(source), version, out or root / RELEASES_DIR / version, workers, pinned.schema, pinned=pinned
            )


def _read_card(root: Path) -> tuple[dict[str, Any], str]:
    card_path, changelog_path = root / CARD_FILE, root / CHANGELOG_FILE
    for path in (card_path, changelog_path):
        if not path.is_file():
            raise ReleaseError(path, "missing: run `stance-corpus release` from the repository root")
    return split_card(card_path.read_text(encoding="utf-8"), str(card_path))


def _build_release(
    root: Path,
    version: str,
    out: Path | None,
    workers: int | None,
    schema: int,
    released: list[ReleasedVersion] | None = None,
    pinned: ReleasedVersion | None = None,
) -> tuple[Path, bool]:
    card_path, changelog_path = root / CARD_FILE, root / CHANGELOG_FILE
    header, body = _read_card(root)
    changelog = changelog_path.read_text(encoding="utf-8")
    notes = changelog_entry(changelog, version, str(changelog_path))
    publishing = publishing_settings(header, str(card_path)) if schema == SCHEMA_2 else None
    frozen = freeze_problem(body) if schema == SCHEMA_2 else None
    if frozen:
        raise ReleaseError(card_path, frozen)
    out = out or root / RELEASES_DIR / version

    # Sorted by id: the order of the rows, whichever worker segments which article.
    articles = sorted(iter_articles([root / SEEDS_DIR]), key=lambda article: article.id)
    gold_path, raw_path = root / STORE_DIR / GOLD_FILE, root / STORE_DIR / ANNOTATIONS_FILE
    segments: dict[str, Segment] = {}
    with segmenting(articles, workers) as segmented:
        # Read while the workers segment: a bad store line stops the build before the segmenting ends.
        gold, raw = read_annotations(gold_path), read_annotations(raw_path)
        if not gold:
            raise StoreError(gold_path, "no gold annotation yet, so no sentence to release")
        progress = tqdm(segmented, total=len(articles), desc="segmenting", unit="article", disable=None)
        tables = build_tables(_noting_segments(progress, segments), gold, raw)
    _check_store(gold_path, gold, segments, gold=True)
    _check_store(raw_path, raw, segments, gold=False)
    features: Mapping[str, Features] = FEATURES
    by_id = {article.id: article for article in articles}
    withheld: set[str] = set()
    if schema == SCHEMA_2:
        withheld = withheld_articles(by_id)
        problem = split_names_problem(tables)
        if problem:
            raise ReleaseError(None, f"release {version}: {problem}")
        tables = publishable_tables(tables, by_id, withheld)
        features = publishable_features(FEATURES)
    moved = split_moves(tables, released or [])
    if moved:
        raise ReleaseError(None, f"{moved}: an article or sentence never moves to another split between versions")
    inputs = _input_checksums(root, [root / SEEDS_DIR / CATALOGUE_NAME, *sorted((root / SEEDS_DIR).glob("*.txt"))])
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
        card = render_card(header, body, version, tables, files, inputs, notes, features)
        (building / "README.md").write_text(card, encoding="utf-8")
        write_checksums(building)
        if pinned is not None:
            difference = file_difference(pinned.files, read_checksums(building))
            if difference:
                raise ReleaseError(
                    None,
                    f"version {version} is released ({RELEASED_FILE}) and this build of its inputs at commit "
                    f"{pinned.source_commit[:12]} would change it ({difference}): a released version never changes"
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


def _check_store(path: Path, annotations: list[Annotation], segments: dict[str, Segment], gold: bool) -> None:
    for position, annotation in enumerate(annotations):
        problem = store_problem(annotation, segments, store_annotator_is_gold=gold)
        if problem:
            raise StoreError(f"{path}:{_line_number(path, position)}", problem)


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
    tables: Tables, folder: Path, features: Mapping[str, Features] = FEATURES
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
            dataset = Dataset(pa.Table.from_pylist(rows, schema=features[config].arrow_schema), fingerprint=relative)
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


