"""stance-corpus: seed articles -> segments -> dataset releases, for a corpus project of any topic.

The public surface for research code; everything here is importable without Label Studio running.
"""

from stance_corpus.corpus.articles import iter_articles, load_articles
from stance_corpus.corpus.errors import InputError, ReleaseError, StanceCorpusError, StoreError
from stance_corpus.corpus.project import Project, init_project, load_project
from stance_corpus.corpus.schema import (
    Actor,
    ActorSpan,
    ActorTypeDef,
    Alias,
    Annotation,
    Article,
    Scheme,
    Segment,
    SegmentKind,
    StanceLabel,
    Target,
)
from stance_corpus.corpus.segment import segment_article

__all__ = [
    "Actor",
    "ActorSpan",
    "ActorTypeDef",
    "Alias",
    "Annotation",
    "Article",
    "InputError",
    "Project",
    "ReleaseError",
    "Scheme",
    "Segment",
    "SegmentKind",
    "StanceCorpusError",
    "StanceLabel",
    "StoreError",
    "Target",
    "init_project",
    "iter_articles",
    "load_articles",
    "load_project",
    "segment_article",
]
