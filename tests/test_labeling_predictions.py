"""Closing the loop on a real server: `annotate --predictions FILE` pre-annotates unannotated tasks with a stance
model's labels (plus the gazetteer's actor spans) and serves the least confident first.

The predictions file is written here by hand in the format of `stance-corpus predict` (docs/baselines.md), for the
segments `stance-corpus segment` gives the seed folder of tests/data/test_labeling; no model is trained.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import pytest
from helpers import LABELING_DATA, TARGET, annotate, labeling_project, run
from stance_corpus.labeling.server import TOKEN_ENV, URL_ENV, connect, free_port

VERSION = "tfidf-logreg@9.9.9"
# (sentence, label, scores) chosen by hand; the top scores 0.40 < 0.50 < 0.60 < 0.70 < 0.90 are the serving order.
PREDICTED = [
    ("Rebel groups rejected it.", "AGAINST", {"AGAINST": 0.40, "FAVOR": 0.35, "NONE": 0.25}),
    (
        "Russia said on Monday that the talks in Geneva would go on.",
        "FAVOR",
        {"AGAINST": 0.2, "FAVOR": 0.5, "NONE": 0.3},
    ),
    ("Assad vowed to retake the city.", "AGAINST", {"AGAINST": 0.6, "FAVOR": 0.1, "NONE": 0.3}),
    ("Fighting near Aleppo", "NONE", {"AGAINST": 0.2, "FAVOR": 0.1, "NONE": 0.7}),
    ("The UN envoy welcomed the ceasefire.", "FAVOR", {"AGAINST": 0.05, "FAVOR": 0.9, "NONE": 0.05}),
]
# The gazetteer's spans of tests/data/test_labeling/actors.jsonl, read off the sentences by hand.
ACTOR_SPANS = {
    "Russia said on Monday that the talks in Geneva would go on.": [(0, 6, "Russia", "GOVERNMENT")],
    "The UN envoy welcomed the ceasefire.": [(4, 12, "UN envoy", "INTERNATIONAL")],
    "Rebel groups rejected it.": [],
    "Fighting near Aleppo": [],
    "Assad vowed to retake the city.": [(0, 5, "Assad", "GOVERNMENT")],
}

labelstudio = pytest.mark.labelstudio


def segment_ids(capsys, seeds: Path) -> dict[str, str]:
    code, out, err = run(capsys, "segment", seeds)
    assert code == 0, err
    return {line["text"]: line["id"] for line in map(json.loads, out.splitlines())}


def write_predictions(path: Path, ids: dict[str, str], rows: list[tuple[str, str, dict]]) -> Path:
    lines = []
    for text, label, scores in rows:
        second, top = sorted(scores.values())[-2:]
        lines.append(
            {
                "segment_id": ids.get(text, text),
                "label": label,
                "scores": scores,
                "model_version": VERSION,
                "uncertainty": round(1 - (top - second), 6),
            }
        )
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    """A copy of the labeling fixture project, one annotator per task."""
    return labeling_project(tmp_path / "project", annotators_per_task=1)


@pytest.fixture
def seeds(project_dir: Path) -> Path:
    """The seed folder of that copy."""
    return project_dir / "seeds"


def next_task(server, project_id: int) -> dict:
    """The task "Label All Tasks" gives the admin next (the project's sampling decides), as the editor gets it."""
    response = httpx.get(
        f"{server.url}/api/projects/{project_id}/next/", headers={"Authorization": f"Token {server.token}"}, timeout=60
    )
    response.raise_for_status()
    return response.json()


@labelstudio
def test_predictions_go_to_unannotated_tasks_once_and_set_uncertainty_order(
    label_studio_env, project_title, project_dir, seeds, tmp_path, capsys
):
    code, out, err = annotate(capsys, project_dir, project_title)
    assert code == 0, err
    assert "task order: Sequential sampling (reading order)" in out
    client = connect(label_studio_env.url, label_studio_env.token)
    (project,) = [p for p in client.projects.list(title=project_title) if p.title == project_title]
    assert project.sampling == "Sequential sampling" and project.model_version.startswith("gazetteer-")
    tasks = {t.data["text"]: t.id for t in client.tasks.list(project=project.id, include="id,data")}
    assert len(tasks) == 5

    # Assad's sentence has a completed annotation, the envoy's only a skipped one (not completed).
    annotator = client.users.create(email=f"a-{project.id}@example.com", username=f"a-{project.id}")
    stance = [{"id": "s", "from_name": "stance", "to_name": "text", "type": "choices", "value": {"choices": ["NONE"]}}]
    client.annotations.create(id=tasks["Assad vowed to retake the city."], result=stance, completed_by=annotator.id)
    client.annotations.create(
        id=tasks["The UN envoy welcomed the ceasefire."], result=[], completed_by=annotator.id, was_cancelled=True
    )

    predictions_file = write_predictions(tmp_path / "predictions.jsonl", segment_ids(capsys, seeds), PREDICTED)
    code, out, err = annotate(capsys, project_dir, project_title, "--predictions", predictions_file)
    assert code == 0, err
    assert f"stance predictions {VERSION} ({predictions_file}): 4 task(s) predicted now, 0 already predicted, 1 " in out
    assert "task order: Uncertainty sampling" in out

    def stance_predictions() -> dict[int, object]:
        found = [p for p in client.predictions.list(project=project.id) if p.model_version == VERSION]
        by_task = {p.task: p for p in found}
        assert len(by_task) == len(found)  # one per task
        return by_task

    predicted = stance_predictions()
    assert set(predicted) == {tasks[text] for text, _, _ in PREDICTED} - {tasks["Assad vowed to retake the city."]}
    for text, label, scores in PREDICTED:
        if tasks[text] not in predicted:
            continue
        prediction = predicted[tasks[text]]
        assert prediction.score == pytest.approx(max(scores.values()))
        (choice,) = [r for r in prediction.result if r["from_name"] == "stance"]
        assert choice["value"]["choices"] == [label]
        spans = [
            (r["value"]["start"], r["value"]["end"], r["value"]["text"], r["value"]["labels"][0])
            for r in prediction.result
            if r["from_name"] == "actor"
        ]
        assert spans == ACTOR_SPANS[text]
    project = client.projects.get(id=project.id)
    assert project.sampling == "Uncertainty sampling" and project.model_version == VERSION

    # "Label All Tasks" serves the least confident unannotated sentence first, then the next one, and the editor
    # gets only the predictions of the project's model version: the gazetteer's spans must ride along in them.
    first = next_task(label_studio_env, project.id)
    assert first["id"] == tasks["Rebel groups rejected it."]
    assert [p["model_version"] for p in first["predictions"]] == [VERSION]
    client.annotations.create(id=first["id"], result=stance)
    second = next_task(label_studio_env, project.id)
    assert second["id"] == tasks["Russia said on Monday that the talks in Geneva would go on."]
    assert [p["model_version"] for p in second["predictions"]] == [VERSION]
    assert [r["value"]["text"] for r in second["predictions"][0]["result"] if r["from_name"] == "actor"] == ["Russia"]

    # Pushing the same file again creates nothing.
    code, out, err = annotate(capsys, project_dir, project_title, "--predictions", predictions_file)
    assert code == 0, err
    assert "0 task(s) predicted now, 4 already predicted, 1 left alone" in out
    assert {task: p.id for task, p in stance_predictions().items()} == {task: p.id for task, p in predicted.items()}

    # Without predictions the project goes back to reading order and the gazetteer's pre-annotations.
    assert annotate(capsys, project_dir, project_title)[0] == 0
    project = client.projects.get(id=project.id)
    assert project.sampling == "Sequential sampling" and project.model_version.startswith("gazetteer-")


@labelstudio
def test_a_prediction_for_a_segment_without_task_pushes_nothing(
    label_studio_env, project_title, project_dir, seeds, tmp_path, capsys
):
    assert annotate(capsys, project_dir, project_title)[0] == 0
    ids = segment_ids(capsys, seeds)
    # A new article in the seeds: its tasks would be created by this push, had the file been right.
    shutil.copy(LABELING_DATA / "later" / "monitor.txt", seeds)
    with (seeds / "articles.jsonl").open("a", encoding="utf-8") as catalogue:
        catalogue.write((LABELING_DATA / "later" / "articles.jsonl").read_text(encoding="utf-8"))
    bad = write_predictions(
        tmp_path / "bad.jsonl",
        ids,
        [PREDICTED[0], ("nowhere-000000000000", "NONE", {"AGAINST": 0.1, "FAVOR": 0.1, "NONE": 0.8})],
    )

    code, _, err = annotate(capsys, project_dir, project_title, "--predictions", bad)
    assert code == 1
    assert err.strip().splitlines()[-1] == (
        f"stance-corpus: error: {bad}:2: segment nowhere-000000000000 has no task in the project and is not among "
        "the tasks pushed now (predict the same seeds you annotate); nothing was pushed"
    )
    client = connect(label_studio_env.url, label_studio_env.token)
    (project,) = [p for p in client.projects.list(title=project_title) if p.title == project_title]
    assert len(list(client.tasks.list(project=project.id, include="id"))) == 5
    assert not [p for p in client.predictions.list(project=project.id) if p.model_version == VERSION]
    assert client.projects.get(id=project.id).sampling == "Sequential sampling"


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ({"segment_id": None}, "has no segment_id"),
        ({"label": "MAYBE"}, "label 'MAYBE' is not one of FAVOR, AGAINST, NONE"),
        ({"label": "NONE"}, "label NONE is not the highest of the scores"),
        ({"scores": {"FAVOR": 1.5}}, "must each be a number in [0, 1]"),
        ({"model_version": "other@1"}, "model_version 'other@1' differs from 'tfidf-logreg@9.9.9' of"),
    ],
    ids=["no-segment", "label", "not-top", "score-range", "two-versions"],
)
def test_a_bad_predictions_line_is_named_before_any_server_call(
    monkeypatch, project_dir, seeds, tmp_path, capsys, line, problem
):
    monkeypatch.setenv(URL_ENV, f"http://127.0.0.1:{free_port()}")  # nothing listens: reaching it would fail
    monkeypatch.setenv(TOKEN_ENV, "unused-token")
    path = write_predictions(tmp_path / "predictions.jsonl", segment_ids(capsys, seeds), PREDICTED[:2])
    first, second = path.read_text(encoding="utf-8").splitlines()
    path.write_text(f"{first}\n\n{json.dumps(json.loads(second) | line)}\n", encoding="utf-8")
    code, _, err = annotate(capsys, project_dir, "unused", "--predictions", path)
    assert code == 1
    message = err.strip().splitlines()[-1]
    assert message.startswith(f"stance-corpus: error: {path}:3: ") and problem in message


