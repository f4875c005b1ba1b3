"""stance-corpus: seed articles -> segments -> dataset releases.

The public surface for research code; everything here is importable without Label Studio running.
"""

from corpus.articles import iter_articles, load_articles
from corpus.errors import InputError, ReleaseError, StanceCorpusError
from corpus.schema import (
    ACTOR_TYPE_LABELS,
    STANCE_LABELS,
    Actor,
    ActorSpan,
    ActorType,
    Annotation,
    Article,
    Segment,
    SegmentKind,
    Stance,
)
from corpus.segment import segment_article

__all__ = [
    "ACTOR_TYPE_LABELS",
    "Actor",
    "ActorSpan",
    "ActorType",
    "Annotation",
    "Article",
    "InputError",
    "ReleaseError",
    "STANCE_LABELS",
    "Segment",
    "SegmentKind",
    "Stance",
    "StanceCorpusError",
    "iter_articles",
    "load_articles",
    "segment_article",
]
