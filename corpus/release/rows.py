"""The rows of a dataset release, built by pure functions from articles, segments and the annotation store.

A release has one config per row type (docs/releases.md):

    sentences        one row per (segment, target) with a gold label: text, stance, actor spans, context, agreement
    actors           one row per gold actor mention of a (segment, target) (span / entity work)
    actor_tags       one row per gold sentence: tokens and BIO tags, the CoNLL-2003 shape token classifiers expect
    articles         one row per seed article: metadata, full text and segment offsets
    raw_annotations  one row per (segment, target, annotator) before adjudication, for agreement research

Labels are ClassLabel indexes; their names (and order) are the project's scheme (stance-corpus.toml). Every config
that holds a target has its id (`target_id`) beside its name (`target`), and articles list their targets; release
1.0.0, built before targets were data, has neither (`ReleaseSchema.target_columns`), and keeps its layout.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from datasets import ClassLabel, Features, List, Value
from stance_corpus.corpus.context import annotated_in_context
from stance_corpus.corpus.errors import ReleaseError
from stance_corpus.corpus.orphans import segment_problem
from stance_corpus.corpus.reliability import nominal_alpha
from stance_corpus.corpus.schema import (
    GOLD_ANNOTATOR,
    ActorSpan,
    Annotation,
    Article,
    Scheme,
    Segment,
    SegmentContext,
    Target,
)
from stance_corpus.corpus.segment import TokenSpans

# A sentence's split depends only on its article's id, so nothing ever moves between releases and no article
# contributes sentences to two splits. (split, exclusive upper bound of its sha256 bucket 0..99)
SPLIT_BUCKETS: tuple[tuple[str, int], ...] = (("train", 80), ("validation", 90), ("test", 100))
SPLITS: tuple[str, ...] = tuple(name for name, _ in SPLIT_BUCKETS)
CONFIGS: tuple[str, ...] = ("sentences", "actors", "actor_tags", "articles", "raw_annotations")

# The columns that identify a row of each config (those present in a release's rows: `target` exists in both
# formats, so a format 1 release compares with a format 2 one of the same target), and the labels `release diff`
# compares.
ROW_KEYS: dict[str, tuple[str, ...]] = {
    "sentences": ("id", "target"),
    "actors": ("sentence_id", "target_id", "start", "end"),
    "actor_tags": ("id",),
    "articles": ("id",),
    "raw_annotations": ("segment_id", "target", "annotator"),
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


@dataclass(frozen=True)
class ReleaseSchema:
    """The configs of a project's releases: their typed Features, from the scheme's labels (and, for 1.0.0, without
    the target columns)."""

    scheme: Scheme
    target_columns: bool = True
    features: dict[str, Features] = field(init=False)
    bio_tags: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        actor_types = self.scheme.actor_type_names
        bio_tags = ("O", *(f"{prefix}-{label}" for label in actor_types for prefix in ("B", "I")))
        object.__setattr__(self, "bio_tags", bio_tags)
        object.__setattr__(self, "features", _features(self.scheme, self.target_columns, bio_tags))

    @property
    def with_target_id(self) -> bool:
        """Whether rows carry a target_id column (every release but the pinned 1.0.0)."""
        return self.target_columns

    def stance_id(self, label: str) -> int:
        """The ClassLabel id of a stance label: its place in the config's stance list."""
        return self.scheme.stance_names.index(label)

    def actor_type_id(self, label: str) -> int:
        """The ClassLabel id of an actor type: its place in the config's actor type list."""
        return self.scheme.actor_type_names.index(label)

    def begin_tag(self, actor_type: str) -> int:
        """The B- tag of an actor type; its I- tag is the next one."""
        return self.bio_tags.index(f"B-{actor_type}")


