"""The card of a publishable release is generated from its data (per target: label counts per split, the agreement
of the two passes with bootstrap CIs over articles, the same figures `stance-corpus agreement` gives), every config
has the same splits, and no article or sentence moves split from 1.0.0 to 2.0.0 to 2.1.0, checked with the release
code's own check and with the datasets as `datasets.load_dataset` loads them. Fixture: tests/corpus_fixture.py."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

import datasets
from corpus_fixture import ADJUDICATOR, PASSES, SEED, TARGETS, TEST, TRAIN, VALIDATION, make_project, truth
from sklearn.metrics import cohen_kappa_score
from stance_corpus.corpus import load_articles, segment_article
from stance_corpus.corpus.project import load_project
from stance_corpus.corpus.release.build import build_release
from stance_corpus.corpus.release.lock import lock_release
from stance_corpus.corpus.release.released import read_released, split_moves
from stance_corpus.corpus.release.rows import CONFIGS, SPLITS
from stance_corpus.corpus.schema import ANNOTATED_KINDS
from stance_corpus.corpus.store import read_annotations

from stance_corpus.cli import main

ALL = (SEED, *TRAIN, *VALIDATION, *TEST)
SPLIT_OF = {
    **{a: "train" for a in (SEED, *TRAIN)}, **{a: "validation" for a in VALIDATION}, **{a: "test" for a in TEST}
}


def section(card: str, heading: str) -> str:
    """The text of a card section, from its heading to the next heading of the same or a higher level."""
    level = heading.split(" ", 1)[0]
    start = card.index(f"\n{heading}\n")
    ends = [card.find(f"\n{'#' * depth} ", start + 1) for depth in range(2, len(level) + 1)]
    ends = [end for end in ends if end > 0]
    return card[start : min(ends) if ends else len(card)]


def table(text: str, after: str) -> dict[str, list[str]]:
    """The first Markdown table after `after`: first cell -> the other cells (header and rule dropped)."""
    lines = text[text.index(after) :].splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return {row[0]: row[1:] for row in rows}


def load_all(folder: Path, cache: Path) -> dict[str, datasets.DatasetDict]:
    return {config: datasets.load_dataset(str(folder), config, cache_dir=str(cache)) for config in CONFIGS}


def git(folder: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=test", "-c", "user.email=test@example.org", *args]
    return subprocess.run(command, cwd=folder, capture_output=True, text=True, check=True).stdout.strip()


def test_the_card_reports_each_target_from_the_data_and_agrees_with_the_agreement_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(tmp_path / "project", ALL, ALL)
    project = load_project(root)
    folder, written = build_release(project, "2.1.0", schema=2)
    assert written
    card = (folder / "README.md").read_text(encoding="utf-8")
    again, _ = build_release(project, "2.1.0", tmp_path / "again", schema=2)
    assert (again / "README.md").read_bytes() == card.encode("utf-8")  # seeded bootstrap: byte-identical

    # Every config has the three splits, loaded by the real load_dataset.
    loaded = load_all(folder, tmp_path / "cache")
    assert {config: list(splits) for config, splits in loaded.items()} == {config: list(SPLITS) for config in CONFIGS}

    # Per target and split, the stance counts of the fixture's labels, counted here from the texts.
    articles = {article.id: article for article in load_articles(root / "seeds")}
    raw = read_annotations(root / "annotations" / "annotations.jsonl", project.scheme)
    cli_json = tmp_path / "agreement.json"
    assert main(["agreement", "--project", str(root), "--json", str(cli_json)]) == 0
    cli = json.loads(cli_json.read_text(encoding="utf-8"))["targets"]
    printed = capsys.readouterr().out
    for target in TARGETS:
        expected: dict[str, Counter[str]] = {split: Counter() for split in SPLITS}
        for article_id, article in articles.items():
            if target in (article.targets or ("syria_peace",)):
                for segment in segment_article(article):
                    if segment.kind in ANNOTATED_KINDS:
                        expected[SPLIT_OF[article_id]][truth(segment, target)[0]] += 1
        part = section(card, f"### Figures of target `{target}`: {project.scheme.target(target).name}")
        shown = table(part, "#### Sentence stance per split")
        for split in SPLITS:
            counts = expected[split]
            assert shown[split] == [str(counts[s]) for s in ("FAVOR", "AGAINST", "NONE")] + [str(counts.total())]

        # Agreement of the passes (the adjudicator, who labelled only the disagreements, is named, not counted).
        assert f"`{ADJUDICATOR}` not counted" in part and "@" not in part
        figures = table(part, "| measure | value [95% CI] |")
        mine = {a.segment_id: a.stance for a in raw if a.target == target and a.annotator == PASSES[0]}
        theirs = {a.segment_id: a.stance for a in raw if a.target == target and a.annotator == PASSES[1]}
        kappa = cohen_kappa_score([mine[s] for s in sorted(mine)], [theirs[s] for s in sorted(mine)])
        (pair,) = [p for p in cli[target]["intervals"]["pairs"] if p["annotators"] == list(PASSES)]
        assert pair["cohen_kappa"]["value"] == pytest.approx(kappa, abs=5e-5)
        for measure, name in (
            ("sentence stance: Cohen's kappa", "cohen_kappa"),
            ("sentence stance: Krippendorff's alpha (nominal)", "krippendorff_alpha"),
            ("actor spans: F1, exact match", "span_f1_exact"),
        ):
            value, (low, high) = pair[name]["value"], pair[name]["ci"]
            (cell,) = figures[measure]
            shown_numbers = [float(number) for number in re.findall(r"-?\d+\.\d+", cell)]
            # The card shows 3 decimals, the JSON keeps 4: the same figures up to their rounding.
            assert shown_numbers == pytest.approx([value, low, high], abs=6e-4), (target, measure)
        assert f"{pair['units']} sentences labelled by both, from {pair['articles']} articles" in part
        kappa_ci = pair["cohen_kappa"]["ci"]
        assert (
            f"  {PASSES[0]} / {PASSES[1]} ({pair['units']} segments, {pair['articles']} articles): kappa "
            f"{pair['cohen_kappa']['value']:.3f} [{kappa_ci[0]:.3f}, {kappa_ci[1]:.3f}], alpha "
        ) in printed


def test_no_sentence_or_article_moves_split_from_1_0_0_to_2_0_0_to_2_1_0(tmp_path: Path) -> None:
    # 1.0.0: the seed alone (schema 1, everything in train), pinned in released.json.
    root = make_project(tmp_path / "project", (SEED,), (SEED,))
    git(root, "init", "--quiet")
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "-m", "1.0.0")
    first, _ = build_release(load_project(root), "1.0.0")
    lock_release(load_project(root), "1.0.0")

    # 2.0.0: every article, the test split not labelled yet: published are the splits with labels, in every config.
    make_project(root, ALL, (SEED, *TRAIN, *VALIDATION))
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "-m", "2.0.0")
    second, _ = build_release(load_project(root), "2.0.0", schema=2)
    lock_release(load_project(root), "2.0.0")
    card = (second / "README.md").read_text(encoding="utf-8")
    assert f"Not in this release: {len(TEST)} `articles` rows of the test split" in card

    # 2.1.0: everything labelled; its build checks itself against both pins (split_moves).
    make_project(root, ALL, ALL)
    third, _ = build_release(load_project(root), "2.1.0", schema=2)

    cache = tmp_path / "cache"
    releases = {version: load_all(folder, cache) for version, folder in (("1.0.0", first), ("2.0.0", second),
                                                                           ("2.1.0", third))}
    assert {config: list(splits) for config, splits in releases["2.0.0"].items()} == {
        config: ["train", "validation"] for config in CONFIGS
    }
    assert {config: list(splits) for config, splits in releases["2.1.0"].items()} == {
        config: list(SPLITS) for config in CONFIGS
    }
    split_in = {
        version: {
            config: {row[column]: split for split, rows in loaded[config].items() for row in rows}
            for config, column in (("articles", "id"), ("sentences", "id"))
        }
        for version, loaded in releases.items()
    }
    assert split_in["2.1.0"]["articles"] == SPLIT_OF
    for older, newer in (("1.0.0", "2.0.0"), ("2.0.0", "2.1.0"), ("1.0.0", "2.1.0")):
        for config, splits in split_in[older].items():
            assert splits and splits.items() <= split_in[newer][config].items(), (older, newer, config)
    # The release code's own check, over the rows as loaded and over the pins: nothing moved.
    tables = {config: {split: list(rows) for split, rows in loaded.items()} for config, loaded in
              releases["2.1.0"].items()}
    assert split_moves(tables, read_released(root).values()) is None


def test_a_target_or_split_without_labels_builds_with_a_clear_card(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project", ALL, (SEED,))  # today's data: only the seed is labelled
    folder, written = build_release(load_project(root), "2.0.0", schema=2)
    assert written
    card = (folder / "README.md").read_text(encoding="utf-8")
    loaded = load_all(folder, tmp_path / "cache")
    assert {config: list(splits) for config, splits in loaded.items()} == {config: ["train"] for config in CONFIGS}
    assert len(loaded["articles"]["train"]) == 1 + len(TRAIN)
    left_out = len(VALIDATION) + len(TEST)
    assert f"Not in this release: {left_out} `articles` rows of the validation, test splits" in card
    isil = section(card, "### Figures of target `isil_campaign`: the military campaign against ISIL/Daesh")
    assert f"{len(TRAIN)} articles of this release are annotated for this target; 0 of their sentences" in isil
    assert "No sentence of this target has a gold label yet" in isil
    name = load_project(root).scheme.target("syria_peace").name
    syria = section(card, f"### Figures of target `syria_peace`: {name}")
    assert "from 1 article;" in syria and "with one article there is nothing to resample" in syria
