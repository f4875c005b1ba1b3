"""Segmentation of the seed article, end to end through `stance-corpus segment` and through the library."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import jsonlines
import pytest
from stance_corpus.corpus import load_articles, segment_article
from stance_corpus.corpus.articles import CATALOGUE_NAME
from stance_corpus.corpus.segment import tokenized_segments, word_token_spans

from stance_corpus.cli import main

# The seed article as at release 1.0.0 (a fixture: adding an article to the repository's seeds/ changes no test).
SEEDS = Path(__file__).parent / "data" / "seed_project" / "seeds"
SEED_ID = "000_b923e88ad6c5b85a"
SEED_TEXT = SEEDS / f"{SEED_ID}.txt"
# Written by hand from reading the seed text, not from the output of the code under test.
with jsonlines.open(Path(__file__).parent / "data/test_segment/seed_segments.jsonl") as expected_lines:
    EXPECTED = [(line["kind"], line["text"]) for line in expected_lines]


@pytest.fixture
def segment_records(capsys) -> Callable[..., list[dict]]:
    """Run `stance-corpus segment PATH...` in this process; the printed segments as dicts."""

    def run(*paths: str | Path) -> list[dict]:
        assert main(["segment", *map(str, paths)]) == 0
        printed = capsys.readouterr()
        assert printed.err == ""
        return [json.loads(line) for line in printed.out.splitlines()]

    return run


def copy_seed(folder: Path, text: str | None = None, article_id: str = SEED_ID) -> Path:
    """A seed folder holding one article: the real seed's catalogue line and its (possibly edited) text."""
    folder.mkdir(parents=True, exist_ok=True)
    meta = json.loads((SEEDS / CATALOGUE_NAME).read_text(encoding="utf-8").splitlines()[0])
    (folder / CATALOGUE_NAME).write_text(json.dumps({**meta, "id": article_id}) + "\n", encoding="utf-8")
    text_path = folder / f"{article_id}.txt"
    text_path.write_text(SEED_TEXT.read_text(encoding="utf-8") if text is None else text, encoding="utf-8", newline="")
    return text_path


def test_seed_gives_every_hand_checked_segment_with_exact_offsets():
    # Through the installed command in a process of its own, as users run it.
    result = subprocess.run(
        [Path(sys.executable).with_name("stance-corpus"), "segment", SEED_TEXT], check=False,
 capture_output=True, encoding="utf-8"
    )
    assert (result.returncode, result.stderr) == (0, "")
    records = [json.loads(line) for line in result.stdout.splitlines()]
    text = SEED_TEXT.read_bytes().decode("utf-8")

    assert len(EXPECTED) == 35
    assert [(r["kind"], r["text"]) for r in records] == EXPECTED
    assert all(text[r["start"]:r["end"]] == r["text"] for r in records)
    assert [r["index"] for r in records] == list(range(len(EXPECTED)))
    assert {r["article_id"] for r in records} == {SEED_ID}
    # Both sentences of the Lavrov quote belong to one paragraph, as do both de Mistura quotes.
    lavrov = [r for r in records if "I see no reason" in r["text"] or "Russian airstrikes will not" in r["text"]]
    assert len({r["paragraph"] for r in lavrov}) == 1
    assert len({r["id"] for r in records}) == len(records)


def test_library_gives_what_the_cli_prints(segment_records):
    [article] = load_articles(SEEDS)
    from_library = [dataclasses.asdict(segment) for segment in segment_article(article)]
    assert from_library == segment_records(SEEDS)


def test_summary_counts_the_kinds(capsys):
    counts = Counter(kind for kind, _ in EXPECTED)
    kinds = ", ".join(f"{counts[kind]} {kind}" for kind in sorted(counts))
    assert main(["segment", str(SEEDS), "--summary"]) == 0
    assert capsys.readouterr() == (f"1 article(s), {len(EXPECTED)} segments: {kinds}\n", "")


def test_windows_line_ends_give_the_same_segments(tmp_path, segment_records):
    crlf_text = SEED_TEXT.read_text(encoding="utf-8").replace("\n", "\r\n")
    records = segment_records(copy_seed(tmp_path, crlf_text))
    assert [(r["kind"], r["text"]) for r in records] == EXPECTED
    assert all(crlf_text[r["start"]:r["end"]] == r["text"] for r in records)


def test_ids_depend_only_on_article_id_and_text():
    [article] = load_articles(SEED_TEXT)
    ids = [segment.id for segment in segment_article(article)]
    assert ids == [segment.id for segment in segment_article(article)]

    other_metadata = dataclasses.replace(article, title="Another title", source="Somewhere", notes=None)
    assert [segment.id for segment in segment_article(other_metadata)] == ids

    renamed = dataclasses.replace(article, id="001_other")
    assert not set(ids) & {segment.id for segment in segment_article(renamed)}


