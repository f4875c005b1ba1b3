"""Dataset releases end to end: a fixture project (the seed article as at 1.0.0, fixture articles), a store written
with corpus.store, the real `datasets.load_dataset`."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

import datasets
from helpers import annotated_segments, write_store
from stance_corpus.corpus.errors import InputError, ReleaseError, StoreError
from stance_corpus.corpus.project import Project, load_project
from stance_corpus.corpus.release.build import build_release
from stance_corpus.corpus.release.folder import checksum_problem
from stance_corpus.corpus.release.rows import ReleaseSchema, split_of
from stance_corpus.corpus.schema import GOLD_ANNOTATOR, Annotation
from stance_corpus.corpus.store import write_annotations

from stance_corpus.cli import main

SEED_PROJECT = Path(__file__).parent / "data" / "seed_project"
DATA = Path(__file__).parent / "data" / "test_release"
TARGET = "syria_peace"
ENVOY_SENTENCE = (
    "U.N. Special Envoy for Syria Staffan de Mistura on Wednesday announced “a pause” in talks aimed at resolving "
    "Syria’s years-long war."
)
RESUME_SENTENCE = "Discussions are slated to resume February 25 in Geneva."
# The labels these tests write into the store for two seed sentences; every other sentence gets NONE.
KNOWN_LABELS = {
    ENVOY_SENTENCE: ("FAVOR", [("Staffan de Mistura", "INTERNATIONAL", "FAVOR")]),
    RESUME_SENTENCE: ("AGAINST", []),
}


def make_project(root: Path, extra_articles: tuple[str, ...] = ()) -> Project:
    """A project folder: the seed project fixture (plus fixture articles) with a store holding a gold label and two
    annotators' labels for every heading and body sentence."""
    shutil.copytree(SEED_PROJECT, root)
    seeds = root / "seeds"
    extra = DATA / "extra_seeds"
    lines = [
        line for line in (extra / "articles.jsonl").read_text().splitlines() if json.loads(line)["id"] in extra_articles
    ]
    with (seeds / "articles.jsonl").open("a", encoding="utf-8") as catalogue:
        catalogue.writelines(f"{line}\n" for line in lines)
    for article_id in extra_articles:
        shutil.copy(extra / f"{article_id}.txt", seeds)
    write_store(root, KNOWN_LABELS, TARGET)
    return load_project(root)


def load(folder: Path, config: str, cache: Path) -> datasets.DatasetDict:
    return datasets.load_dataset(str(folder), config, cache_dir=str(cache))


def release_tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(folder).parts
    }


def git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, check=True).stdout.strip()


