"""Orphaned annotations: store records whose segment is no longer in the corpus as it was annotated.

A sentence edited (or an article removed) after it was annotated leaves records that no release can take: their
segment id is unknown, or its text or kind changed. They are listed, and retired to an archive, never deleted:

    segment_problem(record, segments)      why a record does not fit the current segments (None when it fits)
    find_orphans(project, paths)           every such record of annotations.jsonl and gold.jsonl, with its line
    retire_orphans(project, orphans)       append them to STORE/retired.jsonl, then rewrite the store without them
    orphan_report(orphans, store)          lines for people: each record and problem, what to do
    without_retired(store, annotations)    pulled annotations less those retired as they are (pull does not bring
                                           a retired annotation back unless it was changed in Label Studio since)

Records are handled through the store's own reader and writer (corpus/store.py), whatever the store's key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from stance_corpus.corpus.articles import iter_articles
from stance_corpus.corpus.files import atomic_path
from stance_corpus.corpus.jsonl import dumps, read_jsonl, to_plain
from stance_corpus.corpus.project import Project
from stance_corpus.corpus.schema import ANNOTATED_KINDS, Annotation, Scheme, Segment
from stance_corpus.corpus.segment import segment_article
from stance_corpus.corpus.store import ANNOTATIONS_FILE, GOLD_FILE, read_annotations, write_annotations

RETIRED_FILE = "retired.jsonl"
STORE_FILES = (ANNOTATIONS_FILE, GOLD_FILE)


def segment_problem(
    annotation: Annotation,
    segments: Mapping[str, Segment],
    article_targets: Mapping[str, tuple[str, ...]] | None = None,
) -> str | None:
    """Why a store record does not fit the current segments (None when it does): unknown segment id, another
    article, changed text, a kind that carries no stance, or (with `article_targets`: article id -> its target ids)
    a target its article is no longer annotated for."""
    segment = segments.get(annotation.segment_id)
    if segment is None:
        return (
            f"segment {annotation.segment_id} is not in the current seeds (unknown id): was its sentence edited "
            f"after it was annotated? annotated text {annotation.text!r}"
        )
    if segment.article_id != annotation.article_id:
        return f"segment {segment.id} belongs to article {segment.article_id}, not {annotation.article_id}"
    if segment.text != annotation.text:
        return (
            f"the text of segment {segment.id} changed since it was annotated: {annotation.text!r} -> {segment.text!r}"
        )
    if segment.kind not in ANNOTATED_KINDS:
        return f"segment {segment.id} is a {segment.kind.value} segment, which carries no stance"
    if article_targets is not None and annotation.target not in article_targets.get(segment.article_id, ()):
        return (
            f"target {annotation.target!r} is not a target of article {segment.article_id} (its targets: "
            f"{', '.join(article_targets.get(segment.article_id, ()))}; the catalogue's `targets` field lists them)"
        )
    return None


@dataclass(frozen=True)
class Orphan:
    """A store record that no longer fits the corpus."""

    file: str  # the store file's name (annotations.jsonl or gold.jsonl)
    line: int
    annotation: Annotation
    problem: str


def find_orphans(project: Project, paths: Sequence[str | Path] = ()) -> list[Orphan]:
    """Every record of the project's store files whose segment is not in the corpus (the articles under `paths`,
    default the project's seeds) as it was annotated, or whose target its article no longer lists."""
    records = {name: _numbered(project.store / name, project.scheme) for name in STORE_FILES}
    wanted = {annotation.article_id for lines in records.values() for _, annotation in lines}
    # Only the articles the store refers to are segmented; an article that is gone simply has no segments.
    articles = [a for a in iter_articles(list(paths) or [project.seeds], project.scheme) if a.id in wanted]
    segments = {s.id: s for article in articles for s in segment_article(article, project.segmentation)}
    article_targets = {article.id: tuple(t.id for t in project.targets_of(article)) for article in articles}
    return [
        Orphan(name, line, annotation, problem)
        for name, lines in records.items()
        for line, annotation in lines
        if (problem := segment_problem(annotation, segments, article_targets)) is not None
    ]


def _numbered(path: Path, scheme: Scheme) -> list[tuple[int, Annotation]]:
    """(file line, record) of a store file, read (and checked) by the store's reader."""
    if not path.exists():
        return []
    lines = [number for number, _ in read_jsonl(path)]
    return list(zip(lines, read_annotations(path, scheme)))


def retire_orphans(project: Project, orphans: Sequence[Orphan]) -> Path:
    """Move the orphans out of the project's store into STORE/retired.jsonl; returns that archive's path.

    The archive is written first (old lines kept, the new ones appended, atomically), then each store file without
    its orphans: a command killed in between leaves a record in both places, never in neither.
    """
    archive = project.store / RETIRED_FILE
    retired_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    entries = (
        {"file": o.file, "line": o.line, "problem": o.problem, "retired_at": retired_at,
         "record": to_plain(o.annotation)}
        for o in orphans
    )
    lines = [dumps(entry) + "\n" for entry in entries]
    old = archive.read_text(encoding="utf-8") if archive.exists() else ""
    with atomic_path(archive) as temporary:
        temporary.write_text(old + "".join(lines), encoding="utf-8")
    for name in STORE_FILES:
        leaving = [orphan.annotation for orphan in orphans if orphan.file == name]
        if leaving:
            path = project.store / name
            kept = [annotation for annotation in read_annotations(path, project.scheme) if annotation not in leaving]
            write_annotations(path, kept)
    return archive


def without_retired(store: Path, annotations: Sequence[Annotation]) -> tuple[list[Annotation], int]:
    """(the annotations that were not retired exactly as they are, how many were), by STORE/retired.jsonl."""
    archive = store / RETIRED_FILE
    retired = (
        {_canonical(record.get("record")) for _, record in read_jsonl(archive) if isinstance(record, dict)}
        if archive.exists()
        else set()
    )
    kept = [annotation for annotation in annotations if _canonical(to_plain(annotation)) not in retired]
    return kept, len(annotations) - len(kept)


def _canonical(record: object) -> str:
    return json.dumps(record, sort_keys=True, ensure_ascii=False)


def orphan_report(found: list[Orphan], store: Path, limit: int | None = None) -> list[str]:
    """Lines for people: one per orphaned record (the first `limit`), then a count and what to do."""
    if not found:
        return ["no orphaned annotations: every store record's segment is in the corpus as annotated"]
    shown = found if limit is None else found[:limit]
    lines = [f"  {store / o.file}:{o.line}: {o.annotation.annotator}: {o.problem}" for o in shown]
    if len(shown) < len(found):
        lines.append(f"  ... and {len(found) - len(shown)} more (`stance-corpus orphans` lists them all)")
    segments = len({o.annotation.segment_id for o in found})
    lines.insert(
        0,
        f"{len(found)} orphaned annotation(s) of {segments} segment(s) no longer in the corpus as annotated (a "
        f"release refuses them; `stance-corpus orphans --retire` archives them in {store / RETIRED_FILE}):",
    )
    return lines