@labelstudio
def test_baseline_predict_annotate_end_to_end(
    label_studio_env, project_title, project_dir, seeds, tmp_path, monkeypatch, capsys
):
    """The loop through the real commands: a toy baseline, its predictions for the seeds, then annotate with them."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    cues = {"FAVOR": "welcomed", "AGAINST": "rejected", "NONE": "visited"}
    rows = [
        {"text": f"Group {n} {cues[label]} the talks in city {n * 7 % 31}.", "stance": label, "target": TARGET}
        for n, label in enumerate(["FAVOR", "AGAINST", "NONE"] * 15)
    ]
    dataset = tmp_path / "toy"
    dataset.mkdir()
    (dataset / "train.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    code, _, err = run(capsys, "baseline", dataset, "--out", tmp_path / "report")
    assert code == 0, err
    report = json.loads((tmp_path / "report" / "report.json").read_text(encoding="utf-8"))
    segments = tmp_path / "segments.jsonl"
    code, out, err = run(capsys, "segment", seeds)
    assert code == 0, err
    segments.write_text(out, encoding="utf-8")
    predictions_file = tmp_path / "predictions.jsonl"
    model_file = tmp_path / "report" / report["models"]["tfidf-logreg"]["model_file"]
    assert run(capsys, "predict", model_file, segments, "--out", predictions_file)[0] == 0
    lines = [json.loads(line) for line in predictions_file.read_text(encoding="utf-8").splitlines()]

    code, out, err = annotate(capsys, project_dir, project_title, "--predictions", predictions_file)
    assert code == 0, err
    version = lines[0]["model_version"]
    assert f"stance predictions {version} ({predictions_file}): 5 task(s) predicted now" in out
    client = connect(label_studio_env.url, label_studio_env.token)
    (project,) = [p for p in client.projects.list(title=project_title) if p.title == project_title]
    predicted = {p.task: p for p in client.predictions.list(project=project.id) if p.model_version == version}
    segment_of = {t.id: t.data["segment_id"] for t in client.tasks.list(project=project.id, include="id,data")}
    by_segment = {line["segment_id"]: line for line in lines}
    assert {segment_of[task] for task in predicted} == set(by_segment)
    for task, prediction in predicted.items():
        line = by_segment[segment_of[task]]
        assert prediction.score == pytest.approx(max(line["scores"].values()))
        assert [r["value"]["choices"] for r in prediction.result if r["from_name"] == "stance"] == [[line["label"]]]
    served = next_task(label_studio_env, project.id)["id"]
    assert predicted[served].score == min(prediction.score for prediction in predicted.values())
