"""Creating or updating a target's annotation project and pushing tasks and pre-annotations to it (the HTTP edge).

Pushing is idempotent: the project's tasks are listed first and reconciled by segment id (labeling/tasks.py), so
only missing tasks are created, nothing is deleted or overwritten, and an edited segment is reported.

Annotators are shown the predictions of the project's model version only, and "Label All Tasks" serves tasks by the
project's sampling: reading order (import order) with the gazetteer's pre-annotations, or, once a stance model's
predictions are pushed, uncertainty sampling (lowest prediction score of that model version first).

    push_tasks(client, project_id, tasks, target_id, gazetteer, stance)
        = plan_push -> check_predictions -> create_tasks -> pre_annotate -> push_stance -> set_sampling
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from xml.etree import ElementTree

from label_studio_sdk import LabelStudio
from label_studio_sdk.types import AllRolesProjectList
from markdown_it import MarkdownIt
from stance_corpus.corpus.errors import InputError
from stance_corpus.corpus.schema import ActorSpan, StancePrediction, Target, TaskData
from stance_corpus.labeling.convert import (
    prediction_from_stance,
    required_id,
    result_from_spans,
    task_data_from_label_studio,
)
from stance_corpus.labeling.errors import LabelStudioError, label_studio_errors
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
PROJECT_TITLE_LIMIT = 50  # characters (Label Studio's PROJECT_TITLE_MAX_LEN)


def guidelines_html(card_path: Path, target: Target, targets: Sequence[Target]) -> str:
    """The "Annotation guidelines" section of the dataset card as HTML, for the project instructions of `target`:
    without the sections (`### <heading>`) that belong to the other targets."""
    try:
        card = card_path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise InputError(
            card_path, "not found: the project instructions come from its 'Annotation guidelines'"
        ) from error
    match = re.search(rf"^{re.escape(GUIDELINES_HEADING)}[ \t]*\n(.*?)(?=^## |\Z)", card, re.MULTILINE | re.DOTALL)
    if match is None:
        raise InputError(card_path, f"has no '{GUIDELINES_HEADING}' section for the project instructions")
    guidelines = match.group(1)
    sections = {
        heading.group(1).strip(): heading
        for heading in re.finditer(r"^### (.+?)[ \t]*\n(?:.*?)(?=^##|\Z)", guidelines, re.MULTILINE | re.DOTALL)
    }
    for other in targets:
        if other.guidelines and other.guidelines not in sections:
            raise InputError(
                card_path,
                f"has no '### {other.guidelines}' section under '{GUIDELINES_HEADING}' (the guidelines of target "
                f"{other.id!r} in stance-corpus.toml)",
            )
    dropped = [sections[other.guidelines] for other in targets if other.id != target.id and other.guidelines]
    for section in sorted(dropped, key=lambda found: -found.start()):
        guidelines = guidelines[: section.start()] + guidelines[section.end() :]
    return MarkdownIt().render(guidelines)


@dataclass(frozen=True)
class ProjectSettings:
    """What a target's Label Studio project is set to: our labeling config, instructions and overlap."""

    label_config: str
    instructions: str
    annotators_per_task: int

    def as_dict(self) -> dict[str, Any]:
        """Label Studio's names for them."""
        return {
            "label_config": self.label_config,
            "expert_instruction": self.instructions,
            "show_instruction": True,
            "show_collab_predictions": True,
            "maximum_annotations": self.annotators_per_task,
        }


@dataclass(frozen=True)
class Project:
    """A Label Studio project as ensure_project left it."""

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


def ensure_project(client: LabelStudio, title: str, settings: ProjectSettings) -> Project:
    """The project of this title, created or brought up to date with our settings.

    Two commands creating it at once would leave two projects of one title (which every later command refuses):
    after creating, the projects of the title are listed again, the oldest one is kept, and the newer empty ones
    (ours among them, unless it is the oldest) are renamed "(empty duplicate ID) <title>", to be deleted by hand.
    """
    wanted = settings.as_dict()
    project: Any = find_project(client, title)
    with label_studio_errors(f"create or update the project {title!r}"):
        if project is None:
            created = required_id(client.projects.create(title=title, **wanted).id, f"the new project {title!r}")
            oldest = _keep_oldest_of_title(client, title, created)
            if oldest == created:
                return Project(created, title, created=True)
            project = client.projects.get(id=oldest)  # another command made it at the same time
        project_id = required_id(project.id, f"project {title!r}")
        changed = {name: value for name, value in wanted.items() if _differs(name, getattr(project, name), value)}
        if changed:
            client.projects.update(id=project_id, **changed)
        return Project(project_id, title, created=False, updated=tuple(changed))


