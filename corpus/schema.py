"""The record types of the whole flow (seeds -> segments -> tasks -> annotations -> release) and of a project's scheme.

Every package imports its records from here; raw dicts (JSONL lines, Label Studio JSON, dataset rows) are turned
into these types by one adapter each at the boundary. Labels are data, not code: a project's stance labels, actor
types and targets (its `Scheme`, read from `stance-corpus.toml` by corpus/project.py) say which strings the
`stance`, `type` and `target` fields may hold, and in which order releases number them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import StrEnum


class SegmentKind(StrEnum):
    """What a segment of an article is; only ANNOTATED_KINDS are shown to annotators and released."""

    HEADLINE = "headline"
    NOTE = "note"  # bracketed editor's note, e.g. "[Breaking news update at 1:36 p.m. ET]"
    HEADING = "heading"
    BODY = "body"
    BOILERPLATE = "boilerplate"  # page furniture, e.g. "Exit mobile version"
    # News layout (docs/corpus.md, "News layout"): none of these is annotated.
    DATELINE = "dateline"  # "Friday, August 21, 2015"; "EVANSVILLE, Ind. —" before a story's lead
    BYLINE = "byline"  # "By Laura Smith-Spark, CNN"; "(Reporting by ...; Editing by ...)"
    CAPTION = "caption"  # a photo caption: the text before its credit
    CREDIT = "credit"  # "Image: UK Government."; "(AP Photo/Hussein Malla)"
    TAGS = "tags"  # "Tags: Syria, Geneva"; "Filed under: ..."


# Only these kinds carry a stance and are sent to annotators.
ANNOTATED_KINDS: tuple[SegmentKind, ...] = (SegmentKind.HEADING, SegmentKind.BODY)


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
    targets: tuple[str, ...] = ()  # the target ids it is annotated for; () = the project's default targets
    attribution: str | None = None  # the attribution statement its licence asks for, verbatim (ATTRIBUTION.md)
    author: str | None = None


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """One article as an import source gives it (`corpus.ingest.readers`), before its metadata is checked.

    `text` is the article text when the source has it; `html` the page still to extract (HTML files, WARC
    responses, an HTML field) with the charset its HTTP header declared. Every other field is the source's raw
    value (any JSON type), checked later by `corpus.ingest.records`.
    """

    origin: str  # how reports and errors name it: "file:line", "file.warc.gz@offset", "file"
    problem: str | None = None  # why the record cannot be read (set by the reader; the import rejects it)
    skipped: str | None = None  # why the reader passes over it, counted, not an error: "not an HTML response"
    text: object = None
    html: bytes | None = None
    charset: str | None = None  # declared by the HTTP response (WARC)
    title: object = None
    published: object = None
    url: object = None
    language: object = None
    license: object = None
    source: object = None
    author: object = None
    source_id: object = None  # the source's own id (--id-field)


@dataclass(frozen=True, slots=True)
class ImportProblem:
    """Something wrong with one import record: the record was rejected, or one field of it was stored as null."""

    origin: str
    problem: str
    field: str | None = None  # the field stored as null; None when the whole record was rejected


@dataclass(frozen=True, slots=True)
class ImportCandidate:
    """A record checked and ready to import: its article, and what duplicate detection compares."""

    article: Article
    origin: str
    key: str  # sha256 of the normalised text (exact duplicates)
    signature: bytes | None  # MinHash signature (near duplicates); None when they are not looked for
    problems: tuple[ImportProblem, ...] = ()  # fields stored as null


@dataclass(frozen=True, slots=True)
class Duplicate:
    """A record not imported because its text duplicates a kept article."""

    id: str  # the id it would have had
    origin: str
    kind: str  # "exact" (same normalised text) or "near" (MinHash Jaccard estimate >= the threshold)
    similarity: float  # the Jaccard estimate against the kept article (1.0 for an exact duplicate)


@dataclass(frozen=True, slots=True)
class DuplicateGroup:
    """Records that are one article: `kept` is imported (or was already in the project), `dropped` are not."""

    kept: str  # article id
    kept_origin: str  # where it came from ("project" for an article already in the project)
    dropped: tuple[Duplicate, ...]


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What `stance-corpus ingest` did (or, with --dry-run, would do). Counts are of records."""

    read: int
    imported: tuple[tuple[str, str], ...]  # (article id, origin) of each article written
    already: int  # records whose text is an article already in the project (a re-import adds nothing)
    skipped: int  # records the readers pass over (WARC records that are not HTML responses)
    rejected: tuple[ImportProblem, ...]  # records not imported, each with its problem (--skip-bad)
    nulled: tuple[ImportProblem, ...]  # fields of imported records stored as null
    duplicates: tuple[DuplicateGroup, ...]
    dry_run: bool
    catalogue: str  # the catalogue written (or that would be)

    @property
    def duplicate_count(self) -> int:
        """How many records were left out as duplicates of a kept one."""
        return sum(len(group.dropped) for group in self.duplicates)


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
class SegmentContext:
    """What an annotator sees around a segment: the article's headline and the neighbouring annotated segments
    ("" where there is none). The same in a Label Studio task and in a release's `sentences` row."""

    headline: str
    previous: str
    next: str


