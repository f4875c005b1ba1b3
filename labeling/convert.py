"""The one adapter between Label Studio JSON and our records (labeling config: labeling/config.py).

    task_data_from_label_studio(data, target_id)    a task's `data` -> TaskData (tasks pushed before targets were
                                                    data have no target_id: they are the project's target's)
    annotation_from_label_studio(task, annotation, scheme, target_id, actor_ids)
                                                    an exported annotation -> a checked Annotation record
    result_from_spans(text, spans, actor_names)     actor spans -> a Label Studio result (for predictions)
    result_from_labels(text, stance, spans)         sentence stance + actor spans -> a full annotation result
    result_from_annotation(annotation)              an Annotation record (comment, flag, rule too) -> its result
    prediction_from_stance(task_id, text, p, spans) a stance model's label + actor spans -> one task prediction
    required_id(value, what)                        the id of an object the SDK returns (typed optional there)

A span is several results sharing one region `id`: the `actor` labels (offsets, type), the per-region
`actor_stance` choice, the per-region `actor_id` taxonomy choice (a registry id, or NOT_IN_REGISTRY; projects made
before the registry list hold a typed `textarea` instead, read the same way) and, for a pre-annotated span, the
read-only `prefill` note that shows the pre-annotation in the Regions list (ignored here). Per task: the sentence
`stance`, an optional `comment` and the `flag` "needs adjudication"; in a review project (labeling/review.py), the
`rule` the adjudicator's decision rests on instead of the flag. Offsets are checked against the task text;
the browser counts them in UTF-16 code units, so those are translated to Python string indices here and nowhere
else.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import fields

from stance_corpus.corpus.errors import InputError
from stance_corpus.corpus.schema import ActorSpan, Annotation, Scheme, StancePrediction, TaskData
from stance_corpus.corpus.store import annotation_from_record
from stance_corpus.labeling.config import (
    ACTOR_ID,
    ACTOR_LABELS,
    ACTOR_STANCE,
    COMMENT,
    FLAG,
    NEEDS_ADJUDICATION,
    NOT_IN_REGISTRY,
    PREFILL_NOTE,
    RULE,
    SEGMENT_TEXT,
    SENTENCE_STANCE,
)
from stance_corpus.labeling.errors import LabelStudioError

_REGION_ATTRIBUTES = (ACTOR_STANCE, ACTOR_ID, PREFILL_NOTE)
_TASK_FIELDS = tuple(item.name for item in fields(TaskData))


def task_data_from_label_studio(data: object, target_id: str) -> TaskData:
    """The TaskData of a task's `data` in the project of `target_id`; missing fields read as "" (a task pushed
    before targets were data has no target_id)."""
    given = data if isinstance(data, dict) else {}
    values: dict[str, str] = {}
    for name in _TASK_FIELDS:
        value = given.get(name)
        values[name] = value if isinstance(value, str) else ""
    return TaskData(**{**values, "target_id": values["target_id"] or target_id})


def annotation_from_label_studio(
    task: dict, annotation: dict, scheme: Scheme, target_id: str, actor_ids: Collection[str] | None = None
) -> Annotation:
    """The Annotation of one exported (completed, not cancelled) annotation of the project of `target_id`, checked
    against the scheme; LabelStudioError names task + problem.

    `annotation["completed_by"]` must be the serialized user (export option `annotations__completed_by`), whose
    email is the annotator's identity. With `actor_ids` (the registry's ids), an actor id outside them is refused.
    """
    data = task.get("data") or {}
    if data.get("target_id", target_id) != target_id:
        raise LabelStudioError(
            f"task {task.get('id')} (segment {data.get('segment_id')}): its target {data.get('target_id')!r} is not "
            f"{target_id!r}, the target of its project"
        )
    annotator = (
        (annotation.get("completed_by") or {}).get("email")
        if isinstance(annotation.get("completed_by"), dict)
        else None
    )
    where = f"task {task.get('id')} (segment {data.get('segment_id')}) annotation {annotation.get('id')} by {annotator}"
    if not annotator:
        raise LabelStudioError(f"{where}: the export does not say who completed it (no user email)")
    text = data.get(SEGMENT_TEXT)
    if not isinstance(text, str):
        raise LabelStudioError(f"{where}: the task has no text")
    region_results: list[dict] = []
    sentence_stances: list[list] = []
    comments: list[str] = []
    flags: list[str] = []
    rules: list[str] = []
    for result in annotation.get("result") or []:
        name, value = result.get("from_name"), result.get("value") or {}
        if name == SENTENCE_STANCE:
            sentence_stances.append(value.get("choices") or [])
        elif name == COMMENT:
            comments.extend(line for line in value.get("text") or [] if isinstance(line, str))
        elif name == FLAG:
            flags.extend(value.get("choices") or [])
        elif name == RULE:
            rules.extend(value.get("choices") or [])
        elif name in (ACTOR_LABELS, *_REGION_ATTRIBUTES):
            region_results.append(result)
        else:
            raise LabelStudioError(f"{where}: result {name!r} is not part of the labeling config")
    if len(sentence_stances) != 1 or len(sentence_stances[0]) != 1:
        raise LabelStudioError(
            f"{where}: needs exactly one sentence stance, got {[choice for c in sentence_stances for choice in c]}"
        )
    unknown_flags = sorted(set(flags) - {NEEDS_ADJUDICATION})
    if unknown_flags:
        raise LabelStudioError(f"{where}: flag(s) {unknown_flags} are not part of the labeling config")
    if len(rules) > 1:
        raise LabelStudioError(f"{where}: names several rules {rules}; a decision rests on one")
    actors = span_records(region_results, text, where)
    if actor_ids is not None:
        for span in actors:
            if span["actor_id"] is not None and span["actor_id"] not in actor_ids:
                raise LabelStudioError(
                    f"{where}: actor id {span['actor_id']!r} of the span {span['text']!r} is not in the actor "
                    "registry (choose a registry actor or 'not in the registry' in Label Studio)"
                )
    record = {
        "segment_id": data.get("segment_id"),
        "article_id": data.get("article_id"),
        "text": text,
        "target": target_id,
        "annotator": annotator,
        "stance": sentence_stances[0][0],
        "actors": actors,
        "created_at": annotation.get("created_at"),
        "updated_at": annotation.get("updated_at"),
        "comment": "\n".join(line.strip() for line in comments if line.strip()) or None,
        "needs_adjudication": NEEDS_ADJUDICATION in flags,
        "rule": rules[0] if rules else None,
    }
    try:
        return annotation_from_record(record, where, scheme)
    except InputError as error:
        raise LabelStudioError(str(error)) from error


def span_records(results: Iterable[dict], text: str, where: str) -> list[dict]:
    """The actor spans (start, end, text, type, actor_id or None for *not in the registry*, stance) of the region
    results of an annotation or a prediction of the segment `text`, in the order the regions first appear."""
    regions: dict[str, dict[str, dict]] = defaultdict(dict)
    for result in results:
        name = result.get("from_name")
        if name not in (ACTOR_LABELS, *_REGION_ATTRIBUTES):
            continue
        region_id = str(result.get("id"))
        if name in regions[region_id]:
            raise LabelStudioError(f"{where}: region {region_id} has two {name!r} results")
        regions[region_id][name] = result.get("value") or {}
    return [_span_record(region_id, parts, text, where) for region_id, parts in regions.items()]


def _span_record(region_id: str, parts: dict[str, dict], text: str, where: str) -> dict:
    where = f"{where} region {region_id}"
    if ACTOR_LABELS not in parts:
        raise LabelStudioError(f"{where}: {sorted(parts)} given for a region that is not an actor span")
    span = parts[ACTOR_LABELS]
    labels = span.get("labels") or []
    if len(labels) != 1:
        raise LabelStudioError(f"{where}: an actor span needs exactly one actor type, got {labels}")
    stance = (parts.get(ACTOR_STANCE) or {}).get("choices") or []
    if len(stance) != 1:
        raise LabelStudioError(
            f"{where}: the actor span {span.get('text')!r} needs exactly one actor stance, got {stance}"
        )
    actor_id = parts.get(ACTOR_ID) or {}
    # A registry choice: a `taxonomy` path (one level, the id); typed text in projects made before the list.
    if "taxonomy" in actor_id:
        given = [path[-1] if isinstance(path, list) and path else path for path in actor_id.get("taxonomy") or []]
    else:
        given = actor_id.get("text") or []
    actor_ids = [str(line).strip() for line in given if str(line).strip()]
    if len(actor_ids) > 1:
        raise LabelStudioError(f"{where}: the actor span {span.get('text')!r} has several actor ids {actor_ids}")
    start, end = _python_offsets(text, span.get("start"), span.get("end"), span.get("text"))
    return {
        "start": start,
        "end": end,
        "text": span.get("text"),
        "type": labels[0],
        "actor_id": actor_ids[0] if actor_ids and actor_ids[0] != NOT_IN_REGISTRY else None,
        "stance": stance[0],
    }


def result_from_spans(
    text: str, spans: Iterable[ActorSpan], actor_names: Mapping[str, str] | None = None, notes: bool = True
) -> list[dict]:
    """A Label Studio result pre-filling the actor spans (type, actor id, stance) of a segment, each with (`notes`)
    a read-only note of its stance and actor (id and, from `actor_names`, name) shown in the Regions list."""
    names = actor_names or {}
    result: list[dict] = []
    for number, span in enumerate(spans, start=1):
        region = {
            "start": _utf16_offset(text, span.start),
            "end": _utf16_offset(text, span.end),
            "text": span.text,
        }
        common = {"id": f"actor{number}", "to_name": SEGMENT_TEXT}
        result.append(
            {**common, "from_name": ACTOR_LABELS, "type": "labels", "value": {**region, "labels": [span.type]}}
        )
        result.append(
            {
                **common,
                "from_name": ACTOR_STANCE,
                "type": "choices",
                "value": {**region, "choices": [span.stance]},
            }
        )
        actor_id = span.actor_id or NOT_IN_REGISTRY
        result.append(
            {**common, "from_name": ACTOR_ID, "type": "taxonomy", "value": {**region, "taxonomy": [[actor_id]]}}
        )
        if notes:
            note = {**region, "text": [prefill_note(span, names)]}
            result.append({**common, "from_name": PREFILL_NOTE, "type": "textarea", "value": note})
    return result


def prefill_note(span: ActorSpan, actor_names: Mapping[str, str]) -> str:
    """What the Regions list shows under a pre-annotated span, e.g. "pre-filled: NONE · russia (Russia)"."""
    if span.actor_id is None:
        actor = "not in the registry"
    elif span.actor_id in actor_names:
        actor = f"{span.actor_id} ({actor_names[span.actor_id]})"
    else:
        actor = span.actor_id
    return f"pre-filled: {span.stance} · {actor}"


def result_from_labels(
    text: str,
    stance: str,
    spans: Iterable[ActorSpan],
    actor_names: Mapping[str, str] | None = None,
    notes: bool = False,
) -> list[dict]:
    """A Label Studio result holding a whole annotation: the sentence stance and every actor span (with the
    Regions-list notes of a pre-annotation when `notes`)."""
    sentence = {"id": "sentence", "from_name": SENTENCE_STANCE, "to_name": SEGMENT_TEXT, "type": "choices"}
    return [{**sentence, "value": {"choices": [stance]}}, *result_from_spans(text, spans, actor_names, notes)]


def result_from_annotation(annotation: Annotation) -> list[dict]:
    """The Label Studio result of a whole Annotation record as the labeling screen submits it: sentence stance,
    actor spans, and its comment, adjudication flag and rule (an adjudicator's decision in a review project) when
    set."""
    result = result_from_labels(annotation.text, annotation.stance, annotation.actors)
    common = {"to_name": SEGMENT_TEXT}
    if annotation.rule is not None:
        result.append({**common, "id": "rule", "from_name": RULE, "type": "choices",
                       "value": {"choices": [annotation.rule]}})
    if annotation.comment is not None:
        result.append({**common, "id": "comment", "from_name": COMMENT, "type": "textarea",
                       "value": {"text": [annotation.comment]}})
    if annotation.needs_adjudication:
        result.append({**common, "id": "flag", "from_name": FLAG, "type": "choices",
                       "value": {"choices": [NEEDS_ADJUDICATION]}})
    return result


def prediction_from_stance(
    task_id: int,
    text: str,
    prediction: StancePrediction,
    spans: Iterable[ActorSpan],
    actor_names: Mapping[str, str] | None = None,
) -> dict:
    """The prediction of one task: the model's sentence stance with the actor spans in the same result, because
    annotators are shown the predictions of one model version only (the project's); its score is the top class
    probability, which Label Studio's uncertainty sampling serves lowest first."""
    return {
        "task": task_id,
        "model_version": prediction.model_version,
        "score": max(prediction.scores.values()),
        "result": result_from_labels(text, prediction.label, spans, actor_names, notes=True),
    }


def _python_offsets(text: str, start: object, end: object, span_text: object) -> tuple[object, object]:
    """Offsets as Python indices: as given when they match, else read as the browser's UTF-16 code units."""
    if not (isinstance(start, int) and isinstance(end, int)) or text[start:end] == span_text:
        return start, end
    code_unit_to_index = {}
    units = 0
    for index, character in enumerate(text):
        code_unit_to_index[units] = index
        units += 2 if ord(character) > 0xFFFF else 1
    code_unit_to_index[units] = len(text)
    if start in code_unit_to_index and end in code_unit_to_index:
        converted = code_unit_to_index[start], code_unit_to_index[end]
        if text[converted[0] : converted[1]] == span_text:
            return converted
    return start, end  # left as they are: annotation_from_record reports the mismatch


def _utf16_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-16-le")) // 2


def required_id(value: int | None, what: str) -> int:
    """The id of a project, task or export as the SDK returns it: optional in its types, always set by the server."""
    if value is None:
        raise LabelStudioError(f"Label Studio returned {what} without an id")
    return value
