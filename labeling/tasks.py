"""Label Studio tasks from segments, and the plan that makes pushing idempotent (pure functions, no HTTP).

A task's data: `text`, `segment_id`, `article_id`, `target`, `headline`, `previous`, `next`, `kind` (every
variable of labeling/config.xml exists in every task; missing context is the empty string).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from stance_corpus.corpus.schema import ANNOTATED_KINDS, Article, SegmentKind
from stance_corpus.corpus.segment import segment_article

# The data of every task (labeling/config.xml uses them all); a selection file (`annotate --selection`) gives them.
TASK_FIELDS = ("text", "segment_id", "article_id", "target", "headline", "previous", "next", "kind")


def build_tasks(articles: Iterable[Article], target: str) -> Iterator[dict]:
    """The data of one task per heading and body segment, in reading order (article order, then segment index)."""
    for article in articles:
        segments = list(segment_article(article))
        headline = next((s.text for s in segments if s.kind == SegmentKind.HEADLINE), article.title or "")
        annotated = [s for s in segments if s.kind in ANNOTATED_KINDS]
        for position, segment in enumerate(annotated):
            yield {
                "text": segment.text,
                "segment_id": segment.id,
                "article_id": article.id,
                "target": target,
                "headline": headline,
                "previous": annotated[position - 1].text if position > 0 else "",
                "next": annotated[position + 1].text if position + 1 < len(annotated) else "",
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
