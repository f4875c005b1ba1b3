"""The edges of a release: reading seeds, store, card and changelog; writing parquet, README.md, SHA256SUMS and the
release's own git repository; comparing releases; publishing to the Hugging Face Hub.

A release is built in a hidden temporary folder beside its target and renamed into place only when complete, so an
interrupted build leaves no half release, and an existing version is never overwritten.
"""

from __future__ import annotations

import gc
import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from datasets import Dataset
from tqdm import tqdm

from corpus.articles import CATALOGUE_NAME, iter_articles
from corpus.errors import ReleaseError
from corpus.jsonl import read_jsonl
from corpus.release import FEATURES, ROW_KEYS, Tables, build_tables, store_problem
from corpus.release_card import (
    CARD_FILE,
    CHANGELOG_FILE,
    changelog_entry,
    check_version,
    render_card,
    split_card,
)
from corpus.schema import Annotation, Article, Segment
from corpus.segment import TokenSpans, tokenized_segments
from corpus.store import ANNOTATIONS_FILE, GOLD_FILE, STORE_DIR, read_annotations

SEEDS_DIR = Path("seeds")
RELEASES_DIR = Path("releases")
CHECKSUMS_FILE = "SHA256SUMS"
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
    root: Path, version: str | None = None, out: Path | None = None, workers: int | None = None
) -> tuple[Path, bool]:
    """Build the release of the project folder `root` (seeds/, annotations/, DATASET_CARD.md, CHANGELOG.md),
    segmenting articles in `workers` processes (default: one per CPU).

    Returns (release folder, True if written / False if that version already existed byte for byte).
    """
    with _cyclic_gc_paused():
        return _build_release(root, version, out, workers)


def _build_release(root: Path, version: str | None, out: Path | None, workers: int | None) -> tuple[Path, bool]:
    card_path, changelog_path = root / CARD_FILE, root / CHANGELOG_FILE
    for path in (card_path, changelog_path):
        if not path.is_file():
            raise ReleaseError(f"{path}: missing: run `stance-corpus release` from the repository root")
    header, body = split_card(card_path.read_text(encoding="utf-8"), str(card_path))
    version = check_version(version or str(header["version"]))
    notes = changelog_entry(changelog_path.read_text(encoding="utf-8"), version, str(changelog_path))
    out = out or root / RELEASES_DIR / version

    # Sorted by id: the order of the rows, whichever worker segments which article.
    articles = sorted(iter_articles([root / SEEDS_DIR]), key=lambda article: article.id)
    gold_path, raw_path = root / STORE_DIR / GOLD_FILE, root / STORE_DIR / ANNOTATIONS_FILE
    segments: dict[str, Segment] = {}
    with segmenting(articles, workers) as segmented:
        # Read while the workers segment: a bad store line stops the build before the segmenting ends.
        gold, raw = read_annotations(gold_path), read_annotations(raw_path)
        if not gold:
            raise ReleaseError(f"{gold_path}: no gold annotation yet, so no sentence to release")
        progress = tqdm(segmented, total=len(articles), desc="segmenting", unit="article", disable=None)
        tables = build_tables(_noting_segments(progress, segments), gold, raw)
    _check_store(gold_path, gold, segments, gold=True)
    _check_store(raw_path, raw, segments, gold=False)
    inputs = _input_checksums(root, [root / SEEDS_DIR / CATALOGUE_NAME, *sorted((root / SEEDS_DIR).glob("*.txt"))])
    inputs.update(_input_checksums(root, [raw_path, gold_path]))

    out.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.building-"))
    try:
        files = write_tables(tables, building)
        card = render_card(header, body, version, tables, files, inputs, notes)
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