def test_every_config_loads_typed_with_the_store_labels(tmp_path):
    project = make_project(tmp_path / "project")
    folder, written = build_release(project, "1.0.0")
    assert written and folder == project.root / "releases" / "1.0.0"
    segments = annotated_segments(project.seeds)
    cache = tmp_path / "cache"
    features = ReleaseSchema(project.scheme).features

    sentences = load(folder, "sentences", cache)
    assert list(sentences) == ["train"] == [split_of(segments[0].article_id)]
    train = sentences["train"]
    assert train.features == features["sentences"]
    assert train.features["stance"].names == ["FAVOR", "AGAINST", "NONE"]
    assert set(train["target"]) == {"the Syria peace process (the Geneva talks and a ceasefire)"}  # the target's name
    assert train.num_rows == len(segments)
    by_text = {row["text"]: row for row in train}
    envoy, resume = by_text[ENVOY_SENTENCE], by_text[RESUME_SENTENCE]
    stance = train.features["stance"]
    assert stance.int2str(envoy["stance"]) == "FAVOR" and stance.int2str(resume["stance"]) == "AGAINST"
    assert envoy["context"]["next"] == resume["text"] and resume["context"]["previous"] == envoy["text"]
    assert envoy["context"]["headline"].startswith("Major Syrian government offensive")
    [actor] = envoy["actors"]
    assert ENVOY_SENTENCE[actor["start"] : actor["end"]] == actor["text"] == "Staffan de Mistura"
    assert train.features["actors"].feature["type"].int2str(actor["type"]) == "INTERNATIONAL"
    # alice agrees with gold, bob always says NONE: 1/2 on the FAVOR sentence, 2/2 on a NONE one.
    assert envoy["annotators"] == 2 and envoy["agreement"] == 0.5
    assert by_text[segments[-1].text]["agreement"] == 1.0

    actors = load(folder, "actors", cache)["train"]
    assert actors.features == features["actors"]
    assert [(row["text"], row["sentence"]) for row in actors] == [("Staffan de Mistura", ENVOY_SENTENCE)]

    tags = load(folder, "actor_tags", cache)["train"]
    assert tags.features == features["actor_tags"]
    assert tags.num_rows == len(segments)
    names = tags.features["ner_tags"].feature.names
    envoy_tags = next(row for row in tags if row["id"] == envoy["id"])
    tagged = [(token, names[tag]) for token, tag in zip(envoy_tags["tokens"], envoy_tags["ner_tags"]) if tag]
    assert tagged == [("Staffan", "B-INTERNATIONAL"), ("de", "I-INTERNATIONAL"), ("Mistura", "I-INTERNATIONAL")]

    articles = load(folder, "articles", cache)["train"]
    assert articles.features == features["articles"]
    [article] = articles
    assert article["text"] == next(project.seeds.glob("*.txt")).read_text(encoding="utf-8")
    assert all(article["text"][s["start"] : s["end"]] for s in article["segments"])

    raw = load(folder, "raw_annotations", cache)["train"]
    assert raw.features == features["raw_annotations"]
    assert sorted(set(raw["annotator"])) == ["alice", "bob"] and raw.num_rows == 2 * len(segments)

    card = (folder / "README.md").read_text(encoding="utf-8")
    assert "version: 1.0.0" in card and "task_categories:" in card and "- First test release." in card
    assert checksum_problem(folder) is None
    assert git(folder, "tag") == "v1.0.0"


def test_rebuild_is_byte_identical_and_a_built_version_never_changes(tmp_path):
    project = make_project(tmp_path / "project")
    first, _ = build_release(project, "1.0.0", tmp_path / "first")
    second, _ = build_release(project, "1.0.0", tmp_path / "second")
    assert release_tree(first) == release_tree(second)
    assert git(first, "rev-parse", "HEAD") == git(second, "rev-parse", "HEAD")

    assert build_release(project, "1.0.0", first) == (first, False)

    gold_path = project.store / "gold.jsonl"
    lines = gold_path.read_text(encoding="utf-8").splitlines()
    lines[-1] = lines[-1].replace('"stance": "NONE"', '"stance": "FAVOR"', 1)
    gold_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = release_tree(first)
    with pytest.raises(ReleaseError, match=r"version 1.0.0 exists and would change \(.*differs\)"):
        build_release(project, "1.0.0", first)
    assert release_tree(first) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["first", "project", "second"]


