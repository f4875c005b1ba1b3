"""The rows of a dataset release, built by pure functions from articles, segments and the annotation store.

A release has one config per row type (docs/releases.md):

    sentences        one row per segment with a gold label: text, stance, actor spans, context, agreement
    actors           one row per gold actor mention (span / entity work)
    actor_tags       one row per gold sentence: tokens and BIO tags, the CoNLL-2003 shape token classifiers expect
    articles         one row per seed article: metadata, full text and segment offsets
    raw_annotations  one row per (segment, annotator) before adjudication, for agreement research

Labels are ClassLabel indexes; their names (and order) are corpus.schema's label tuples.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from datasets import ClassLabel, Features, List, Value
from stance_corpus.corpus.context import annotated_in_context
from stance_corpus.corpus.reliability import nominal_alpha
from stance_corpus.corpus.schema import (
    ACTOR_TYPE_LABELS,
    ANNOTATED_KINDS,
    GOLD_ANNOTATOR,
    STANCE_LABELS,
    ActorSpan,
    Annotation,
    Article,
    Segment,
    SegmentContext,
)
from stance_corpus.corpus.segment import TokenSpans

# A sentence's split depends only on its article's id, so nothing ever moves between releases and no article
# contributes sentences to two splits. (split, exclusive upper bound of its sha256 bucket 0..99)
SPLIT_BUCKETS: tuple[tuple[str, int], ...] = (("train", 80), ("validation", 90), ("test", 100))
SPLITS: tuple[str, ...] = tuple(name for name, _ in SPLIT_BUCKETS)

BIO_TAGS: tuple[str, ...] = ("O", *(f"{prefix}-{label}" for label in ACTOR_TYPE_LABELS for prefix in ("B", "I")))
# The B- tag of each actor type; its I- tag is the next one.
_BEGIN_TAG = {label: BIO_TAGS.index(f"B-{label}") for label in ACTOR_TYPE_LABELS}

_STANCE = ClassLabel(names=list(STANCE_LABELS))
_ACTOR_TYPE = ClassLabel(names=list(ACTOR_TYPE_LABELS))
_STANCE_ID = {label: index for index, label in enumerate(STANCE_LABELS)}
_ACTOR_TYPE_ID = {label: index for index, label in enumerate(ACTOR_TYPE_LABELS)}
_SPAN = {
    "start": Value("int32"),
    "end": Value("int32"),
    "text": Value("string"),
    "type": _ACTOR_TYPE,
    "actor_id": Value("string"),
    "stance": _STANCE,
}

FEATURES: dict[str, Features] = {
    "sentences": Features(
        {
            "id": Value("string"),
            "article_id": Value("string"),
            "index": Value("int32"),
            "kind": Value("string"),
            "text": Value("string"),
            "target": Value("string"),
            "stance": _STANCE,
            "actors": List(_SPAN),
            "context": {"headline": Value("string"), "previous": Value("string"), "next": Value("string")},
            "annotators": Value("int32"),
            "agreement": Value("float32"),
        }
    ),
    "actors": Features(
        {
            "mention_id": Value("string"),
            "sentence_id": Value("string"),
            "article_id": Value("string"),
            **_SPAN,
            "sentence": Value("string"),
        }
    ),
    "actor_tags": Features(
        {
            "id": Value("string"),
            "tokens": List(Value("string")),
            # What token-classification recipes read: `features["ner_tags"].feature.names` (Sequence == List in 4.0+).
            "ner_tags": List(ClassLabel(names=list(BIO_TAGS))),
        }
    ),
    "articles": Features(
        {
            "id": Value("string"),
            "title": Value("string"),
            "source": Value("string"),
            "published": Value("string"),
            "url": Value("string"),
            "language": Value("string"),
            "license": Value("string"),
            "notes": Value("string"),
            "text": Value("string"),
            "segments": List(
                {
                    "id": Value("string"),
                    "index": Value("int32"),
                    "kind": Value("string"),
                    "start": Value("int32"),
                    "end": Value("int32"),
                }
            ),
        }
    ),
    "raw_annotations": Features(
        {
            "segment_id": Value("string"),
            "article_id": Value("string"),
            "annotator": Value("string"),
            "text": Value("string"),
            "target": Value("string"),
            "stance": _STANCE,
            "actors": List(_SPAN),
            "created_at": Value("string"),
            "updated_at": Value("string"),
        }
    ),
}

# The column that identifies a row of each config, and the label columns `release diff` compares.
ROW_KEYS: dict[str, tuple[str, ...]] = {
    "sentences": ("id",),
    "actors": ("mention_id",),
    "actor_tags": ("id",),
    "articles": ("id",),
    "raw_annotations": ("segment_id", "annotator"),
}
COMPARED_LABELS: dict[str, tuple[str, ...]] = {
    "sentences": ("stance", "actors"),
    "actors": ("type", "stance"),
    "actor_tags": ("ner_tags",),
    "articles": ("text",),
    "raw_annotations": ("stance", "actors"),
}

Row = dict[str, Any]
"""One row of a config: column -> plain value (ClassLabel columns hold label indexes)."""
Tables = dict[str, dict[str, list[Row]]]
"""config -> split -> rows; only non-empty configs and splits, in SPLITS order."""


def split_of(article_id: str) -> str:
    """The split of every sentence of an article: its id's sha256 bucket (0..99) against SPLIT_BUCKETS."""
    bucket = int.from_bytes(hashlib.sha256(article_id.encode("utf-8")).digest()[:8], "big") % 100
    return next(name for name, upper in SPLIT_BUCKETS if bucket < upper)