def _keep_oldest_of_title(client: LabelStudio, title: str, created: int) -> int:
    """The id of the oldest project of this title, after renaming the newer ones that are still empty: ours if it
    is not the oldest, another command's that lost the same race, or one that a retried request made twice (the
    SDK retries a create that the server committed but answered with an error, as SQLite under load does).

    Renamed, not deleted: Label Studio 1.23 deletes a project with every model signal of the server process
    switched off (`temporary_disconnect_all_signals`), so requests served meanwhile skip their bookkeeping, and two
    deletions at once leave the signals off for good (annotations no longer counted).
    """
    listed: Iterable[AllRolesProjectList] = client.projects.list(title=title)
    ids = sorted(project.id for project in listed if project.title == title and project.id is not None)
    oldest = ids[0] if ids else created
    for project_id in ids[1:]:
        if not client.projects.get(id=project_id).task_number:
            renamed = f"(empty duplicate {project_id}) {title}"[:PROJECT_TITLE_LIMIT]
            client.projects.update(id=project_id, title=renamed)
    return oldest


def _differs(name: str, theirs: object, ours: object) -> bool:
    if name == "label_config":  # the server keeps the config without its comments: compare canonical XML
        return _canonical_xml(str(theirs or "")) != _canonical_xml(str(ours))
    return theirs != ours


def _canonical_xml(text: str) -> str:
    try:
        return ElementTree.canonicalize(text, strip_text=True)
    except ElementTree.ParseError:
        return text


@dataclass(frozen=True)
class ExistingTask:
    """A task already in the project, with the model versions of its predictions."""

    id: int
    data: TaskData
    model_versions: frozenset[str]


def existing_tasks(client: LabelStudio, project_id: int, target_id: str) -> list[ExistingTask]:
    """Every task of the project of `target_id`.

    One listing of the Data Manager with its computed columns (the SDK's default fields="all"): with "task_only"
    the prediction model versions come back empty, and the alternatives measured on 10,000 tasks (listing the
    predictions, filtering by model version) cost more than this one request per BATCH_SIZE tasks.
    """
    # The SDK types a task as a union of per-role serializers, some without these fields; an admin gets them all.
    pager: Iterable[Any] = client.tasks.list(
        project=project_id, page_size=BATCH_SIZE, include="id,data,predictions_model_versions"
    )
    tasks: list[ExistingTask] = []
    for task in tqdm(pager, desc="reading project tasks", unit="task", leave=False):
        versions = frozenset(v.strip() for v in (task.predictions_model_versions or "").split(",") if v.strip())
        tasks.append(ExistingTask(task.id, task_data_from_label_studio(task.data, target_id), versions))
    return tasks


def _without_concurrent_duplicates(client: LabelStudio, project_id: int, created: dict[str, int]) -> dict[str, int]:
    """`created` less the tasks that another push made for the same segments at the same time, deleted here.

    Two pushes that listed the project before either created anything both create every task. Each checks after
    creating: of a segment's tasks the oldest is kept, so the later push deletes its own (new, unannotated) ones.
    """
    pager: Iterable[Any] = client.tasks.list(
        project=project_id, page_size=BATCH_SIZE, fields="task_only", include="id,data"
    )
    oldest: dict[str, int] = {}
    for task in pager:
        segment = (task.data or {}).get("segment_id")
        if segment in created:
            oldest[segment] = min(task.id, oldest.get(segment, task.id))
    kept: dict[str, int] = {}
    for segment, task_id in created.items():
        if oldest.get(segment, task_id) < task_id:
            _call("delete a task pushed twice at once", client.tasks.delete, id=task_id)
        else:
            kept[segment] = task_id
    return kept


def _annotated_task_ids(client: LabelStudio, project_id: int) -> set[int]:
    """The tasks with at least one completed (submitted, not skipped) annotation."""
    # total_annotations is a stored counter: "task_only" spares the server the Data Manager's computed columns.
    pager: Iterable[Any] = client.tasks.list(  # as in existing_tasks
        project=project_id, page_size=BATCH_SIZE, fields="task_only", include="id,total_annotations"
    )
    return {task.id for task in pager if task.total_annotations}


