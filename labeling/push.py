"""Creating or updating the annotation project and pushing tasks and pre-annotations to it (the HTTP edge).

Pushing is idempotent: the project's tasks are listed first and reconciled by segment id (labeling/tasks.py), so
only missing tasks are created, nothing is deleted or overwritten, and an edited segment is reported.

Annotators are shown the predictions of the project's model version only, and "Label All Tasks" serves tasks by the
project's sampling: reading order (import order) with the gazetteer's pre-annotations, or, once a stance model's
predictions are pushed, uncertainty sampling (lowest prediction score of that model version first).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any, TypeVar
from xml.etree import ElementTree

from label_studio_sdk import LabelStudio
from label_studio_sdk.core.api_error import ApiError
from label_studio_sdk.types import AllRolesProjectList
from markdown_it import MarkdownIt
from stance_corpus.corpus.errors import InputError, LabelStudioError
from stance_corpus.corpus.schema import ActorSpan, StancePrediction
from stance_corpus.labeling.convert import prediction_from_stance, required_id, result_from_spans
from stance_corpus.labeling.tasks import PushPlan, plan_push
from tqdm import tqdm

# Tasks per request: fewer, larger requests keep a 10,000-task push near one bare import_tasks call of the same
# tasks (docs/benchmarks.md, "Label Studio at scale").
BATCH_SIZE = 2000
SEQUENTIAL_SAMPLING = "Sequential sampling"
UNCERTAINTY_SAMPLING = "Uncertainty sampling"
SAMPLING_ORDER = {
    SEQUENTIAL_SAMPLING: "reading order",
    UNCERTAINTY_SAMPLING: "the model's least confident sentences first",
}
GUIDELINES_HEADING = "## Annotation guidelines"


def label_config() -> str:
    return files("stance_corpus.labeling").joinpath("config.xml").read_text(encoding="utf-8")


def guidelines_html(card_path: Path) -> str:
    """The "Annotation guidelines" section of the dataset card, as HTML for the project's instructions."""
    try:
        card = card_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(
            card_path, "not found: the project instructions come from its 'Annotation guidelines'"
        ) from None
    match = re.search(rf"^{re.escape(GUIDELINES_HEADING)}[ \t]*\n(.*?)(?=^## |\Z)", card, re.MULTILINE | re.DOTALL)
    if match is None:
        raise InputError(card_path, f"has no '{GUIDELINES_HEADING}' section for the project instructions")
    return MarkdownIt().render(match.group(1))


@dataclass(frozen=True)
class Project:
    id: int
    title: str
    created: bool
    updated: tuple[str, ...] = ()  # the settings that differed from ours and were set


def find_project(client: LabelStudio, title: str) -> AllRolesProjectList | None:
    """The project of this title, or None; several of one title is an error (which one would we fill?)."""
    listed: Iterable[AllRolesProjectList] = client.projects.list(title=title)
    matches = [project for project in listed if project.title == title]
    if len(matches) > 1:
        raise LabelStudioError(
            f"{len(matches)} projects are titled {title!r} (ids {[p.id for p in matches]}): rename all but one"
        )
    return matches[0] if matches else None


def ensure_project(client: LabelStudio, title: str, instructions: str, annotators_per_task: int) -> Project:
    """The project of this title, created or brought up to date with our labeling config and instructions."""
    settings: dict[str, Any] = {  # keyword arguments of projects.create and projects.update
        "label_config": label_config(),
        "expert_instruction": instructions,
        "show_instruction": True,
        "show_collab_predictions": True,
        "maximum_annotations": annotators_per_task,
    }
    project = find_project(client, title)
    try:
        if project is None:
            created = client.projects.create(title=title, **settings)
            return Project(required_id(created.id, f"the new project {title!r}"), title, created=True)
        changed = {name: value for name, value in settings.items() if _differs(name, getattr(project, name), value)}
        if changed:
            client.projects.update(id=required_id(project.id, f"project {title!r}"), **changed)
        return Project(required_id(project.id, f"project {title!r}"), title, created=False, updated=tuple(changed))
    except ApiError as error:
        raise LabelStudioError(
            f"Label Studio refused the project {title!r} ({error.status_code}): {error.body}"
        ) from None


def _differs(name: str, theirs: object, ours: object) -> bool:
    if name == "label_config":  # the server keeps the config without its comments: compare canonical XML
        return _canonical_xml(str(theirs or "")) != _canonical_xml(str(ours))
    return theirs != ours