def store_problem(annotation: Annotation, segments: Mapping[str, Segment], store_annotator_is_gold: bool) -> str | None:
    """Why a store record cannot go into a release (None when it can)."""
    if (annotation.annotator == GOLD_ANNOTATOR) != store_annotator_is_gold:
        expected = f"{GOLD_ANNOTATOR!r}" if store_annotator_is_gold else f"anyone but {GOLD_ANNOTATOR!r}"
        return f"annotator {annotation.annotator!r} in a file whose annotator must be {expected}"
    segment = segments.get(annotation.segment_id)
    if segment is None:
        return (
            f"segment {annotation.segment_id} is not in the current seeds (unknown id): was its sentence edited "
            f"after it was annotated? annotated text {annotation.text!r}"
        )
    if segment.article_id != annotation.article_id:
        return f"segment {segment.id} belongs to article {segment.article_id}, not {annotation.article_id}"
    if segment.text != annotation.text:
        return (
            f"the text of segment {segment.id} changed since it was annotated: {annotation.text!r} -> {segment.text!r}"
        )
    if segment.kind not in ANNOTATED_KINDS:
        return f"segment {segment.id} is a {segment.kind.value} segment, which carries no stance"
    return None


def build_tables(
    segmented: Iterable[tuple[Article, Sequence[tuple[Segment, TokenSpans]]]],
    gold: Iterable[Annotation],
    raw: Iterable[Annotation],
) -> Tables:
    """Every config's rows, split by article, from each article with its segments and their word tokens (as
    `corpus.segment.tokenized_segments` gives them); rows follow the order of the articles (a release sorts them by
    id). `segmented` is read one article at a time, so it can still be being segmented.

    The store records must pass `store_problem`; one that does not is left out or mislabelled, never a crash, so a
    release can check them once every segment is known and build the rows meanwhile.
    """
    gold_by_segment = {annotation.segment_id: annotation for annotation in gold}
    raw_by_segment: dict[str, list[Annotation]] = defaultdict(list)
    for annotation in raw:
        raw_by_segment[annotation.segment_id].append(annotation)

    tables: Tables = {config: {} for config in FEATURES}
    for article, tokenized in segmented:
        split = split_of(article.id)
        rows = {config: splits.setdefault(split, []) for config, splits in tables.items()}
        segments = [segment for segment, _ in tokenized]
        tokens = {segment.id: spans for segment, spans in tokenized}
        rows["articles"].append(article_row(article, segments))
        for segment, context in annotated_in_context(segments, article.title):
            gold_label = gold_by_segment.get(segment.id)
            if gold_label is None:
                continue
            sentence = sentence_row(segment, gold_label, context, raw_by_segment[segment.id])
            rows["sentences"].append(sentence)
            rows["actors"].extend(actor_rows(sentence))
            rows["actor_tags"].append(actor_tag_row(segment, tokens[segment.id], gold_label.actors))
        for segment in segments:
            rows["raw_annotations"].extend(raw_annotation_row(a) for a in raw_by_segment[segment.id])
    return _without_empty(tables)


