"""Importing article collections into a project's seed folder (`stance-corpus ingest`, docs/ingest.md).

    readers     one generator function per source format: iter_<format>_records(path, ...) -> Iterator[SourceRecord]
    extract     page bytes -> decoded text -> trafilatura body and metadata (extract_record)
    records     source record -> checked article with its id (prepare, content_id, article_text)
    duplicates  exact keys, MinHash signatures, the LSH index of kept articles
    writer      staging and the atomic commit into the seed folder (SeedWriter)
    importer    the flow: ingest(sources, seeds, options, progress) -> ImportReport
    cli         the command

The record types (SourceRecord, ImportCandidate, ImportProblem, Duplicate, DuplicateGroup, ImportReport) are in
corpus.schema. Readers and extraction are plain functions so that other pipelines can reuse them.
"""