def _canonical_xml(text: str) -> str:
    try:
        return ElementTree.canonicalize(text, strip_text=True)
    except ElementTree.ParseError:
        return text


def existing_tasks(client: LabelStudio, project_id: int) -> list[tuple[int, dict[str, Any], frozenset[str]]]:
    """(task id, data, model versions of its predictions) of every task of the project.

    One listing of the Data Manager with its computed columns (the SDK's default fields="all"): with "task_only"
    the prediction model versions come back empty, and the alternatives measured on 10,000 tasks (listing the
    predictions, filtering by model version) cost more than this one request per BATCH_SIZE tasks.
    """
    # The SDK types a task as a union of per-role serializers, some without these fields; an admin gets them all.
    pager: Iterable[Any] = client.tasks.list(
        project=project_id, page_size=BATCH_SIZE, include="id,data,predictions_model_versions"
    )
    tasks: list[tuple[int, dict[str, Any], frozenset[str]]] = []
    for task in tqdm(pager, desc="reading project tasks", unit="task", leave=False):
        versions = frozenset(v.strip() for v in (task.predictions_model_versions or "").split(",") if v.strip())
        tasks.append((task.id, task.data or {}, versions))
    return tasks


def _annotated_task_ids(client: LabelStudio, project_id: int) -> set[int]:
    """The tasks with at least one completed (submitted, not skipped) annotation."""
    # total_annotations is a stored counter: "task_only" spares the server the Data Manager's computed columns.
    pager: Iterable[Any] = client.tasks.list(  # as in existing_tasks
        project=project_id, page_size=BATCH_SIZE, fields="task_only", include="id,total_annotations"
    )
    return {task.id for task in pager if task.total_annotations}


@dataclass(frozen=True)
class StanceReport:
    model_version: str
    predicted: int  # tasks that received the model's prediction now
    already_predicted: int  # tasks that had one from an earlier push
    annotated: int  # tasks left without one: they have a completed annotation
    sampling: str  # the project's sampling after the push


@dataclass(frozen=True)
class PushReport:
    plan: PushPlan
    created: dict[str, int]  # segment id -> new task id
    predicted: int  # tasks that received a pre-annotation of model_version
    model_version: str | None
    duplicated: dict[str | None, list[int]]  # segment id (None: a task without one) -> task ids, when held twice
    stance: StanceReport | None = None


