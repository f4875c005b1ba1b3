"""Adjudication in Label Studio: each target's review project, holding the units whose passes disagree.

Label Studio Community has no review workflow, so a target's disagreements go to a project of their own (its
title: `review_title` of the target's project title) with the same labeling screen plus the passes shown as text
and, instead of the adjudication flag, the guidelines section the decision rests on (`rule`, required) and the
adjudicator's comment. Each task carries every pass as a prediction whose model version is the annotator's
pseudonym (corpus/pseudonyms.py), never an email, so the adjudicator sees the passes and can start from either.

    review_title(title)                       the review project's title of a target's project title
    review_items(project, target, records, adjudicator)
                                              the units to review (the ties and flagged units of
                                              agreement.adjudicate) and those left out because their sentence was
                                              edited since; pure but for reading the seeds
    push_review(client, project, target, title, items)
                                              create or update the review project, add the missing tasks
    queue_lines(items, pending)               the review queue as JSON objects, for an adjudicator outside the UI

Pushing is idempotent: tasks are reconciled by segment id; a task is never changed or deleted. `stance-corpus pull`
brings the completed annotations of review projects back as the adjudicator's records, with their rule
(labeling/annotate.py, `pull_target`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from label_studio_sdk import LabelStudio
from markdown_it import MarkdownIt
from stance_corpus.corpus.actors import load_actor_registry
from stance_corpus.corpus.articles import iter_articles
from stance_corpus.corpus.errors import InputError
from stance_corpus.corpus.guidelines import guideline_rules
from stance_corpus.corpus.jsonl import to_plain
from stance_corpus.corpus.project import TITLE_LENGTH, Project
from stance_corpus.corpus.pseudonyms import PSEUDONYMS_FILE, assign_pseudonyms, read_pseudonyms
from stance_corpus.corpus.schema import Annotation, Target, TaskData
from stance_corpus.corpus.segment import segment_article
from stance_corpus.labeling.agreement import Tie, adjudicate, by_unit
from stance_corpus.labeling.config import PASSES, label_config, screen_help_html
from stance_corpus.labeling.convert import prefill_note, result_from_labels
from stance_corpus.labeling.errors import LabelStudioError
from stance_corpus.labeling.push import (
    BATCH_SIZE,
    ProjectSettings,
    _annotated_task_ids,
    _call,
    _without_concurrent_duplicates,
    ensure_project,
    existing_tasks,
    guidelines_html,
)
from stance_corpus.labeling.push import (
    Project as LabelStudioProject,
)
from stance_corpus.labeling.tasks import build_tasks

REVIEW_SUFFIX = " (review)"


def review_title(title: str) -> str:
    """The title of the review project of the target project `title`: "<title> (review)", or, where that passes
    Label Studio's 50 characters, the title cut short with the first 8 hex of its sha256 (still one per title)."""
    longest = TITLE_LENGTH[1]
    if len(title) + len(REVIEW_SUFFIX) <= longest:
        return title + REVIEW_SUFFIX
    digest = hashlib.sha256(title.encode("utf-8")).hexdigest()[:8]
    return f"{title[: longest - len(REVIEW_SUFFIX) - len(digest) - 1].rstrip()} {digest}{REVIEW_SUFFIX}"


@dataclass(frozen=True)
class ReviewItem:
    """A (segment, target) for the adjudicator: its task (with the context annotators saw), why it is in review
    (the tie or the flags, with the comments), and each pass by the pseudonym of its annotator."""

    data: TaskData
    problem: str
    passes: tuple[tuple[str, Annotation], ...]  # (pseudonym, pass), by pseudonym


@dataclass(frozen=True)
class ReviewSelection:
    """What `review_items` found for one target."""

    items: list[ReviewItem]
    stale: list[Tie]  # units whose sentence was edited (or left the corpus) since it was annotated: not pushed
    named: list[str]  # annotators given a pseudonym now


