"""The pool's steps as datatrove pipeline blocks: each takes a generator of `Document`s and yields `Document`s, so the
same blocks run under any of datatrove's executors (pool/engine.py). The work itself is in plain functions
(pool/inputs.py, pool/rows.py); these classes only carry it between documents, shards and files.

Imports datatrove (`pip install 'stance-corpus[scale]'`): only the pool command imports this module.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.utils.word_tokenizers import WordTokenizer
from stance_corpus.corpus.actors import MentionContext
from stance_corpus.corpus.errors import InputError
from stance_corpus.corpus.files import atomic_path
from stance_corpus.corpus.schema import Actor, Article, Target
from stance_corpus.corpus.segment import SegmentationConfig
from stance_corpus.pool.inputs import ImportSettings, iter_shard
from stance_corpus.pool.rows import (
    actor_mentions,
    article_metadata,
    cached_model,
    score_rows,
    segment_rows,
    shard_schema,
)

if TYPE_CHECKING:
    from stance_corpus.baselines.predict import ModelBundle

# The metadata key under which a segment document carries its gazetteer context (its article's text and the
# target) from SegmentArticles to FindActors, which removes it: the context of scoped aliases, not a shard column.
MENTION_CONTEXT = "_mention_context"


def shard_name(rank: int, suffix: str) -> str:
    """The file of task `rank` in a folder of per-task files: 00042.parquet."""
    return f"{rank:05d}{suffix}"


class PlainWords(WordTokenizer):
    """Words of a text that datatrove's MinHash has already simplified (lower case, no punctuation, single spaces):
    splitting at spaces is all that is left, and needs no language model (datatrove's English default is spaCy)."""

    def word_tokenize(self, text: str) -> list[str]:
        """The words of the text: split at spaces."""
        return text.split()

    def sent_tokenize(self, text: str) -> list[str]:
        """The text as one sentence (MinHash shingles words, not sentences)."""
        return [text]

    def span_tokenize(self, text: str) -> list[tuple[int, int]]:
        """The span of the one sentence."""
        return [(0, len(text))]


class ReadArticles(PipelineStep):
    """The task's articles of the pool's inputs (pool/inputs.py) as Documents: text, id, catalogue metadata.

    The first pass (`record=True`) writes how many articles the task read and a digest of their ids; later passes
    over the same inputs check both, so a stage never pairs one task's deduplication results with other articles
    (inputs edited between a crash and the re-run)."""

    type = "📖 - READER"
    name = "stance-corpus articles"

    def __init__(self, inputs: list[str], settings: ImportSettings, counts_folder: str, record: bool) -> None:
        super().__init__()
        self.inputs = [Path(path) for path in inputs]
        self.settings = settings
        self.counts_folder = Path(counts_folder)
        self.record = record

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        """The task's articles as documents; records what it read (first pass) or checks it (later passes)."""
        digest = hashlib.sha256()
        count = 0
        for article in iter_shard(self.inputs, rank, world_size, self.settings):
            with self.track_time():
                digest.update(article.id.encode() + b"\n")
                count += 1
                self.stat_update("articles")
                document = Document(text=article.text, id=article.id, metadata=article_metadata(article))
            yield document
        read = {"articles": count, "ids_sha256": digest.hexdigest()}
        path = self.counts_folder / shard_name(rank, ".json")
        if self.record:
            with atomic_path(path) as temporary:
                temporary.write_text(json.dumps(read) + "\n", encoding="utf-8")
        elif json.loads(path.read_text(encoding="utf-8")) != read:
            raise InputError(
                self.inputs[0],
                f"the inputs of task {rank} changed since the pool was started ({read['articles']} articles now): "
                "build the pool again in a new folder",
            )


def article_of(document: Document) -> Article:
    """The Article a ReadArticles document carries."""
    return Article(id=document.id, text=document.text, **document.metadata)


class RecordDuplicates(PipelineStep):
    """Write which articles of the task belong to a MinHash duplicate cluster, and whether each is kept, before
    datatrove's MinhashDedupFilter drops the others: `duplicates/<task>.jsonl`, {"id", "cluster", "kept"}."""

    type = "🫂 - DEDUP"
    name = "stance-corpus duplicate report"

    def __init__(self, minhash_folder: str, output_folder: str) -> None:
        super().__init__()
        self.minhash_folder = Path(minhash_folder)
        self.output_folder = Path(output_folder)

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        """Pass the documents on, writing the task's duplicate report."""
        clusters = self._read(f"{rank:06d}.clusters").reshape(-1, 2)
        cluster_of = dict(zip(clusters[:, 0].tolist(), clusters[:, 1].tolist()))
        removed = set(self._read(f"{rank:06d}.remove").tolist())
        lines = []
        for index, document in enumerate(data):
            if index in cluster_of:
                kept = index not in removed
                lines.append(json.dumps({"id": document.id, "cluster": cluster_of[index], "kept": kept}) + "\n")
                self.stat_update("kept" if kept else "dropped")
            yield document
        with atomic_path(self.output_folder / shard_name(rank, ".jsonl")) as temporary:
            temporary.write_text("".join(lines), encoding="utf-8")

    def _read(self, name: str) -> np.ndarray:
        path = self.minhash_folder / name
        return np.fromfile(path, dtype="<u4") if path.is_file() else np.zeros(0, dtype="<u4")


class SegmentArticles(PipelineStep):
    """Article documents in, one document per segment out (`stance-corpus segment`'s segments and ids, with the
    project's page furniture); the row of the pool shard travels as the document's metadata."""

    type = "✂️ - SEGMENT"
    name = "stance-corpus segment"

    def __init__(self, target: Target, config: SegmentationConfig) -> None:
        super().__init__()
        self.target = target
        self.config = config

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        """One document per segment of each article document."""
        for document in data:
            with self.track_time():
                rows = segment_rows(article_of(document), self.target, self.config)
                context = MentionContext(target=self.target.id, article_text=document.text)
                self.stat_update("segments", value=len(rows))
            for row in rows:
                yield Document(text=row["text"], id=row["segment_id"], metadata={**row, MENTION_CONTEXT: context})


class FindActors(PipelineStep):
    """The gazetteer's actor mentions of each segment (corpus.actors.find_actor_mentions, scoped aliases in the
    context of the article and the target), the pre-annotations `stance-corpus annotate` pushes."""

    type = "🏷 - ANNOTATE"
    name = "stance-corpus gazetteer"

    def __init__(self, registry: dict[str, Actor]) -> None:
        super().__init__()
        self.registry = registry

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        """Each segment document with its actor mentions."""
        for document in data:
            with self.track_time():
                context = document.metadata.pop(MENTION_CONTEXT)
                mentions = actor_mentions(document.text, self.registry, context)
                document.metadata["actors"] = mentions
                self.stat_update("mentions", value=len(mentions))
            yield document


class ScoreStance(PipelineStep):
    """The stance model's label, scores and uncertainty for each heading and body segment, in batches."""

    type = "🔢 - SCORE"
    name = "stance-corpus stance model"

    def __init__(self, model_file: str, batch_size: int = 4096) -> None:
        super().__init__()
        self.model_file = model_file
        self.batch_size = batch_size

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        """Each segment document with the model's scores, scored in batches."""
        bundle = cached_model(self.model_file)
        batch: list[Document] = []
        for document in data:
            batch.append(document)
            if len(batch) >= self.batch_size:
                yield from self._scored(bundle, batch)
                batch = []
        yield from self._scored(bundle, batch)

    def _scored(self, bundle: ModelBundle, batch: list[Document]) -> list[Document]:
        with self.track_time(unit="batch"):
            score_rows(bundle, (document.metadata for document in batch))
            self.stat_update("scored", value=sum(document.metadata["uncertainty"] is not None for document in batch))
        return batch


class WriteSegments(PipelineStep):
    """The task's rows as one parquet shard, `segments/<task>.parquet` (schema: pool/rows.py, with a score column
    per stance label of the model), written in row groups beside the target and renamed onto it at the end: a shard
    is either absent or whole."""

    type = "💽 - WRITER"
    name = "stance-corpus pool shard"

    def __init__(self, output_folder: str, labels: tuple[str, ...], row_group_size: int = 20_000) -> None:
        super().__init__()
        self.output_folder = Path(output_folder)
        self.labels = labels
        self.row_group_size = row_group_size

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        """Write the task's shard; yields nothing."""
        path = self.output_folder / shard_name(rank, ".parquet")
        for stale in self.output_folder.glob(f".{path.name}.*"):  # left by a task that was killed
            stale.unlink(missing_ok=True)
        with atomic_path(path) as temporary:
            writer = pq.ParquetWriter(temporary, shard_schema(self.labels), compression="zstd")
            try:
                rows: list[dict] = []
                for document in data:
                    rows.append(document.metadata)
                    if len(rows) >= self.row_group_size:
                        self._write(writer, rows)
                        rows = []
                self._write(writer, rows)
            finally:
                writer.close()
        return
        yield  # a generator that yields nothing: the end of the pipeline

    def _write(self, writer: pq.ParquetWriter, rows: list[dict]) -> None:
        if not rows:
            return
        with self.track_time(unit="row group"):
            writer.write_table(pa.Table.from_pylist(rows, schema=writer.schema))
            self.stat_update("rows", value=len(rows))


class WriteManifest(PipelineStep):
    """The last stage (one task): POOL/manifest.json and duplicates.jsonl from the finished shards."""

    type = "💽 - WRITER"
    name = "stance-corpus pool manifest"

    def __init__(self, out: str) -> None:
        super().__init__()
        self.out = Path(out)

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        """Write the manifest and the duplicate groups; yields nothing."""
        from stance_corpus.pool.pipeline import write_manifest

        with self.track_time(unit="pool"):
            write_manifest(self.out)
        return
        yield  # a generator that yields nothing: the end of the pipeline
