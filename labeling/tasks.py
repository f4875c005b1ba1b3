"""Label Studio tasks from segments, and the plan that makes pushing idempotent (pure functions, no HTTP).

A task is one (segment, target): its data (corpus.schema.TaskData) is `text`, `segment_id`, `article_id`,
`target_id`, `target`, `publisher`, `headline`, `previous`, `next`, `kind`; missing context is the empty string.
Each target has its own Label Studio project (docs/annotation.md, "One project per target"), so a project's tasks
are the heading and body segments of the articles annotated for its target.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from stance_corpus.corpus.context import annotated_in_context
from stance_corpus.corpus.schema import Article, Segment, Target, TaskData

SOURCE_NOT_STATED = "not stated"


def build_tasks(
    articles: Iterable[Article], target: Target, segments_of: Callable[[Article], Iterable[Segment]]
) -> Iterator[TaskData]:
    """The task of every heading and body segment of the articles, for `target`, in reading order (article order,
    then segment index); `segments_of` segments an article (with the project's page furniture)."""
    for article in articles:
        for segment, context in annotated_in_context(list(segments_of(article)), article.title):
            yield TaskData(
                text=segment.text,
                segment_id=segment.id,
                article_id=article.id,
                target_id=target.id,
                target=target.name,
                publisher=article.source or SOURCE_NOT_STATED,
                headline=context.headline,
                previous=context.previous,
                next=context.next,
                kind=segment.kind.value,
            )


@dataclass(frozen=True)
class ChangedSegment:
    """A segment whose text was edited after its task was pushed: the old task stays, the new text is held back."""

    task_id: int
    old: TaskData
    new: TaskData


@dataclass
class PushPlan:
    """What a push does: tasks to create, tasks already there (by segment id), edited segments, tasks left over."""

    create: list[TaskData] = field(default_factory=list)
    present: dict[str, int] = field(default_factory=dict)  # segment id -> task id
    changed: list[ChangedSegment] = field(default_factory=list)
    gone: list[tuple[int, TaskData]] = field(default_factory=list)  # tasks whose segment is no longer in the corpus


def plan_push(wanted: Iterable[TaskData], existing: Iterable[tuple[int, TaskData]]) -> PushPlan:
    """What pushing `wanted` tasks into a project holding `existing` (task id, data) must do.

    Segment ids derive from the text, so an edited sentence shows up as a task whose id left the corpus plus a new
    segment in the same place of the same article: the same previous or next sentence, or a neighbour that is itself
    such an edit (a run of edited sentences is matched from its unedited ends inwards). That pair is `changed`, and
    its new text is not pushed, so it is neither duplicated nor overwritten silently. Nothing is ever deleted.
    """
    plan = PushPlan()
    wanted = list(wanted)
    by_segment = {data.segment_id: (task_id, data) for task_id, data in existing}
    wanted_ids = {data.segment_id for data in wanted}
    orphans = [(task_id, data) for segment_id, (task_id, data) in by_segment.items() if segment_id not in wanted_ids]
    missing: list[TaskData] = []
    for data in wanted:
        if data.segment_id in by_segment:
            plan.present[data.segment_id] = by_segment[data.segment_id][0]
        else:
            missing.append(data)
    changes: dict[int, ChangedSegment] = {}  # position in `missing` -> its old task
    old_text: dict[tuple[str, str], str] = {}  # (article, new text) -> the text its task was pushed with
    matched_more = True
    while matched_more:
        matched_more = False
        for position, data in enumerate(missing):
            if position in changes:
                continue
            replaced = next((orphan for orphan in orphans if _same_place(orphan[1], data, old_text)), None)
            if replaced is not None:
                orphans.remove(replaced)
                changes[position] = ChangedSegment(replaced[0], replaced[1], data)
                old_text[(data.article_id, data.text)] = replaced[1].text
                matched_more = True
    for position, data in enumerate(missing):
        if position in changes:
            plan.changed.append(changes[position])
        else:
            plan.create.append(data)
    plan.gone = orphans
    return plan


def _same_place(old: TaskData, new: TaskData, old_text: dict[tuple[str, str], str]) -> bool:
    """Whether a task of a segment that left the corpus sat where `new` sits: a neighbour of `new` is the task's
    neighbour, as it reads now or, when that neighbour is an edit matched already, as it read when pushed."""
    if old.article_id != new.article_id:
        return False
    return any(
        theirs in (ours, old_text.get((new.article_id, ours)))
        for theirs, ours in ((old.previous, new.previous), (old.next, new.next))
    )
