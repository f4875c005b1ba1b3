"""`stance-corpus release lock VERSION`: pin a built version in released.json before publishing it.

The pin records the commit whose inputs built the version, so it is only written after a build from that commit's
inputs (not the working tree's) gives the very files of releases/VERSION.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from stance_corpus.corpus.errors import ReleaseError
from stance_corpus.corpus.project import Project, load_project
from stance_corpus.corpus.release.build import build_release
from stance_corpus.corpus.release.card import check_version
from stance_corpus.corpus.release.croissant import CROISSANT_FILE
from stance_corpus.corpus.release.folder import checksum_problem, read_release
from stance_corpus.corpus.release.publishable import SCHEMA_1, SCHEMA_2
from stance_corpus.corpus.release.released import (
    ReleasedVersion,
    extract_inputs,
    file_difference,
    head_commit,
    labels_of,
    project_inputs,
    read_checksums,
    read_released,
    split_ids,
    split_moves,
    write_released,
)


def lock_release(project: Project, version: str) -> tuple[Path, ReleasedVersion]:
    """Pin <releases>/VERSION of the project in its released.json; returns (that file, the entry)."""
    root = project.root
    version = check_version(version)
    folder = project.releases / version
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
    inputs = project_inputs(project)
    commit = head_commit(root, inputs)
    schema = SCHEMA_2 if (folder / CROISSANT_FILE).is_file() else SCHEMA_1
    with tempfile.TemporaryDirectory(prefix=f"stance-corpus-lock-{version}-") as scratch:
        source, rebuilt = Path(scratch) / "inputs", Path(scratch) / "release"
        source.mkdir()
        extract_inputs(root, commit, inputs, source)
        build_release(load_project(source), version, rebuilt, schema=schema)
        difference = file_difference(files, read_checksums(rebuilt))
    if difference:
        raise ReleaseError(
            folder, f"a build from the inputs of commit {commit[:12]} gives other files ({difference}): rebuild the "
            "version from committed inputs before locking it"
        )
    entry = ReleasedVersion(version, commit, inputs, schema, files, split_ids(tables), labels_of(project.scheme))
    return write_released(root, {**released, version: entry}), entry
