"""`ingest`: sources in, new articles written into a seed folder, a report out (docs/ingest.md).

The flow is a chain of generators: the readers' records (one file, one record at a time) -> extraction and checks,
in `workers` processes when asked (trafilatura is the slow part) -> duplicate detection and writing, in this
process, in the order of the sources. Articles already in the seed folder take part in duplicate detection as the
first kept members, so re-importing a source adds nothing.
"""

from __future__ import annotations

import itertools
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from stance_corpus.corpus.articles import CATALOGUE_NAME, iter_articles
from stance_corpus.corpus.errors import InputError
from stance_corpus.corpus.ingest import duplicates
from stance_corpus.corpus.ingest.extract import extract_record
from stance_corpus.corpus.ingest.readers import DEFAULT_FIELDS, FieldMap, iter_source_records
from stance_corpus.corpus.ingest.records import SourceDefaults, prepare
from stance_corpus.corpus.ingest.writer import SeedWriter
from stance_corpus.corpus.schema import (
    Article,
    Duplicate,
    DuplicateGroup,
    ImportCandidate,
    ImportProblem,
    ImportReport,
    SourceRecord,
)
from stance_corpus.corpus.workers import leave_ctrl_c_to_the_main_process

PROJECT_ORIGIN = "project"  # the origin of an article that was in the seed folder before the import


@dataclass(frozen=True)
class IngestOptions:
    """How to import: field names, per-source defaults, duplicate threshold, and what to do with bad records.

    `near_threshold` None looks for exact duplicates only; `skip_bad` reports a bad record and goes on instead of
    stopping the import; `dry_run` writes nothing.
    """

    fields: FieldMap = DEFAULT_FIELDS
    defaults: SourceDefaults = field(default_factory=SourceDefaults)
    near_threshold: float | None = duplicates.DEFAULT_NEAR_THRESHOLD
    skip_bad: bool = False
    dry_run: bool = False
    workers: int = 1


Progress = Callable[[dict[str, int]], None]


def ingest(
    sources: Iterable[str], seeds: Path, options: IngestOptions = IngestOptions(), progress: Progress | None = None
) -> ImportReport:
    """Import the records of `sources` (files, folders, globs, "-") into the seed folder `seeds`.

    Raises InputError naming the record and its problem at the first bad record (unless `options.skip_bad`);
    the seed folder is then unchanged, as it is after any failure or interruption.
    """
    defaults = replace(
        options.defaults, use_source_ids=bool(options.fields.id), near_duplicates=options.near_threshold is not None
    )
    index = duplicates.DuplicateIndex(options.near_threshold)
    ids: dict[str, str] = {}  # every article id -> its origin: existing and new ones
    counts = {"read": 0, "imported": 0, "duplicates": 0, "rejected": 0, "skipped": 0, "already": 0}
    imported: list[tuple[str, str]] = []
    rejected: list[ImportProblem] = []
    nulled: list[ImportProblem] = []
    groups: dict[str, tuple[str, list[Duplicate]]] = {}
    records = iter_source_records(sources, options.fields)
    writer = nullcontext() if options.dry_run else SeedWriter(seeds)
    with writer as staged, _prepared(records, defaults, options.workers) as results:
        for article in _existing_articles(seeds):  # after the writer took the lock and undid a killed import
            signature = duplicates.signature(article.text) if options.near_threshold is not None else None
            index.keep(article.id, PROJECT_ORIGIN, duplicates.content_key(article.text), signature)
            ids[article.id] = PROJECT_ORIGIN
        for result in results:
            if isinstance(result, SourceRecord):  # skipped by its reader
                counts["skipped"] += 1
            else:
                counts["read"] += 1
                match = None
                if isinstance(result, ImportCandidate):
                    match = index.find(result.key, result.signature)
                    if match is None and result.article.id in ids:
                        result = ImportProblem(
                            result.origin, f"id {result.article.id!r} is already that of {ids[result.article.id]}"
                        )
                if isinstance(result, ImportProblem):
                    if not options.skip_bad:
                        raise InputError(result.origin, result.problem)
                    rejected.append(result)
                    counts["rejected"] += 1
                elif match is None:
                    index.keep(result.article.id, result.origin, result.key, result.signature)
                    if staged is not None:
                        staged.add(result.article)
                    ids[result.article.id] = result.origin
                    imported.append((result.article.id, result.origin))
                    nulled.extend(result.problems)
                    counts["imported"] += 1
                elif match.kind == "exact" and match.kept_origin == PROJECT_ORIGIN:
                    counts["already"] += 1
                else:
                    duplicate = Duplicate(result.article.id, result.origin, match.kind, round(match.similarity, 3))
                    groups.setdefault(match.kept_id, (match.kept_origin, []))[1].append(duplicate)
                    counts["duplicates"] += 1
            if progress is not None:
                progress(counts)
        if staged is not None:
            staged.commit()
    return ImportReport(
        read=counts["read"],
        imported=tuple(imported),
        already=counts["already"],
        skipped=counts["skipped"],
        rejected=tuple(rejected),
        nulled=tuple(nulled),
        duplicates=tuple(DuplicateGroup(kept, origin, tuple(members)) for kept, (origin, members) in groups.items()),
        dry_run=options.dry_run,
        catalogue=str(seeds / CATALOGUE_NAME),
    )


