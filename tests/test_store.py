"""The annotation store keyed by (segment, target, annotator): the store of release 1.0.0 migrated with every record
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


RELEASE_1_0_0 = Path(__file__).parent / "data" / "test_store" / "release-1.0.0"  # the store as 1.0.0 wrote it


@pytest.mark.parametrize("name", [ANNOTATIONS_FILE, GOLD_FILE])
def test_the_committed_store_migrated_with_every_record_and_field_kept(tmp_path: Path, name: str) -> None:
    """Release 1.0.0's store (a copy of it at its commit) named its target; this repository's store now holds the
    same records keyed by (segment, target id, annotator), among those labelled since: every one of them, every field
    the same but the target, which is its id, and reading either gives the same records."""
    project = load_project(ROOT)
    old, new = RELEASE_1_0_0 / name, project.store / name
    old_lines = [record for _, record in read_jsonl(old)]
    old_keys = {(record["segment_id"], record["annotator"]) for record in old_lines}
    new_lines = [record for _, record in read_jsonl(new) if (record["segment_id"], record["annotator"]) in old_keys]
    assert len(new_lines) == len(old_lines) > 0
    for before, after in zip(old_lines, new_lines, strict=True):
        assert before["target"] == TARGET_NAME and after["target"] == "syria_peace"
        assert after == {**before, "target": "syria_peace"}
    records = read_annotations(new, project.scheme)
    kept = [record for record in records if (record.segment_id, record.annotator) in old_keys]
    assert read_annotations(old, project.scheme) == kept
    assert len({key_of(record) for record in records}) == len(records)
    # Written again, the migrated store is byte for byte itself (a pull with nothing new changes nothing).
    write_annotations(tmp_path / name, records)
    assert (tmp_path / name).read_bytes() == new.read_bytes()


def test_one_sentence_labelled_for_two_targets_is_two_records(tmp_path: Path) -> None:
    project = tmp_path / "project"
    config = (SEED_PROJECT / "stance-corpus.toml").read_text(encoding="utf-8")
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


def test_a_decision_keeps_its_rule_and_a_record_without_one_keeps_its_line(tmp_path: Path) -> None:
    scheme = load_project(SEED_PROJECT).scheme
    passed = Annotation("s1", "a", "Talks resume.", "syria_peace", "ann@example.org", "NONE")
    decided = dataclasses.replace(passed, annotator="judge@example.org", stance="FAVOR", rule="Sentence stance")
    store = tmp_path / "annotations.jsonl"
    write_annotations(store, [passed, decided])
    lines = [record for _, record in read_jsonl(store)]
    assert "rule" not in lines[0] and lines[1]["rule"] == "Sentence stance"
    assert read_annotations(store, scheme) == [passed, decided]
    store.write_text(json.dumps({**lines[1], "rule": " "}) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"annotations.jsonl:1: 'rule' must be a non-empty string or null, got ' '"):
        read_annotations(store, scheme)
