"""`stance-corpus release lock VERSION`: pin a built version in released.json before publishing it.

The pin records the commit whose inputs built the version, so it is only written after a build from that commit's
inputs (not the working tree's) gives the very files of releases/VERSION.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from stance_corpus.corpus.errors import ReleaseError
from stance_corpus.corpus.release.build import build_release
from stance_corpus.corpus.release.card import check_version
from stance_corpus.corpus.release.croissant import CROISSANT_FILE
from stance_corpus.corpus.release.folder import RELEASES_DIR, checksum_problem, read_release
from stance_corpus.corpus.release.publishable import SCHEMA_1, SCHEMA_2
from stance_corpus.corpus.release.released import (
    DEFAULT_INPUTS,
    ReleasedVersion,
    extract_inputs,
    file_difference,
    head_commit,
    read_checksums,
    read_released,
    split_ids,
    split_moves,
    write_released,
)


def lock_release(root: Path, version: str) -> tuple[Path, ReleasedVersion]:
    """Pin releases/VERSION of the project at `root` in its released.json; returns (that file, the entry)."""
    version = check_version(version)
    folder = root / RELEASES_DIR / version
    problem = checksum_problem(folder) if (folder / "README.md").is_file() else "not built"
    if problem:
        raise ReleaseError(folder, f"{problem}: build the version (`stance-corpus release`) before locking it")
    files = read_checksums(folder)
    released = read_released(root)
    if version in released and file_difference(released[version].files, files):
        raise ReleaseError(folder, f"version {version} is pinned with other files: a released version never changes")
    tables = read_release(folder)
    others = [entry for other, entry in released.items() if other != version]
    moved = split_moves(tables, others)
    if moved:
        raise ReleaseError(folder, f"{moved}: an article or sentence never moves to another split between versions")
    commit = head_commit(root, DEFAULT_INPUTS)
    schema = SCHEMA_2 if (folder / CROISSANT_FILE).is_file() else SCHEMA_1
    with tempfile.TemporaryDirectory(prefix=f"stance-corpus-lock-{version}-") as scratch:
        source, rebuilt = Path(scratch) / "inputs", Path(scratch) / "release"
        source.mkdir()
        extract_inputs(root, commit, DEFAULT_INPUTS, source)
        build_release(source, version, rebuilt, schema=schema)
        difference = file_difference(files, read_checksums(rebuilt))
    if difference:
        raise ReleaseError(
            folder, f"a build from the inputs of commit {commit[:12]} gives other files ({difference}): rebuild the "
            "version from committed inputs before locking it"
        )
    entry = ReleasedVersion(version, commit, DEFAULT_INPUTS, schema, files, split_ids(tables))
    return write_released(root, {**released, version: entry}), entry