def process_record(record: SourceRecord, defaults: SourceDefaults) -> ImportCandidate | ImportProblem | SourceRecord:
    """One record through extraction (a page) and checks: a candidate, a problem, or the record itself when its
    reader skipped it. Pure: the unit of work of the worker processes."""
    if record.skipped:
        return record
    if record.html is not None and not record.problem:
        record = extract_record(record)
    return prepare(record, defaults)


def _existing_articles(seeds: Path) -> Iterator[Article]:
    catalogue = seeds / CATALOGUE_NAME
    if not catalogue.is_file() or not catalogue.read_bytes().strip():
        return iter(())
    return iter_articles([seeds])


_defaults: SourceDefaults | None = None  # a worker process's copy, set by its initializer


def _start_worker(defaults: SourceDefaults) -> None:
    global _defaults
    _defaults = defaults
    leave_ctrl_c_to_the_main_process()


def _process_in_worker(records: list[SourceRecord]) -> list[ImportCandidate | ImportProblem | SourceRecord]:
    assert _defaults is not None
    return [process_record(record, _defaults) for record in records]


CHUNK_RECORDS = 16  # records sent to a worker process at once
CHUNKS_PER_WORKER = 4  # chunks in flight per worker at most: what is read ahead of the main process stays bounded


def _in_order(pool: Any, records: Iterator[SourceRecord], workers: int) -> Iterator[
    ImportCandidate | ImportProblem | SourceRecord
]:
    """The records processed by the pool's workers, in their order, with at most `workers * CHUNKS_PER_WORKER`
    chunks read ahead (Pool.imap reads its input as fast as it can and keeps every result the main process has not
    taken yet: memory grew with N when writing was the slower side)."""
    pending: deque[Any] = deque()
    while chunk := list(itertools.islice(records, CHUNK_RECORDS)):
        pending.append(pool.apply_async(_process_in_worker, (chunk,)))
        if len(pending) >= workers * CHUNKS_PER_WORKER:
            yield from pending.popleft().get()
    while pending:
        yield from pending.popleft().get()


@contextmanager
def _prepared(
    records: Iterator[SourceRecord], defaults: SourceDefaults, workers: int
) -> Iterator[Iterator[ImportCandidate | ImportProblem | SourceRecord]]:
    """The records processed in order: here (one worker), or in a pool of `workers` processes."""
    if workers <= 1:
        yield (process_record(record, defaults) for record in records)
        return
    import multiprocessing

    # Not fork: a forked child of a process with other threads (a test runner's, a library's) can inherit a lock
    # that one of them held and wait on it forever. forkserver starts the workers from a clean single-threaded
    # process where the platform has it.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    processes = min(workers, os.cpu_count() or workers)
    pool = context.Pool(processes, initializer=_start_worker, initargs=(defaults,))
    try:
        yield _in_order(pool, records, processes)
    finally:
        pool.terminate()
        pool.join()