@dataclass(frozen=True)
class Gazetteer:
    """The pre-annotations of tasks: actor spans found in a task (with the scheme's default stance) and the model
    version they are pushed as (`gazetteer-<first 8 hex of the registry's sha256>`); `actor_names` (registry id ->
    name) name each span's actor in the Regions list."""

    model_version: str
    find_spans: Callable[[TaskData], list[ActorSpan]]
    actor_names: Mapping[str, str] = field(default_factory=dict)

    def prediction(self, task: TaskData) -> dict[str, Any]:
        """A task's pre-annotation; a task without any mention still gets its (empty) prediction, so that it is not
        searched again next time."""
        result = result_from_spans(task.text, self.find_spans(task), self.actor_names)
        return {"model_version": self.model_version, "result": result}


@dataclass(frozen=True)
class StanceReport:
    """What `push_stance` did with a stance model's predictions."""

    model_version: str
    predicted: int  # tasks that received the model's prediction now
    already_predicted: int  # tasks that had one from an earlier push
    annotated: int  # tasks left without one: they have a completed annotation
    sampling: str  # the project's sampling after the push


@dataclass(frozen=True)
class PushReport:
    """What one push did to one project."""

    plan: PushPlan
    created: dict[str, int]  # segment id -> new task id
    predicted: int  # tasks that received a pre-annotation of the gazetteer's model version
    model_version: str | None
    duplicated: dict[str, list[int]]  # segment id ("": a task without one) -> task ids, when held twice
    stance: StanceReport | None = None


def push_tasks(
    client: LabelStudio,
    project_id: int,
    tasks: Sequence[TaskData],
    target_id: str,
    gazetteer: Gazetteer | None = None,
    stance: Sequence[tuple[str, StancePrediction]] = (),
) -> PushReport:
    """Create the missing tasks (each with its gazetteer pre-annotation) and pre-annotate every task already
    present that has none of the gazetteer's model version yet.

    With `stance` ((file:line, prediction) of one model version), also give every task without a completed
    annotation and without a prediction of that version one prediction: the model's sentence stance plus the actor
    spans, and serve tasks by uncertainty. Otherwise the project is set back to reading order and the gazetteer.
    A prediction for a segment without a task stops the push before anything is created.
    """
    existing = existing_tasks(client, project_id, target_id)
    plan = plan_push(tasks, ((task.id, task.data) for task in existing))
    check_predictions(stance, existing, plan)
    created = create_tasks(client, project_id, plan.create, gazetteer)
    predicted = (len(created) + pre_annotate(client, project_id, existing, plan, gazetteer)) if gazetteer else 0
    stance_report = None
    if stance:
        tasks_by_segment = {task.data.segment_id: (task.id, task.data) for task in existing}
        tasks_by_segment.update({data.segment_id: (created[data.segment_id], data) for data in plan.create})
        stance_report = push_stance(client, project_id, [p for _, p in stance], tasks_by_segment, existing, gazetteer)
    set_sampling(client, project_id, gazetteer, stance_report)
    model_version = gazetteer.model_version if gazetteer else None
    return PushReport(plan, created, predicted, model_version, _duplicated(existing), stance_report)


def _duplicated(existing: Iterable[ExistingTask]) -> dict[str, list[int]]:
    seen: dict[str, list[int]] = {}
    for task in existing:
        seen.setdefault(task.data.segment_id, []).append(task.id)
    return {segment: ids for segment, ids in seen.items() if len(ids) > 1}


def check_predictions(
    stance: Sequence[tuple[str, StancePrediction]], existing: Sequence[ExistingTask], plan: PushPlan
) -> None:
    """Every prediction names a segment with a task, or one about to be created; InputError names its file:line."""
    known = {task.data.segment_id for task in existing} | {data.segment_id for data in plan.create}
    for where, prediction in stance:
        if prediction.segment_id not in known:
            raise InputError(
                where,
                f"segment {prediction.segment_id} has no task in the project and is not among the tasks pushed now "
                "(predict the same seeds you annotate); nothing was pushed",
            )


