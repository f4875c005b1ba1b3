"""The annotation store: committed, diffable JSONL files of typed Annotation records.

    annotations/annotations.jsonl   every completed annotation of every annotator (what `stance-corpus pull` writes)
    annotations/gold.jsonl          the adjudicated label of each segment (annotator == "gold")

Lines are sorted by (article_id, segment_id, annotator) and written atomically, so writing the same records twice
changes no byte and an interrupted write leaves the previous file in place.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from stance_corpus.corpus.errors import InputError, StoreError
from stance_corpus.corpus.files import atomic_path
from stance_corpus.corpus.jsonl import read_jsonl, to_plain, write_jsonl
from stance_corpus.corpus.schema import ActorSpan, ActorType, Annotation, Stance

STORE_DIR = Path("annotations")
ANNOTATIONS_FILE = "annotations.jsonl"
GOLD_FILE = "gold.jsonl"

_ANNOTATION_FIELDS = frozenset(
    {"segment_id", "article_id", "text", "target", "annotator", "stance", "actors", "created_at", "updated_at"}
)
_REQUIRED_FIELDS = _ANNOTATION_FIELDS - {"actors", "created_at", "updated_at"}
_SPAN_FIELDS = frozenset({"start", "end", "text", "type", "actor_id", "stance"})
_REQUIRED_SPAN_FIELDS = frozenset({"start", "end", "text", "type"})
# Label lookups by value: a dict get is 5x cheaper than calling the enum, and a release reads every store line.
_STANCES = {member.value: member for member in Stance}
_ACTOR_TYPES = {member.value: member for member in ActorType}


def annotation_from_record(record: object, where: str) -> Annotation:
    """The typed, checked Annotation of one plain JSON object; InputError names `where` and the problem."""
    if not isinstance(record, dict):
        raise InputError(where, "not a JSON object")
    fields = record.keys()
    if not (_REQUIRED_FIELDS <= fields <= _ANNOTATION_FIELDS):
        missing, unknown = sorted(_REQUIRED_FIELDS - fields), sorted(fields - _ANNOTATION_FIELDS)
        raise InputError(where, f"missing field(s) {missing}, unknown field(s) {unknown}")
    segment_id, article_id, text = record["segment_id"], record["article_id"], record["text"]
    target, annotator = record["target"], record["annotator"]
    for name, value in (
        ("segment_id", segment_id), ("article_id", article_id), ("text", text), ("target", target),
        ("annotator", annotator),
    ):
        if not isinstance(value, str) or not value:
            raise InputError(where, f"{name!r} must be a non-empty string")
    created_at, updated_at = record.get("created_at"), record.get("updated_at")
    for name, value in (("created_at", created_at), ("updated_at", updated_at)):
        if value is not None and not isinstance(value, str):
            raise InputError(where, f"{name!r} must be a timestamp string or null")
    stance = _label(_STANCES, record["stance"], where, "sentence stance")
    raw_spans = record.get("actors") or []
    if not isinstance(raw_spans, list):
        raise InputError(where, "'actors' must be a list")
    spans = [_span(raw, text, f"{where} actor {number}") for number, raw in enumerate(raw_spans, start=1)]
    if len(spans) > 1:
        spans.sort(key=lambda span: (span.start, span.end, span.type))
    return Annotation(
        segment_id=segment_id,
        article_id=article_id,
        text=text,
        target=target,
        annotator=annotator,
        stance=stance,
        actors=tuple(spans),
        created_at=created_at,
        updated_at=updated_at,
    )


def _span(raw: object, text: str, where: str) -> ActorSpan:
    if not isinstance(raw, dict) or not (_REQUIRED_SPAN_FIELDS <= raw.keys() <= _SPAN_FIELDS):
        raise InputError(where, f"an actor span needs the fields {sorted(_SPAN_FIELDS)}, got {raw!r}")
    start, end, span_text = raw["start"], raw["end"], raw["text"]
    if not (type(start) is int and type(end) is int and 0 <= start < end <= len(text)):  # bool is an int too
        raise InputError(where, f"offsets {start}..{end} are outside the segment text (length {len(text)})")
    if text[start:end] != span_text:
        raise InputError(where, f"text {span_text!r} does not match the segment at {start}..{end}: {text[start:end]!r}")
    actor_id = raw.get("actor_id")
    if actor_id is not None and (not isinstance(actor_id, str) or not actor_id):
        raise InputError(where, f"actor_id must be a non-empty string or null, got {actor_id!r}")
    return ActorSpan(
        start=start,
        end=end,
        text=span_text,
        type=_label(_ACTOR_TYPES, raw["type"], where, "actor type"),
        actor_id=actor_id,
        stance=_label(_STANCES, raw.get("stance", Stance.NONE.value), where, "actor stance"),
    )


Label = TypeVar("Label", bound=StrEnum)


def _label(labels: Mapping[str, Label], value: object, where: str, what: str) -> Label:
    label = labels.get(value) if isinstance(value, str) else None
    if label is None:
        raise InputError(where, f"{what} {value!r} is not in the scheme ({', '.join(labels)})")
    return label


def read_annotations(path: Path) -> list[Annotation]:
    """Every record of a store file, checked; a missing file is an empty store."""
    if not path.exists():
        return []
    annotations: list[Annotation] = []
    keys: dict[tuple[str, str], int] = {}
    for line_number, record in read_jsonl(path):
        annotation = annotation_from_record(record, f"{path}:{line_number}")
        key = (annotation.segment_id, annotation.annotator)
        if key in keys:
            raise StoreError(
                f"{path}:{line_number}",
                f"second annotation of segment {key[0]} by {key[1]} (first on line {keys[key]})"
            )
        keys[key] = line_number
        annotations.append(annotation)
    return annotations


def sort_key(annotation: Annotation) -> tuple[str, str, str]:
    """The order of store lines: article, segment, annotator."""
    return annotation.article_id, annotation.segment_id, annotation.annotator


def write_annotations(path: Path, annotations: Iterable[Annotation]) -> int:
    """Replace the store file atomically with the records, sorted; returns how many were written."""
    records = sorted(annotations, key=sort_key)
    with atomic_path(path) as temporary, temporary.open("w", encoding="utf-8") as handle:
        count = write_jsonl((to_plain(record) for record in records), handle)
    return count


def merge_annotations(existing: Iterable[Annotation], pulled: Iterable[Annotation]) -> list[Annotation]:
    """The store after a pull: every existing record kept, a pulled one replacing the same (segment, annotator)."""
    merged = {(a.segment_id, a.annotator): a for a in existing}
    merged.update({(a.segment_id, a.annotator): a for a in pulled})
    return sorted(merged.values(), key=sort_key)
