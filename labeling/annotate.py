"""What `stance-corpus annotate` and `pull` do for each target of a project, as plain functions over an SDK client.

    gazetteer_of(project, articles)             the actor registry's pre-annotations, scoped by article and target
    annotate_target(client, project, target, articles, gazetteer, stance)
                                                ensure the target's Label Studio project, push its tasks
    push_target_tasks(client, project, target, title, tasks, articles, gazetteer, stance)
                                                the same for tasks given (a selection of a pool)
    pull_target(client, project, target, title) export the target's project, and its review project when there
                                                is one, into checked Annotation records

Each target has its own Label Studio project (docs/annotation.md, "One project per target"): its labeling config
names the target and shows its description, its instructions are the guidelines with the target's own section.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from label_studio_sdk import LabelStudio
from stance_corpus.corpus.actors import MentionContext, find_actor_mentions, load_actor_registry
from stance_corpus.corpus.errors import InputError
from stance_corpus.corpus.project import TITLE_LENGTH, Project
from stance_corpus.corpus.schema import ActorSpan, Article, StancePrediction, Target, TaskData
from stance_corpus.corpus.segment import segment_article
from stance_corpus.labeling.config import label_config, screen_help_html
from stance_corpus.labeling.convert import required_id
from stance_corpus.labeling.errors import LabelStudioError
from stance_corpus.labeling.pull import PullResult, annotations_from_export, export_snapshot
from stance_corpus.labeling.push import (
    Gazetteer,
    ProjectSettings,
    PushReport,
    ensure_project,
    find_project,
    guidelines_html,
    push_tasks,
)
from stance_corpus.labeling.push import Project as LabelStudioProject
from stance_corpus.labeling.selection import SelectedTask
from stance_corpus.labeling.tasks import build_tasks


def titles_of(targets: Sequence[Target], title: str | None) -> dict[str, str]:
    """target id -> Label Studio project title: the config's, or `--title` for the one target selected."""
    if title is not None and len(targets) != 1:
        raise InputError("--title", f"names one project, but {len(targets)} targets are selected: add --target ID")
    if title is not None and not TITLE_LENGTH[0] <= len(title) <= TITLE_LENGTH[1]:
        raise InputError("--title", f"{title!r} must have {TITLE_LENGTH[0]} to {TITLE_LENGTH[1]} characters")
    return {target.id: title or target.label_studio_title for target in targets}


def gazetteer_of(project: Project, articles: Sequence[Article]) -> Gazetteer:
    """The pre-annotations of the project's tasks: actor spans with the scheme's default stance, found with the
    article's text and the task's target as the context of scoped aliases, each shown with its actor's name."""
    registry = load_actor_registry(project.actors, project.scheme)
    texts = {article.id: article.text for article in articles}
    default = project.scheme.default_stance

    def find_spans(task: TaskData) -> list[ActorSpan]:
        context = MentionContext(target=task.target_id, article_text=texts.get(task.article_id, ""))
        return [replace(span, stance=default) for span in find_actor_mentions(task.text, registry, context)]

    digest = hashlib.sha256(project.actors.read_bytes()).hexdigest()
    names = {actor.id: actor.name for actor in registry.values()}
    return Gazetteer(model_version=f"gazetteer-{digest[:8]}", find_spans=find_spans, actor_names=names)


def selection_gazetteer(project: Project, selected: Sequence[SelectedTask]) -> Gazetteer:
    """The pre-annotations of a selection's tasks: the spans the pool's gazetteer found (with each article's text
    as the context of scoped aliases, which a task does not carry), under the project registry's model version."""
    registry = load_actor_registry(project.actors, project.scheme)
    spans = {task.data.segment_id: list(task.spans) for task in selected}
    digest = hashlib.sha256(project.actors.read_bytes()).hexdigest()
    names = {actor.id: actor.name for actor in registry.values()}
    return Gazetteer(
        model_version=f"gazetteer-{digest[:8]}", find_spans=lambda task: spans.get(task.segment_id, []),
        actor_names=names,
    )


