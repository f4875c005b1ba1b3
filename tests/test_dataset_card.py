"""The figures of DATASET_CARD.md are re-derived from the annotation store, so the card cannot go stale. The
hand-written figures of a release's section (release 1.0.0's) are checked against the store that built that release
(its commit in released.json); a later release's figures are generated from its rows by the build itself
(tests/test_release_card.py)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from stance_corpus.corpus.guidelines import (
    NOT_FROZEN,
    Freeze,
    freeze_problem,
    freeze_record,
    guidelines_digest,
    guidelines_section,
)
from stance_corpus.corpus.project import load_project
from stance_corpus.corpus.release.released import read_released
from stance_corpus.corpus.schema import Annotation
from stance_corpus.corpus.store import ANNOTATIONS_FILE, GOLD_FILE, read_annotations, write_annotations
from stance_corpus.labeling.agreement import actor_span_agreement, sentence_stance_agreement

from stance_corpus.cli import main

ROOT = Path(__file__).resolve().parents[1]
PROJECT = load_project(ROOT)
CARD = PROJECT.card.read_text(encoding="utf-8")
STORE = PROJECT.store
STANCE_LABELS = PROJECT.scheme.stance_names
ACTOR_TYPE_LABELS = PROJECT.scheme.actor_type_names


def tables_after(marker: str) -> list[list[list[str]]]:
    """The Markdown tables that follow `marker` up to the next heading, as rows of cells (header and rule dropped)."""
    section = CARD[CARD.index(marker) :]
    section = section[: section.find("\n#", 1) if "\n#" in section[1:] else len(section)]
    tables: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in section.splitlines():
        if line.startswith("|"):
            current.append([cell.strip() for cell in line.strip("|").split("|")])
        elif current:
            tables.append(current[2:])
            current = []
    if current:
        tables.append(current[2:])
    return tables


def released_store(version: str, name: str, folder: Path) -> list[Annotation]:
    """The store file `name` as it was when `version` was built (its commit in released.json), also written to
    `folder`; in a clone without that commit, the records of the current store for the sentences `version` released
    (released.json lists them) and the project's default targets (1.0.0 predates targets)."""
    entry = read_released(ROOT)[version]
    store = STORE.relative_to(ROOT).as_posix() if "stance-corpus.toml" in entry.inputs else "annotations"
    shown = subprocess.run(
        ["git", "show", f"{entry.source_commit}:{store}/{name}"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    path = folder / f"{version}-{name}"
    if shown.returncode == 0:
        path.write_text(shown.stdout, encoding="utf-8")
        return read_annotations(path, PROJECT.scheme)
    sentences = {i for ids in entry.splits["sentences"].values() for i in ids}
    records = [
        a for a in read_annotations(STORE / name, PROJECT.scheme)
        if a.segment_id in sentences and a.target in PROJECT.default_targets
    ]
    write_annotations(path, records)
    return records


def test_label_distribution_tables_match_the_gold_store_of_1_0_0(tmp_path: Path) -> None:
    gold = released_store("1.0.0", GOLD_FILE, tmp_path)
    assert gold, "release 1.0.0 had no gold labels"
    stance_table, actor_table = tables_after("<!-- label-distribution")

    stances = Counter(annotation.stance for annotation in gold)
    assert {row[0]: int(row[1]) for row in stance_table} == {label: stances[label] for label in STANCE_LABELS}

    spans = [span for annotation in gold for span in annotation.actors]
    expected = {
        actor_type: [
            sum(span.type == actor_type for span in spans),
            *(sum(span.type == actor_type and span.stance == s for span in spans) for s in STANCE_LABELS),
        ]
        for actor_type in ACTOR_TYPE_LABELS
    }
    assert {row[0]: [int(cell) for cell in row[1:]] for row in actor_table} == expected


def test_agreement_table_matches_the_annotation_store_of_1_0_0(tmp_path: Path) -> None:
    annotations = released_store("1.0.0", ANNOTATIONS_FILE, tmp_path)
    stance = sentence_stance_agreement(annotations, STANCE_LABELS)
    spans = actor_span_agreement(annotations, STANCE_LABELS)
    (pair,) = stance["pairs"]
    (span_pair,) = spans["pairs"]
    table = tables_after("<!-- agreement-table")[0]
    shown = {row[0]: (row[1], float(row[2])) for row in table}
    span_counts = f"{span_pair['spans'][0]} / {span_pair['spans'][1]}"
    expected = {
        "sentence stance: percent agreement": (str(pair["segments"]), pair["percent_agreement"]),
        "sentence stance: Cohen's kappa": (str(pair["segments"]), pair["cohen_kappa"]),
        "sentence stance: Fleiss' kappa": (str(stance["fleiss_kappa"]["segments"]), stance["fleiss_kappa"]["value"]),
        "sentence stance: Krippendorff's alpha (nominal)": (
            str(stance["krippendorff_alpha"]["segments"]),
            stance["krippendorff_alpha"]["value"],
        ),
        "actor spans: F1, exact match": (span_counts, span_pair["exact"]["f1"]),
        "actor spans: F1, overlap match": (span_counts, span_pair["overlap"]["f1"]),
        "actor stance on matched spans: Cohen's kappa": (
            str(span_pair["matched_span_stance"]["spans"]),
            span_pair["matched_span_stance"]["cohen_kappa"],
        ),
        "actor id on matched spans: percent agreement": (
            str(span_pair["matched_span_actor_id"]["spans"]),
            span_pair["matched_span_actor_id"]["percent_agreement"],
        ),
    }
    assert set(shown) == set(expected)
    for measure, (count, value) in expected.items():
        assert shown[measure][0] == count, measure
        assert shown[measure][1] == pytest.approx(value, abs=0.0005), measure


def test_agreement_command_reproduces_the_committed_figures(tmp_path: Path) -> None:
    written = tmp_path / "agreement.json"
    committed = json.loads((STORE / "agreement.json").read_text(encoding="utf-8"))
    # The committed file also records the adjudication that wrote gold.jsonl; this run only measures, leaving the
    # adjudicator's decisions out of the agreement between passes as that run did.
    adjudicator = (committed.pop("adjudication", None) or {}).get("adjudicator")
    options = ["--adjudicator", adjudicator] if adjudicator else []
    assert main(["agreement", "--project", str(ROOT), "--json", str(written), *options]) == 0
    recomputed = json.loads(written.read_text(encoding="utf-8"))
    assert recomputed == committed


def test_frozen_guidelines_are_never_edited() -> None:
    record = freeze_record(CARD)
    assert record is not None, "the card's 'Guidelines version' section lost its freeze record"
    assert freeze_problem(CARD) is None
    if record.commit is None:
        assert record.sha256 is None  # not frozen yet: both lines say so
        return
    assert guidelines_digest(CARD) == record.sha256
    shown = subprocess.run(
        ["git", "show", f"{record.commit}:DATASET_CARD.md"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if shown.returncode != 0:
        pytest.skip(f"this checkout lacks commit {record.commit} (a shallow clone)")
    assert guidelines_digest(shown.stdout) == record.sha256, "the recorded commit holds other guidelines"


def test_the_freeze_script_records_the_commit_and_refuses_a_second_freeze(tmp_path: Path) -> None:
    card = tmp_path / "DATASET_CARD.md"
    card.write_text(CARD.replace(freeze_lines(CARD), NOT_FROZEN_LINES), encoding="utf-8")
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.org"]
    for command in (["init", "--quiet"], ["add", "DATASET_CARD.md"], ["commit", "--quiet", "-m", "guidelines"]):
        subprocess.run([*git, *command], cwd=tmp_path, check=True, capture_output=True)
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout.strip()
    script = [sys.executable, str(ROOT / "scripts" / "freeze_guidelines.py"), "--card", str(card)]
    result = subprocess.run(script, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    frozen = card.read_text(encoding="utf-8")
    assert freeze_record(frozen) == Freeze(commit, guidelines_digest(frozen)) and freeze_problem(frozen) is None

    again = subprocess.run(script, capture_output=True, text=True, check=False)
    assert again.returncode == 1 and "frozen already" in again.stderr
    edited = frozen.replace("When in doubt: **NONE**.", "When in doubt: **FAVOR**.", 1)
    assert "have changed since: a frozen version is never edited" in (freeze_problem(edited) or "")


def test_every_target_has_its_guidelines_section() -> None:
    guidelines = guidelines_section(CARD) or ""
    targets = re.findall(r"^### Target `([a-z][a-z0-9_]*)`: (.+)$", guidelines, re.MULTILINE)
    assert [target for target, _ in targets] == ["syria_peace", "isil_campaign"]
    for target, _ in targets:  # each section says what the target is, which acts are its own, and what it is not
        section = guidelines.partition(f"### Target `{target}`")[2].partition("\n### ")[0]
        for part in ("**What it is.**", "**Acts of this target**", "**Not this target**", "Examples:"):
            assert part in section, (target, part)


def test_gazetteer_figures_match_the_benchmark_on_the_gold_of_1_0_0(tmp_path: Path) -> None:
    released_store("1.0.0", GOLD_FILE, tmp_path)  # the seed's gold spans, as the card's 1.0.0 section says
    gold = tmp_path / f"1.0.0-{GOLD_FILE}"
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "gazetteer.py"), "--project", str(ROOT), "--gum", "none",
         "--store", str(gold)],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )
    # The rows of the registry as it is (its scoped aliases applied): "scoped (the registry) N G exact P R F1".
    rows = [line.split() for line in result.stdout.splitlines() if line.startswith("scoped (the registry)")]
    measured = {row[5]: row[6:] for row in rows}
    shown = {row[0]: row[1:] for row in tables_after("<!-- gazetteer-figures")[0]}
    assert shown == measured


def freeze_lines(card: str) -> str:
    start = card.index("- Frozen at commit:")
    return card[start : card.index("\n", card.index("- sha256 of the", start)) + 1]


NOT_FROZEN_LINES = (
    f"- Frozen at commit: `{NOT_FROZEN}`\n- sha256 of the \"Annotation guidelines\" section: `{NOT_FROZEN}`\n"
)
