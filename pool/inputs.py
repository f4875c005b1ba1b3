"""The pool's inputs: seed folders (`<id>.txt` files and their catalogue) and every file `stance-corpus ingest`
reads (HTML pages, WARC archives, JSON lines, JSON, CSV, parquet; docs/ingest.md).

Files go through the import path's own readers, extraction and checks (`corpus.ingest.readers`, `process_record`):
an article gets the text and the id (`--id-field`, else the content id) that `stance-corpus ingest` would give it,
so the pool's segment ids are those of `stance-corpus segment` on the imported seeds; a seed folder's articles are
read as `stance-corpus segment` reads them. A record the import would reject stops the pool with its one-line error.

Sharding (`rank` of `world_size` tasks), as datatrove's readers do it: with at least as many inputs as tasks, each
task reads whole inputs (input i goes to task i mod world_size); with fewer, every task walks all of them and keeps
the j-th article of input i when (i + j) mod world_size == rank, extracting and checking only its own records. The
assignment depends on the inputs and world_size only, so a re-run gives every task the same articles.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from stance_corpus.corpus.articles import CATALOGUE_NAME, TEXT_SUFFIX, check_registry, read_article, read_catalogue
from stance_corpus.corpus.errors import InputError
from stance_corpus.corpus.ingest.importer import process_record
from stance_corpus.corpus.ingest.readers import DEFAULT_FIELDS, FieldMap, reader_of, source_files
from stance_corpus.corpus.ingest.records import SourceDefaults
from stance_corpus.corpus.schema import Article, ImportProblem, Scheme, SourceRecord


@dataclass(frozen=True)
class ImportSettings:
    """What `stance-corpus ingest` would be told about the files: the licence and language of records without
    their own, and the field holding the source's ids (None: content ids)."""

    license: str | None = None
    language: str | None = None
    id_field: str | None = None

    def defaults(self) -> SourceDefaults:
        """The import path's defaults for these settings."""
        return SourceDefaults(
            license=self.license, language=self.language, use_source_ids=self.id_field is not None,
            near_duplicates=False,  # the pool finds near duplicates with datatrove's MinHash stages
        )

    def fields(self) -> FieldMap:
        """The import path's field names for these settings."""
        return DEFAULT_FIELDS.with_names(id=self.id_field)


def resolve_inputs(paths: list[str | Path], scheme: Scheme) -> list[Path]:
    """The seed folders and import files that `paths` name (folders, files, glob patterns), in a stable order;
    InputError for a path that names none, or a seed folder whose actor registry does not fit the project's
    `scheme`."""
    if not paths:
        raise InputError("stance-corpus pool", "no input given: name seed folders or files of articles")
    inputs: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir() and (path / CATALOGUE_NAME).is_file():
            check_registry(path, scheme)  # a bad actors.jsonl beside the seeds stops the pool, as it stops `segment`
            inputs.append(path)
            continue
        found = [Path(file) for file in source_files([str(raw)]) if str(file) != "-"]
        if not found:
            raise InputError(path, f"holds neither a seed catalogue {CATALOGUE_NAME} nor a file ingest reads")
        inputs.extend(found)
    resolved = [path.resolve() for path in inputs]
    if len(set(resolved)) != len(resolved):
        raise InputError(paths[0], "an input is named twice")
    return resolved


def iter_shard(inputs: list[Path], rank: int, world_size: int, settings: ImportSettings) -> Iterator[Article]:
    """The articles of task `rank` out of `world_size`, in input order (see the module docstring)."""
    for number, path in enumerate(inputs):
        if len(inputs) >= world_size:
            if number % world_size == rank:
                yield from _read(path, _every, settings)
        else:
            yield from _read(path, functools.partial(_every_nth, world_size, rank - number), settings)


def _every(index: int) -> bool:
    return True


def _every_nth(world_size: int, offset: int, index: int) -> bool:
    """Whether the article at `index` of an input is one of a task's: (number + index) % world_size == rank."""
    return (index - offset) % world_size == 0


def _read(path: Path, mine: Callable[[int], bool], settings: ImportSettings) -> Iterator[Article]:
    if path.is_dir():
        yield from _seed_folder(path, mine)
    else:
        yield from _import_file(path, mine, settings)


def _seed_folder(folder: Path, mine: Callable[[int], bool]) -> Iterator[Article]:
    """The selected articles of a seed folder, in catalogue order, read as `stance-corpus segment` reads them."""
    for index, (article_id, meta) in enumerate(read_catalogue(folder).items()):
        if mine(index):
            text_path = folder / f"{article_id}{TEXT_SUFFIX}"
            if not text_path.is_file():
                raise InputError(folder / CATALOGUE_NAME, f"article {article_id!r} has no text file {text_path.name}")
            yield read_article(meta, text_path)


def _import_file(path: Path, mine: Callable[[int], bool], settings: ImportSettings) -> Iterator[Article]:
    """The selected records of a file through ingest's reader, extraction and checks; records the reader passes
    over on purpose (a WARC request, an image) are left out but still counted in the positions."""
    reader = reader_of(path)
    if reader is None:
        raise InputError(path, "not a file type ingest reads")
    defaults = settings.defaults()
    records: Iterator[SourceRecord] = reader(path, settings.fields())
    for index, record in enumerate(records):
        if not mine(index) or record.skipped:
            continue
        result = process_record(record, defaults)
        if isinstance(result, ImportProblem):
            raise InputError(result.origin, result.problem)
        if isinstance(result, SourceRecord):  # skipped by the reader after all
            continue
        yield result.article