def _features(scheme: Scheme, target_columns: bool, bio_tags: tuple[str, ...]) -> dict[str, Features]:
    stance = ClassLabel(names=list(scheme.stance_names))
    span = {
        "start": Value("int32"),
        "end": Value("int32"),
        "text": Value("string"),
        "type": ClassLabel(names=list(scheme.actor_type_names)),
        "actor_id": Value("string"),
        "stance": stance,
    }
    target_id = {"target_id": Value("string")} if target_columns else {}
    targets = {"targets": List(Value("string"))} if target_columns else {}
    return {
        "sentences": Features(
            {
                "id": Value("string"),
                "article_id": Value("string"),
                "index": Value("int32"),
                "kind": Value("string"),
                "text": Value("string"),
                **target_id,
                "target": Value("string"),
                "stance": stance,
                "actors": List(span),
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
                **target_id,
                **span,
                "sentence": Value("string"),
            }
        ),
        "actor_tags": Features(
            {
                "id": Value("string"),
                "tokens": List(Value("string")),
                # What token-classification recipes read: `features["ner_tags"].feature.names` (Sequence == List).
                "ner_tags": List(ClassLabel(names=list(bio_tags))),
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
                **targets,
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
                **target_id,
                "annotator": Value("string"),
                "text": Value("string"),
                "target": Value("string"),
                "stance": stance,
                "actors": List(span),
                "created_at": Value("string"),
                "updated_at": Value("string"),
            }
        ),
    }


def split_of(article_id: str) -> str:
    """The split of every sentence of an article: its id's sha256 bucket (0..99) against SPLIT_BUCKETS."""
    bucket = int.from_bytes(hashlib.sha256(article_id.encode("utf-8")).digest()[:8], "big") % 100
    return next(name for name, upper in SPLIT_BUCKETS if bucket < upper)


def store_problem(
    annotation: Annotation,
    segments: Mapping[str, Segment],
    store_annotator_is_gold: bool,
    article_targets: Mapping[str, tuple[str, ...]],
) -> str | None:
    """Why a store record cannot go into a release (None when it can); `article_targets`: article id -> the ids of
    the targets it is annotated for."""
    if (annotation.annotator == GOLD_ANNOTATOR) != store_annotator_is_gold:
        expected = f"{GOLD_ANNOTATOR!r}" if store_annotator_is_gold else f"anyone but {GOLD_ANNOTATOR!r}"
        return f"annotator {annotation.annotator!r} in a file whose annotator must be {expected}"
    return segment_problem(annotation, segments, article_targets)


def build_tables(
    segmented: Iterable[tuple[Article, Sequence[tuple[Segment, TokenSpans]]]],
    gold: Iterable[Annotation],
    raw: Iterable[Annotation],
    schema: ReleaseSchema,
    article_targets: Mapping[str, tuple[str, ...]] | None = None,
) -> Tables:
    """Every config's rows, split by article, from each article with its segments and their word tokens (as
    `corpus.segment.tokenized_segments` gives them); rows follow the order of the articles (a release sorts them by
    id), then of the segments, then of the scheme's targets. `segmented` is read one article at a time, so it can
    still be being segmented.

    The store records must pass `store_problem`; one that does not is left out or mislabelled, never a crash, so a
    release can check them once every segment is known and build the rows meanwhile. `article_targets` (article
    id -> target ids, default: those its catalogue line lists) fills the `targets` column.
    """
    gold_by_segment: dict[str, dict[str, Annotation]] = defaultdict(dict)  # segment -> target -> gold
    for annotation in gold:
        gold_by_segment[annotation.segment_id][annotation.target] = annotation
    raw_by_segment: dict[str, list[Annotation]] = defaultdict(list)
    for annotation in raw:
        raw_by_segment[annotation.segment_id].append(annotation)

    tables: Tables = {config: {} for config in CONFIGS}
    for article, tokenized in segmented:
        split = split_of(article.id)
        rows = {config: splits.setdefault(split, []) for config, splits in tables.items()}
        segments = [segment for segment, _ in tokenized]
        tokens = {segment.id: spans for segment, spans in tokenized}
        targets = (article_targets or {}).get(article.id, article.targets)
        rows["articles"].append(article_row(article, segments, schema, targets))
        for segment, context in annotated_in_context(segments, article.title):
            by_target = gold_by_segment[segment.id]
            golds = [by_target[target.id] for target in schema.scheme.targets if target.id in by_target]
            for annotation in golds:
                raw_ratings = [a for a in raw_by_segment[segment.id] if a.target == annotation.target]
                sentence = sentence_row(segment, annotation, context, raw_ratings, schema)
                rows["sentences"].append(sentence)
                rows["actors"].extend(actor_rows(sentence, schema))
            if golds:
                # Token tags do not depend on the target: the first target's gold spans (docs/releases.md).
                rows["actor_tags"].append(actor_tag_row(segment, tokens[segment.id], golds[0].actors, schema))
        for segment in segments:
            rows["raw_annotations"].extend(raw_annotation_row(a, schema) for a in raw_by_segment[segment.id])
    return _without_empty(tables)


