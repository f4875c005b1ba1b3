"""Publishable releases (schema 2) and released versions: withheld texts and their restoring, licences and
attribution, citation, Croissant (validated with mlcroissant), the same splits in every config, and versions pinned in
released.json that rebuild byte for byte and never let a sentence change split. Real `datasets.load_dataset`, real
git, real mlcroissant; fixture articles under tests/data/test_release_publishable/."""

from __future__ import annotations

import hashlib
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
import yaml
from helpers import write_store
from stance_corpus.corpus.errors import InputError, ReleaseError
from stance_corpus.corpus.project import CONFIG_FILE, load_project
from stance_corpus.corpus.release import build
from stance_corpus.corpus.release.folder import checksum_problem, read_release
from stance_corpus.corpus.release.lock import lock_release
from stance_corpus.corpus.release.released import RELEASED_FILE, read_checksums, read_released
from stance_corpus.corpus.release.rows import split_of
from stance_corpus.corpus.release.withhold import restore_release

from stance_corpus.cli import main

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "test_release_publishable"
WITHHELD = "news_001"  # its licence ("unknown: ...") does not allow republishing it
CONTACT = "stance-corpus maintainers, https://example.org/stance-corpus/issues"
TARGET = "syria_peace"
# Labels the fixture store gives two sentences; every other sentence is NONE without spans.
KNOWN_LABELS = {
    "The United States welcomes the liberation of the town from ISIL.": (
        "FAVOR",
        [("United States", "GOVERNMENT", "FAVOR"), ("ISIL", "MILITANT", "NONE")],
    ),
    "The UK urges all parties to return to the negotiating table in Geneva.": (
        "FAVOR",
        [("UK", "GOVERNMENT", "FAVOR")],
    ),
    "“We will not return to the table while the siege continues,” an opposition spokesman said.": (
        "AGAINST",
        [("opposition spokesman", "OPPOSITION", "AGAINST")],
    ),
}
TEXT_COLUMNS = {
    "sentences": ("text", "context", "actors"),
    "actors": ("text", "sentence"),
    "actor_tags": ("tokens",),
    "articles": ("text",),
    "raw_annotations": ("text", "actors"),
}


def make_project(root: Path, articles: tuple[str, ...], contact: str | None = CONTACT) -> Path:
    """A project folder with the fixture articles named, this repository's config and card (with a contact, or
    none) and a store with a gold label and two annotators' labels for every heading and body sentence."""
    seeds = root / "seeds"
    seeds.mkdir(parents=True)
    lines = [line for line in (DATA / "seeds" / "articles.jsonl").read_text(encoding="utf-8").splitlines()
             if json.loads(line)["id"] in articles]
    (seeds / "articles.jsonl").write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    for article_id in articles:
        shutil.copy(DATA / "seeds" / f"{article_id}.txt", seeds)
    card = (REPO / "DATASET_CARD.md").read_text(encoding="utf-8")
    card, replaced = re.subn(r"^  contact: .*$", f"  contact: {contact or 'null'}", card, count=1, flags=re.MULTILINE)
    assert replaced == 1, "the card's header lost its stance_corpus.contact key"
    (root / "DATASET_CARD.md").write_text(card, encoding="utf-8")
    shutil.copy(DATA / "CHANGELOG.md", root)
    shutil.copy(REPO / CONFIG_FILE, root)
    write_store(root, KNOWN_LABELS, TARGET)
    return root


def load(folder: Path, config: str, cache: Path) -> datasets.DatasetDict:
    return datasets.load_dataset(str(folder), config, cache_dir=str(cache))


def readme_header(folder: Path) -> dict:
    return yaml.safe_load((folder / "README.md").read_text(encoding="utf-8").split("---\n")[1])