def push_tasks(
    client: LabelStudio,
    project_id: int,
    tasks: Sequence[dict],
    *,
    find_spans: Callable[[str], list[ActorSpan]] | None = None,
    model_version: str | None = None,
    stance: Sequence[tuple[str, StancePrediction]] = (),
    batch_size: int = BATCH_SIZE,
) -> PushReport:
    """Create the missing tasks, each with its pre-annotation (found by find_spans, of model_version), and
    pre-annotate every task already present that has no prediction of model_version yet.

    With `stance` ((file:line, prediction) of one model version), also give every task without a completed
    annotation and without a prediction of that version one prediction: the model's sentence stance plus the actor
    spans, and serve tasks by uncertainty. Otherwise the project is set back to reading order and the gazetteer.
    A prediction for a segment without a task stops the push before anything is created.
    """
    existing = existing_tasks(client, project_id)
    seen: dict[str | None, list[int]] = {}
    for task_id, data, _ in existing:
        seen.setdefault(data.get("segment_id"), []).append(task_id)
    duplicated = {segment: ids for segment, ids in seen.items() if len(ids) > 1}
    plan = plan_push(tasks, ((task_id, data) for task_id, data, _ in existing))
    to_create = {d["segment_id"] for d in plan.create}
    for where, prediction in stance:
        if prediction.segment_id not in seen and prediction.segment_id not in to_create:
            raise InputError(
                where,
                f"segment {prediction.segment_id} has no task in the project and is not among the tasks pushed now "
                "(predict the same seeds you annotate); nothing was pushed",
            )
    pre_annotate = find_spans is not None and model_version

    def pre_annotation(text: str) -> dict:
        # A task without any mention still gets its (empty) prediction, so that it is not searched again next time.
        spans = find_spans(text) if find_spans is not None else []  # only called when there is find_spans
        return {"model_version": model_version, "result": result_from_spans(text, spans)}

    created: dict[str, int] = {}
    with tqdm(total=len(plan.create), desc="creating tasks", unit="task", disable=not plan.create) as progress:
        for batch in _batches(plan.create, batch_size):
            # A new task's pre-annotation travels with it: one request instead of a second import of predictions.
            request = [
                {"data": d, "predictions": [pre_annotation(d["text"])]} if pre_annotate else {"data": d} for d in batch
            ]
            response = _call(
                "import tasks", client.projects.import_tasks, id=project_id, request=request, return_task_ids=True
            )
            if len(response.task_ids or []) != len(batch):
                raise LabelStudioError(f"Label Studio created {len(response.task_ids or [])} of {len(batch)} tasks")
            created.update(zip((d["segment_id"] for d in batch), response.task_ids))
            progress.update(len(batch))
    versions = {task_id: v for task_id, _, v in existing}
    texts = {d["segment_id"]: d["text"] for d in tasks}
    predicted = 0
    if pre_annotate:
        targets = [
            (task_id, texts[segment])
            for segment, task_id in plan.present.items()
            if model_version not in versions.get(task_id, frozenset())
        ]
        predictions = [
            {"task": task_id, **pre_annotation(text)}
            for task_id, text in tqdm(targets, desc="finding actor mentions", unit="task", leave=False)
        ]
        predicted = len(created) + _push_predictions(client, project_id, predictions, "pre-annotations", batch_size)
    stance_report = None
    if stance:
        task_texts = {
            data["segment_id"]: (task_id, data["text"]) for task_id, data, _ in existing if "segment_id" in data
        }
        task_texts.update({segment: (task_id, texts[segment]) for segment, task_id in created.items()})
        stance_report = _push_stance(
            client, project_id, [p for _, p in stance], task_texts, versions, find_spans, batch_size
        )
    if stance_report is not None and stance_report.sampling == UNCERTAINTY_SAMPLING:
        settings: dict[str, str | None] = {
            "model_version": stance_report.model_version, "sampling": UNCERTAINTY_SAMPLING
        }
    else:
        settings = {"model_version": model_version, "sampling": SEQUENTIAL_SAMPLING} if pre_annotate else {}
    if settings:
        _call("set the model version and sampling", client.projects.update, id=project_id, **settings)
    return PushReport(plan, created, predicted, model_version, duplicated, stance_report)


def _push_stance(
    client: LabelStudio,
    project_id: int,
    stance: list[StancePrediction],
    task_texts: dict[str, tuple[int, str]],
    versions: dict[int, frozenset[str]],
    find_spans: Callable[[str], list[ActorSpan]] | None,
    batch_size: int,
) -> StanceReport:
    model_version = stance[0].model_version
    annotated_ids = _annotated_task_ids(client, project_id)
    already = annotated = 0
    predictions = []
    for prediction in tqdm(stance, desc="finding actor mentions", unit="task", leave=False):
        task_id, text = task_texts[prediction.segment_id]
        if model_version in versions.get(task_id, frozenset()):
            already += 1
        elif task_id in annotated_ids:
            annotated += 1
        else:
            spans = find_spans(text) if find_spans is not None else []
            predictions.append(prediction_from_stance(task_id, text, prediction, spans))
    predicted = _push_predictions(client, project_id, predictions, f"{model_version} predictions", batch_size)
    # Label Studio accepts a project model version only when predictions of it exist.
    sampling = UNCERTAINTY_SAMPLING if predicted or already else SEQUENTIAL_SAMPLING
    return StanceReport(model_version, predicted, already, annotated, sampling)


def _push_predictions(
    client: LabelStudio, project_id: int, predictions: list[dict[str, Any]], what: str, batch_size: int
) -> int:
    with tqdm(total=len(predictions), desc=f"pushing {what}", unit="task", disable=not predictions) as progress:
        for batch in _batches(predictions, batch_size):
            _call("import predictions", client.projects.import_predictions, id=project_id, request=batch)
            progress.update(len(batch))
    return len(predictions)


Item = TypeVar("Item")


def _batches(items: Sequence[Item], size: int) -> Iterable[Sequence[Item]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _call(what: str, method: Callable[..., Any], /, **arguments: Any) -> Any:
    """`method(**arguments)`, its ApiError as a LabelStudioError; Any: some responses carry fields the SDK does not
    declare (`import_tasks`' task_ids)."""
    try:
        return method(**arguments)
    except ApiError as error:
        raise LabelStudioError(f"Label Studio refused to {what} ({error.status_code}): {error.body}") from None
