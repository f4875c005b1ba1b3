"""The record types of the whole flow (seeds -> segments -> annotations -> release) and their label sets.

Every package imports its records from here; raw dicts (JSONL lines, Label Studio JSON, dataset rows) are turned
into these types by one adapter each at the boundary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class SegmentKind(StrEnum):
    HEADLINE = "headline"
    NOTE = "note"  # bracketed editor's note, e.g. "[Breaking news update at 1:36 p.m. ET]"
    HEADING = "heading"
    BODY = "body"
    BOILERPLATE = "boilerplate"  # page furniture, e.g. "Exit mobile version"


# Only these kinds carry a stance and are sent to annotators.
ANNOTATED_KINDS: tuple[SegmentKind, ...] = (SegmentKind.HEADING, SegmentKind.BODY)


class Stance(StrEnum):
    FAVOR = "FAVOR"
    AGAINST = "AGAINST"
    NONE = "NONE"


class ActorType(StrEnum):
    GOVERNMENT = "GOVERNMENT"
    OPPOSITION = "OPPOSITION"
    MILITANT = "MILITANT"
    INTERNATIONAL = "INTERNATIONAL"
    CIVIL_SOCIETY = "CIVIL_SOCIETY"
    MEDIA = "MEDIA"


# The order of these tuples is the ClassLabel order of the released dataset: never reorder, only append.
STANCE_LABELS: tuple[str, ...] = tuple(s.value for s in Stance)
ACTOR_TYPE_LABELS: tuple[str, ...] = tuple(t.value for t in ActorType)

UNKNOWN = None  # metadata the source does not support is recorded as null, never guessed


@dataclass(frozen=True, slots=True)
class Article:
    """One seed article: its full text (decoded UTF-8, unmodified) and its catalogue metadata."""

    id: str
    text: str
    title: str | None
    source: str | None
    published: str | None  # ISO 8601 date
    url: str | None
    language: str
    license: str
    notes: str | None = None
    attribution: str | None = None  # the attribution statement its licence asks for, verbatim (ATTRIBUTION.md)


@dataclass(frozen=True, slots=True)
class Segment:
    """A span of an article: `article.text[start:end] == text` always holds."""

    id: str
    article_id: str
    index: int
    paragraph: int
    kind: SegmentKind
    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Actor:
    """An entry of the actor registry: who can be mentioned, and how."""

    id: str
    name: str
    type: ActorType
    affiliation: str | None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ActorSpan:
    """An actor mention inside a segment; offsets are into the segment text."""

    start: int
    end: int
    text: str
    type: ActorType
    actor_id: str | None
    stance: Stance


@dataclass(frozen=True, slots=True)
class Annotation:
    """One annotator's completed labels for one segment (or the adjudicated gold when annotator is GOLD)."""

    segment_id: str
    article_id: str
    text: str  # the segment text that was annotated, to detect later edits of the seed
    target: str
    annotator: str
    stance: Stance
    actors: tuple[ActorSpan, ...] = field(default_factory=tuple)
    created_at: str | None = None
    updated_at: str | None = None


@dataclass(frozen=True, slots=True)
class StancePrediction:
    """A stance model's label for one segment (a line of `stance-corpus predict` output, read by labeling)."""

    segment_id: str
    label: Stance
    scores: dict[Stance, float]  # class probabilities (or softmaxed margins), each in [0, 1]
    model_version: str  # "<model>@<dataset version>"
    uncertainty: float  # 1 - (top score - second score), in [0, 1]


GOLD_ANNOTATOR = "gold"

# The stance target of the seed corpus, shown to annotators and stored with every task and annotation.
SEED_TARGET = "the Syria peace process (the Geneva talks and a ceasefire)"