@contextmanager
def segmenting(
    articles: Sequence[Article], workers: int | None = None
) -> Iterator[Iterator[tuple[Article, list[tuple[Segment, TokenSpans]]]]]:
    """Start segmenting the articles (with each segment's word tokens) and yield them, each with its segments, in
    order as they are ready, so the caller works meanwhile. syntok is pure Python, so the articles are shared out in
    chunks among `workers` processes (default: one per CPU); with one, each is segmented when it is asked for."""
    workers = min(workers or os.cpu_count() or 1, len(articles))
    if workers <= 1:
        yield ((article, _tokenized_article(article)) for article in articles)
        return
    # Chunks of a few dozen articles: few enough round trips, and still several chunks per worker to balance.
    chunk = max(1, min(50, len(articles) // (workers * 4)))
    pool = ProcessPoolExecutor(max_workers=workers)
    try:
        yield zip(articles, pool.map(_tokenized_article, articles, chunksize=chunk))
    finally:
        pool.shutdown(cancel_futures=True)  # a failed build does not wait for the articles nobody will read


def _tokenized_article(article: Article) -> list[tuple[Segment, TokenSpans]]:
    return list(tokenized_segments(article))


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
            raise ReleaseError(f"{path}:{_line_number(path, position)}: {problem}")


def _line_number(path: Path, position: int) -> int:
    """The file line of the store's `position`-th record (blank lines are skipped by the reader)."""
    return next(number for index, (number, _) in enumerate(read_jsonl(path)) if index == position)


def _input_checksums(root: Path, paths: list[Path]) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): _sha256(path) if path.exists() else "(missing: empty store)"
        for path in paths
    }


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def write_tables(tables: Tables, folder: Path) -> dict[str, dict[str, tuple[str, int]]]:
    """One parquet file per config and split, typed Features embedded; config -> split -> (path, arrow bytes)."""
    files: dict[str, dict[str, tuple[str, int]]] = {}
    for config, splits in tqdm(tables.items(), desc="writing", unit="config", disable=None):
        (folder / config).mkdir()
        for split, rows in splits.items():
            # Through pyarrow rather than Dataset.from_list, which encodes row by row in Python (3x slower here);
            # to_parquet still writes the file, the same bytes either way.
            relative = f"{config}/{split}.parquet"
            # A fixed fingerprint (it only names cache files, which a release never makes) spares hashing the table.
            dataset = Dataset(pa.Table.from_pylist(rows, schema=FEATURES[config].arrow_schema), fingerprint=relative)
            dataset.to_parquet(folder / relative)
            files.setdefault(config, {})[split] = (relative, dataset.data.nbytes)
    return files


def release_files(folder: Path) -> list[Path]:
    """Every file of a release except its git metadata and SHA256SUMS, sorted."""
    return sorted(
        path for path in folder.rglob("*")
        if path.is_file() and ".git" not in path.relative_to(folder).parts and path.name != CHECKSUMS_FILE
    )


def write_checksums(folder: Path) -> None:
    """SHA256SUMS in `sha256sum` format, so `sha256sum -c SHA256SUMS` checks a downloaded release."""
    lines = [f"{_sha256(path)}  {path.relative_to(folder).as_posix()}\n" for path in release_files(folder)]
    (folder / CHECKSUMS_FILE).write_text("".join(lines), encoding="utf-8")


def first_difference(old: Path, new: Path) -> str | None:
    """The first file that differs between two release folders (git metadata aside), or None."""
    old_names = {p.relative_to(old).as_posix() for p in release_files(old)} | {CHECKSUMS_FILE}
    new_names = {p.relative_to(new).as_posix() for p in release_files(new)} | {CHECKSUMS_FILE}
    for name in sorted(old_names ^ new_names):
        return f"{name} only in the {'existing' if name in old_names else 'new'} build"
    for name in sorted(new_names):
        if not (old / name).is_file() or (old / name).read_bytes() != (new / name).read_bytes():
            return f"{name} differs"
    return None


