"""Label Studio tasks from segments, and the plan that makes pushing idempotent (pure functions, no HTTP).

A task's data: `text`, `segment_id`, `article_id`, `target`, `headline`, `previous`, `next`, `kind` (every
variable of labeling/config.xml exists in every task; missing context is the empty string).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from stance_corpus.corpus.context import annotated_in_context
from stance_corpus.corpus.schema import Article
from stance_corpus.corpus.segment import segment_article


def build_tasks(articles: Iterable[Article], target: str) -> Iterator[dict]:
    """The data of one task per heading and body segment, in reading order (article order, then segment index)."""
    for article in articles:
        for segment, context in annotated_in_context(list(segment_article(article)), article.title):
            yield {
                "text": segment.text,
                "segment_id": segment.id,
                "article_id": article.id,
                "target": target,
                "headline": context.headline,
                "previous": context.previous,
                "next": context.next,
                "kind": segment.kind.value,
            }


@dataclass(frozen=True)
class ChangedSegment:
    """A segment whose text was edited after its task was pushed: the old task stays, the new text is held back."""

    task_id: int
    old: dict
    new: dict


@dataclass
class PushPlan:
    create: list[dict] = field(default_factory=list)
    present: dict[str, int] = field(default_factory=dict)  # segment id -> task id
    changed: list[ChangedSegment] = field(default_factory=list)
    gone: list[tuple[int, dict]] = field(default_factory=list)  # tasks whose segment is no longer in the corpus


def plan_push(wanted: Iterable[dict], existing: Iterable[tuple[int, dict]]) -> PushPlan:
    """What pushing `wanted` task data into a project holding `existing` (task id, data) must do.

    Segment ids derive from the text, so an edited sentence shows up as a task whose id left the corpus plus a new
    segment in the same place of the same article (same previous or next sentence): that pair is `changed`, and
    its new text is not pushed, so it is neither duplicated nor overwritten silently. Nothing is ever deleted.
    """
    plan = PushPlan()
    wanted = list(wanted)
    by_segment = {data.get("segment_id"): (task_id, data) for task_id, data in existing}
    wanted_ids = {data["segment_id"] for data in wanted}
    orphans = [(task_id, data) for segment_id, (task_id, data) in by_segment.items() if segment_id not in wanted_ids]
    for data in wanted:
        if data["segment_id"] in by_segment:
            plan.present[data["segment_id"]] = by_segment[data["segment_id"]][0]
            continue
        replaced = next((orphan for orphan in orphans if _same_place(orphan[1], data)), None)
        if replaced is None:
            plan.create.append(data)
        else:
            orphans.remove(replaced)
            plan.changed.append(ChangedSegment(replaced[0], replaced[1], data))
    plan.gone = orphans
    return plan


def _same_place(old: dict, new: dict) -> bool:
    return old.get("article_id") == new["article_id"] and (
        old.get("previous") == new["previous"] or old.get("next") == new["next"]
    )