@dataclass(frozen=True, slots=True)
class Actor:
    """An entry of the actor registry: who can be mentioned, and how."""

    id: str
    name: str
    type: str  # an actor type of the project's scheme
    affiliation: str | None
    aliases: tuple[Alias, ...] = ()

    @property
    def surface_forms(self) -> tuple[str, ...]:
        """The text of every alias, scoped or not."""
        return tuple(alias.text for alias in self.aliases)


@dataclass(frozen=True, slots=True)
class Alias:
    """A surface string of an actor. A scoped alias (one that names a class, like "government") pre-annotates only
    where its scope holds: the task's target is among `targets` (when given) and the article names one of
    `requires` as a whole word (when given)."""

    text: str
    targets: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()

    @property
    def scoped(self) -> bool:
        """Whether the alias holds only for some targets or beside some names."""
        return bool(self.targets or self.requires)


@dataclass(frozen=True, slots=True)
class ActorSpan:
    """An actor mention inside a segment; offsets are into the segment text."""

    start: int
    end: int
    text: str
    type: str  # an actor type of the project's scheme
    actor_id: str | None
    stance: str  # a stance label of the project's scheme


@dataclass(frozen=True, slots=True)
class Annotation:
    """One annotator's completed labels for one (segment, target) (or the adjudicated gold when annotator is GOLD).

    The annotation store keys records by (segment_id, target, annotator).
    """

    segment_id: str
    article_id: str
    text: str  # the segment text that was annotated, to detect later edits of the seed
    target: str  # the target's id
    annotator: str
    stance: str  # a stance label of the project's scheme
    actors: tuple[ActorSpan, ...] = field(default_factory=tuple)
    created_at: str | None = None
    updated_at: str | None = None
    comment: str | None = None  # the annotator's note on the task, for the adjudicator
    needs_adjudication: bool = False  # the annotator asks that a person settle this segment (no majority gold)
    rule: str | None = None  # an adjudicator's decision: the guidelines section it rests on (a '###' heading)


@dataclass(frozen=True, slots=True)
class StancePrediction:
    """A stance model's label for one segment (a line of `stance-corpus predict` output, read by labeling)."""

    segment_id: str
    label: str
    scores: dict[str, float]  # class probabilities (or softmaxed margins), each in [0, 1]
    model_version: str  # "<model>@<dataset version>"
    uncertainty: float  # 1 - (top score - second score), in [0, 1]


@dataclass(frozen=True, slots=True)
class TaskData:
    """The data of one Label Studio task: a (segment, target) with the context its annotators see.

    Every field is a `$variable` of the labeling config or read back by pull; missing context is "".
    """

    text: str
    segment_id: str
    article_id: str
    target_id: str
    target: str  # the target's name
    # Who published the article ("not stated" when the catalogue does not say), for the guidelines' "Who speaks".
    # Not `source`: Label Studio's labeling screen overwrites a task's `$source` with the task itself.
    publisher: str
    headline: str
    previous: str
    next: str
    kind: str

    def as_dict(self) -> dict[str, str]:
        """The task's `data` as Label Studio stores it."""
        return {item.name: getattr(self, item.name) for item in fields(self)}


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
    default_stance: str  # the stance of a pre-annotated actor span until an annotator decides (e.g. NONE)

    @property
    def stance_names(self) -> tuple[str, ...]:
        """The stance labels, in the config's (and the ClassLabel's) order."""
        return tuple(stance.name for stance in self.stances)

    @property
    def actor_type_names(self) -> tuple[str, ...]:
        """The actor types, in the config's (and the ClassLabel's) order."""
        return tuple(actor_type.name for actor_type in self.actor_types)

    @property
    def target_ids(self) -> tuple[str, ...]:
        """The target ids, in the config's order."""
        return tuple(target.id for target in self.targets)

    def target(self, id_or_name: str) -> Target:
        """The target of this id, or of this name (how store records before targets were data name it)."""
        for target in self.targets:
            if id_or_name in (target.id, target.name):
                return target
        raise KeyError(id_or_name)


GOLD_ANNOTATOR = "gold"