def _without_empty(tables: Tables) -> Tables:
    """Only configs and splits that have rows, splits in SPLITS order."""
    kept = {
        config: {split: splits[split] for split in SPLITS if splits.get(split)} for config, splits in tables.items()
    }
    return {config: splits for config, splits in kept.items() if splits}


def span_row(span: ActorSpan) -> Row:
    """An actor span as a row value: offsets, text, type and stance as ClassLabel indexes, actor id."""
    return {
        "start": span.start,
        "end": span.end,
        "text": span.text,
        "type": _ACTOR_TYPE_ID[span.type],
        "actor_id": span.actor_id,
        "stance": _STANCE_ID[span.stance],
    }


def context_row(context: SegmentContext) -> Row:
    """The `context` struct of a `sentences` row: headline, previous, next."""
    return {"headline": context.headline, "previous": context.previous, "next": context.next}


def sentence_row(segment: Segment, gold: Annotation, context: SegmentContext, raw: Sequence[Annotation]) -> Row:
    """The `sentences` row of a gold-labelled segment: its gold labels, context, number of annotators and
    the share of them who chose the gold stance (None with fewer than two).
    """
    agreeing = sum(annotation.stance == gold.stance for annotation in raw)
    return {
        "id": segment.id,
        "article_id": segment.article_id,
        "index": segment.index,
        "kind": segment.kind.value,
        "text": segment.text,
        "target": gold.target,
        "stance": _STANCE_ID[gold.stance],
        "actors": [span_row(span) for span in gold.actors],
        "context": context_row(context),
        "annotators": len(raw),
        "agreement": agreeing / len(raw) if len(raw) >= 2 else None,
    }


def actor_rows(sentence: Row) -> Iterator[Row]:
    """The `actors` rows of a `sentences` row, one per actor span, numbered `<sentence id>:<n>`."""
    for number, span in enumerate(sentence["actors"]):
        yield {
            "mention_id": f"{sentence['id']}:{number}",
            "sentence_id": sentence["id"],
            "article_id": sentence["article_id"],
            **span,
            "sentence": sentence["text"],
        }


def actor_tag_row(segment: Segment, tokens: TokenSpans, spans: Sequence[ActorSpan]) -> Row:
    """Tokens and BIO tags; a token inside two overlapping spans keeps the tag of the earlier span."""
    tags = [0] * len(tokens)
    for span in spans:
        covered = [
            position
            for position, (start, end) in enumerate(tokens)
            if start < span.end and end > span.start and tags[position] == 0
        ]
        begin = _BEGIN_TAG[span.type]
        for position in covered:
            tags[position] = begin if position == covered[0] else begin + 1
    return {"id": segment.id, "tokens": [segment.text[start:end] for start, end in tokens], "ner_tags": tags}


def article_row(article: Article, segments: Sequence[Segment]) -> Row:
    """The `articles` row of an article: catalogue metadata, full text and its segments' offsets."""
    return {
        "id": article.id,
        "title": article.title,
        "source": article.source,
        "published": article.published,
        "url": article.url,
        "language": article.language,
        "license": article.license,
        "notes": article.notes,
        "text": article.text,
        "segments": [
            {"id": s.id, "index": s.index, "kind": s.kind.value, "start": s.start, "end": s.end} for s in segments
        ],
    }


