"""The annotation store: committed, diffable JSONL files of typed Annotation records.

    annotations/annotations.jsonl   every completed annotation of every annotator (what `stance-corpus pull` writes)
    annotations/gold.jsonl          the adjudicated label of each (segment, target) (annotator == "gold")

A record is keyed by (segment, target, annotator): one sentence labelled for two targets is two records. Records
are checked against the project's scheme (stance labels, actor types, targets). The `target` field holds the
target's id; a store written before targets were data (release 1.0.0's) holds the target's name, which is read as
that target, so such a store keeps every record. Lines are sorted by (article_id, segment_id, target, annotator)
and written atomically, so writing the same records twice changes no byte and an interrupted write leaves the
previous file in place. The optional fields `comment`, `needs_adjudication` and `rule` (the guidelines section an
adjudicator's decision rests on, `stance-corpus adjudicate`) are written only when set, so a record without them
keeps the line it always had.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from stance_corpus.corpus.errors import InputError, StoreError
from stance_corpus.corpus.files import atomic_path
from stance_corpus.corpus.jsonl import read_jsonl, to_plain, write_jsonl
from stance_corpus.corpus.schema import ActorSpan, Annotation, Scheme

ANNOTATIONS_FILE = "annotations.jsonl"
GOLD_FILE = "gold.jsonl"

# Left out of a line at these values.
_OPTIONAL_DEFAULTS: dict[str, Any] = {"comment": None, "needs_adjudication": False, "rule": None}
_ANNOTATION_FIELDS = frozenset(
    {"segment_id", "article_id", "text", "target", "annotator", "stance", "actors", "created_at", "updated_at"}
    | _OPTIONAL_DEFAULTS.keys()
)
_REQUIRED_FIELDS = _ANNOTATION_FIELDS - {"actors", "created_at", "updated_at"} - _OPTIONAL_DEFAULTS.keys()
_SPAN_FIELDS = frozenset({"start", "end", "text", "type", "actor_id", "stance"})
_REQUIRED_SPAN_FIELDS = frozenset({"start", "end", "text", "type"})

Key = tuple[str, str, str]
"""(segment id, target id, annotator): what identifies a store record."""


def key_of(annotation: Annotation) -> Key:
    """The store key of an annotation: (segment, target, annotator)."""
    return annotation.segment_id, annotation.target, annotation.annotator


def annotation_from_record(record: object, where: str, scheme: Scheme) -> Annotation:
    """The typed Annotation of one plain JSON object, checked against the scheme (its `target` an id or a name of a
    target, read as the id); InputError names `where` and the problem."""
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
    comment, needs_adjudication = record.get("comment"), record.get("needs_adjudication", False)
    if comment is not None and (not isinstance(comment, str) or not comment.strip()):
        raise InputError(where, f"'comment' must be a non-empty string or null, got {comment!r}")
    if type(needs_adjudication) is not bool:
        raise InputError(where, f"'needs_adjudication' must be true or false, got {needs_adjudication!r}")
    rule = record.get("rule")
    if rule is not None and (not isinstance(rule, str) or not rule.strip()):
        raise InputError(where, f"'rule' must be a non-empty string or null, got {rule!r}")
    try:
        target = scheme.target(target).id
    except KeyError:
        raise InputError(
            where, f"target {target!r} is not a target of the project ({', '.join(scheme.target_ids)})"
        ) from None
    stance = _label(scheme.stance_names, record["stance"], where, "sentence stance")
    raw_spans = record.get("actors") or []
    if not isinstance(raw_spans, list):
        raise InputError(where, "'actors' must be a list")
    spans = [_span(raw, text, f"{where} actor {number}", scheme) for number, raw in enumerate(raw_spans, start=1)]
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
        comment=comment,
        needs_adjudication=needs_adjudication,
        rule=rule,
    )


def annotation_record(annotation: Annotation) -> dict[str, Any]:
    """The plain JSON object of one store line: optional fields at their default are left out."""
    record: dict[str, Any] = to_plain(annotation)
    for name, default in _OPTIONAL_DEFAULTS.items():
        if record[name] == default:
            del record[name]
    return record


def _span(raw: object, text: str, where: str, scheme: Scheme) -> ActorSpan:
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
        type=_label(scheme.actor_type_names, raw["type"], where, "actor type"),
        actor_id=actor_id,
        stance=_label(scheme.stance_names, raw.get("stance", scheme.default_stance), where, "actor stance"),
    )


def _label(labels: tuple[str, ...], value: object, where: str, what: str) -> str:
    if not isinstance(value, str) or value not in labels:
        raise InputError(where, f"{what} {value!r} is not in the scheme ({', '.join(labels)})")
    return value


def read_annotations(path: Path, scheme: Scheme) -> list[Annotation]:
    """Every record of a store file, checked against the scheme; a missing file is an empty store."""
    if not path.exists():
        return []
    annotations: list[Annotation] = []
    keys: dict[Key, int] = {}
    for line_number, record in read_jsonl(path):
        annotation = annotation_from_record(record, f"{path}:{line_number}", scheme)
        key = key_of(annotation)
        if key in keys:
            raise StoreError(
                f"{path}:{line_number}",
                f"second annotation of segment {key[0]} for target {key[1]} by {key[2]} (first on line {keys[key]})",
            )
        keys[key] = line_number
        annotations.append(annotation)
    return annotations


def sort_key(annotation: Annotation) -> tuple[str, str, str, str]:
    """The order of store lines: article, segment, target, annotator."""
    return annotation.article_id, annotation.segment_id, annotation.target, annotation.annotator


def write_annotations(path: Path, annotations: Iterable[Annotation]) -> int:
    """Replace the store file atomically with the records (targets by id), sorted; returns how many were written."""
    records = sorted(annotations, key=sort_key)
    with atomic_path(path) as temporary, temporary.open("w", encoding="utf-8") as handle:
        count = write_jsonl((annotation_record(record) for record in records), handle)
    return count


def merge_annotations(existing: Iterable[Annotation], pulled: Iterable[Annotation]) -> list[Annotation]:
    """The store after a pull: every existing record kept, a pulled one replacing the same (segment, target,
    annotator)."""
    merged = {key_of(a): a for a in existing}
    merged.update({key_of(a): a for a in pulled})
    return sorted(merged.values(), key=sort_key)