def git(folder: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=test", "-c", "user.email=test@example.org", *args]
    return subprocess.run(command, cwd=folder, capture_output=True, text=True, check=True).stdout.strip()


ALL = ("pd_001", "ogl_010", "ccby_001", WITHHELD)


def build_release(root: Path, *args, **kwargs) -> tuple[Path, bool]:
    """The release of the project folder `root` (corpus.release.build.build_release of its project)."""
    return build.build_release(load_project(root), *args, **kwargs)


def test_a_publishable_release_withholds_what_it_may_not_republish(tmp_path):
    project = make_project(tmp_path / "project", ALL)
    folder, written = build_release(project, "2.0.0", schema=2)
    assert written and checksum_problem(folder) is None
    cache = tmp_path / "cache"
    withheld_text = (DATA / "seeds" / f"{WITHHELD}.txt").read_text(encoding="utf-8")

    expected_splits = sorted({split_of(article_id) for article_id in ALL})
    assert expected_splits == ["test", "train", "validation"]
    loaded = {config: load(folder, config, cache) for config in TEXT_COLUMNS}
    for config, splits in loaded.items():  # every config has every split
        assert sorted(splits) == expected_splits, config

    articles = {row["id"]: row for split in loaded["articles"].values() for row in split}
    assert articles[WITHHELD]["text"] is None and articles[WITHHELD]["redistributable"] is False
    assert articles[WITHHELD]["text_sha256"] == hashlib.sha256(withheld_text.encode("utf-8")).hexdigest()
    assert articles[WITHHELD]["title"] == "Talks resume as fighting goes on"
    assert [s["start"] for s in articles[WITHHELD]["segments"]][:2] == [0, withheld_text.index("Delegations")]
    for article_id in ("pd_001", "ogl_010", "ccby_001"):
        text = (DATA / "seeds" / f"{article_id}.txt").read_text(encoding="utf-8")
        assert articles[article_id]["text"] == text and articles[article_id]["redistributable"] is True
    assert articles["ogl_010"]["license"] == "OGL-UK-3.0"
    assert articles["ogl_010"]["attribution"].startswith("Contains public sector information")

    sentences = [row for split in loaded["sentences"].values() for row in split]
    spokesman = next(row for row in sentences if row["article_id"] == WITHHELD and row["stance"] == 1)
    assert spokesman["text"] is None and spokesman["context"] == {"headline": None, "previous": None, "next": None}
    [span] = spokesman["actors"]
    said = next(text for text in KNOWN_LABELS if text.endswith("an opposition spokesman said."))
    start = said.index("opposition spokesman")
    assert span["text"] is None and (span["start"], span["end"]) == (start, start + len("opposition spokesman"))
    welcome = next(row for row in sentences if row["text"] and row["text"].startswith("The United States welcomes"))
    assert [a["text"] for a in welcome["actors"]] == ["United States", "ISIL"]
    article_of = {row["id"]: row["article_id"] for row in sentences}
    for config in ("actors", "actor_tags", "raw_annotations"):
        for split in loaded[config].values():
            for row in split:
                of_withheld = (row["article_id"] if "article_id" in row else article_of[row["id"]]) == WITHHELD
                columns = [row[column] for column in TEXT_COLUMNS[config] if column != "actors"]
                assert all(value is None for value in columns) == of_withheld, (config, row)
    tags = next(row for split in loaded["actor_tags"].values() for row in split if row["id"] == welcome["id"])
    assert [welcome["text"][o["start"] : o["end"]] for o in tags["token_offsets"]] == tags["tokens"]

    header = readme_header(folder)
    assert (header["license"], header["license_name"], header["license_link"]) == (
        "other", "per-article-licences", "LICENSE.md"
    )
    assert "stance_corpus" not in header and header["version"] == "2.0.0" and header["size_categories"] == ["n<1K"]
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert "@misc{stance_corpus_2_0_0," in readme and "  year = {2027}," in readme
    assert f"## Contact\n\n{CONTACT}\n" in readme
    assert f"| `{WITHHELD}` | Talks resume as fighting goes on | `{articles[WITHHELD]['text_sha256']}` |" in readme
    licence = (folder / "LICENSE.md").read_text(encoding="utf-8")
    assert "Creative Commons Attribution 4.0 International (`CC-BY-4.0`)" in licence  # the labels
    assert "| Open Government Licence v3.0 (`OGL-UK-3.0`) | 1 | yes |" in licence
    assert (
        "| unknown: a made-up news report standing for one under its publisher's copyright | 1 | withheld |" in licence
    )
    attribution = (folder / "ATTRIBUTION.md").read_text(encoding="utf-8")
    assert (
        "> Department of Foreign Affairs and Trade website, licensed under CC BY 3.0 AU.\n> The text is unchanged."
        in attribution
    )
    assert WITHHELD not in attribution and "- `pd_001`: Statement on the liberation of the town" in attribution


def test_croissant_file_validates_and_reads_back_the_rows(tmp_path):
    mlcroissant = pytest.importorskip("mlcroissant")  # the test extra installs it
    project = make_project(tmp_path / "project", ALL)
    folder, _ = build_release(project, "2.0.0", schema=2)
    dataset = mlcroissant.Dataset(jsonld=str(folder / "croissant.json"))
    issues = dataset.metadata.ctx.issues
    assert (issues.errors, issues.warnings) == (set(), set())
    metadata = json.loads((folder / "croissant.json").read_text(encoding="utf-8"))
    assert metadata["version"] == "2.0.0" and metadata["datePublished"] == "2027-01-15"
    digests = {entry["contentUrl"]: entry["sha256"] for entry in metadata["distribution"] if "sha256" in entry}
    assert digests == {name: digest for name, digest in read_checksums(folder).items() if name.endswith(".parquet")}

    tables = read_release(folder)
    records_of = {config: list(dataset.records(config)) for config in tables}
    for config, splits in tables.items():
        records = records_of[config]
        assert len(records) == sum(len(rows) for rows in splits.values()), config
        key = {"raw_annotations": "segment_id", "actors": "mention_id"}.get(config, "id")
        by_key = {(row[key], split): row for split, rows in splits.items() for row in rows}
        for record in records:
            value = record[f"{config}/{key}"].decode()
            split = record[f"{config}/split"].decode()
            assert (value, split) in by_key, (config, value, split)
    welcome = b"The United States welcomes the liberation of the town from ISIL."
    sentence = next(record for record in records_of["sentences"] if record["sentences/text"] == welcome)
    assert sentence["sentences/stance"] == 0
    assert [span["sentences/actors/text"] for span in sentence["sentences/actors"]] == [b"United States", b"ISIL"]


def test_restore_gives_the_rows_of_a_release_that_never_withheld_the_text(tmp_path, capsys, monkeypatch):
    project = make_project(tmp_path / "project", ALL)
    folder, _ = build_release(project, "2.0.0", schema=2)
    before = read_checksums(folder)
    copy = tmp_path / "my-copy.txt"
    shutil.copy(DATA / "seeds" / f"{WITHHELD}.txt", copy)

    # The same project, its licence line saying CC BY: nothing withheld. Restoring must give the same words.
    open_project = make_project(tmp_path / "open", ALL)
    catalogue = open_project / "seeds" / "articles.jsonl"
    catalogue.write_text(
        catalogue.read_text(encoding="utf-8").replace(
            '"license": "unknown: a made-up news report standing for one under its publisher\'s copyright"',
            '"license": "CC-BY-4.0"',
        ),
        encoding="utf-8",
    )
    reference, _ = build_release(open_project, "2.0.0", tmp_path / "reference", schema=2)

    restored = restore_release(folder, [copy], tmp_path / "restored")
    assert (restored.restored, restored.still_withheld) == ((WITHHELD,), ())
    got, expected = read_release(tmp_path / "restored"), read_release(reference)
    assert got.keys() == expected.keys()
    for config in expected:
        for split in expected[config]:
            rows = [
                {k: v for k, v in row.items() if k not in ("license", "redistributable")} for row in got[config][split]
            ]
            want = [
                {k: v for k, v in row.items() if k not in ("license", "redistributable")}
                for row in expected[config][split]
            ]
            assert rows == want, (config, split)
    cache = tmp_path / "cache"
    sentences = load(tmp_path / "restored", "sentences", cache)
    assert all(row["text"] for split in sentences.values() for row in split)
    assert read_checksums(folder) == before  # the release itself is untouched
    assert not (tmp_path / "restored" / "SHA256SUMS").exists() and (tmp_path / "restored" / "RESTORED.md").is_file()

    wrong = tmp_path / "edited.txt"
    wrong.write_text(copy.read_text(encoding="utf-8").replace("Monday", "Tuesday"), encoding="utf-8")
    with pytest.raises(InputError, match=r"edited.txt: its sha256 [0-9a-f]{64} matches no withheld article"):
        restore_release(folder, [wrong], tmp_path / "nothing")
    assert not (tmp_path / "nothing").exists()
    with pytest.raises(ReleaseError, match="exists: restore writes a new folder"):
        restore_release(folder, [copy], tmp_path / "restored")

    monkeypatch.chdir(tmp_path)
    assert main(["release", "restore", str(folder), str(copy), "--out", "via-cli"]) == 0
    assert capsys.readouterr().out == f"via-cli: restored 1 article(s): {WITHHELD}\n"
    assert main(["release", "restore", str(folder), str(wrong), "--out", "bad"]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "matches no withheld article" in error and not (tmp_path / "bad").exists()


def test_a_publishable_release_refuses_configs_with_other_splits(tmp_path):
    project = make_project(tmp_path / "project", ALL)
    gold = project / "annotations" / "gold.jsonl"
    records = [json.loads(line) for line in gold.read_text(encoding="utf-8").splitlines()]
    for record in records:
        if record["article_id"] == "ogl_010":  # its article is the only one in validation: no actor row there
            record["actors"] = []
    gold.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    with pytest.raises(ReleaseError, match=r"release 2.0.0: the actors config has no row in validation, which other"):
        build_release(project, "2.0.0", schema=2)
    assert not (project / "releases").exists() or not any((project / "releases").iterdir())
    assert build_release(project, "2.0.0", schema=1)[1]  # schema 1 (that of 1.0.0) publishes the splits each config has


def test_a_publishable_release_needs_a_contact(tmp_path, capsys, monkeypatch):
    project = make_project(tmp_path / "project", ALL, contact=None)
    with pytest.raises(ReleaseError, match=r"DATASET_CARD.md: 'stance_corpus.contact' is empty"):
        build_release(project, "2.0.0", schema=2)
    monkeypatch.chdir(project)
    assert main(["release", "--version", "2.0.0", "--schema", "2"]) == 1
    assert capsys.readouterr().err.count("\n") == 1
    assert not (project / "releases").exists() or not any((project / "releases").iterdir())


def test_a_released_version_rebuilds_from_its_commit_and_keeps_every_split(tmp_path):
    project = make_project(tmp_path / "project", ("ccby_001", WITHHELD))
    git(project, "init", "--quiet")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "1.0.0 inputs")
    first, _ = build_release(project, "1.0.0")
    path, entry = lock_release(load_project(project), "1.0.0")
    assert path == project / RELEASED_FILE and entry.source_commit == git(project, "rev-parse", "HEAD")
    assert entry.files == read_checksums(first)
    assert entry.splits["articles"] == {"train": ["ccby_001", WITHHELD]}

    # The working tree moves on: more articles, a new store, another card. 1.0.0 still comes out as released.
    shutil.rmtree(project / "seeds")
    shutil.rmtree(project / "annotations")
    later = make_project(tmp_path / "later", ALL)
    for name in ("seeds", "annotations", "DATASET_CARD.md"):
        source = later / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, project / name)
    again, written = build_release(project, "1.0.0", tmp_path / "again")
    assert written and read_checksums(again) == entry.files

    second, _ = build_release(project, "2.0.0", schema=2)
    cache = tmp_path / "cache"
    for config, column in (("sentences", "id"), ("articles", "id")):
        old = {row[column]: split for split, rows in load(first, config, cache).items() for row in rows}
        new = {row[column]: split for split, rows in load(second, config, cache).items() for row in rows}
        assert old.keys() < new.keys() and all(new[key] == split for key, split in old.items())

    # Had 1.0.0 put ccby_001 in another split, no later version could be built.
    released = json.loads((project / RELEASED_FILE).read_text(encoding="utf-8"))
    released["1.0.0"]["splits"]["articles"] = {"test": ["ccby_001"], "train": [WITHHELD]}
    (project / RELEASED_FILE).write_text(json.dumps(released), encoding="utf-8")
    with pytest.raises(ReleaseError, match=r"articles row ccby_001 is in train here but in test in release 1.0.0"):
        build_release(project, "2.0.0", tmp_path / "moved", schema=2)
    assert not (tmp_path / "moved").exists()

    # A released version whose inputs would now build other bytes is refused, and nothing is written.
    released["1.0.0"]["files"]["README.md"] = "0" * 64
    (project / RELEASED_FILE).write_text(json.dumps(released), encoding="utf-8")
    with pytest.raises(ReleaseError, match=r"version 1.0.0 is released .* would change it \(README.md differs\)"):
        build_release(project, "1.0.0", tmp_path / "changed")
    assert not (tmp_path / "changed").exists()