def review_items(
    project: Project, target: Target, records: Iterable[Annotation], adjudicator: str | None
) -> ReviewSelection:
    """The target's units to review: every tie and flagged unit of `agreement.adjudicate` (so none the adjudicator
    has decided), in reading order, each with its current task; units whose annotated text is no longer the
    corpus's are `stale`. Annotators without a pseudonym get one (STORE/pseudonyms.json, as `pull` gives them)."""
    records = [record for record in records if record.target == target.id]
    _, ties = adjudicate(records, adjudicator)
    articles = [a for a in iter_articles([project.seeds], project.scheme) if target in project.targets_of(a)]
    tasks = {
        data.segment_id: (order, data)
        for order, data in enumerate(
            build_tasks(articles, target, lambda article: segment_article(article, project.segmentation))
        )
    }
    units = by_unit(records)
    named = assign_pseudonyms(project.store, {record.annotator for record in records})
    pseudonyms = read_pseudonyms(project.store / PSEUDONYMS_FILE) or {}
    items: list[tuple[int, ReviewItem]] = []
    stale: list[Tie] = []
    for tie in ties:
        found = tasks.get(tie.segment_id)
        if found is None or found[1].text != tie.text:
            stale.append(tie)
            continue
        ratings = units[(tie.segment_id, tie.target)]
        passes = sorted(
            (pseudonyms[annotator], annotation)
            for annotator, annotation in ratings.items()
            if annotator != adjudicator
        )
        problem = tie.problem
        for annotator in ratings:  # the tie names annotators by email: a review task names them by pseudonym
            problem = problem.replace(annotator, pseudonyms[annotator])
        items.append((found[0], ReviewItem(found[1], problem, tuple(passes))))
    return ReviewSelection([item for _, item in sorted(items, key=lambda pair: pair[0])], stale, named)


def passes_text(passes: Sequence[tuple[str, Annotation]], actor_names: Mapping[str, str]) -> str:
    """The passes as the review screen shows them, one line each, e.g. "annotator-1: FAVOR; 'Russia' GOVERNMENT:
    pre-filled ... " (the stance, each span with its type, stance and actor, the flag and the comment)."""
    lines = []
    for pseudonym, annotation in passes:
        parts = [f"{pseudonym}: {annotation.stance}"]
        for span in annotation.actors:
            note = prefill_note(span, actor_names).removeprefix("pre-filled: ")
            parts.append(f"{span.text!r} {span.type} {note}")
        if annotation.needs_adjudication:
            parts.append("flagged for adjudication")
        if annotation.comment:
            parts.append(f"comment: {annotation.comment!r}")
        lines.append("; ".join(parts))
    return "\n".join(lines)


def review_task(item: ReviewItem, actor_names: Mapping[str, str]) -> dict[str, Any]:
    """The import of one review task: its data (the target's task data and the passes as text) and one prediction
    per pass, its model version the annotator's pseudonym."""
    return {
        "data": {**item.data.as_dict(), PASSES: passes_text(item.passes, actor_names)},
        "predictions": [
            {
                "model_version": pseudonym,
                "result": result_from_labels(item.data.text, annotation.stance, annotation.actors, actor_names, True),
            }
            for pseudonym, annotation in item.passes
        ],
    }


REVIEW_HELP = """
## Adjudicating in this review project

Each task is a sentence whose passes disagree (or that an annotator flagged). The passes are listed above the
stance, and each is a prediction named by its annotator's pseudonym: open the task from the Data Manager (click its
row) to see them as tabs above the sentence, and start from the one closer to the guidelines (copy it into an
annotation, then correct it). Give the sentence's stance and its actor spans as the guidelines say, name the section
of the guidelines the decision rests on, add a note when the guidelines do not settle it, and submit. Your labels
become the gold label of the sentence once `stance-corpus pull` and `stance-corpus agreement --adjudicate
--adjudicator YOUR-EMAIL` have run. Label Studio's "Label All Tasks" shows the passes as text only.
"""


def review_settings(project: Project, target: Target) -> ProjectSettings:
    """The review project's labeling config (the target's, with the rule and the passes), its instructions (how
    to adjudicate, the guidelines with the target's section, the screen's help) and one annotation per task."""
    rules = rules_of(project, target)
    registry = load_actor_registry(project.actors, project.scheme)
    instructions = (
        MarkdownIt().render(REVIEW_HELP)
        + guidelines_html(project.card, target, project.scheme.targets)
        + screen_help_html(project.scheme)
    )
    return ProjectSettings(label_config(project.scheme, target, registry, review_rules=rules), instructions, 1)