def test_splits_are_stable_when_a_version_adds_articles(tmp_path, monkeypatch, capsys):
    first = make_project(tmp_path / "v1", extra_articles=("test_001", "test_002"))
    second = make_project(tmp_path / "v2", extra_articles=("test_001", "test_002", "test_021", "test_003"))
    old, _ = build_release(first, "1.0.0", tmp_path / "releases" / "1.0.0")
    new, _ = build_release(second, "1.1.0", tmp_path / "releases" / "1.1.0")
    cache = tmp_path / "cache"
    old_sentences, new_sentences = load(old, "sentences", cache), load(new, "sentences", cache)
    assert set(new_sentences) == {"train", "validation", "test"}
    old_split = {row["id"]: split for split, rows in old_sentences.items() for row in rows}
    new_split = {row["id"]: split for split, rows in new_sentences.items() for row in rows}
    assert old_split.keys() < new_split.keys()
    assert all(new_split[sentence] == split for sentence, split in old_split.items())
    assert len({split for split in old_split.values()}) == 2  # the check covers more than one split

    monkeypatch.chdir(tmp_path)
    assert main(["release", "diff", "1.0.0", "1.1.0"]) == 0
    report = capsys.readouterr().out
    block = report.split("\nsentences\n")[1].split("\n\n")[0].splitlines()
    header, *lines = (re.split(r"\s{2,}", line.strip()) for line in block)
    table = {line[0]: dict(zip(header[1:], map(int, line[1:]))) for line in lines}
    for split, rows in new_sentences.items():
        added = sum(row["id"] not in old_split for row in rows)
        assert table[split] == {
            "rows": len(rows), "added": added, "removed": 0, "moved in": 0, "stance changed": 0, "actors changed": 0
        }

    # --version belongs to building: with diff it would be silently ignored, so it is refused.
    assert main(["release", "--version", "1.0.0", "diff", "1.0.0", "1.1.0"]) == 1
    assert "--version and --out are for a build" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda r: r.update(segment_id=r["article_id"] + "-000000000000"), r"is not in the current seeds"),
        (lambda r: r.update(article_id="someone_else"), r"belongs to article 000_b923e88ad6c5b85a, not someone_else"),
        (lambda r: r.update(text=r["text"] + " (edited)"), r"changed since it was annotated"),
        (lambda r: r.update(annotator="alice"), r"annotator 'alice' in a file whose annotator must be 'gold'"),
    ],
)
def test_a_bad_store_record_is_named_and_nothing_is_written(tmp_path, edit, message):
    project = make_project(tmp_path / "project")
    gold_path = project.store / "gold.jsonl"
    records = [json.loads(line) for line in gold_path.read_text(encoding="utf-8").splitlines()]
    edit(records[2])
    gold_path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    with pytest.raises(StoreError, match=rf"gold.jsonl:3: .*{message}"):
        build_release(project, "1.0.0")
    assert not project.releases.exists() or not any(project.releases.iterdir())


def test_the_cli_reports_errors_in_one_line(tmp_path, monkeypatch, capsys):
    project = make_project(tmp_path / "project")
    monkeypatch.chdir(project.root)
    raw_path = project.store / "annotations.jsonl"
    raw_path.write_text(raw_path.read_text(encoding="utf-8").replace('"stance": "NONE"', '"stance": "MAYBE"', 1))
    assert main(["release"]) == 1
    error = capsys.readouterr().err
    assert error.startswith("stance-corpus: error: annotations/annotations.jsonl:1") and "'MAYBE'" in error
    assert error.count("\n") == 1
    with pytest.raises(InputError):
        build_release(project)

    assert main(["release", "--version", "2.0.0"]) == 1
    assert "no '### 2.0.0' entry under '## Dataset releases'" in capsys.readouterr().err
    assert main(["release", "--version", "1.0"]) == 1
    assert "not a semantic version" in capsys.readouterr().err
    assert not project.releases.exists() or not any(project.releases.iterdir())


def test_an_interrupted_build_leaves_no_half_release(tmp_path, monkeypatch):
    from stance_corpus.corpus.release import build

    project = make_project(tmp_path / "project")

    def interrupt(folder: Path) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(build, "write_checksums", interrupt)
    with pytest.raises(KeyboardInterrupt):
        build_release(project, "1.0.0")
    assert list(project.releases.iterdir()) == []