def test_lock_refuses_uncommitted_inputs_and_pins_committed_ones(tmp_path, capsys, monkeypatch):
    project = make_project(tmp_path / "project", ("ccby_001",))
    git(project, "init", "--quiet")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "inputs")
    monkeypatch.chdir(project)
    assert main(["release", "lock", "1.0.0"]) == 1
    assert "releases/1.0.0: not built: build the version" in capsys.readouterr().err
    build_release(project, "1.0.0")
    changelog = (project / "CHANGELOG.md").read_text(encoding="utf-8")
    (project / "CHANGELOG.md").write_text(changelog + "\n", encoding="utf-8")
    with pytest.raises(ReleaseError, match=r"the inputs of the build differ from the last commit"):
        lock_release(load_project(project), "1.0.0")
    assert not (project / RELEASED_FILE).exists()

    (project / "CHANGELOG.md").write_text(changelog, encoding="utf-8")
    assert main(["release", "lock", "1.0.0"]) == 0
    commit = git(project, "rev-parse", "HEAD")
    files = len(read_checksums(project / "releases" / "1.0.0"))
    assert capsys.readouterr().out == f"{RELEASED_FILE}: 1.0.0 pinned to commit {commit} ({files} files)\n"
    assert main(["release", "--version", "1.0.0"]) == 0  # now pinned: rebuilt from its commit, identical
    assert "releases/1.0.0: already built, identical" in capsys.readouterr().out


def test_this_repository_rebuilds_its_released_versions(tmp_path):
    released = read_released(REPO)
    assert "1.0.0" in released
    for version, entry in released.items():
        present = subprocess.run(
            ["git", "cat-file", "-e", f"{entry.source_commit}^{{commit}}"], cwd=REPO, capture_output=True, check=False
        )
        if present.returncode != 0:
            pytest.skip(f"this checkout lacks commit {entry.source_commit} of {version} (a shallow clone)")
        folder, written = build_release(REPO, version, tmp_path / version)
        assert written and read_checksums(folder) == entry.files
    for older in released.values():  # no released version moved a sentence or an article of an older one
        for newer in released.values():
            for config, per_split in older.splits.items():
                split_in_newer = {i: split for split, ids in newer.splits.get(config, {}).items() for i in ids}
                assert all(split_in_newer.get(i, split) == split for split, ids in per_split.items() for i in ids)
