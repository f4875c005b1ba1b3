"""Dataset releases end to end: real seeds, a store written with corpus.store, the real `datasets.load_dataset`."""

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
from stance_corpus.corpus.release.build import build_release
from stance_corpus.corpus.release.folder import checksum_problem
from stance_corpus.corpus.release.rows import FEATURES, split_of
from stance_corpus.corpus.schema import (
    ActorType,
    Stance,
)

from stance_corpus.cli import main

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "test_release"
TARGET = "the Syria peace process"
ENVOY_SENTENCE = (
    "U.N. Special Envoy for Syria Staffan de Mistura on Wednesday announced “a pause” in talks aimed at resolving "
    "Syria’s years-long war."
)
RESUME_SENTENCE = "Discussions are slated to resume February 25 in Geneva."
# The labels these tests write into the store for two seed sentences; every other sentence gets NONE.
KNOWN_LABELS = {
    ENVOY_SENTENCE: (Stance.FAVOR, [("Staffan de Mistura", ActorType.INTERNATIONAL, Stance.FAVOR)]),
    RESUME_SENTENCE: (Stance.AGAINST, []),
}


def make_project(root: Path, extra_articles: tuple[str, ...] = ()) -> Path:
    """A project folder: the repository's seeds (plus fixture articles), its card, a fixture changelog, and a store
    with a gold label and two annotators' labels for every heading and body sentence."""
    seeds = root / "seeds"
    shutil.copytree(REPO / "seeds", seeds)
    extra = DATA / "extra_seeds"
    lines = [
        line for line in (extra / "articles.jsonl").read_text().splitlines() if json.loads(line)["id"] in extra_articles
    ]
    with (seeds / "articles.jsonl").open("a", encoding="utf-8") as catalogue:
        catalogue.writelines(f"{line}\n" for line in lines)
    for article_id in extra_articles:
        shutil.copy(extra / f"{article_id}.txt", seeds)
    shutil.copy(REPO / "DATASET_CARD.md", root)
    shutil.copy(DATA / "CHANGELOG.md", root)
    write_store(root, KNOWN_LABELS, TARGET)
    return root


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
    assert written and folder == project / "releases" / "1.0.0"
    segments = annotated_segments(project / "seeds")
    cache = tmp_path / "cache"

    sentences = load(folder, "sentences", cache)
    assert list(sentences) == ["train"] == [split_of(segments[0].article_id)]
    train = sentences["train"]
    assert train.features == FEATURES["sentences"]
    assert train.features["stance"].names == ["FAVOR", "AGAINST", "NONE"]
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
    assert actors.features == FEATURES["actors"]
    assert [(row["text"], row["sentence"]) for row in actors] == [("Staffan de Mistura", ENVOY_SENTENCE)]

    tags = load(folder, "actor_tags", cache)["train"]
    assert tags.features == FEATURES["actor_tags"]
    assert tags.num_rows == len(segments)
    names = tags.features["ner_tags"].feature.names
    envoy_tags = next(row for row in tags if row["id"] == envoy["id"])
    tagged = [(token, names[tag]) for token, tag in zip(envoy_tags["tokens"], envoy_tags["ner_tags"]) if tag]
    assert tagged == [("Staffan", "B-INTERNATIONAL"), ("de", "I-INTERNATIONAL"), ("Mistura", "I-INTERNATIONAL")]

    articles = load(folder, "articles", cache)["train"]
    assert articles.features == FEATURES["articles"]
    [article] = articles
    assert article["text"] == next((project / "seeds").glob("*.txt")).read_text(encoding="utf-8")
    assert all(article["text"][s["start"] : s["end"]] for s in article["segments"])

    raw = load(folder, "raw_annotations", cache)["train"]
    assert raw.features == FEATURES["raw_annotations"]
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

    gold_path = project / "annotations" / "gold.jsonl"
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
    gold_path = project / "annotations" / "gold.jsonl"
    records = [json.loads(line) for line in gold_path.read_text(encoding="utf-8").splitlines()]
    edit(records[2])
    gold_path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    with pytest.raises(StoreError, match=rf"gold.jsonl:3: .*{message}"):
        build_release(project, "1.0.0")
    assert not (project / "releases").exists() or not any((project / "releases").iterdir())


def test_the_cli_reports_errors_in_one_line(tmp_path, monkeypatch, capsys):
    project = make_project(tmp_path / "project")
    monkeypatch.chdir(project)
    raw_path = project / "annotations" / "annotations.jsonl"
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
    assert not (project / "releases").exists() or not any((project / "releases").iterdir())


def test_an_interrupted_build_leaves_no_half_release(tmp_path, monkeypatch):
    from stance_corpus.corpus.release import build

    project = make_project(tmp_path / "project")

    def interrupt(folder: Path) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(build, "write_checksums", interrupt)
    with pytest.raises(KeyboardInterrupt):
        build_release(project, "1.0.0")
    assert list((project / "releases").iterdir()) == []


def test_the_cli_builds_the_default_version_and_publish_needs_a_token(tmp_path, monkeypatch, capsys):
    project = make_project(tmp_path / "project")
    monkeypatch.chdir(project)
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
    (project / "releases" / "1.0.0" / "README.md").write_text("---\nversion: 1.0.0\n---\nedited\n")
    assert main(["publish", "1.0.0", "--repo-id", "someone/stance-corpus"]) == 1
    assert "README.md is missing or changed since the build" in capsys.readouterr().err
