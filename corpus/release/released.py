"""Released versions, pinned: `released.json` at the project root records, for every version that was published,
the commit whose inputs built it, the sha256 of each of its files, the split of each of its articles and
sentences and the ClassLabel names it published (docs/releases.md, "Released versions").

With it a released version can always be rebuilt byte for byte, whatever the working tree holds now (a later
version's articles, store and card): its inputs are read from its commit (`git archive`) and the result must match
the recorded digests. And no later version can move an article or a sentence to another split: the build of every
version checks its rows against the splits of every released one.
"""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from stance_corpus.corpus.errors import ReleaseError
from stance_corpus.corpus.files import write_text_atomic
from stance_corpus.corpus.project import CONFIG_FILE, Project
from stance_corpus.corpus.release import CARD_FILE, CHANGELOG_FILE
from stance_corpus.corpus.release.rows import Tables
from stance_corpus.corpus.schema import Scheme

RELEASED_FILE = "released.json"
# The inputs of a version built before projects had a config (1.0.0): the project's default paths, no config.
LEGACY_INPUTS = ("seeds", "annotations", CARD_FILE, CHANGELOG_FILE)
# The configs whose row ids a released version's splits record, and the column of each.
SPLIT_IDS = {"articles": "id", "sentences": "id"}


@dataclass(frozen=True)
class ReleasedVersion:
    """One published version: where its inputs are, its release schema, and what it is (file digests, splits)."""

    version: str
    source_commit: str
    inputs: tuple[str, ...]
    schema: int
    files: dict[str, str]  # path in the release -> sha256 (what its SHA256SUMS lists)
    splits: dict[str, dict[str, list[str]]]  # config -> split -> row ids
    labels: dict[str, list[str]] | None = None  # "stance" / "actor_type" -> the ClassLabel names it published


def labels_of(scheme: Scheme) -> dict[str, list[str]]:
    """The ClassLabel names a release of the scheme publishes (its BIO tags follow from the actor types)."""
    return {"stance": list(scheme.stance_names), "actor_type": list(scheme.actor_type_names)}


def project_inputs(project: Project) -> tuple[str, ...]:
    """What a build of the project reads, relative to its folder: the config, seeds, store, card and changelog."""
    paths = (project.seeds, project.store, project.card, project.changelog)
    return (CONFIG_FILE, *(path.relative_to(project.root).as_posix() for path in paths))


def read_released(root: Path) -> dict[str, ReleasedVersion]:
    """version -> ReleasedVersion of the project at `root` ({} when it has no released.json)."""
    path = root / RELEASED_FILE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ReleaseError(path, f"not valid JSON ({error})") from error
    if not isinstance(data, dict):
        raise ReleaseError(path, "must be an object of versions")
    released = {}
    for version, entry in data.items():
        try:
            released[version] = ReleasedVersion(
                version=version,
                source_commit=str(entry["source_commit"]),
                inputs=tuple(entry["inputs"]),
                schema=int(entry["schema"]),
                files=dict(entry["files"]),
                splits={config: dict(per_split) for config, per_split in entry["splits"].items()},
                labels=(
                    {column: list(names) for column, names in entry["labels"].items()} if "labels" in entry else None
                ),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise ReleaseError(path, f"version {version}: missing or malformed field ({error})") from error
    return released


def write_released(root: Path, released: Mapping[str, ReleasedVersion]) -> Path:
    """Write released.json (atomically), versions in order."""
    data = {
        version: {
            "source_commit": entry.source_commit,
            "inputs": list(entry.inputs),
            "schema": entry.schema,
            "files": dict(sorted(entry.files.items())),
            "splits": {config: dict(per_split) for config, per_split in sorted(entry.splits.items())},
            **({"labels": entry.labels} if entry.labels is not None else {}),
        }
        for version, entry in sorted(released.items(), key=lambda item: tuple(int(p) for p in item[0].split(".")))
    }
    path = root / RELEASED_FILE
    write_text_atomic(path, json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    return path


def extract_inputs(root: Path, commit: str, inputs: Iterable[str], into: Path) -> None:
    """The inputs of `commit` (paths relative to `root`, a folder of a git repository) written under `into`."""
    prefix = _git(root, "rev-parse", "--show-prefix").strip()
    treeish = f"{commit}:{prefix}" if prefix else commit
    result = subprocess.run(
        ["git", "archive", "--format=tar", treeish, "--", *inputs], cwd=root, capture_output=True, check=False
    )
    if result.returncode != 0:
        raise ReleaseError(
            root, f"cannot read the inputs of commit {commit} ({result.stderr.decode(errors='replace').strip()}): "
            "a released version is rebuilt from the commit that built it; this checkout lacks it (a shallow clone "
            "or a copy without .git?): fetch the whole history (`git fetch --unshallow`)"
        )
    with tarfile.open(fileobj=io.BytesIO(result.stdout)) as archive:
        archive.extractall(into, filter="data")


def head_commit(root: Path, inputs: Iterable[str]) -> str:
    """The commit of `root`'s repository whose inputs the working tree holds unchanged (ReleaseError otherwise)."""
    changed = _git(root, "status", "--porcelain", "--", *inputs).strip()
    if changed:
        first = changed.splitlines()[0]
        raise ReleaseError(
            root, f"the inputs of the build differ from the last commit ({first.strip()} ...): commit them first, "
            "so that the release can be rebuilt from its commit"
        )
    return _git(root, "rev-parse", "HEAD").strip()


def split_ids(tables: Tables) -> dict[str, dict[str, list[str]]]:
    """config -> split -> sorted row ids, for the configs whose ids must keep their split (SPLIT_IDS)."""
    return {
        config: {split: sorted({row[column] for row in rows}) for split, rows in tables[config].items() if rows}
        for config, column in SPLIT_IDS.items()
        if config in tables
    }


def split_moves(tables: Tables, released: Iterable[ReleasedVersion]) -> str | None:
    """The first article or sentence of a released version that these rows put in another split (None if none)."""
    current = split_ids(tables)
    for entry in released:
        for config, per_split in entry.splits.items():
            now = {row_id: split for split, ids in current.get(config, {}).items() for row_id in ids}
            for split, ids in per_split.items():
                for row_id in ids:
                    if row_id in now and now[row_id] != split:
                        return (
                            f"{config} row {row_id} is in {now[row_id]} here but in {split} in release {entry.version}"
                        )
    return None


def file_difference(expected: Mapping[str, str], built: Mapping[str, str]) -> str | None:
    """The first file whose digest differs between a released version and a build of it (None when identical)."""
    for name in sorted(expected.keys() | built.keys()):
        if name not in built:
            return f"{name} is missing"
        if name not in expected:
            return f"{name} was not in the release"
        if expected[name] != built[name]:
            return f"{name} differs"
    return None


def read_checksums(folder: Path) -> dict[str, str]:
    """path -> sha256 of a release folder's SHA256SUMS."""
    lines = (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    return {name: digest for digest, name in (line.split("  ", 1) for line in lines)}


def _git(root: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ReleaseError(root, f"`git {' '.join(args)}` failed: {result.stderr.strip()}")
    return result.stdout
