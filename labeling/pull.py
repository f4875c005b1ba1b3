"""Getting every completed annotation back: an export snapshot of the project, converted and checked.

export_snapshot(client, project_id)   the project's tasks with all their annotations (server-side snapshot), read
                                      one task at a time from a temporary file
annotations_from_export(tasks, scheme, target_id)
                                      checked Annotation records of one target's project + counts; pure, raises
                                      on any invalid one

Only the Annotation records are kept: the export (about 10 KB per task in memory with two annotators) is never
held whole, so a pull's memory does not grow with the export (docs/benchmarks.md, "Label Studio at scale").
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO

import ijson
from label_studio_sdk import LabelStudio
from label_studio_sdk.core.api_error import ApiError
from label_studio_sdk.types import SerializationOptionRequest, SerializationOptionsRequest
from stance_corpus.corpus.errors import LabelStudioError
from stance_corpus.corpus.schema import Annotation, Scheme
from stance_corpus.labeling.convert import annotation_from_label_studio, required_id
from tqdm import tqdm

EXPORT_TIMEOUT_SECONDS = 600.0
# The annotator is known by email, so the export carries the whole user; drafts and predictions only as ids.
SERIALIZATION = SerializationOptionsRequest(  # sent as {"annotations__completed_by": {"only_id": false}, ...}
    annotations_completed_by=SerializationOptionRequest(only_id=False),
    drafts=SerializationOptionRequest(only_id=True),
    predictions=SerializationOptionRequest(only_id=True),
)
JSON_WHITESPACE = b" \t\r\n"


def export_snapshot(client: LabelStudio, project_id: int) -> Iterator[dict]:
    """Every task of the project with every annotation of every annotator, via an export snapshot.

    A snapshot is built by the server in the background (the synchronous export times out on large projects),
    downloaded to a temporary file and deleted on the server. The whole download happens here, so the tasks can be
    read after the connection is closed; they are parsed one by one as the returned iterator is consumed.
    """
    snapshot = tempfile.TemporaryFile()  # noqa: SIM115 - handed over to _tasks_in, which closes it
    try:
        _download_snapshot(client, project_id, snapshot)
    except BaseException:
        snapshot.close()
        raise
    return _tasks_in(snapshot, project_id)


def _download_snapshot(client: LabelStudio, project_id: int, destination: IO[bytes]) -> None:
    try:
        export = client.projects.exports.create(
            id=project_id, title="stance-corpus pull", serialization_options=SERIALIZATION
        )
        export_id = required_id(export.id, f"the export snapshot of project {project_id}")
        try:
            _wait_and_download(client, project_id, export_id, destination)
        except BaseException:
            # Also after a failure or Ctrl-C: a snapshot left behind is a full copy of the annotations on the server.
            # Best effort, so the error reported is the first one.
            with contextlib.suppress(Exception):
                client.projects.exports.delete(id=project_id, export_pk=export_id)
            raise
        client.projects.exports.delete(id=project_id, export_pk=export_id)
    except ApiError as error:
        raise LabelStudioError(
            f"Label Studio refused the export of project {project_id} ({error.status_code}): {error.body}"
        ) from None


def _wait_and_download(client: LabelStudio, project_id: int, export_id: int, destination: IO[bytes]) -> None:
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
    chunks = client.projects.exports.download(id=project_id, export_pk=export_id, export_type="JSON")
    with tqdm(desc="downloading export", unit="B", unit_scale=True, leave=False) as progress:
        for chunk in chunks:
            destination.write(chunk)
            progress.update(len(chunk))


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
            raise LabelStudioError(f"the export of project {project_id} is not valid JSON: {problem}") from None


@dataclass
class PullResult:
    """The checked records of one project's export, and what else the export held."""

    annotations: list[Annotation] = field(default_factory=list)
    completed: Counter[str] = field(default_factory=Counter)  # per annotator email
    cancelled: Counter[str] = field(default_factory=Counter)  # skipped tasks, per annotator email
    drafts: int = 0  # unfinished work: stays in Label Studio, not exported
    tasks: int = 0
    tasks_without_annotation: int = 0


def annotations_from_export(tasks: Iterable[dict], scheme: Scheme, target_id: str) -> PullResult:
    """Every completed annotation of the project of `target_id` as a checked record; LabelStudioError naming the
    first problem (and how many).

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
                annotation = annotation_from_label_studio(task, raw, scheme, target_id)
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
