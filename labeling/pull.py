"""Getting every completed annotation back: an export snapshot of the project, converted and checked.

export_snapshot(client, project_id)   the project's tasks with all their annotations (server-side snapshot), read
                                      one task at a time from a temporary file; nothing of it is left on a local
                                      server, only its file on a team server (docs/reliability.md)
annotations_from_export(tasks, scheme, target_id, actor_ids)
                                      checked Annotation records of one target's project + counts; pure, raises
                                      on any invalid one (an actor id outside the registry's `actor_ids` too)

Only the Annotation records are kept: the export (about 10 KB per task in memory with two annotators) is never
held whole, so a pull's memory does not grow with the export (docs/benchmarks.md, "Label Studio at scale").
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import tempfile
import time
from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import IO

import ijson
from label_studio_sdk import LabelStudio
from label_studio_sdk.types import SerializationOptionRequest, SerializationOptionsRequest
from stance_corpus.corpus.schema import Annotation, Scheme
from stance_corpus.labeling.convert import annotation_from_label_studio, required_id
from stance_corpus.labeling.errors import LabelStudioError, label_studio_errors
from tqdm import tqdm

EXPORT_TIMEOUT_SECONDS = 600.0
SNAPSHOT_TITLE = "stance-corpus pull"
# On a team server, a snapshot of ours this much older than the one made now is a killed pull's, not a running one's.
STALE_SNAPSHOT = timedelta(seconds=2 * EXPORT_TIMEOUT_SECONDS)
PULL_LOCK_FILE = "pull.lock"
# Where Label Studio keeps a project's export snapshots: MEDIA_ROOT/DELAYED_EXPORT_DIR/<project id>/ (settings/base.py).
EXPORT_FILES_DIR = Path("media") / "export"
# The annotator is known by email, so the export carries the whole user; drafts and predictions only as ids.
SERIALIZATION = SerializationOptionsRequest(  # sent as {"annotations__completed_by": {"only_id": false}, ...}
    annotations_completed_by=SerializationOptionRequest(only_id=False),
    drafts=SerializationOptionRequest(only_id=True),
    predictions=SerializationOptionRequest(only_id=True),
)
JSON_WHITESPACE = b" \t\r\n"


@dataclass
class Snapshot:
    """A project's export: its tasks (read once, one at a time) and what is left of it on the server."""

    tasks: Iterator[dict]
    left_on_server: str | None = None  # a team server's export file (Label Studio 1.23 never deletes those)
    leftovers_removed: int = 0  # snapshots of earlier pulls that were killed, removed now

    def __iter__(self) -> Iterator[dict]:
        return self.tasks


def export_snapshot(client: LabelStudio, project_id: int, data_dir: Path | None = None) -> Snapshot:
    """Every task of the project with every annotation of every annotator, via an export snapshot.

    A snapshot is built by the server in the background (the synchronous export times out on large projects),
    downloaded to a temporary file and deleted on the server. The whole download happens here, so the tasks can be
    read after the connection is closed; they are parsed one by one as the returned snapshot is iterated.

    Deleting a snapshot through the API removes its record but, in Label Studio 1.23, not its file (a full copy of
    the annotations, 0600 under the server's data dir). `data_dir` is the data dir of a local server of ours: its
    files are removed too, and so are the snapshots of pulls that were killed before they could clean up. On a
    team server (data_dir None) the file stays and is named in `left_on_server`.
    """
    snapshot = tempfile.TemporaryFile()  # noqa: SIM115 - handed over to _tasks_in, which closes it
    try:
        with _pull_lock(data_dir):
            left, removed = _download_snapshot(client, project_id, snapshot, data_dir)
    except BaseException:
        snapshot.close()
        raise
    return Snapshot(_tasks_in(snapshot, project_id), left, removed)