def raw_annotation_row(annotation: Annotation) -> Row:
    """The `raw_annotations` row of one annotator's annotation of a segment, as annotated."""
    return {
        "segment_id": annotation.segment_id,
        "article_id": annotation.article_id,
        "annotator": annotation.annotator,
        "text": annotation.text,
        "target": annotation.target,
        "stance": _STANCE_ID[annotation.stance],
        "actors": [span_row(span) for span in annotation.actors],
        "created_at": annotation.created_at,
        "updated_at": annotation.updated_at,
    }


def label_counts(tables: Tables) -> dict[str, dict[str, Counter[str]]]:
    """Per split: sentence stance counts and actor type counts (label names)."""
    return {
        split: {
            "stance": Counter(STANCE_LABELS[row["stance"]] for row in rows),
            "actor type": Counter(ACTOR_TYPE_LABELS[a["type"]] for row in rows for a in row["actors"]),
            "actor stance": Counter(STANCE_LABELS[a["stance"]] for row in rows for a in row["actors"]),
        }
        for split, rows in tables.get("sentences", {}).items()
    }


def agreement_summary(tables: Tables) -> dict[str, float | int | None]:
    """Sentences with 2+ annotators, their mean agreement with gold, and Krippendorff's alpha (nominal) of the
    annotators' sentence stances over every segment of raw_annotations (None when undefined)."""
    sentences = [row for rows in tables.get("sentences", {}).values() for row in rows]
    rated = [row["agreement"] for row in sentences if row["agreement"] is not None]
    raw = [row for rows in tables.get("raw_annotations", {}).values() for row in rows]
    return {
        "annotated_by_several": len(rated),
        "mean_agreement_with_gold": sum(rated) / len(rated) if rated else None,
        "krippendorff_alpha": _alpha(raw),
        "annotators": len({row["annotator"] for row in raw}),
    }


def _alpha(raw: Sequence[Row]) -> float | None:
    stances: dict[str, dict[str, int]] = defaultdict(dict)  # segment -> annotator -> stance
    for row in raw:
        stances[row["segment_id"]][row["annotator"]] = row["stance"]
    return nominal_alpha(stances.values())


def diff_tables(old: Tables, new: Tables) -> dict[str, list[dict[str, str | int]]]:
    """Per config, one entry per split of either release: rows, rows added/removed (by id), rows moved in from
    another split (never expected), and how many kept rows changed each compared label."""
    report: dict[str, list[dict[str, str | int]]] = {}
    for config in FEATURES:
        old_rows = _keyed(config, old.get(config, {}))
        new_rows = _keyed(config, new.get(config, {}))
        entries = []
        for split in SPLITS:
            old_keys = {key for key, (where, _) in old_rows.items() if where == split}
            new_keys = {key for key, (where, _) in new_rows.items() if where == split}
            if not old_keys and not new_keys:
                continue
            kept = new_keys & old_rows.keys()
            entries.append(
                {
                    "split": split,
                    "rows": len(new_keys),
                    "added": len(new_keys - old_rows.keys()),
                    "removed": len(old_keys - new_rows.keys()),
                    "moved in": sum(old_rows[key][0] != split for key in kept),
                    **{
                        f"{label} changed": sum(old_rows[key][1][label] != new_rows[key][1][label] for key in kept)
                        for label in COMPARED_LABELS[config]
                    },
                }
            )
        if entries:
            report[config] = entries
    return report


def _keyed(config: str, splits: Mapping[str, list[Row]]) -> dict[tuple[Any, ...], tuple[str, Row]]:
    return {
        tuple(row[column] for column in ROW_KEYS[config]): (split, row)
        for split, rows in splits.items()
        for row in rows
    }
