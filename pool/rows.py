"""The pool's per-article steps as plain functions (no engine): segment rows, gazetteer mentions, stance scores, and
the parquet schema of a pool shard. The datatrove blocks (pool/blocks.py) call these; so does the benchmark's
one-process run of the same steps.

A row is one segment of `stance-corpus segment` (same id, offsets and kind) with its article's metadata, the context
an annotator sees (headline, previous and next annotated segment, as `stance-corpus annotate` builds tasks), the
gazetteer's actor mentions, and, for the kinds annotators see (heading, body), the stance model's scores.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
from stance_corpus.corpus.actors import find_actor_mentions
from stance_corpus.corpus.errors import InputError
from stance_corpus.corpus.schema import ANNOTATED_KINDS, STANCE_LABELS, Actor, Article, SegmentKind
from stance_corpus.corpus.segment import segment_article

ARTICLE_FIELDS = ("title", "source", "published", "url", "language", "license")
_ANNOTATED = frozenset(kind.value for kind in ANNOTATED_KINDS)

ACTOR_TYPE = pa.struct(
    [("start", pa.int32()), ("end", pa.int32()), ("text", pa.string()), ("type", pa.string()), ("actor_id", pa.string())]
)
SCHEMA = pa.schema(
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
        ("target", pa.string()),
        ("headline", pa.string()),
        ("previous", pa.string()),  # null for kinds annotators do not see
        ("next", pa.string()),
        ("actors", pa.list_(ACTOR_TYPE)),
        ("stance", pa.string()),  # the model's label; null for kinds annotators do not see
        *((f"score_{label}", pa.float64()) for label in STANCE_LABELS),
        ("uncertainty", pa.float64()),  # 1 - (top score - second score), as `stance-corpus predict`
        ("model_version", pa.string()),
    ]
)


def article_metadata(article: Article) -> dict:
    """The catalogue fields of an article (all but its text), as the pipeline carries them."""
    return {
        "title": article.title,
        "source": article.source,
        "published": article.published,
        "url": article.url,
        "language": article.language,
        "license": article.license,
        "notes": article.notes,
        "attribution": article.attribution,
        "author": article.author,
    }


def segment_rows(article: Article, target: str) -> list[dict]:
    """One row per segment of the article, in reading order, without mentions or scores yet."""
    segments = list(segment_article(article))
    headline = next((s.text for s in segments if s.kind == SegmentKind.HEADLINE), article.title or "")
    annotated = [position for position, s in enumerate(segments) if s.kind.value in _ANNOTATED]
    neighbours: dict[int, tuple[str, str]] = {}
    for rank, position in enumerate(annotated):
        previous = segments[annotated[rank - 1]].text if rank > 0 else ""
        following = segments[annotated[rank + 1]].text if rank + 1 < len(annotated) else ""
        neighbours[position] = (previous, following)
    metadata = {name: getattr(article, name) for name in ARTICLE_FIELDS}
    rows = []
    for position, segment in enumerate(segments):
        previous, following = neighbours.get(position, (None, None))
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
                "target": target,
                "headline": headline,
                "previous": previous,
                "next": following,
            }
        )
    return rows


def actor_mentions(text: str, registry: dict[str, Actor]) -> list[dict]:
    """The gazetteer's mentions of a segment text (stance-corpus.corpus.actors.find_actor_mentions) as row values."""
    return [
        {"start": span.start, "end": span.end, "text": span.text, "type": span.type.value, "actor_id": span.actor_id}
        for span in find_actor_mentions(text, registry)
    ]


def model_target(bundle: dict, target: str | None, where: str) -> str:
    """The stance target of the pool: `target`, else the model's only training target; InputError when neither."""
    if target:
        return target
    if len(bundle["targets"]) == 1 and bundle["targets"][0]:
        return bundle["targets"][0]
    raise InputError(
        where,
        f"the model was trained on {len(bundle['targets'])} targets ({', '.join(map(str, bundle['targets']))}): "
        "name the pool's target with --target",
    )


@functools.lru_cache(maxsize=4)
def cached_model(path: str) -> dict:
    """The stance model of a file (baselines.predict.load_model), loaded once per process: every task a worker runs
    uses the same."""
    from stance_corpus.baselines.predict import load_model

    return load_model(Path(path))


def score_rows(bundle: dict, rows: Iterable[dict]) -> None:
    """Give every row of a kind annotators see the model's label, scores and uncertainty (in place); others get
    nulls. One call to the model for all rows: batch them."""
    import pandas as pd
    from stance_corpus.baselines.models import TARGET, TEXT
    from stance_corpus.baselines.predict import predict_sentences

    rows = list(rows)
    scored = [row for row in rows if row["kind"] in _ANNOTATED]
    for row in rows:
        if row["kind"] not in _ANNOTATED:
            row.update(_NO_SCORES)
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
        row = scored[prediction["segment_id"]]
        row["stance"] = prediction["label"]
        for label in STANCE_LABELS:
            row[f"score_{label}"] = prediction["scores"].get(label)
        row["uncertainty"] = prediction["uncertainty"]
        row["model_version"] = prediction["model_version"]


_NO_SCORES = {"stance": None, **{f"score_{label}": None for label in STANCE_LABELS}, "uncertainty": None,
              "model_version": None}
