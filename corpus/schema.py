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


@dataclass(frozen=True, slots=True)
class StanceLabel:
    """A sentence stance label of a project's scheme; `hotkey` selects it on the labeling screen ("" for none)."""

    name: str
    hotkey: str = ""


@dataclass(frozen=True, slots=True)
class ActorTypeDef:
    """An actor type of a project's scheme: what annotators read, press and see."""

    name: str
    description: str
    hotkey: str  # "" for none
    color: str  # #rrggbb of its spans on the labeling screen


@dataclass(frozen=True, slots=True)
class Target:
    """A stance target: what sentences take a stance toward. `id` is stable: store records and releases use it."""

    id: str
    name: str  # shown to annotators and released in the `target` column
    description: str  # shown to annotators on the labeling screen
    guidelines: str | None  # the heading of its own section under the card's "Annotation guidelines"
    label_studio_title: str  # the Label Studio project its tasks go to


@dataclass(frozen=True, slots=True)
class Scheme:
    """A project's labels: sentence stances and actor types (both in ClassLabel order) and its targets."""

    stances: tuple[StanceLabel, ...]
    actor_types: tuple[ActorTypeDef, ...]
    targets: tuple[Target, ...]

    @property
    def stance_names(self) -> tuple[str, ...]:
        return tuple(stance.name for stance in self.stances)

    @property
    def actor_type_names(self) -> tuple[str, ...]:
        return tuple(actor_type.name for actor_type in self.actor_types)

    @property
    def target_ids(self) -> tuple[str, ...]:
        return tuple(target.id for target in self.targets)

    def target(self, id_or_name: str) -> Target:
        """The target of this id, or of this name (how store records before targets were data name it)."""
        for target in self.targets:
            if id_or_name in (target.id, target.name):
                return target
        raise KeyError(id_or_name)


GOLD_ANNOTATOR = "gold"

# The stance target of the seed corpus, shown to annotators and stored with every task and annotation.
SEED_TARGET = "the Syria peace process (the Geneva talks and a ceasefire)"