def rules_of(project: Project, target: Target) -> list[str]:
    """The rules of the target's decisions: the card's guidelines section headings less the other targets' own."""
    others = tuple(t.guidelines for t in project.scheme.targets if t.id != target.id and t.guidelines)
    try:
        rules = guideline_rules(project.card.read_text(encoding="utf-8"), others)
    except ValueError as error:
        raise InputError(project.card, str(error)) from error
    if not rules:
        raise InputError(
            project.card, "its 'Annotation guidelines' have no '### ' sections: an adjudicator names one as the rule"
        )
    return rules


@dataclass(frozen=True)
class ReviewPush:
    """What one adjudicate push did to one target's review project."""

    project: LabelStudioProject
    created: dict[str, int]  # segment id -> new task id
    present: dict[str, int]  # segment id -> task id, of the items already in the project
    decided: set[str]  # segment ids of the project's tasks with a completed annotation (not pulled yet, perhaps)


def push_review(
    client: LabelStudio, project: Project, target: Target, title: str, items: Sequence[ReviewItem]
) -> ReviewPush:
    """Create or update the review project `title` and import a task for every item without one (reconciled by
    segment id; nothing is changed or deleted). The project's model version is left empty, so that Label Studio
    shows every pass's prediction, not one model version's."""
    settings = review_settings(project, target)
    ls_project = ensure_project(client, title, settings)
    existing = {task.data.segment_id: task.id for task in existing_tasks(client, ls_project.id, target.id)}
    missing = [item for item in items if item.data.segment_id not in existing]
    registry = load_actor_registry(project.actors, project.scheme)
    names = {actor.id: actor.name for actor in registry.values()}
    created: dict[str, int] = {}
    for start in range(0, len(missing), BATCH_SIZE):
        batch = missing[start : start + BATCH_SIZE]
        request = [review_task(item, names) for item in batch]
        response = _call(
            "import review tasks", client.projects.import_tasks, id=ls_project.id, request=request,
            return_task_ids=True,
        )
        if len(response.task_ids or []) != len(batch):
            raise LabelStudioError(f"Label Studio created {len(response.task_ids or [])} of {len(batch)} tasks")
        created.update(zip((item.data.segment_id for item in batch), response.task_ids))
    if created:
        created = _without_concurrent_duplicates(client, ls_project.id, created)
    # An import sets an empty project model version to its last prediction's: the screen would show one pass only.
    _call("show every pass", client.projects.update, id=ls_project.id, model_version="")
    segments = [item.data.segment_id for item in items]
    present = {segment: existing[segment] for segment in segments if segment in existing}
    annotated = _annotated_task_ids(client, ls_project.id)
    decided = {segment for segment, task_id in existing.items() if task_id in annotated}
    return ReviewPush(ls_project, created, present, decided)


def queue_lines(items: Sequence[ReviewItem], pending: set[str]) -> list[dict[str, Any]]:
    """The review queue for an adjudicator outside the web UI: one JSON object per item whose segment id is in
    `pending` (its review task has no completed annotation), with the task's context and each pass under its
    pseudonym (stance, actor spans, comment, flag)."""
    lines = []
    for item in items:
        if item.data.segment_id not in pending:
            continue
        data = item.data
        lines.append(
            {
                "segment_id": data.segment_id,
                "article_id": data.article_id,
                "target": data.target_id,
                "text": data.text,
                "headline": data.headline,
                "previous": data.previous,
                "next": data.next,
                "publisher": data.publisher,
                "problem": item.problem,
                "passes": {
                    pseudonym: {
                        "stance": annotation.stance,
                        "actors": [to_plain(span) for span in annotation.actors],
                        "comment": annotation.comment,
                        "needs_adjudication": annotation.needs_adjudication,
                    }
                    for pseudonym, annotation in item.passes
                },
            }
        )
    return lines