def test_the_cli_builds_the_default_version_and_publish_needs_a_token(tmp_path, monkeypatch, capsys):
    project = make_project(tmp_path / "project")
    monkeypatch.chdir(project.root)
    assert main(["release"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "releases/1.0.0: built",
        'load it with: datasets.load_dataset("releases/1.0.0", "sentences")',
    ]
    assert main(["release"]) == 0
    assert "releases/1.0.0: already built, identical" in capsys.readouterr().out

    monkeypatch.delenv("HF_TOKEN", raising=False)
    assert main(["publish", "1.0.0", "--repo-id", "someone/stance-corpus"]) == 1
    assert "HF_TOKEN is not set" in capsys.readouterr().err
    (project.releases / "1.0.0" / "README.md").write_text("---\nversion: 1.0.0\n---\nedited\n")
    assert main(["publish", "1.0.0", "--repo-id", "someone/stance-corpus"]) == 1
    assert "README.md is missing or changed since the build" in capsys.readouterr().err


def two_target_project(root: Path) -> Project:
    """The seed project with a second target: the seed article is annotated for both, test_001 for the
    default target only; gold and two annotators for every (sentence, target) of them."""
    shutil.copytree(SEED_PROJECT, root)
    config = root / "stance-corpus.toml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + '\n[[targets]]\nid = "isil_campaign"\nname = "the military campaign against ISIL"\n'
        'description = "Air strikes and ground operations against ISIL (Daesh)."\n',
        encoding="utf-8",
    )
    catalogue = root / "seeds" / "articles.jsonl"
    (seed,) = [json.loads(line) for line in catalogue.read_text(encoding="utf-8").splitlines()]
    extra = json.loads((DATA / "extra_seeds" / "articles.jsonl").read_text(encoding="utf-8").splitlines()[0])
    catalogue.write_text(
        json.dumps({**seed, "targets": ["syria_peace", "isil_campaign"]}) + "\n" + json.dumps(extra) + "\n",
        encoding="utf-8",
    )
    shutil.copy(DATA / "extra_seeds" / f"{extra['id']}.txt", root / "seeds")
    project = load_project(root)
    gold, raw = [], []
    for segment in annotated_segments(project.seeds):
        for target in ("syria_peace", "isil_campaign") if segment.article_id == seed["id"] else ("syria_peace",):
            stance = "AGAINST" if target == "isil_campaign" and segment.text == ENVOY_SENTENCE else "NONE"
            record = {"segment_id": segment.id, "article_id": segment.article_id, "text": segment.text,
                      "target": target}
            gold.append(Annotation(**record, annotator=GOLD_ANNOTATOR, stance=stance))
            raw.extend(Annotation(**record, annotator=name, stance=stance) for name in ("alice", "bob"))
    write_annotations(project.store / "gold.jsonl", gold)
    write_annotations(project.store / "annotations.jsonl", raw)
    return project


def test_a_release_of_two_targets_has_a_row_per_sentence_and_target(tmp_path):
    project = two_target_project(tmp_path / "project")
    folder, _ = build_release(project, "1.0.0")
    cache = tmp_path / "cache"
    seed_segments = [s for s in annotated_segments(project.seeds) if s.article_id == "000_b923e88ad6c5b85a"]
    other = [s for s in annotated_segments(project.seeds) if s.article_id != "000_b923e88ad6c5b85a"]

    rows = [row for split in load(folder, "sentences", cache).values() for row in split]
    assert len(rows) == 2 * len(seed_segments) + len(other)
    assert len({(row["id"], row["target_id"]) for row in rows}) == len(rows)
    by_key = {(row["text"], row["target_id"]): row for row in rows}
    stance = load(folder, "sentences", cache)["train"].features["stance"]
    assert stance.int2str(by_key[(ENVOY_SENTENCE, "isil_campaign")]["stance"]) == "AGAINST"
    assert stance.int2str(by_key[(ENVOY_SENTENCE, "syria_peace")]["stance"]) == "NONE"
    assert by_key[(ENVOY_SENTENCE, "isil_campaign")]["target"] == "the military campaign against ISIL"
    assert by_key[(ENVOY_SENTENCE, "isil_campaign")]["annotators"] == 2

    raw = [row for split in load(folder, "raw_annotations", cache).values() for row in split]
    assert len(raw) == 2 * len(rows)
    assert len({(r["segment_id"], r["target_id"], r["annotator"]) for r in raw}) == len(raw)
    articles = {row["id"]: row["targets"] for split in load(folder, "articles", cache).values() for row in split}
    # An article without a `targets` field is annotated for the project's default targets, and says so.
    assert articles == {"000_b923e88ad6c5b85a": ["syria_peace", "isil_campaign"], other[0].article_id: ["syria_peace"]}
    tags = [row for split in load(folder, "actor_tags", cache).values() for row in split]
    assert len(tags) == len(seed_segments) + len(other)  # tokens do not depend on the target: one row a sentence

    card = (folder / "README.md").read_text(encoding="utf-8")
    assert "### Sentence stance per target and split" in card
    assert "| the military campaign against ISIL | train | 0 | 1 |" in card
    assert "Target: the military campaign against ISIL" in card