def _commit_and_tag(folder: Path, version: str) -> None:
    env = {**os.environ, **_GIT_ENV}
    commands = (
        ["git", "init", "--quiet", "--initial-branch=main"],
        ["git", "add", "--all"],
        ["git", "commit", "--quiet", "--no-verify", "--message", f"stance-corpus dataset {version}"],
        ["git", "tag", f"v{version}"],
    )
    for command in commands:
        result = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise ReleaseError(f"{folder}: `{' '.join(command)}` failed: {result.stderr.strip()}")


def resolve_release(name: str, root: Path) -> Path:
    """A release folder given as a path or as a version under releases/."""
    for candidate in (Path(name), root / RELEASES_DIR / name):
        if (candidate / "README.md").is_file():
            return candidate
    raise ReleaseError(f"{name}: not a release folder, nor a version under {root / RELEASES_DIR}")


def read_release(folder: Path) -> Tables:
    """config -> split -> rows of a release folder's parquet files."""
    tables: Tables = {}
    for path in sorted(folder.glob("*/*.parquet")):
        if path.parent.name in FEATURES:
            tables.setdefault(path.parent.name, {})[path.stem] = pq.read_table(path).to_pylist()
    if not tables:
        raise ReleaseError(f"{folder}: no parquet file of a known config ({', '.join(ROW_KEYS)})")
    return tables


def release_version(folder: Path) -> str:
    readme = folder / "README.md"
    return check_version(str(split_card(readme.read_text(encoding="utf-8"), str(readme))[0]["version"]))


def checksum_problem(folder: Path) -> str | None:
    """What makes a release folder differ from its SHA256SUMS (None when every file matches)."""
    sums = folder / CHECKSUMS_FILE
    if not sums.is_file():
        return f"no {CHECKSUMS_FILE}"
    lines = [line.split("  ", 1) for line in sums.read_text(encoding="utf-8").splitlines()]
    if any(len(parts) != 2 for parts in lines):
        return f"{CHECKSUMS_FILE} is not in `sha256sum` format"
    listed = {name: digest for digest, name in lines}
    for path in release_files(folder):
        if path.relative_to(folder).as_posix() not in listed:
            return f"{path.relative_to(folder).as_posix()} is not listed in {CHECKSUMS_FILE}"
    for name, digest in listed.items():
        if not (folder / name).is_file() or _sha256(folder / name) != digest:
            return f"{name} is missing or changed since the build"
    return None


def publish_release(folder: Path, repo_id: str, *, private: bool) -> str:
    """Upload a release folder to the Hub dataset repo `repo_id` and tag it v<version>; returns the tag's URL.

    A version whose tag is already on the Hub is refused before anything is uploaded: published versions never change.
    """
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    version = release_version(folder)
    problem = checksum_problem(folder)
    if problem:
        raise ReleaseError(f"{folder}: {problem}: rebuild the release rather than publish an altered one")
    token = os.environ.get("HF_TOKEN")
    if not token:
        raise ReleaseError("HF_TOKEN is not set: create a write token at https://huggingface.co/settings/tokens")
    api = HfApi(token=token)
    message = f"stance-corpus dataset {version}"
    tag = f"v{version}"
    try:
        api.create_repo(repo_id, repo_type="dataset", exist_ok=True, private=private)
        if any(ref.name == tag for ref in api.list_repo_refs(repo_id, repo_type="dataset").tags):
            raise ReleaseError(f"{repo_id} already has {tag}: a published version is never overwritten")
        # Data files of an older version that this one no longer has must not linger next to it on main.
        api.upload_folder(
            repo_id=repo_id, repo_type="dataset", folder_path=folder, commit_message=message,
            delete_patterns=["*.parquet"],
        )
        api.create_tag(repo_id, repo_type="dataset", tag=tag, tag_message=message)
    except (HfHubHTTPError, OSError) as error:
        raise ReleaseError(f"publishing {folder} to {repo_id} failed: {str(error).splitlines()[0]}") from None
    return f"https://huggingface.co/datasets/{repo_id}/tree/{tag}"
