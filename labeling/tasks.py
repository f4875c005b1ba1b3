"""Label Studio tasks from segments, and the plan that makes pushing idempotent (pure functions, no HTTP).

A task's data: `text`, `segment_id`, `article_id`, `target`, `headline`, `previous`, `next`, `kind` (every
variable of labeling/config.xml exists in every task; missing context is the empty string).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from stance_corpus.corpus.schema import ANNOTATED_KINDS, Article, SegmentKind
from stance_corpus.corpus.segment import segment_article


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
    segment in the same place of the same article: the same previous or next sentence, or a neighbour that is itself
    such an edit (a run of edited sentences is matched from its unedited ends inwards). That pair is `changed`, and
    its new text is not pushed, so it is neither duplicated nor overwritten silently. Nothing is ever deleted.
    """
    plan = PushPlan()
    wanted = list(wanted)
    by_segment = {data.get("segment_id"): (task_id, data) for task_id, data in existing}
    wanted_ids = {data["segment_id"] for data in wanted}
    orphans = [(task_id, data) for segment_id, (task_id, data) in by_segment.items() if segment_id not in wanted_ids]
    missing = []
    for data in wanted:
        if data["segment_id"] in by_segment:
            plan.present[data["segment_id"]] = by_segment[data["segment_id"]][0]
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
                old_text[(data["article_id"], data["text"])] = str(replaced[1].get("text"))
                matched_more = True
    for position, data in enumerate(missing):
        if position in changes:
            plan.changed.append(changes[position])
        else:
            plan.create.append(data)
    plan.gone = orphans
    return plan


def _same_place(old: dict, new: dict, old_text: dict[tuple[str, str], str]) -> bool:
    """Whether a task of a segment that left the corpus sat where `new` sits: a neighbour of `new` is the task's
    neighbour, as it reads now or, when that neighbour is an edit matched already, as it read when pushed."""
    article = new["article_id"]
    if old.get("article_id") != article:
        return False
    for side in ("previous", "next"):
        neighbour = old.get(side)
        if neighbour is not None and neighbour in (new[side], old_text.get((article, new[side]))):
            return True
    return False