def create_tasks(
    client: LabelStudio, project_id: int, tasks: Sequence[TaskData], gazetteer: Gazetteer | None
) -> dict[str, int]:
    """Import the tasks in batches, each with its pre-annotation; segment id -> new task id."""
    created: dict[str, int] = {}
    with tqdm(total=len(tasks), desc="creating tasks", unit="task", disable=not tasks) as progress:
        for batch in _batches(tasks, BATCH_SIZE):
            # A new task's pre-annotation travels with it: one request instead of a second import of predictions.
            request = [
                {"data": data.as_dict(), **({"predictions": [gazetteer.prediction(data)]} if gazetteer else {})}
                for data in batch
            ]
            response = _call(
                "import tasks", client.projects.import_tasks, id=project_id, request=request, return_task_ids=True
            )
            if len(response.task_ids or []) != len(batch):
                raise LabelStudioError(f"Label Studio created {len(response.task_ids or [])} of {len(batch)} tasks")
            created.update(zip((data.segment_id for data in batch), response.task_ids))
            progress.update(len(batch))
    return _without_concurrent_duplicates(client, project_id, created) if created else created


def pre_annotate(
    client: LabelStudio, project_id: int, existing: Sequence[ExistingTask], plan: PushPlan, gazetteer: Gazetteer
) -> int:
    """Give every task already present that has no prediction of the gazetteer's version one; returns how many."""
    wanted = {task.data.segment_id: task for task in existing}
    missing = [
        wanted[segment]
        for segment in plan.present
        if gazetteer.model_version not in wanted[segment].model_versions
    ]
    predictions = [
        {"task": task.id, **gazetteer.prediction(task.data)}
        for task in tqdm(missing, desc="finding actor mentions", unit="task", leave=False)
    ]
    return _push_predictions(client, project_id, predictions, "pre-annotations")


def push_stance(
    client: LabelStudio,
    project_id: int,
    stance: list[StancePrediction],
    tasks_by_segment: dict[str, tuple[int, TaskData]],
    existing: Sequence[ExistingTask],
    gazetteer: Gazetteer | None,
) -> StanceReport:
    """One prediction (the model's stance and the gazetteer's spans) per task without a completed annotation and
    without a prediction of the model's version."""
    model_version = stance[0].model_version
    versions = {task.id: task.model_versions for task in existing}
    annotated_ids = _annotated_task_ids(client, project_id)
    already = annotated = 0
    predictions = []
    for prediction in tqdm(stance, desc="finding actor mentions", unit="task", leave=False):
        task_id, data = tasks_by_segment[prediction.segment_id]
        if model_version in versions.get(task_id, frozenset()):
            already += 1
        elif task_id in annotated_ids:
            annotated += 1
        else:
            spans = gazetteer.find_spans(data) if gazetteer is not None else []
            names = gazetteer.actor_names if gazetteer is not None else {}
            predictions.append(prediction_from_stance(task_id, data.text, prediction, spans, names))
    predicted = _push_predictions(client, project_id, predictions, f"{model_version} predictions")
    # Label Studio accepts a project model version only when predictions of it exist.
    sampling = UNCERTAINTY_SAMPLING if predicted or already else SEQUENTIAL_SAMPLING
    return StanceReport(model_version, predicted, already, annotated, sampling)


def set_sampling(
    client: LabelStudio, project_id: int, gazetteer: Gazetteer | None, stance: StanceReport | None
) -> None:
    """Serve the stance model's least confident tasks first when its predictions are there, else reading order
    with the gazetteer's pre-annotations."""
    if stance is not None and stance.sampling == UNCERTAINTY_SAMPLING:
        settings: dict[str, str] = {"model_version": stance.model_version, "sampling": UNCERTAINTY_SAMPLING}
    elif gazetteer is not None:
        settings = {"model_version": gazetteer.model_version, "sampling": SEQUENTIAL_SAMPLING}
    else:
        return
    _call("set the model version and sampling", client.projects.update, id=project_id, **settings)


def _push_predictions(client: LabelStudio, project_id: int, predictions: list[dict[str, Any]], what: str) -> int:
    with tqdm(total=len(predictions), desc=f"pushing {what}", unit="task", disable=not predictions) as progress:
        for batch in _batches(predictions, BATCH_SIZE):
            _call("import predictions", client.projects.import_predictions, id=project_id, request=batch)
            progress.update(len(batch))
    return len(predictions)


Item = TypeVar("Item")


def _batches(items: Sequence[Item], size: int) -> Iterable[Sequence[Item]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _call(what: str, method: Callable[..., Any], /, **arguments: Any) -> Any:
    """`method(**arguments)`, its ApiError as a LabelStudioError (labeling/errors.py); Any: some responses carry
    fields the SDK does not declare (`import_tasks`' task_ids)."""
    with label_studio_errors(what):
        return method(**arguments)
