"""Restoring withheld texts: a publishable release (schema 2) ships an article whose licence forbids republishing it
without its words, keeping ids, offsets, labels and the sha256 of its text. Whoever holds the article restores the
words into a local copy of the release; the hash proves it is the same text, so every offset fits.

    restore_release(release, [my_copy.txt], out)   -> a loadable copy of the release with those texts filled in

The release itself is never written to, and `out` must not exist yet.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from stance_corpus.corpus.context import annotated_in_context
from stance_corpus.corpus.errors import InputError, ReleaseError
from stance_corpus.corpus.release.croissant import CROISSANT_FILE
from stance_corpus.corpus.release.folder import CHECKSUMS_FILE
from stance_corpus.corpus.release.publishable import text_sha256
from stance_corpus.corpus.release.rows import context_row
from stance_corpus.corpus.schema import Segment, SegmentKind

RESTORED_FILE = "RESTORED.md"
# Files that describe the published bytes (which a restored copy no longer has): not copied.
_NOT_COPIED = {CHECKSUMS_FILE, CROISSANT_FILE}


@dataclass(frozen=True)
class Restored:
    """What a restore did: the folder written, the articles whose words it put back, those still withheld."""

    folder: Path
    restored: tuple[str, ...]
    still_withheld: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class _Text:
    """An article's text and title (the title is its headline when the text has no headline segment)."""

    text: str
    title: str | None


def restore_release(release: Path, texts: Sequence[Path], out: Path) -> Restored:
    """Write `out`: a copy of the release folder `release` in which every withheld article whose exact text is one
    of the files `texts` has its words back in every config. InputError names a file that matches no withheld
    article; nothing is written unless every file matches."""
    if out.exists():
        raise ReleaseError(out, "exists: restore writes a new folder and never overwrites one")
    tables = {path: pq.read_table(path) for path in sorted(release.glob("*/*.parquet"))}
    articles = [row for path, table in tables.items() if path.parent.name == "articles" for row in table.to_pylist()]
    if not articles:
        raise ReleaseError(release, "no articles config: not a stance-corpus release")
    if "text_sha256" not in articles[0]:
        raise ReleaseError(release, "its articles have no text_sha256: not a publishable release, nothing withheld")
    withheld = {row["text_sha256"]: row for row in articles if row["text"] is None}
    restored: dict[str, _Text] = {}
    for path in texts:
        text = _read_text(path)
        row = withheld.get(text_sha256(text))
        if row is None:
            raise InputError(
                path,
                f"its sha256 {text_sha256(text)} matches no withheld article of {release}: it must be the article's "
                "exact text (UTF-8, unchanged, the same line ends)",
            )
        restored[row["id"]] = _Text(text, row["title"])
    segments_of = {row["id"]: _segments(row, restored[row["id"]].text) for row in articles if row["id"] in restored}
    segments = {segment.id: segment for article_segments in segments_of.values() for segment in article_segments}
    contexts = {  # the context the release's rows hold, as the build made it (corpus.context)
        segment.id: context_row(context)
        for article_id, article_segments in segments_of.items()
        for segment, context in annotated_in_context(article_segments, restored[article_id].title)
    }

    out.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.restoring-"))
    try:
        for path in sorted(release.rglob("*")):
            relative = path.relative_to(release)
            if path.is_file() and ".git" not in relative.parts and relative.as_posix() not in _NOT_COPIED:
                (building / relative).parent.mkdir(parents=True, exist_ok=True)
                if path in tables:
                    config, table = path.parent.name, tables[path]
                    rows = [_restore_row(config, row, restored, segments, contexts) for row in table.to_pylist()]
                    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), building / relative)
                else:
                    shutil.copyfile(path, building / relative)
        (building / RESTORED_FILE).write_text(_note(release, restored), encoding="utf-8")
        building.chmod(0o755)
        building.rename(out)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    still = sorted(row["id"] for row in withheld.values() if row["id"] not in restored)
    return Restored(out, tuple(sorted(restored)), tuple(still))


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except UnicodeDecodeError as error:
        raise InputError(path, f"is not valid UTF-8 (byte {error.start + 1}): not the article's text") from None


def _segments(article_row: dict[str, Any], text: str) -> list[Segment]:
    return [
        Segment(
            id=segment["id"],
            article_id=article_row["id"],
            index=segment["index"],
            paragraph=0,  # not released; nothing here reads it
            kind=SegmentKind(segment["kind"]),
            text=text[segment["start"] : segment["end"]],
            start=segment["start"],
            end=segment["end"],
        )
        for segment in article_row["segments"]
    ]


def _restore_row(
    config: str,
    row: dict[str, Any],
    restored: dict[str, _Text],
    segments: dict[str, Segment],
    contexts: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    """The row with the words of its article put back (unchanged when its article is not restored)."""
    article_id = row["id"] if config == "articles" else row.get("article_id")
    sentence_id = {"sentences": "id", "actors": "sentence_id", "actor_tags": "id", "raw_annotations": "segment_id"}
    if config == "articles":
        return {**row, "text": restored[article_id].text} if article_id in restored else row
    segment_id = row[sentence_id[config]]
    if segment_id not in segments:
        return row
    sentence = segments[segment_id].text
    if config == "sentences":
        return {**row, "text": sentence, "context": contexts[segment_id], "actors": _spans(row["actors"], sentence)}
    if config == "raw_annotations":
        return {**row, "text": sentence, "actors": _spans(row["actors"], sentence)}
    if config == "actors":
        return {**row, "text": sentence[row["start"] : row["end"]], "sentence": sentence}
    if config == "actor_tags":
        return {**row, "tokens": [sentence[offset["start"] : offset["end"]] for offset in row["token_offsets"]]}
    return row


def _spans(spans: list[dict[str, Any]], sentence: str) -> list[dict[str, Any]]:
    return [{**span, "text": sentence[span["start"] : span["end"]]} for span in spans]


def _note(release: Path, restored: dict[str, _Text]) -> str:
    lines = [
        "# A restored copy, not a published release",
        "",
        (f"Made by `stance-corpus release restore` from {release.name}: the words of these articles were put back from "
        "the user's own copies (their sha256 matched the release's `text_sha256`). Do not republish it: the texts of "
        "these articles are not the release's to give. SHA256SUMS and croissant.json describe the published files and "
        "are left out."),
        "",
        *(f"- `{article_id}`" for article_id in sorted(restored)),
        "",
    ]
    return "\n".join(lines)
