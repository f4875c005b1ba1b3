"""A corpus project as a user makes one: `init`, the config checked with file:line errors, and a whole corpus of
another topic (two targets, its own labels and actor types) from `init` to `baseline` in a temporary folder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

import datasets
from stance_corpus.corpus.errors import InputError
from stance_corpus.corpus.project import CONFIG_FILE, load_project
from stance_corpus.labeling.server import connect

from stance_corpus.cli import main

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "test_project"


def run(capsys: pytest.CaptureFixture, *args: str | Path) -> tuple[int, str, str]:
    code = main([str(arg) for arg in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_init_makes_a_project_the_commands_accept_as_it_is(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "my-corpus"
    code, _, err = run(capsys, "init", folder)
    assert code == 0, err
    written = sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file())
    assert written == [
        "CHANGELOG.md", "DATASET_CARD.md", "seeds/actors.jsonl", "seeds/articles.jsonl", "stance-corpus.toml"
    ]
    project = load_project(folder)
    assert project.name == "my-corpus" and project.release_schema == 1
    assert [target.label_studio_title for target in project.scheme.targets] == ["my-corpus: main"]
    assert run(capsys, "segment", "--summary", "--project", folder)[1] == "0 article(s), 0 segments\n"
    code, _, err = run(capsys, "release", "--project", folder)
    assert code == 1 and err.endswith("gold.jsonl: no gold annotation yet, so no sentence to release\n")
    # Never over a user's file.
    before = (folder / CONFIG_FILE).read_bytes()
    code, _, err = run(capsys, "init", folder)
    assert code == 1 and "already exists: `init` writes a new project and never overwrites a file" in err
    assert (folder / CONFIG_FILE).read_bytes() == before


def test_a_command_outside_a_project_says_so(tmp_path: Path, capsys) -> None:
    code, _, err = run(capsys, "release", "--project", tmp_path)
    assert code == 1 and err == (
        f"stance-corpus: error: {tmp_path}: no stance-corpus.toml: not a corpus project "
        f"(`stance-corpus init {tmp_path}` creates one; --project DIR)\n"
    )


VALID = (DATA / "stance-corpus.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("edit", "line", "problem"),
    [
        # Line numbers read off tests/data/test_project/stance-corpus.toml.
        (lambda t: t.replace('hotkey = "c"', 'hotkey = "p"'), 14, "hotkey 'p' is already used (line 10)"),
        (lambda t: t.replace('id = "bike_lanes"', 'id = "Bike Lanes"'), 42, "target id 'Bike Lanes' must be"),
        (lambda t: t.replace('guidelines = "Target: the', 'guideline = "Target: the'), 51, "unknown key 'guideline'"),
        (lambda t: t.replace('default_targets = ["bike_lanes"]', 'default_targets = ["trams"]'), 55,
         "default target 'trams' is not a target id (bike_lanes, congestion_charge)"),
        (lambda t: t + "\n[release]\nschema = 3\n", 59, "schema 3 must be one of [1, 2]"),
        (lambda t: t.replace("default = true\n", ""), 8, "mark exactly one stance `default = true`"),
        (
            lambda t: t.replace('name = "BUSINESS"', 'name = "COUNCIL"'), 27,
            "actor type 'COUNCIL' is already used (line 22)",
        ),
        (lambda t: t.replace("[[actor_types]]\nname = \"EXPERT\"", "[[actor_type]]\nname = \"EXPERT\""), 36,
         "unknown section [actor_type]"),
        # A title prefix too long for Label Studio: named at the first target whose title it makes.
        (lambda t: t.replace('label_studio_title = "TITLE"', f'label_studio_title = "{"x" * 40}"'), 41,
         "must have 3 to 50 characters"),
        (lambda t: t.replace('name = "PRO"', 'name = "PRO'), 9, "not valid TOML"),
    ],
    ids=["hotkey", "target-id", "unknown-key", "default-target", "schema", "default-stance", "actor-type",
         "section", "title", "toml"],
)
def test_a_bad_config_is_named_by_file_and_line(tmp_path: Path, edit, line: int, problem: str) -> None:
    config = tmp_path / CONFIG_FILE
    config.write_text(edit(VALID), encoding="utf-8")
    assert edit(VALID) != VALID  # the edit applies
    with pytest.raises(InputError) as raised:
        load_project(tmp_path)
    assert raised.value.where == f"{config}:{line}"
    assert problem in raised.value.problem
    assert "\n" not in str(raised.value)


# The annotators' rules for the fixture articles: cue words per target (the first that matches decides).
CUES = {
    "bike_lanes": [("remove parking", "CON"), ("would support the new bike lanes", "PRO"), ("safer", "PRO"),
                   ("applauded", "PRO"), ("first step", "PRO"), ("cut accidents", "PRO"), ("to build", "PRO")],
    "congestion_charge": [("against", "CON"), ("drive customers", "CON"), ("were dropped", "CON"),
                          ("back the charge", "PRO"), ("defended the charge", "PRO")],
}


def stance_of(text: str, target: str) -> str:
    return next((stance for cue, stance in CUES[target] if cue in text), "NEUTRAL")


def _annotate_through_the_api(client, title: str, target: str, users: list) -> int:
    """Both users label every task of the target's project: the rule's stance and the gazetteer's spans (kept as
    pre-annotated, stance NEUTRAL); the second user disagrees on the first task. Returns the tasks labelled."""
    (project,) = [p for p in client.projects.list(title=title) if p.title == title]
    predictions = {p.task: p.result for p in client.predictions.list(project=project.id)}
    tasks = sorted(client.tasks.list(project=project.id, page_size=100, include="id,data"), key=lambda t: t.id)
    for number, task in enumerate(tasks):
        spans = [r for r in predictions.get(task.id, []) if r["from_name"] in ("actor", "actor_stance", "actor_id")]
        for position, user in enumerate(users):
            stance = stance_of(task.data["text"], target)
            if position == 1 and number == 0:
                stance = "CON" if stance != "CON" else "PRO"
            result = [{"id": "s", "from_name": "stance", "to_name": "text", "type": "choices",
                       "value": {"choices": [stance]}}, *spans]
            client.annotations.create(id=task.id, result=result, completed_by=user.id)
    return len(tasks)


def _repository_state() -> str:
    return subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.labelstudio
@pytest.mark.slow
def test_a_corpus_of_another_topic_from_init_to_baseline(
    label_studio_env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """Init, own labels, actor types and two targets, articles, push, annotate through the API, pull, adjudicate,
    release, load with datasets, baseline: all in a temporary folder, without touching this repository."""
    before = _repository_state()
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "millbrook"
    assert run(capsys, "init", folder)[0] == 0
    # What the user does next: edit the config and the card, add articles and the actor registry.
    prefix = f"millbrook {uuid.uuid4().hex[:8]}"
    (folder / CONFIG_FILE).write_text(VALID.replace('label_studio_title = "TITLE"', f'label_studio_title = "{prefix}"'))
    shutil.copy(DATA / "DATASET_CARD.md", folder)
    for path in (DATA / "articles").iterdir():
        shutil.copy(path, folder / "seeds")
    shutil.copy(DATA / "actors.jsonl", folder / "seeds")
    code, out, err = run(capsys, "segment", "--summary", "--project", folder)
    # Counted by hand in the fixture articles: 8 + 6 + 5 heading and body segments (one heading), 3 headlines.
    assert (code, out) == (0, "3 article(s), 22 segments: 18 body, 1 heading, 3 headline\n"), err

    code, out, err = run(capsys, "annotate", "--project", folder)
    assert code == 0, err
    # The two articles listed for both targets go to both projects; the third (no `targets`) to the default one.
    assert f"target bike_lanes: project '{prefix}: bike_lanes'" in out and "19 task(s) for 3 article(s)" in out
    assert f"target congestion_charge: project '{prefix}: congestion_charge'" in out
    assert "14 task(s) for 2 article(s)" in out

    client = connect(label_studio_env.url, label_studio_env.token)
    suffix = uuid.uuid4().hex[:6]
    users = [client.users.create(email=f"{name}-{suffix}@example.org", username=f"{name}-{suffix}")
             for name in ("ana", "ben")]
    labelled = {target: _annotate_through_the_api(client, f"{prefix}: {target}", target, users)
                for target in ("bike_lanes", "congestion_charge")}
    assert labelled == {"bike_lanes": 19, "congestion_charge": 14}

    code, out, err = run(capsys, "pull", "--project", folder)
    assert code == 0, err
    assert "annotations.jsonl: 66 annotation(s) (66 pulled, 0 kept from earlier pulls), updated" in out
    code, out, err = run(capsys, "agreement", "--project", folder, "--adjudicate")
    assert code == 0, err
    assert "Target bike_lanes: protected bike lanes in Millbrook" in out
    assert "Target congestion_charge: the Millbrook congestion charge" in out
    assert "31 gold label(s); 2 tie(s)" in out  # 19 + 14 (sentence, target), one disagreement per target

    code, out, err = run(capsys, "release", "--project", folder)
    assert code == 0, err
    release = folder / "releases" / "0.1.0"
    assert out.startswith(f"{release}: built")
    sentences = datasets.load_dataset(str(release), "sentences", cache_dir=str(tmp_path / "cache"))
    rows = [row for split in sentences.values() for row in split]
    features = next(iter(sentences.values())).features
    assert features["stance"].names == ["PRO", "CON", "NEUTRAL"]
    assert features["actors"].feature["type"].names == ["COUNCIL", "BUSINESS", "RESIDENTS", "EXPERT"]
    assert sorted({row["target_id"] for row in rows}) == ["bike_lanes", "congestion_charge"]
    assert len(rows) == 31
    for row in rows:
        assert features["stance"].int2str(row["stance"]) == stance_of(row["text"], row["target_id"])
    ortiz = next(row for row in rows if row["text"].startswith("Mayor Ortiz said she would back the charge"))
    assert [(span["text"], span["actor_id"]) for span in ortiz["actors"]] == [("Mayor Ortiz", "ortiz")]
    actors = datasets.load_dataset(str(release), "actors", cache_dir=str(tmp_path / "cache"))
    assert {row["actor_id"] for split in actors.values() for row in split} == {
        "council", "ortiz", "traders", "raman", "safe_streets"
    }

    code, out, err = run(capsys, "baseline", "--project", folder)
    assert code == 0, err
    report = json.loads((folder / "reports" / "0.1.0" / "report.json").read_text(encoding="utf-8"))
    assert report["dataset"]["version"] == "0.1.0" and report["dataset"]["labels"] == ["PRO", "CON", "NEUTRAL"]
    assert report["dataset"]["columns"]["target"] == "target"
    assert report["protocol"]["evaluated_rows"] == 31
    gazetteer = report["actors"]["gazetteer"]["exact"]
    assert gazetteer["matches"] == gazetteer["reference"] == gazetteer["predicted"] > 0 and gazetteer["f1"] == 1.0
    assert _repository_state() == before
