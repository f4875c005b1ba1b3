"""The annotation store keyed by (segment, target, annotator): the committed 1.0.0 store migrates with every record
kept, and one sentence labelled for two targets is two records."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from stance_corpus.corpus.errors import InputError
from stance_corpus.corpus.jsonl import read_jsonl
from stance_corpus.corpus.project import load_project
from stance_corpus.corpus.schema import Annotation
from stance_corpus.corpus.store import (
    ANNOTATIONS_FILE,
    GOLD_FILE,
    key_of,
    merge_annotations,
    read_annotations,
    write_annotations,
)

ROOT = Path(__file__).resolve().parents[1]
SEED_PROJECT = Path(__file__).parent / "data" / "seed_project"
TARGET_NAME = "the Syria peace process (the Geneva talks and a ceasefire)"


@pytest.mark.parametrize("name", [ANNOTATIONS_FILE, GOLD_FILE])
def test_the_committed_store_migrates_with_every_record_and_field_kept(tmp_path: Path, name: str) -> None:
    """This repository's store, written before targets were data, names its target; read under the new key every
    line is one record with the same fields (the target read as its id), and written back it is byte-identical in
    the project's format 1 and keeps every record when migrated to ids (format 2)."""
    project = load_project(ROOT)
    path = project.store / name
    lines = [record for _, record in read_jsonl(path)]
    records = read_annotations(path, project.scheme)
    assert len(records) == len(lines) > 0
    assert len({key_of(record) for record in records}) == len(records)
    for line, record in zip(lines, records, strict=True):
        assert line["target"] == TARGET_NAME and record.target == "syria_peace"
        migrated = json.loads(json.dumps(dataclasses.asdict(record)))
        assert migrated == {**line, "target": "syria_peace"}

    rewritten = tmp_path / name
    write_annotations(rewritten, records, project.stored_target)
    assert rewritten.read_bytes() == path.read_bytes()

    by_id = tmp_path / "by-id" / name
    write_annotations(by_id, records)
    assert [record["target"] for _, record in read_jsonl(by_id)] == ["syria_peace"] * len(lines)
    assert read_annotations(by_id, project.scheme) == records


def test_one_sentence_labelled_for_two_targets_is_two_records(tmp_path: Path) -> None:
    project = tmp_path / "project"
    config = (SEED_PROJECT / "stance-corpus.toml").read_text(encoding="utf-8").replace("format = 1", "format = 2")
    project.mkdir()
    (project / "stance-corpus.toml").write_text(
        config + '\n[[targets]]\nid = "isil_campaign"\nname = "the campaign against ISIL"\ndescription = "x"\n',
        encoding="utf-8",
    )
    scheme = load_project(project).scheme
    peace = Annotation("s1", "a", "Talks resume.", "syria_peace", "ann@example.org", "NONE")
    isil = dataclasses.replace(peace, target="isil_campaign", stance="FAVOR")
    store = tmp_path / "annotations.jsonl"
    write_annotations(store, merge_annotations([peace], [isil]))
    assert read_annotations(store, scheme) == [isil, peace]  # sorted by (article, segment, target, annotator)
    relabelled = dataclasses.replace(isil, stance="AGAINST")
    assert merge_annotations([isil, peace], [relabelled]) == [relabelled, peace]

    store.write_text(store.read_text(encoding="utf-8") + json.dumps({**dataclasses.asdict(peace)}) + "\n")
    with pytest.raises(InputError, match=r"annotations.jsonl:3: second annotation of segment s1 for target "
                       r"syria_peace by ann@example.org \(first on line 2\)"):
        read_annotations(store, scheme)
    store.write_text(json.dumps({**dataclasses.asdict(peace), "target": "elections"}) + "\n")
    with pytest.raises(InputError, match=r"annotations.jsonl:1: target 'elections' is not a target of the project "
                       r"\(syria_peace, isil_campaign\)"):
        read_annotations(store, scheme)
