"""The figures of DATASET_CARD.md are re-derived from the committed annotation store, so the card cannot go stale."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from stance_corpus.corpus.project import load_project
from stance_corpus.corpus.store import ANNOTATIONS_FILE, GOLD_FILE, read_annotations
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


def test_label_distribution_tables_match_the_gold_store() -> None:
    gold = read_annotations(STORE / GOLD_FILE, PROJECT.scheme)
    assert gold, "annotations/gold.jsonl is empty"
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


def test_agreement_table_matches_the_annotation_store() -> None:
    annotations = read_annotations(STORE / ANNOTATIONS_FILE, PROJECT.scheme)
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
    assert main(["agreement", "--project", str(ROOT), "--json", str(written)]) == 0
    committed = json.loads((STORE / "agreement.json").read_text(encoding="utf-8"))
    recomputed = json.loads(written.read_text(encoding="utf-8"))
    # The committed file also records the adjudication that wrote gold.jsonl; this run only measures.
    committed.pop("adjudication", None)
    assert recomputed == committed