def test_a_gold_label_for_a_target_the_article_is_not_annotated_for_is_refused(tmp_path):
    project = two_target_project(tmp_path / "project")
    gold_path = project.store / "gold.jsonl"
    records = [json.loads(line) for line in gold_path.read_text(encoding="utf-8").splitlines()]
    position = next(n for n, r in enumerate(records) if r["article_id"] != "000_b923e88ad6c5b85a")
    records[position]["target"] = "isil_campaign"
    gold_path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    with pytest.raises(StoreError, match=rf"gold.jsonl:{position + 1}: target 'isil_campaign' is not a target of "
                       rf"article {records[position]['article_id']}"):
        build_release(project, "1.0.0")


def test_released_label_names_may_be_appended_to_but_never_reordered(tmp_path):
    """A version pinned in released.json records the label names it published; a later version keeps them, in order,
    and may only add names after them."""
    project = make_project(tmp_path / "project")
    published = {"stance": ["FAVOR", "AGAINST", "NONE"], "actor_type": list(project.scheme.actor_type_names)}
    pin = {"source_commit": "0" * 40, "inputs": [], "schema": 1, "files": {}, "splits": {}, "labels": published}
    (project.root / "released.json").write_text(json.dumps({"1.0.0": pin}), encoding="utf-8")
    config = project.config_path
    original = config.read_text(encoding="utf-8")

    swapped = original.replace('name = "FAVOR"', 'name = "SWAP"').replace('name = "AGAINST"', 'name = "FAVOR"')
    config.write_text(swapped.replace('name = "SWAP"', 'name = "AGAINST"'), encoding="utf-8")
    with pytest.raises(ReleaseError) as refused:
        build_release(load_project(project.root), "1.1.0")
    assert str(refused.value) == (
        f"{config}: the stance labels ['AGAINST', 'FAVOR', 'NONE'] must start with ['FAVOR', 'AGAINST', 'NONE'], in "
        f"that order: release 1.0.0 published them ({project.root / 'released.json'}). Reordering or removing a "
        "released label would renumber the ClassLabels of every later release; append new labels at the end instead"
    )
    config.write_text(original.replace('name = "MEDIA"', 'name = "MEDIA_X"'), encoding="utf-8")
    with pytest.raises(ReleaseError, match="the actor_type labels .* must start with"):
        build_release(load_project(project.root), "1.1.0")
    assert not project.releases.exists() or not any(project.releases.iterdir())

    config.write_text(original + '\n[[stances]]\nname = "UNRELATED"\nhotkey = "u"\n', encoding="utf-8")
    folder, written = build_release(load_project(project.root), "1.1.0")
    stance = datasets.load_dataset(str(folder), "sentences", cache_dir=str(tmp_path / "cache"))["train"].features
    assert written and stance["stance"].names == ["FAVOR", "AGAINST", "NONE", "UNRELATED"]
