"""The record types of the whole flow (seeds -> segments -> annotations -> release) and their label sets.

Every package imports its records from here; raw dicts (JSONL lines, Label Studio JSON, dataset rows) are turned
into these types by one adapter each at the boundary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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


class Stance(StrEnum):
    """The stance of a sentence (or of an actor in it) toward the target: for, against, or neither."""

    FAVOR = "FAVOR"
    AGAINST = "AGAINST"
    NONE = "NONE"


class ActorType(StrEnum):
    """The kind of actor a mention refers to (DATASET_CARD.md, "Actor types")."""

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
