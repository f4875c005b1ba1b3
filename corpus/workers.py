"""The worker pool that segments articles: parallelism kept apart from the work (`corpus.segment`)."""

from __future__ import annotations

import functools
import os
import signal
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

from stance_corpus.corpus.schema import Article, Segment
from stance_corpus.corpus.segment import DEFAULT_CONFIG, SegmentationConfig, TokenSpans, tokenized_segments


@contextmanager
def segmenting(
    articles: Sequence[Article], workers: int | None = None, config: SegmentationConfig = DEFAULT_CONFIG
) -> Iterator[Iterator[tuple[Article, list[tuple[Segment, TokenSpans]]]]]:
    """Start segmenting the articles (with each segment's word tokens) and yield them, each with its segments, in
    order as they are ready, so the caller works meanwhile. syntok is pure Python, so the articles are shared out in
    chunks among `workers` processes (default: one per CPU); with one, each is segmented when it is asked for."""
    workers = min(workers or os.cpu_count() or 1, len(articles))
    work = functools.partial(tokenized_article, config=config)
    if workers <= 1:
        yield ((article, work(article)) for article in articles)
        return
    # Chunks of a few dozen articles: few enough round trips, and still several chunks per worker to balance.
    chunk = max(1, min(50, len(articles) // (workers * 4)))
    pool = ProcessPoolExecutor(max_workers=workers, initializer=leave_ctrl_c_to_the_main_process)
    try:
        yield zip(articles, pool.map(work, articles, chunksize=chunk))
    finally:
        pool.shutdown(cancel_futures=True)  # a failed build does not wait for the articles nobody will read


def leave_ctrl_c_to_the_main_process() -> None:
    """A worker process's start: SIGINT ignored. Ctrl-C reaches the whole process group; the main process alone
    acts on it and ends the pool. A worker stopped by it prints its traceback, and one stopped while taking a task
    leaves the pool's task queue locked, so ending the pool waits for ever."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def tokenized_article(
    article: Article, config: SegmentationConfig = DEFAULT_CONFIG
) -> list[tuple[Segment, TokenSpans]]:
    """Every segment of an article with its word tokens (`tokenized_segments`), as one picklable list."""
    return list(tokenized_segments(article, config))