def _without_empty(tables: Tables) -> Tables:
    """Only configs and splits that have rows, splits in SPLITS order."""
    kept = {
        config: {split: splits[split] for split in SPLITS if splits.get(split)} for config, splits in tables.items()
    }
    return {config: splits for config, splits in kept.items() if splits}


def span_row(span: ActorSpan, schema: ReleaseSchema) -> Row:
    """An actor span as a row value: offsets, text, type and stance as ClassLabel indexes, actor id."""
    return {
        "start": span.start,
        "end": span.end,
        "text": span.text,
        "type": schema.actor_type_id(span.type),
        "actor_id": span.actor_id,
        "stance": schema.stance_id(span.stance),
    }


def _target_columns(target_id: str, schema: ReleaseSchema) -> Row:
    return {"target_id": target_id} if schema.with_target_id else {}


def context_row(context: SegmentContext) -> Row:
    """The `context` struct of a `sentences` row: headline, previous, next."""
    return {"headline": context.headline, "previous": context.previous, "next": context.next}


def sentence_row(
    segment: Segment, gold: Annotation, context: SegmentContext, raw: Sequence[Annotation], schema: ReleaseSchema
) -> Row:
    """The `sentences` row of a gold-labelled (segment, target): its gold labels, context, number of annotators and
    the share of them who chose the gold stance (None with fewer than two).
    """
    agreeing = sum(annotation.stance == gold.stance for annotation in raw)
    return {
        "id": segment.id,
        "article_id": segment.article_id,
        "index": segment.index,
        "kind": segment.kind.value,
        "text": segment.text,
        **_target_columns(gold.target, schema),
        "target": schema.scheme.target(gold.target).name,
        "stance": schema.stance_id(gold.stance),
        "actors": [span_row(span, schema) for span in gold.actors],
        "context": context_row(context),
        "annotators": len(raw),
        "agreement": agreeing / len(raw) if len(raw) >= 2 else None,
    }


def actor_rows(sentence: Row, schema: ReleaseSchema) -> Iterator[Row]:
    """The `actors` rows of a `sentences` row, one per actor span, numbered `<sentence id>:<target id>:<n>`
    (`<sentence id>:<n>` in the layout of 1.0.0)."""
    # A mention of one sentence for two targets is two rows (its stance is toward each target).
    prefix = f"{sentence['id']}:{sentence['target_id']}" if schema.with_target_id else sentence["id"]
    for number, span in enumerate(sentence["actors"]):
        yield {
            "mention_id": f"{prefix}:{number}",
            "sentence_id": sentence["id"],
            "article_id": sentence["article_id"],
            **({"target_id": sentence["target_id"]} if schema.with_target_id else {}),
            **span,
            "sentence": sentence["text"],
        }


def actor_tag_row(segment: Segment, tokens: TokenSpans, spans: Sequence[ActorSpan], schema: ReleaseSchema) -> Row:
    """Tokens and BIO tags; a token inside two overlapping spans keeps the tag of the earlier span."""
    tags = [0] * len(tokens)
    for span in spans:
        covered = [
            position
            for position, (start, end) in enumerate(tokens)
            if start < span.end and end > span.start and tags[position] == 0
        ]
        begin = schema.begin_tag(span.type)
        for position in covered:
            tags[position] = begin if position == covered[0] else begin + 1
    return {"id": segment.id, "tokens": [segment.text[start:end] for start, end in tokens], "ner_tags": tags}