def test_editing_one_sentence_changes_only_its_id(tmp_path, segment_records):
    original = segment_records(copy_seed(tmp_path / "original"))
    sentence = "Discussions are slated to resume February 25 in Geneva."
    edited_text = SEED_TEXT.read_text(encoding="utf-8").replace(sentence, sentence.replace("25", "26"))
    edited = segment_records(copy_seed(tmp_path / "edited", edited_text))

    changed = [index for index, (old, new) in enumerate(zip(original, edited, strict=True)) if old["id"] != new["id"]]
    assert [original[index]["text"] for index in changed] == [sentence]


def test_inserting_a_paragraph_keeps_every_other_id(tmp_path, segment_records):
    original = segment_records(copy_seed(tmp_path / "original"))
    heading = "Rebel supply lines threatened\n\n"
    inserted_text = SEED_TEXT.read_text(encoding="utf-8").replace(heading, heading + "A new first sentence here.\n\n")
    inserted = segment_records(copy_seed(tmp_path / "inserted", inserted_text))

    assert len(inserted) == len(original) + 1
    assert {r["id"] for r in original} < {r["id"] for r in inserted}


def test_identical_sentences_in_one_article_get_distinct_ids(tmp_path, segment_records):
    repeated = "The observatory said nothing else."
    text = SEED_TEXT.read_text(encoding="utf-8").replace(
        "Rebel supply lines threatened\n", f"{repeated}\n\nRebel supply lines threatened\n\n{repeated} {repeated}\n"
    )
    records = segment_records(copy_seed(tmp_path, text))
    copies = [r for r in records if r["text"] == repeated]
    assert len(copies) == 3
    assert len({r["id"] for r in copies}) == 3
    assert len({r["id"] for r in records}) == len(records)


@pytest.mark.parametrize(
    ("paragraph", "kind"),
    [
        ("Rebels regroup near Aleppo", "heading"),
        ("Kerry: ‘We will not stop’", "heading"),
        ("[Editor’s note: updated at 2 p.m. ET]", "note"),
        ("ADVERTISEMENT", "boilerplate"),
        ("The talks resumed.", "body"),
        ("“We will not stop.”", "body"),
    ],
)
def test_paragraph_kinds(tmp_path, segment_records, paragraph, kind):
    text = f"A headline\n\n{paragraph}\n\nA closing sentence of the body.\n"
    records = segment_records(copy_seed(tmp_path, text))
    assert [(r["kind"], r["text"]) for r in records] == [
        ("headline", "A headline"), (kind, paragraph), ("body", "A closing sentence of the body.")
    ]


def test_a_one_character_paragraph_stays_a_paragraph_of_its_own(tmp_path, segment_records):
    records = segment_records(copy_seed(tmp_path, "A headline\n\n*\n\nA closing sentence of the body.\n"))
    assert [(r["paragraph"], r["text"]) for r in records] == [
        (0, "A headline"), (1, "*"), (2, "A closing sentence of the body.")
    ]


def test_reused_segmenter_tokens_equal_tokenizing_each_segment_alone():
    # The release's BIO tags reuse syntok's tokens from sentence splitting; they must be the tokens of the segment.
    tricky = (
        "Talks ended.Next round: “we won’t stop,” he said — pro-regime forces didn't.\n\nU.N. envoy (de Mistura) spoke."
    )
    articles = [*load_articles(SEEDS), dataclasses.replace(load_articles(SEEDS)[0], text=tricky)]
    for article in articles:
        pairs = list(tokenized_segments(article))
        assert [segment for segment, _ in pairs] == list(segment_article(article))
        for segment, tokens in pairs:
            assert tokens == word_token_spans(segment.text), segment.text
            assert all(segment.text[start:end].strip() == segment.text[start:end] != "" for start, end in tokens)


def test_page_furniture_is_the_project_list(tmp_path, capsys):
    """A project names its own furniture (stance-corpus.toml, [segmentation]); `segment --project` drops it."""
    project = tmp_path / "project"
    assert main(["init", str(project)]) == 0
    config = project / "stance-corpus.toml"
    config.write_text(re.sub(r"(?m)^furniture = .*$", 'furniture = ["Read more"]', config.read_text("utf-8")), "utf-8")
    copy_seed(project / "seeds", "A headline\n\nRead more\n\nAdvertisement\n\nA closing sentence of the body.\n")
    capsys.readouterr()
    assert main(["segment", "--project", str(project)]) == 0
    kinds = [(r["kind"], r["text"]) for r in map(json.loads, capsys.readouterr().out.splitlines())]
    assert kinds == [
        ("headline", "A headline"), ("boilerplate", "Read more"), ("heading", "Advertisement"),
        ("body", "A closing sentence of the body."),
    ]
