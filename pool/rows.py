"""The pool's per-article steps as plain functions (no engine): segment rows, gazetteer mentions, stance scores, and
the parquet schema of a pool shard. The datatrove blocks (pool/blocks.py) call these; so does the benchmark's
one-process run of the same steps.

A row is one segment of `stance-corpus segment` (same id, offsets and kind, with the project's page furniture) with
its article's metadata, the pool's target (its id and name), the context an annotator sees (headline, previous and
next annotated segment, corpus.context, as `stance-corpus annotate` builds tasks), the gazetteer's actor mentions
(scoped aliases in the context of the article and the target, as annotate pre-annotates), and, for the kinds
annotators see (heading, body), the stance model's scores, one column per label of the model.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from stance_corpus.corpus.actors import MentionContext, find_actor_mentions
from stance_corpus.corpus.context import annotated_in_context
from stance_corpus.corpus.errors import InputError
from stance_corpus.corpus.schema import ANNOTATED_KINDS, Actor, Article, SegmentKind, Target
from stance_corpus.corpus.segment import DEFAULT_CONFIG, SegmentationConfig, segment_article

if TYPE_CHECKING:
    from stance_corpus.baselines.predict import ModelBundle

ARTICLE_FIELDS = ("title", "source", "published", "url", "language", "license")
_ANNOTATED = frozenset(kind.value for kind in ANNOTATED_KINDS)

ACTOR_TYPE = pa.struct(
    [
        ("start", pa.int32()),
        ("end", pa.int32()),
        ("text", pa.string()),
        ("type", pa.string()),
        ("actor_id", pa.string()),
    ]
)


def score_column(label: str) -> str:
    """The shard column of a stance label's score: score_FAVOR."""
    return f"score_{label}"


def shard_schema(labels: Sequence[str]) -> pa.Schema:
    """The parquet schema of a pool shard whose model has these stance labels."""
    return pa.schema(
        [
            ("segment_id", pa.string()),
            ("article_id", pa.string()),
            ("index", pa.int32()),
            ("paragraph", pa.int32()),
            ("kind", pa.string()),
            ("text", pa.string()),
            ("start", pa.int32()),
            ("end", pa.int32()),
            *((name, pa.string()) for name in ARTICLE_FIELDS),
            ("target_id", pa.string()),  # the project's target id
            ("target", pa.string()),  # its name, what annotators read and the model is given
            ("headline", pa.string()),
            ("previous", pa.string()),  # null for kinds annotators do not see
            ("next", pa.string()),
            ("actors", pa.list_(ACTOR_TYPE)),
            ("stance", pa.string()),  # the model's label; null for kinds annotators do not see
            *((score_column(label), pa.float64()) for label in labels),
            ("uncertainty", pa.float64()),  # 1 - (top score - second score), as `stance-corpus predict`
            ("model_version", pa.string()),
        ]
    )


def article_metadata(article: Article) -> dict[str, Any]:
    """The catalogue fields of an article (all but its text), as the pipeline carries them."""
    return {
        "title": article.title,
        "source": article.source,
        "published": article.published,
        "url": article.url,
        "language": article.language,
        "license": article.license,
        "notes": article.notes,
        "targets": article.targets,
        "attribution": article.attribution,
        "author": article.author,
    }


def segment_rows(article: Article, target: Target, config: SegmentationConfig = DEFAULT_CONFIG) -> list[dict[str, Any]]:
    """One row per segment of the article, in reading order, without mentions or scores yet."""
    segments = list(segment_article(article, config))
    context = {segment.id: found for segment, found in annotated_in_context(segments, article.title)}
    headline = next((s.text for s in segments if s.kind is SegmentKind.HEADLINE), article.title or "")
    metadata = {name: getattr(article, name) for name in ARTICLE_FIELDS}
    rows = []
    for segment in segments:
        around = context.get(segment.id)
        rows.append(
            {
                "segment_id": segment.id,
                "article_id": segment.article_id,
                "index": segment.index,
                "paragraph": segment.paragraph,
                "kind": segment.kind.value,
                "text": segment.text,
                "start": segment.start,
                "end": segment.end,
                **metadata,
                "target_id": target.id,
                "target": target.name,
                "headline": headline,
                "previous": around.previous if around else None,
                "next": around.next if around else None,
            }
        )
    return rows


def actor_mentions(text: str, registry: Mapping[str, Actor], context: MentionContext) -> list[dict[str, Any]]:
    """The gazetteer's mentions of a segment text (corpus.actors.find_actor_mentions, scoped aliases in `context`:
    the pool's target and the article's text) as row values."""
    return [
        {"start": span.start, "end": span.end, "text": span.text, "type": span.type, "actor_id": span.actor_id}
        for span in find_actor_mentions(text, registry, context)
    ]


def check_model(bundle: ModelBundle, target: Target, stances: Sequence[str], where: str) -> None:
    """Refuse a model that cannot score the pool: not a sentence-stance model, labels outside the project's stance
    labels, or a per-target model that was not trained on the pool's target (given to it by name)."""
    from stance_corpus.baselines.predict import check_predictable

    check_predictable(bundle, Path(where), stances)
    if bundle.target_mode == "per-target" and target.name not in bundle.targets:
        raise InputError(
            where, f"a per-target model of {', '.join(bundle.targets)}: it cannot score target {target.id!r} "
            f"({target.name})",
        )


@functools.lru_cache(maxsize=4)
def cached_model(path: str) -> ModelBundle:
    """The stance model of a file (baselines.predict.load_model), loaded once per process: every task a worker runs
    uses the same."""
    from stance_corpus.baselines.predict import load_model

    return load_model(Path(path))


def score_rows(bundle: ModelBundle, rows: Iterable[dict[str, Any]]) -> None:
    """Give every row of a kind annotators see the model's label, scores and uncertainty (in place); others get
    nulls. One call to the model for all rows: batch them."""
    import pandas as pd
    from stance_corpus.baselines.data import TARGET, TEXT
    from stance_corpus.baselines.predict import predict_sentences

    rows = list(rows)
    scored = [row for row in rows if row["kind"] in _ANNOTATED]
    for row in rows:
        if row["kind"] not in _ANNOTATED:
            row.update({"stance": None, "uncertainty": None, "model_version": None})
            row.update({score_column(label): None for label in bundle.labels})
    if not scored:
        return
    # predict_sentences orders its answers by uncertainty: the row's position in `scored` finds its row again.
    frame = pd.DataFrame(
        {
            "segment_id": range(len(scored)),
            TEXT: [row["text"] for row in scored],
            TARGET: [row["target"] for row in scored],
        }
    )
    for prediction in predict_sentences(bundle, frame):
        row = scored[int(prediction.segment_id)]
        row["stance"] = prediction.label
        for label in bundle.labels:
            row[score_column(label)] = prediction.scores.get(label)
        row["uncertainty"] = prediction.uncertainty
        row["model_version"] = prediction.model_version