def article_row(
    article: Article, segments: Sequence[Segment], schema: ReleaseSchema, targets: Sequence[str] = ()
) -> Row:
    """The `articles` row of an article: catalogue metadata, its targets, full text and its segments' offsets."""
    return {
        "id": article.id,
        "title": article.title,
        "source": article.source,
        "published": article.published,
        "url": article.url,
        "language": article.language,
        "license": article.license,
        "notes": article.notes,
        **({"targets": list(targets)} if schema.with_target_id else {}),
        "text": article.text,
        "segments": [
            {"id": s.id, "index": s.index, "kind": s.kind.value, "start": s.start, "end": s.end} for s in segments
        ],
    }


def raw_annotation_row(annotation: Annotation, schema: ReleaseSchema) -> Row:
    """The `raw_annotations` row of one annotator's annotation of a (segment, target), as annotated."""
    return {
        "segment_id": annotation.segment_id,
        "article_id": annotation.article_id,
        **_target_columns(annotation.target, schema),
        "annotator": annotation.annotator,
        "text": annotation.text,
        "target": schema.scheme.target(annotation.target).name,
        "stance": schema.stance_id(annotation.stance),
        "actors": [span_row(span, schema) for span in annotation.actors],
        "created_at": annotation.created_at,
        "updated_at": annotation.updated_at,
    }


def released_targets(tables: Tables, scheme: Scheme) -> list[Target]:
    """The scheme's targets that have sentences in the release, in the scheme's order."""
    names = {row["target"] for rows in tables.get("sentences", {}).values() for row in rows}
    return [target for target in scheme.targets if target.name in names]


def label_counts(tables: Tables, scheme: Scheme) -> dict[tuple[str, str], dict[str, Counter[str]]]:
    """Per (target name, split) of the released targets: sentence stance counts and actor type counts (label
    names)."""
    stances, actor_types = scheme.stance_names, scheme.actor_type_names
    targets = released_targets(tables, scheme)
    counts: dict[tuple[str, str], dict[str, Counter[str]]] = {}
    for target in targets:
        for split, rows in tables.get("sentences", {}).items():
            mine = [row for row in rows if row["target"] == target.name]
            if not mine and len(targets) > 1:
                continue
            counts[(target.name, split)] = {
                "stance": Counter(stances[row["stance"]] for row in mine),
                "actor type": Counter(actor_types[a["type"]] for row in mine for a in row["actors"]),
                "actor stance": Counter(stances[a["stance"]] for row in mine for a in row["actors"]),
            }
    return counts


def agreement_summary(tables: Tables, target: str) -> dict[str, float | int | None]:
    """For one target (its name): sentences with 2+ annotators, their mean agreement with gold, and Krippendorff's
    alpha (nominal) of the annotators' sentence stances over every segment of raw_annotations (None when undefined)."""
    sentences = [row for rows in tables.get("sentences", {}).values() for row in rows if row["target"] == target]
    rated = [row["agreement"] for row in sentences if row["agreement"] is not None]
    raw = [row for rows in tables.get("raw_annotations", {}).values() for row in rows if row["target"] == target]
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
    for config in CONFIGS:
        keys = _shared_keys(config, old.get(config, {}), new.get(config, {}))
        old_rows = _keyed(config, keys, old.get(config, {}))
        new_rows = _keyed(config, keys, new.get(config, {}))
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


def _shared_keys(config: str, *releases: Mapping[str, list[Row]]) -> tuple[str, ...]:
    """The key columns of a config that the rows of every given release have (format 1 rows have no target_id)."""
    columns = [next((set(row) for rows in splits.values() for row in rows), None) for splits in releases]
    present = [found for found in columns if found is not None]
    return tuple(key for key in ROW_KEYS[config] if all(key in found for found in present))


def _keyed(
    config: str, keys: tuple[str, ...], splits: Mapping[str, list[Row]]
) -> dict[tuple[Any, ...], tuple[str, Row]]:
    keyed: dict[tuple[Any, ...], tuple[str, Row]] = {}
    for split, rows in splits.items():
        for row in rows:
            key = tuple(row[column] for column in keys)
            if key in keyed:
                raise ReleaseError(
                    config,
                    f"two rows share the key {dict(zip(keys, key, strict=True))}: releases of different layouts "
                    "with several targets cannot be compared row by row",
                )
            keyed[key] = (split, row)
    return keyed
