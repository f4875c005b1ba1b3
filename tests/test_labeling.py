"""The Label Studio workflow end to end on a real server: config, idempotent push, pull, agreement, failures.

Everything goes through the CLI (`stance_corpus.cli.main`) against the session's `label-studio` (tests/conftest.py);
annotations are created through the server's API as two different users, as the web UI would.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest
from helpers import (
    ACTORS,
    LABELING_DATA,
    SCHEME,
    TALKS,
    TARGET,
    TARGET_ID,
    annotate,
    interrupt,
    labeling_project,
    on_sqlite_and_postgresql,
    project_tasks,
    pull,
    run,
    span_result,
    stance_result,
    users,
)
from label_studio_sdk.core.api_error import ApiError
from stance_corpus.corpus.actors import load_actor_registry
from stance_corpus.corpus.project import load_project
from stance_corpus.corpus.schema import ActorSpan, Annotation
from stance_corpus.corpus.store import read_annotations
from stance_corpus.labeling.agreement import adjudicate
from stance_corpus.labeling.config import label_config
from stance_corpus.labeling.push import ProjectSettings, ensure_project
from stance_corpus.labeling.server import TOKEN_ENV, URL_ENV, connect, free_port

labelstudio = pytest.mark.labelstudio


@labelstudio
@on_sqlite_and_postgresql
def test_labeling_config_is_accepted_by_the_server_and_matches_the_scheme(label_studio, project_title):
    client = connect(label_studio.url, label_studio.token)
    (target,) = SCHEME.targets
    registry = load_actor_registry(ACTORS, SCHEME)
    config = label_config(SCHEME, target, registry)
    project = ensure_project(client, project_title, ProjectSettings(config, "<p>guidelines</p>", 2))
    client.projects.validate_label_config(id=project.id, label_config=config)
    stored = client.projects.get(id=project.id)
    parsed = stored.parsed_label_config
    assert parsed["actor"]["type"] == "Labels" and tuple(parsed["actor"]["labels"]) == SCHEME.actor_type_names
    assert tuple(parsed["stance"]["labels"]) == SCHEME.stance_names
    assert tuple(parsed["actor_stance"]["labels"]) == SCHEME.stance_names
    # The actor is chosen from the registry (the stored values; the screen shows "Name (id)"), or said to be outside.
    assert parsed["actor_id"]["type"] == "Taxonomy"
    assert parsed["actor_id"]["labels"] == ["NOT_IN_REGISTRY", "russia", "un", "assad"]
    assert parsed["comment"]["type"] == "TextArea" and parsed["flag"]["labels"] == ["needs_adjudication"]
    # The screen names the target and shows its description (the server keeps them in the config it serves).
    shown = ElementTree.fromstring(stored.label_config)
    assert next(h.get("value") for h in shown.iter("Header")) == f"Target: {TARGET}"
    assert {t.get("name"): t.get("value") for t in shown.iter("Text")}["target_description"] == target.description
    hotkeys = {label.get("value"): label.get("hotkey") for label in shown.iter("Label")}
    assert hotkeys == {actor_type.name: actor_type.hotkey for actor_type in SCHEME.actor_types}
    # The same check refuses a config that is wrong: the test can fail.
    with pytest.raises(ApiError):
        client.projects.validate_label_config(
            id=project.id, label_config=config.replace('toName="text"', 'toName="nowhere"')
        )


@labelstudio
@on_sqlite_and_postgresql
def test_push_three_times_then_new_article_then_edited_sentence(
    label_studio_env, project_title, project, seeds, capsys
):
    outputs = [annotate(capsys, project, project_title) for _ in range(3)]
    assert [code for code, _, _ in outputs] == [0, 0, 0], outputs
    assert "5 created, 0 already present" in outputs[0][1]
    assert "0 created, 5 already present" in outputs[1][1] and "0 created, 5 already present" in outputs[2][1]
    assert f"project '{project_title}'" in outputs[0][1] and "created at" in outputs[0][1]
    assert "up to date at" in outputs[1][1]

    tasks = project_tasks(label_studio_env, project_title)
    assert [(t["kind"], t["text"]) for t in tasks] == TALKS
    texts = [text for _, text in TALKS]
    for position, task in enumerate(tasks):
        assert task["article_id"] == "talks" and task["target"] == TARGET and task["target_id"] == TARGET_ID
        assert task["headline"] == "Geneva talks resume"
        assert task["previous"] == (texts[position - 1] if position else "")
        assert task["next"] == (texts[position + 1] if position + 1 < len(texts) else "")
    assert len({t["segment_id"] for t in tasks}) == 5

    # Pre-annotations from the tiny registry: the longest alias wins ("UN envoy", not "UN").
    client = connect(label_studio_env.url, label_studio_env.token)
    version = f"gazetteer-{hashlib.sha256(ACTORS.read_bytes()).hexdigest()[:8]}"
    predictions = {p.task: p for p in client.predictions.list(project=client.tasks.get(id=tasks[0]["id"]).project)}
    assert {p.model_version for p in predictions.values()} == {version}
    spans = {
        task["text"]: [
            (r["value"]["start"], r["value"]["end"], r["value"]["text"], r["value"]["labels"][0])
            for r in predictions[task["id"]].result
            if r["from_name"] == "actor"
        ]
        for task in tasks
    }
    assert spans[texts[0]] == [(0, 6, "Russia", "GOVERNMENT")]
    assert spans[texts[1]] == [(4, 12, "UN envoy", "INTERNATIONAL")]
    assert spans[texts[2]] == [] and spans[texts[3]] == []
    assert spans[texts[4]] == [(0, 5, "Assad", "GOVERNMENT")]
    actor_ids = [r["value"]["taxonomy"] for r in predictions[tasks[0]["id"]].result if r["from_name"] == "actor_id"]
    assert actor_ids == [[["russia"]]]
    notes = [r["value"]["text"] for r in predictions[tasks[0]["id"]].result if r["from_name"] == "prefill"]
    assert notes == [["pre-filled: NONE · russia (Russia)"]]

    # A new article adds only its own tasks.
    shutil.copy(LABELING_DATA / "later" / "monitor.txt", seeds)
    with (seeds / "articles.jsonl").open("a", encoding="utf-8") as catalogue:
        catalogue.write((LABELING_DATA / "later" / "articles.jsonl").read_text(encoding="utf-8"))
    code, out, _ = annotate(capsys, project, project_title)
    assert code == 0 and "2 created, 5 already present, 0 changed" in out
    assert len(project_tasks(label_studio_env, project_title)) == 7

    # An edited sentence is reported, neither pushed as a duplicate nor written over the old task.
    talks = seeds / "talks.txt"
    talks.write_text(talks.read_text(encoding="utf-8").replace("rejected it.", "rejected the truce."), encoding="utf-8")
    code, out, _ = annotate(capsys, project, project_title)
    assert code == 0 and "0 created, 6 already present, 1 changed since pushed" in out
    assert "'Rebel groups rejected it.'" in out and "'Rebel groups rejected the truce.'" in out
    after = project_tasks(label_studio_env, project_title)
    assert len(after) == 7 and "Rebel groups rejected it." in [t["text"] for t in after]


def _timestamp(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@labelstudio
@on_sqlite_and_postgresql
def test_pull_returns_every_annotation_of_two_users_field_by_field(
    label_studio_env, project_title, project, capsys
):
    assert annotate(capsys, project, project_title)[0] == 0
    client = connect(label_studio_env.url, label_studio_env.token)
    tasks = {t["text"]: t for t in project_tasks(label_studio_env, project_title)}
    first, second = users(client, "first", "second")
    russia, envoy, rebels, assad = (tasks[text] for text in (TALKS[0][1], TALKS[1][1], TALKS[2][1], TALKS[4][1]))

    # (user, task, stance, spans, comment, flagged); the first span's id is typed, as in projects made before the
    # registry list; "Geneva" is explicitly not in the registry.
    created = [
        (first, russia, "FAVOR", [("r1", "Russia", "GOVERNMENT", "russia", "FAVOR")], None, False),
        (
            second,
            russia,
            "NONE",
            [("r1", "Russia", "GOVERNMENT", "russia", "AGAINST"), ("r2", "Geneva", "INTERNATIONAL", None, "NONE")],
            "Is Geneva the talks here?",
            True,
        ),
        (first, envoy, "FAVOR", [("e", "UN envoy", "INTERNATIONAL", "un", "FAVOR")], None, False),
    ]
    expected = []
    for number, (user, task, stance, spans, comment, flagged) in enumerate(created):
        result = stance_result(stance) + [
            part
            for region, mention, kind, actor_id, span_stance in spans
            for part in span_result(region, task["text"], mention, kind, actor_id, span_stance, typed=number == 0)
        ]
        if comment:
            result.append(
                {"id": "c", "from_name": "comment", "to_name": "text", "type": "textarea", "value": {"text": [comment]}}
            )
        if flagged:
            flag = {"choices": ["needs_adjudication"]}
            result.append({"id": "q", "from_name": "flag", "to_name": "text", "type": "choices", "value": flag})
        made = client.annotations.create(id=task["id"], result=result, completed_by=user.id)
        expected.append(
            (
                made,
                Annotation(
                    segment_id=task["segment_id"],
                    article_id="talks",
                    text=task["text"],
                    target=TARGET_ID,
                    annotator=user.email,
                    stance=stance,
                    actors=tuple(
                        ActorSpan(
                            start=task["text"].index(mention),
                            end=task["text"].index(mention) + len(mention),
                            text=mention,
                            type=kind,
                            actor_id=actor_id,
                            stance=span_stance,
                        )
                        for _, mention, kind, actor_id, span_stance in spans
                    ),
                    comment=comment,
                    needs_adjudication=flagged,
                ),
            )
        )
    client.annotations.create(id=rebels["id"], result=[], completed_by=second.id, was_cancelled=True)
    httpx.post(
        f"{label_studio_env.url}/api/tasks/{assad['id']}/drafts",
        headers={"Authorization": f"Token {label_studio_env.token}"},
        json={"result": stance_result("AGAINST"), "lead_time": 1.0},
    ).raise_for_status()

    store = project / "annotations"
    code, out, err = pull(capsys, project, project_title)
    assert code == 0, err
    assert f"{first.email}: 2 completed, 0 skipped/cancelled" in out
    assert f"{second.email}: 1 completed, 1 skipped/cancelled" in out
    assert "1 draft(s) not exported" in out
    assert "1 flagged for adjudication, 1 with a comment" in out
    pulled = {(a.segment_id, a.annotator): a for a in read_annotations(store / "annotations.jsonl", SCHEME)}
    assert len(pulled) == len(expected) == 3
    for made, want in expected:
        got = pulled[(want.segment_id, want.annotator)]
        assert dataclasses.replace(got, created_at=None, updated_at=None) == want
        assert _timestamp(got.created_at) == made.created_at and _timestamp(got.updated_at) == made.updated_at

    # Pulling again with nothing new changes no byte.
    before = (store / "annotations.jsonl").read_bytes()
    code, out, _ = pull(capsys, project, project_title)
    assert code == 0 and out.rstrip().endswith("unchanged")
    assert (store / "annotations.jsonl").read_bytes() == before


@labelstudio
@on_sqlite_and_postgresql
@pytest.mark.parametrize(
    ("result", "problem"),
    [
        # "Russia" at 0..6 of "The UN envoy welcomed the ceasefire." is "The UN"
        (
            stance_result("FAVOR")
            + [
                {
                    "id": "x",
                    "from_name": "actor",
                    "to_name": "text",
                    "type": "labels",
                    "value": {"start": 0, "end": 6, "text": "Russia", "labels": ["GOVERNMENT"]},
                },
                {
                    "id": "x",
                    "from_name": "actor_stance",
                    "to_name": "text",
                    "type": "choices",
                    "value": {"start": 0, "end": 6, "choices": ["NONE"]},
                },
            ],
            "does not match the segment at 0..6",
        ),
        ([], "needs exactly one sentence stance"),
        # A typo of a registry id ("un"), as a project made before the registry list let anyone type it.
        (
            stance_result("FAVOR")
            + span_result("e", TALKS[1][1], "UN envoy", "INTERNATIONAL", "un_envoy", "FAVOR", typed=True),
            "actor id 'un_envoy' of the span 'UN envoy' is not in the actor registry",
        ),
    ],
    ids=["offsets", "no-stance", "not-in-registry"],
)
def test_pull_rejects_an_invalid_annotation_and_writes_nothing(
    label_studio_env, project_title, project, capsys, result, problem
):
    assert annotate(capsys, project, project_title)[0] == 0
    client = connect(label_studio_env.url, label_studio_env.token)
    tasks = {t["text"]: t for t in project_tasks(label_studio_env, project_title)}
    (user,) = users(client, "careless")
    client.annotations.create(id=tasks[TALKS[0][1]]["id"], result=stance_result("NONE"), completed_by=user.id)
    store = project / "annotations"
    assert pull(capsys, project, project_title)[0] == 0
    before = (store / "annotations.jsonl").read_bytes()

    bad_task = tasks[TALKS[1][1]]["id"]
    client.annotations.create(id=bad_task, result=result, completed_by=user.id)
    code, _, err = pull(capsys, project, project_title)
    assert code == 1
    (message,) = [line for line in err.splitlines() if line.startswith("stance-corpus:")]  # progress bars aside
    assert message.startswith(f"stance-corpus: error: task {bad_task} ") and problem in message
    assert f" by {user.email}" in message
    assert message.endswith("nothing was written")
    assert (store / "annotations.jsonl").read_bytes() == before


SECOND_TARGET = """
[[targets]]
id = "ceasefire"
name = "a nationwide ceasefire"
description = "Calls for, agreements to and refusals of a ceasefire, whoever makes them."
"""


@labelstudio
def test_one_sentence_labelled_for_two_targets_by_two_annotators_is_four_records(
    label_studio_env, project_title, project, capsys
):
    """The unit of annotation is (segment, target): each target has its own Label Studio project, a pull keeps
    every (segment, target, annotator), and agreement and adjudication are reported per target."""
    config = project / "stance-corpus.toml"
    prefix = f"two targets {project_title[-8:]}"  # Label Studio titles have at most 50 characters
    config.write_text(
        config.read_text(encoding="utf-8") + SECOND_TARGET + f'\n[annotation]\nlabel_studio_title = "{prefix}"\n',
        encoding="utf-8",
    )
    titles = {target: f"{prefix}: {target}" for target in ("geneva", "ceasefire")}
    # No article lists the new target yet (the default target is geneva): no project for it.
    code, out, err = run(capsys, "annotate", "--project", project)
    assert code == 0, err
    assert f"target geneva: project {titles['geneva']!r}" in out and "5 created, 0 already present" in out
    assert "target ceasefire: no article is annotated for it (catalogue `targets`): no project made" in out
    catalogue = project / "seeds" / "articles.jsonl"
    (talks,) = [json.loads(line) for line in catalogue.read_text(encoding="utf-8").splitlines()]
    catalogue.write_text(json.dumps({**talks, "targets": ["geneva", "ceasefire"]}) + "\n", encoding="utf-8")
    code, out, err = run(capsys, "annotate", "--project", project)
    assert code == 0, err
    for target, title in titles.items():
        assert f"target {target}: project {title!r}" in out
    assert "0 created, 5 already present" in out and "5 created, 0 already present" in out

    client = connect(label_studio_env.url, label_studio_env.token)
    annotators = {user.email: user for user in users(client, "first", "second")}
    first, second = annotators
    sentence = TALKS[1][1]  # "The UN envoy welcomed the ceasefire."
    labels = {("geneva", first): "FAVOR", ("geneva", second): "FAVOR",
              ("ceasefire", first): "FAVOR", ("ceasefire", second): "AGAINST"}
    for (target, email), stance in labels.items():
        task = next(t for t in project_tasks(label_studio_env, titles[target]) if t["text"] == sentence)
        assert task["target_id"] == target
        client.annotations.create(id=task["id"], result=stance_result(stance), completed_by=annotators[email].id)

    code, out, err = run(capsys, "pull", "--project", project)
    assert code == 0, err
    records = read_annotations(project / "annotations" / "annotations.jsonl", load_project(project).scheme)
    assert sorted((a.target, a.annotator, a.stance) for a in records) == sorted(
        (target, email, stance) for (target, email), stance in labels.items()
    )
    assert {a.text for a in records} == {sentence} and len({a.segment_id for a in records}) == 1

    report = project / "agreement.json"
    code, out, err = run(capsys, "agreement", "--project", project, "--adjudicate", "--json", report)
    assert code == 0, err
    figures = json.loads(report.read_text(encoding="utf-8"))
    pairs = {target: per["sentence_stance"]["pairs"] for target, per in figures["targets"].items()}
    assert {target: [(p["segments"], p["percent_agreement"]) for p in found] for target, found in pairs.items()} == {
        "geneva": [(1, 100.0)], "ceasefire": [(1, 0.0)]
    }
    assert "Target geneva: the Geneva talks" in out and "Target ceasefire: a nationwide ceasefire" in out
    gold = read_annotations(project / "annotations" / "gold.jsonl", load_project(project).scheme)
    assert [(a.target, a.stance) for a in gold] == [("geneva", "FAVOR")]
    (tie,) = figures["adjudication"]["ties"]
    assert (tie["target"], tie["problem"]) == ("ceasefire", "sentence stance tied: AGAINST x1, FAVOR x1")
    assert f"tie: segment {records[0].segment_id} (target ceasefire)" in out


@labelstudio
def test_a_pull_leaves_no_export_snapshot_on_the_server_even_when_it_fails(
    label_studio_env, project_title, project, tmp_path, capsys
):
    assert annotate(capsys, project, project_title)[0] == 0
    client = connect(label_studio_env.url, label_studio_env.token)
    (ls_project,) = [p for p in client.projects.list(title=project_title) if p.title == project_title]
    assert pull(capsys, project, project_title)[0] == 0
    assert list(client.projects.exports.list(id=ls_project.id)) == []
    # A pull whose disk fills up while it downloads the snapshot: files of the process may not grow past 1 KB
    # (Python ignores SIGXFSZ, so the write fails with EFBIG), and the snapshot of 5 tasks is larger.
    full = labeling_project(tmp_path / "full")
    failed = subprocess.run(
        [sys.executable, "-m", "stance_corpus.cli", "pull", "--project", full, "--title", project_title],
        check=False,
        capture_output=True,
        text=True,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (1024, resource.RLIM_INFINITY)),
    )
    assert failed.returncode == 1 and "File too large" in failed.stderr.splitlines()[-1]
    assert not (full / "annotations").exists()
    assert list(client.projects.exports.list(id=ls_project.id)) == []


def test_server_down_is_a_clear_error(monkeypatch, project, capsys):
    url = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv(URL_ENV, url)
    monkeypatch.setenv(TOKEN_ENV, "some-token")
    code, _, err = run(capsys, "pull", "--project", project)
    assert code == 1 and err.strip().splitlines()[-1] == (
        f"stance-corpus: error: Label Studio at {url} is not answering (is the server running? check {URL_ENV})"
    )


@labelstudio
def test_wrong_token_is_a_clear_error(label_studio, monkeypatch, project, capsys):
    monkeypatch.setenv(URL_ENV, label_studio.url)
    monkeypatch.setenv(TOKEN_ENV, "not-the-token")
    code, _, err = run(capsys, "pull", "--project", project)
    assert code == 1 and err.strip().splitlines()[-1] == (
        f"stance-corpus: error: Label Studio at {label_studio.url} refused the API token (401): check {TOKEN_ENV}"
    )


def test_agreement_and_adjudication_on_a_hand_computed_case(tmp_path, capsys):
    store = shutil.copytree(Path(__file__).parent / "data" / "test_labeling_agreement", tmp_path / "store")
    report = tmp_path / "agreement.json"
    code, out, err = run(
        capsys, "agreement", "--project", store, "--json", report, "--adjudicate", "--adjudicator", "c@example.com"
    )
    assert code == 0, err
    figures = json.loads(report.read_text(encoding="utf-8"))
    assert list(figures["targets"]) == ["talks"]  # the records name the target "the talks": read as its id
    stance = figures["targets"]["talks"]["sentence_stance"]
    assert stance["annotators"] == ["a@example.com", "b@example.com"]  # the adjudicator is not counted
    (pair,) = stance["pairs"]
    # a: F F A N, b: F A A N on a-s1..a-s4. Observed 3/4; chance (2*1 + 1*2 + 1*1)/16 = 5/16.
    assert pair["segments"] == 4 and pair["percent_agreement"] == 75.0
    assert pair["cohen_kappa"] == pytest.approx((0.75 - 5 / 16) / (1 - 5 / 16), abs=1e-4)
    # Fleiss: mean item agreement 3/4; category shares 3/8, 3/8, 2/8 -> chance 22/64.
    assert stance["fleiss_kappa"] == {"segments": 4, "value": pytest.approx((0.75 - 22 / 64) / (1 - 22 / 64), abs=1e-4)}
    # Krippendorff (a-s5 has one rating: not pairable): observed disagreement 2/8, expected 42/56.
    assert stance["krippendorff_alpha"]["value"] == pytest.approx(1 - (2 / 8) / (42 / 56), abs=1e-4)

    (spans,) = figures["targets"]["talks"]["actor_spans"]["pairs"]
    # a: Russia, UN, Assad; b: Russia, "the UN", Assad. Exact: Russia + Assad; overlap: all three.
    assert spans["exact"] == {"matches": 2, "precision": 0.6667, "recall": 0.6667, "f1": 0.6667}
    assert spans["overlap"] == {"matches": 3, "precision": 1.0, "recall": 1.0, "f1": 1.0}
    # Matched span stances: Russia F/F, Assad A/F -> 50 %, kappa (0.5 - 0.5) / (1 - 0.5) = 0.
    assert spans["matched_span_stance"] == {"spans": 2, "percent_agreement": 50.0, "cohen_kappa": 0.0}
    assert spans["matched_span_actor_id"] == {"spans": 2, "percent_agreement": 100.0}

    gold = {a.segment_id: a for a in read_annotations(store / "gold.jsonl", load_project(store).scheme)}
    assert sorted(gold) == ["a-s2", "a-s3", "a-s4", "a-s5"]  # a-s1: "UN" and "the UN" each marked by 1 of 2
    assert {a.annotator for a in gold.values()} == {"gold"}
    assert gold["a-s2"].stance == "AGAINST" and gold["a-s2"].actors[0].stance == "AGAINST"  # c's labels
    assert gold["a-s3"].stance == "AGAINST"
    assert (gold["a-s3"].created_at, gold["a-s3"].updated_at) == ("2026-01-01T10:00:00Z", "2026-01-03T10:00:00Z")
    assert gold["a-s4"].stance == "NONE" and gold["a-s5"].stance == "NONE"
    (tie,) = figures["adjudication"]["ties"]
    assert tie["segment_id"] == "a-s1" and "'UN' 15..17 INTERNATIONAL marked by 1 of 2" in tie["problem"]
    assert tie["target"] == "talks" and figures["adjudication"]["gold_segments"] == {"talks": 4}
    assert "tie: segment a-s1 (target talks)" in out and "0.636" in out


def test_adjudication_keeps_a_majority_for_no_actor_id_and_ties_an_even_split():
    def rating(annotator: str, actor_id: str | None) -> Annotation:
        span = ActorSpan(0, 5, "Assad", "GOVERNMENT", actor_id, "AGAINST")
        return Annotation("s1", "a", "Assad spoke.", TARGET_ID, annotator, "NONE", (span,))

    gold, ties = adjudicate([rating("a", None), rating("b", None), rating("c", "assad")])
    assert ties == [] and [span.actor_id for span in gold[0].actors] == [None]  # 2 of 3 gave no id
    gold, ties = adjudicate([rating("a", None), rating("b", "assad")])
    assert gold == [] and ties[0].problem == "span 'Assad' 0..5 GOVERNMENT actor id tied: None x1, assad x1"


@labelstudio
@pytest.mark.slow
def test_embedded_server_serves_annotate_and_is_reused_by_pull(tmp_path, project):
    """Without LABEL_STUDIO_URL: annotate starts a local server and keeps it up; pull uses it; Ctrl-C stops it."""
    env = {k: v for k, v in os.environ.items() if k not in (URL_ENV, TOKEN_ENV)} | {"PYTHONUNBUFFERED": "1"}
    data_dir = tmp_path / "label-studio"
    command = [sys.executable, "-m", "stance_corpus.cli"]
    common = ["--project", str(project), "--title", "embedded", "--data-dir", str(data_dir)]
    annotate = subprocess.Popen(
        [*command, "annotate", *common],
        stdout=subprocess.PIPE,
        stderr=(tmp_path / "annotate.err").open("w"),
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        lines = []
        while not (lines and "press Ctrl-C" in lines[-1]):
            line = annotate.stdout.readline()
            assert line, f"annotate ended early: {lines} {(tmp_path / 'annotate.err').read_text()}"
            lines.append(line)
        credentials = json.loads((data_dir / "credentials.json").read_text())
        assert (data_dir / "credentials.json").stat().st_mode & 0o777 == 0o600
        assert credentials["token"] in lines[0] and credentials["password"] in lines[0]  # printed once
        assert "5 created" in "".join(lines)
        url = json.loads((data_dir / "running.json").read_text())["url"]

        pull = subprocess.run(
            [*command, "pull", *common],
            check=False,
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=120,
        )
        assert pull.returncode == 0, pull.stderr
        assert "5 task(s) in project 'embedded'" in pull.stdout and credentials["token"] not in pull.stdout
    finally:
        interrupt(annotate, data_dir)
    assert annotate.returncode == 0
    assert not (data_dir / "running.json").exists()
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{url}/health", timeout=5)


@labelstudio
def test_three_adjacent_edited_sentences_are_three_changes_not_a_new_task(
    label_studio_env, project_title, project, seeds, capsys
):
    assert annotate(capsys, project, project_title)[0] == 0
    talks = seeds / "talks.txt"
    text = talks.read_text(encoding="utf-8")
    for old, new in (
        ("welcomed the ceasefire.", "welcomed the truce."),
        ("rejected it.", "rejected the truce."),
        ("Fighting near Aleppo", "Fighting near Aleppo resumes"),
    ):
        text = text.replace(old, new)
    talks.write_text(text, encoding="utf-8")
    code, out, _ = annotate(capsys, project, project_title)
    # The middle one has no unedited neighbour: it is matched through its neighbours' old texts.
    assert code == 0 and "0 created, 2 already present, 3 changed since pushed" in out
    assert "'Rebel groups rejected it.'" in out and "'Rebel groups rejected the truce.'" in out
    assert "no longer in the corpus" not in out
    assert [t["text"] for t in project_tasks(label_studio_env, project_title)] == [text for _, text in TALKS]


@labelstudio
def test_concurrent_pushes_make_one_project_with_each_task_once(label_studio, project_title):
    import threading

    from stance_corpus.corpus.articles import iter_articles
    from stance_corpus.corpus.segment import segment_article
    from stance_corpus.labeling.push import push_tasks
    from stance_corpus.labeling.tasks import build_tasks

    (target,) = SCHEME.targets
    tasks = list(build_tasks(iter_articles([LABELING_DATA / "seeds"], SCHEME), target, segment_article))
    settings = ProjectSettings(label_config(SCHEME, target), "<p>guidelines</p>", 2)
    runs = 4
    start = threading.Barrier(runs)
    results: list[object] = [None] * runs

    def push(number: int) -> None:
        client = connect(label_studio.url, label_studio.token)
        start.wait()
        try:
            created = ensure_project(client, project_title, settings)
            push_tasks(client, created.id, tasks, target.id)
            results[number] = created.id
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            results[number] = error

    threads = [threading.Thread(target=push, args=(number,)) for number in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    client = connect(label_studio.url, label_studio.token)
    projects = [p.id for p in client.projects.list(title=project_title) if p.title == project_title]
    assert len(projects) == 1 and results == projects * runs
    pushed = project_tasks(label_studio, project_title)
    assert sorted(t["text"] for t in pushed) == sorted(t for _, t in TALKS)
    # The server still does its bookkeeping (deleting the duplicate projects would have switched it off for good).
    (user,) = users(client, "after-race")
    client.annotations.create(id=pushed[0]["id"], result=stance_result("NONE"), completed_by=user.id)
    assert client.tasks.get(id=pushed[0]["id"]).total_annotations == 1