@contextlib.contextmanager
def _pull_lock(data_dir: Path | None) -> Iterator[None]:
    """One pull at a time per local server, so that every snapshot of ours found there is a killed pull's."""
    if data_dir is None:
        yield
        return
    descriptor = os.open(data_dir / PULL_LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # releases the lock


def _download_snapshot(
    client: LabelStudio, project_id: int, destination: IO[bytes], data_dir: Path | None = None
) -> tuple[str | None, int]:
    """Create, download and delete one snapshot; returns (the file a team server keeps, leftovers removed)."""
    with label_studio_errors(f"export project {project_id}"):
        export = client.projects.exports.create(
            id=project_id, title=SNAPSHOT_TITLE, serialization_options=SERIALIZATION
        )
        export_id = required_id(export.id, f"the export snapshot of project {project_id}")
        filename = None
        try:
            filename = _wait_and_download(client, project_id, export_id, destination)
        except BaseException:
            # Also after a failure or Ctrl-C: a snapshot left behind is a full copy of the annotations on the server.
            # Best effort, so the error reported is the first one.
            with contextlib.suppress(Exception):
                _delete_snapshot(client, project_id, export_id, data_dir)
            raise
        _delete_snapshot(client, project_id, export_id, data_dir, filename)
        removed = _remove_leftovers(client, project_id, export, data_dir)
    return (None if data_dir is not None else filename), removed


def _wait_and_download(client: LabelStudio, project_id: int, export_id: int, destination: IO[bytes]) -> str | None:
    """Wait for the snapshot, download it into destination; returns the name of its file on the server."""
    deadline = time.monotonic() + EXPORT_TIMEOUT_SECONDS
    delay = 0.1  # short polls at first: a small project's snapshot is ready in well under a second
    while (status := client.projects.exports.get(id=project_id, export_pk=export_id).status) != "completed":
        if status == "failed":
            raise LabelStudioError(
                f"Label Studio failed to build the export snapshot {export_id} of project {project_id}"
            )
        if time.monotonic() > deadline:
            raise LabelStudioError(
                f"the export snapshot {export_id} was not ready after {EXPORT_TIMEOUT_SECONDS:.0f} s"
            )
        time.sleep(delay)
        delay = min(delay * 2, 1.0)
    downloading = client.projects.exports.with_raw_response.download(
        id=project_id, export_pk=export_id, export_type="JSON"
    )
    with downloading as response, tqdm(desc="downloading export", unit="B", unit_scale=True, leave=False) as progress:
        for chunk in response.data:
            destination.write(chunk)
            progress.update(len(chunk))
        name = Path(response.headers.get("filename") or "").name
    return name if re.fullmatch(rf"project-{project_id}-at-[\w.-]+\.json", name) else None


def _delete_snapshot(
    client: LabelStudio, project_id: int, export_id: int, data_dir: Path | None, filename: str | None = None
) -> None:
    """Delete a snapshot's file (on a local server: the API leaves it) and then its record."""
    if data_dir is not None:
        if filename is None:  # not downloaded: found by the md5 that is part of its name
            md5 = client.projects.exports.get(id=project_id, export_pk=export_id).md5
            files = _files_of(data_dir, project_id, md5) if md5 else []
        else:
            files = [data_dir / EXPORT_FILES_DIR / str(project_id) / filename]
        for path in files:
            path.unlink(missing_ok=True)
    client.projects.exports.delete(id=project_id, export_pk=export_id)


def _files_of(data_dir: Path, project_id: int, md5: str) -> list[Path]:
    # Label Studio names the file project-<id>-at-<time>-<md5[:8]>.json, plus _<random> when the name was taken.
    folder = data_dir / EXPORT_FILES_DIR / str(project_id)
    return sorted(folder.glob(f"project-{project_id}-at-*-{md5[:8]}*.json"))


def _remove_leftovers(client: LabelStudio, project_id: int, own, data_dir: Path | None) -> int:
    """Delete the snapshots of earlier pulls that were killed before deleting theirs; returns how many.

    On a local server (one pull at a time, under the pull lock) every other snapshot of ours is one; on a team
    server, only those made long before ours (another machine may be pulling now). Snapshots that people made in
    the web UI are left alone, and so is a file whose name another snapshot's md5 also matches.
    """
    exports = client.projects.exports.list(id=project_id)
    theirs = {export.md5 for export in exports if export.title != SNAPSHOT_TITLE and export.md5}
    removed = 0
    for export in exports:
        if export.title != SNAPSHOT_TITLE or export.id == own.id:
            continue
        if data_dir is None and not (
            export.created_at and own.created_at and export.created_at < own.created_at - STALE_SNAPSHOT
        ):
            continue
        if data_dir is not None and export.md5 and export.md5 not in theirs:
            for path in _files_of(data_dir, project_id, export.md5):
                path.unlink(missing_ok=True)
        client.projects.exports.delete(id=project_id, export_pk=required_id(export.id, f"export of {project_id}"))
        removed += 1
    return removed


def _tasks_in(snapshot: IO[bytes], project_id: int) -> Iterator[dict]:
    with snapshot:
        snapshot.seek(0)
        start = snapshot.read(64).lstrip(JSON_WHITESPACE)[:1]
        if start != b"[":  # ijson would silently find no task in an object
            raise LabelStudioError(f"the export of project {project_id} is not a list of tasks")
        snapshot.seek(0)
        try:
            for number, task in enumerate(ijson.items(snapshot, "item", use_float=True), start=1):
                if not isinstance(task, dict):
                    raise LabelStudioError(f"item {number} of the export of project {project_id} is not a task")
                yield task
        except ijson.JSONError as error:
            problem = str(error).splitlines()[0]
            raise LabelStudioError(f"the export of project {project_id} is not valid JSON: {problem}") from error


@dataclass
class PullResult:
    """The checked records of one project's export, and what else the export held."""

    annotations: list[Annotation] = field(default_factory=list)
    completed: Counter[str] = field(default_factory=Counter)  # per annotator email
    cancelled: Counter[str] = field(default_factory=Counter)  # skipped tasks, per annotator email
    drafts: int = 0  # unfinished work: stays in Label Studio, not exported
    tasks: int = 0
    tasks_without_annotation: int = 0


def annotations_from_export(
    tasks: Iterable[dict], scheme: Scheme, target_id: str, actor_ids: Collection[str] | None = None
) -> PullResult:
    """Every completed annotation of the project of `target_id` as a checked record; LabelStudioError naming the
    first problem (and how many). With `actor_ids` (the actor registry's ids), an actor id outside them is a
    problem: the task, the annotator and the id are named.

    Tasks are consumed one at a time and only their records kept. Cancelled (skipped) annotations are counted, not
    stored. One annotator with two completed annotations of one task is a problem: the store keeps one annotation
    per segment, target and annotator.
    """
    result = PullResult()
    problems: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    for task in tqdm(tasks, desc="checking annotations", unit="task", leave=False):
        result.tasks += 1
        result.drafts += len(task.get("drafts") or [])
        completed = [a for a in task.get("annotations") or [] if not a.get("was_cancelled")]
        for cancelled in (a for a in task.get("annotations") or [] if a.get("was_cancelled")):
            result.cancelled[_email(cancelled)] += 1
        if not completed:
            result.tasks_without_annotation += 1
        for raw in completed:
            try:
                annotation = annotation_from_label_studio(task, raw, scheme, target_id, actor_ids)
            except LabelStudioError as error:
                problems.append(str(error))
                continue
            key = (annotation.segment_id, annotation.annotator)
            if key in seen:
                problems.append(
                    f"task {task.get('id')} (segment {key[0]}): {key[1]} completed it twice (annotations "
                    f"{seen[key]} and {raw.get('id')}); delete one in Label Studio"
                )
                continue
            seen[key] = raw.get("id")
            result.annotations.append(annotation)
            result.completed[annotation.annotator] += 1
    if problems:
        more = f" (and {len(problems) - 1} more invalid annotation(s))" if len(problems) > 1 else ""
        raise LabelStudioError(f"{problems[0]}{more}; nothing was written")
    return result


def _email(annotation: dict) -> str:
    user = annotation.get("completed_by")
    return user.get("email") or f"user {user.get('id')}" if isinstance(user, dict) else f"user {user}"
