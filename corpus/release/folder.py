"""A release folder on disk: its files, its SHA256SUMS, reading it back, comparing two, finding one by version."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow.parquet as pq
from stance_corpus.corpus.errors import ReleaseError
from stance_corpus.corpus.release.card import check_version, split_card
from stance_corpus.corpus.release.rows import CONFIGS, Tables

CHECKSUMS_FILE = "SHA256SUMS"


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file's bytes, hex, read in chunks."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def release_files(folder: Path) -> list[Path]:
    """Every file of a release except its git metadata and SHA256SUMS, sorted."""
    return sorted(
        path for path in folder.rglob("*")
        if path.is_file() and ".git" not in path.relative_to(folder).parts and path.name != CHECKSUMS_FILE
    )


def write_checksums(folder: Path) -> None:
    """SHA256SUMS in `sha256sum` format, so `sha256sum -c SHA256SUMS` checks a downloaded release."""
    lines = [f"{sha256_file(path)}  {path.relative_to(folder).as_posix()}\n" for path in release_files(folder)]
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


def resolve_release(name: str, releases: Path) -> Path:
    """A release folder given as a path or as a version under the project's releases folder."""
    for candidate in (Path(name), releases / name):
        if (candidate / "README.md").is_file():
            return candidate
    raise ReleaseError(name, f"not a release folder, nor a version under {releases}")


def read_release(folder: Path) -> Tables:
    """config -> split -> rows of a release folder's parquet files."""
    tables: Tables = {}
    for path in sorted(folder.glob("*/*.parquet")):
        if path.parent.name in CONFIGS:
            tables.setdefault(path.parent.name, {})[path.stem] = pq.read_table(path).to_pylist()
    if not tables:
        raise ReleaseError(folder, f"no parquet file of a known config ({', '.join(CONFIGS)})")
    return tables


def release_version(folder: Path) -> str:
    """The `version` of a release folder's README.md YAML header, checked (X.Y.Z)."""
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
        if not (folder / name).is_file() or sha256_file(folder / name) != digest:
            return f"{name} is missing or changed since the build"
    return None


