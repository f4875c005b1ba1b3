"""stance-corpus: seed articles -> segments -> dataset releases.

The public surface for research code; everything here is importable without Label Studio running.
"""

from stance_corpus.corpus.articles import iter_articles, load_articles
from stance_corpus.corpus.errors import InputError, ReleaseError, StanceCorpusError, StoreError
from stance_corpus.corpus.schema import (
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
from stance_corpus.corpus.segment import segment_article

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
    "StoreError",
    "iter_articles",
    "load_articles",
    "segment_article",
]
