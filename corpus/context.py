"""The context of each annotated segment, built once for Label Studio tasks (labeling/tasks.py) and for a release's
`sentences` rows (corpus/release/rows.py), so that a released row shows what its annotators saw."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from stance_corpus.corpus.schema import ANNOTATED_KINDS, Segment, SegmentContext, SegmentKind


def annotated_in_context(
    segments: Sequence[Segment], title: str | None
) -> Iterator[tuple[Segment, SegmentContext]]:
    """Each annotated (heading or body) segment of an article (`segments`, all of them, in order) with its context:
    the headline segment's text (else the article's catalogue `title`, else "") and the previous and next annotated
    segments' texts ("" at the ends)."""
    headline = next((s.text for s in segments if s.kind is SegmentKind.HEADLINE), title or "")
    annotated = [segment for segment in segments if segment.kind in ANNOTATED_KINDS]
    for position, segment in enumerate(annotated):
        yield segment, SegmentContext(
            headline=headline,
            previous=annotated[position - 1].text if position > 0 else "",
            next=annotated[position + 1].text if position + 1 < len(annotated) else "",
        )