@dataclass(frozen=True)
class TargetPush:
    """What annotate did for one target."""

    target: Target
    project: LabelStudioProject
    tasks: int
    articles: int
    report: PushReport


def articles_of(project: Project, target: Target, articles: Sequence[Article]) -> list[Article]:
    """The articles annotated for `target` (their catalogue `targets`, or the project's default targets)."""
    return [article for article in articles if target in project.targets_of(article)]


def annotate_target(
    client: LabelStudio,
    project: Project,
    target: Target,
    title: str,
    articles: Sequence[Article],
    gazetteer: Gazetteer,
    stance: Sequence[tuple[str, StancePrediction]] = (),
) -> TargetPush:
    """Create or update the target's Label Studio project and push the tasks of the articles annotated for it."""
    mine = articles_of(project, target, articles)
    tasks = list(build_tasks(mine, target, lambda article: segment_article(article, project.segmentation)))
    return push_target_tasks(client, project, target, title, tasks, len(mine), gazetteer, stance)


def push_target_tasks(
    client: LabelStudio,
    project: Project,
    target: Target,
    title: str,
    tasks: Sequence[TaskData],
    articles: int,
    gazetteer: Gazetteer,
    stance: Sequence[tuple[str, StancePrediction]] = (),
) -> TargetPush:
    """Create or update the target's Label Studio project and push `tasks` (of `articles` articles)."""
    settings = ProjectSettings(
        label_config=label_config(project.scheme, target, load_actor_registry(project.actors, project.scheme)),
        instructions=guidelines_html(project.card, target, project.scheme.targets) + screen_help_html(project.scheme),
        annotators_per_task=project.annotators_per_task,
    )
    ls_project = ensure_project(client, title, settings)
    report = push_tasks(client, ls_project.id, tasks, target.id, gazetteer=gazetteer, stance=stance)
    return TargetPush(target, ls_project, len(tasks), articles, report)


@dataclass(frozen=True)
class TargetPull:
    """What pull found for one target: its project's export, or no project yet."""

    target: Target
    title: str
    result: PullResult | None  # None: the target has no Label Studio project yet
    project_id: int | None = None
    left_on_server: str | None = None  # the export file a team server keeps (labeling/pull.py)
    leftovers_removed: int = 0  # export snapshots of killed pulls removed now
    review: TargetPull | None = None  # the target's review project (labeling/review.py), when there is one


def pull_target(
    client: LabelStudio, project: Project, target: Target, title: str, data_dir: Path | None = None
) -> TargetPull:
    """Every completed annotation of the target's Label Studio project, and the decisions of its review project
    when there is one (`stance-corpus adjudicate` makes it), checked (nothing is written here); `data_dir`: that of
    the local server, whose export files are removed too (labeling/pull.py)."""
    from stance_corpus.labeling.review import review_title

    found = find_project(client, title)
    if found is None:
        return TargetPull(target, title, None)
    pulled = _pull_project(client, project, target, title, found, data_dir)
    found_review = find_project(client, review_title(title))
    if found_review is None:
        return pulled
    review = _pull_project(client, project, target, review_title(title), found_review, data_dir)
    assert review.result is not None
    undecided = [a for a in review.result.annotations if a.rule is None]
    if undecided:
        first = undecided[0]
        raise LabelStudioError(
            f"review project {review.title!r}: the decision of {first.annotator} on segment {first.segment_id} names "
            f"no rule (the guidelines section it rests on){' and more' if len(undecided) > 1 else ''}; nothing was "
            "written"
        )
    return replace(pulled, review=review)


def _pull_project(
    client: LabelStudio, project: Project, target: Target, title: str, found: Any, data_dir: Path | None
) -> TargetPull:
    registry = load_actor_registry(project.actors, project.scheme)  # an actor id outside it stops the pull
    project_id = required_id(found.id, f"project {title!r}")
    snapshot = export_snapshot(client, project_id, data_dir)
    result = annotations_from_export(snapshot, project.scheme, target.id, registry.keys())
    return TargetPull(target, title, result, project_id, snapshot.left_on_server, snapshot.leftovers_removed)
