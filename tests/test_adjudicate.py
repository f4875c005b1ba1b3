"""Adjudication in Label Studio end to end on a real server: two passes that disagree on some units of the fixture
project -> `adjudicate` -> the target's review project holds exactly those units, each with both passes as
predictions named by pseudonym -> the adjudicator's decisions, recorded through the API -> `pull` -> `agreement
--adjudicate` makes gold of them, with their rules.

The passes and the decisions are recorded with scripts/record_annotation_pass.py (as a pass made outside the web UI
is), so the script's --review mode is tested too; the corpus project is tests/data/test_adjudicate.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import NamedTuple

import pytest
from annotator import ANNOTATOR_PASSWORD, invite_annotator, log_in
from helpers import TALKS, annotate, project_tasks, pull, run
from playwright.sync_api import BrowserContext, expect
from stance_corpus.corpus.jsonl import read_jsonl
from stance_corpus.corpus.project import load_project
from stance_corpus.corpus.release.adjudication import decisions_per_rule, decisions_table
from stance_corpus.corpus.schema import ActorSpan, Annotation
from stance_corpus.corpus.store import read_annotations
from stance_corpus.labeling.review import REVIEW_SUFFIX, review_title
from stance_corpus.labeling.server import LocalServer, connect

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "test_adjudicate"
RECORD = ROOT / "scripts" / "record_annotation_pass.py"
RULES = ["Sentence stance", "Actor spans", "Actor ids", "Hard cases"]  # the ### sections of DATA/card.md

RUSSIA, ENVOY, REBELS, HEADING, ASSAD = (text for _, text in TALKS)
Span = tuple[str, str, str, str | None]  # (words, type, stance, actor id)


def labels(text: str, stance: str, *spans: Span, **extra: object) -> dict:
    """A line of a labels file for the sentence `text` (its segment id filled in later)."""
    actors = [
        {"start": text.index(words), "end": text.index(words) + len(words), "text": words, "type": kind,
         "stance": span_stance, "actor_id": actor_id}
        for words, kind, span_stance, actor_id in spans
    ]
    return {"text": text, "stance": stance, "actors": actors, **extra}


# Two passes: they agree on RUSSIA and ASSAD; on ENVOY the sentence stance differs, on REBELS one marks a span the
# other does not, and on HEADING they agree but the second flags it with a comment.
PASS_A = [
    labels(RUSSIA, "FAVOR", ("Russia", "GOVERNMENT", "FAVOR", "russia")),
    labels(ENVOY, "FAVOR", ("UN envoy", "INTERNATIONAL", "FAVOR", "un")),
    labels(REBELS, "AGAINST", ("Rebel groups", "OPPOSITION", "AGAINST", None)),
    labels(HEADING, "NONE"),
    labels(ASSAD, "AGAINST", ("Assad", "GOVERNMENT", "AGAINST", "assad")),
]
PASS_B = [
    labels(RUSSIA, "FAVOR", ("Russia", "GOVERNMENT", "FAVOR", "russia")),
    labels(ENVOY, "NONE", ("UN envoy", "INTERNATIONAL", "FAVOR", "un")),
    labels(REBELS, "AGAINST"),
    labels(HEADING, "NONE", needs_adjudication=True, comment="a heading: is fighting a position?"),
    labels(ASSAD, "AGAINST", ("Assad", "GOVERNMENT", "AGAINST", "assad")),
]
DECISIONS = [
    labels(ENVOY, "FAVOR", ("UN envoy", "INTERNATIONAL", "FAVOR", "un"), rule="Sentence stance",
           comment="welcoming a ceasefire backs the talks"),
    labels(REBELS, "AGAINST", ("Rebel groups", "OPPOSITION", "AGAINST", None), rule="Actor spans"),
]


class Passes(NamedTuple):
    """What `two_passes` made: the corpus project, its CLI options, segment ids by text, the two annotators and the
    adjudicator's email (no user yet)."""

    project: Path
    common: tuple[str | Path, ...]
    segment_ids: dict[str, str]
    first: str
    second: str
    adjudicator: str


def write_lines(path: Path, lines: list[dict], segment_ids: dict[str, str]) -> Path:
    """A labels file: each line with the segment id of its text instead of the text."""
    with path.open("w", encoding="utf-8") as handle:
        for line in lines:
            record = {key: value for key, value in line.items() if key != "text"}
            handle.write(json.dumps({"segment_id": segment_ids[line["text"]], **record}) + "\n")
    return path


def record(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """scripts/record_annotation_pass.py ARGS... against the server of the environment (LABEL_STUDIO_URL)."""
    return subprocess.run(
        [sys.executable, RECORD, *map(str, args)], capture_output=True, text=True, check=False, env=os.environ,
        timeout=300,
    )


def test_review_titles_fit_label_studio_and_stay_one_per_title():
    assert review_title("stance-corpus: syria_peace") == "stance-corpus: syria_peace (review)"
    long_titles = ["x" * 45 + "a", "x" * 45 + "b"]
    reviews = [review_title(title) for title in long_titles]
    assert [len(title) for title in reviews] == [50, 50] and len(set(reviews)) == 2
    assert all(title.endswith(REVIEW_SUFFIX) for title in reviews)


def two_passes(server: LocalServer, title: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Passes:
    """The fixture project pushed to the Label Studio project `title`, PASS_A and PASS_B recorded there by two new
    users and pulled into its store."""
    project = shutil.copytree(DATA, tmp_path / "project")
    common = ("--project", project, "--title", title)
    assert annotate(capsys, project, title)[0] == 0
    segment_ids = {task["text"]: task["segment_id"] for task in project_tasks(server, title)}
    suffix = uuid.uuid4().hex[:8]
    first, second, adjudicator = (f"{name}-{suffix}@example.com" for name in ("ann", "bob", "judge"))
    for email, lines in ((first, PASS_A), (second, PASS_B)):
        done = record(write_lines(tmp_path / f"{email}.jsonl", lines, segment_ids), "--annotator", email, *common)
        assert done.returncode == 0 and "5 annotations recorded" in done.stdout, done.stderr
    code, _, err = pull(capsys, project, title)
    assert code == 0, err
    return Passes(project, common, segment_ids, first, second, adjudicator)


@pytest.mark.labelstudio
def test_disagreements_go_to_the_review_project_and_come_back_as_gold(
    label_studio_env, project_title, tmp_path, capsys
):
    project, common, segment_ids, first, second, adjudicator = two_passes(
        label_studio_env, project_title, tmp_path, capsys
    )
    store = project / "annotations" / "annotations.jsonl"
    passes = store.read_bytes()
    pseudonyms = json.loads((project / "annotations" / "pseudonyms.json").read_text(encoding="utf-8"))
    assert pseudonyms == {first: "annotator-1", second: "annotator-2"}

    queue = tmp_path / "queue.jsonl"
    code, out, err = run(capsys, "adjudicate", *common, "--adjudicator", adjudicator, "--queue", queue)
    assert code == 0, err
    title = review_title(project_title)
    assert f"review project {title!r}" in out and "created" in out
    assert "3 unit(s) to adjudicate: 3 task(s) created, 0 already present" in out
    client = connect(label_studio_env.url, label_studio_env.token)
    (review,) = [p for p in client.projects.list(title=title) if p.title == title]
    review = client.projects.get(id=review.id)
    assert review.parsed_label_config["rule"]["labels"] == RULES and review.model_version == ""
    assert "flag" not in review.parsed_label_config and review.maximum_annotations == 1
    tasks = project_tasks(label_studio_env, title)
    assert [task["text"] for task in tasks] == [ENVOY, REBELS, HEADING]  # reading order
    for task in tasks:
        shown = client.tasks.get(id=task["id"])  # what the screen loads for a task opened from the Data Manager
        stances = {}
        for prediction in shown.predictions:
            (stance,) = [r["value"]["choices"][0] for r in prediction.result if r["from_name"] == "stance"]
            stances[prediction.model_version] = stance
        expected = {
            "annotator-1": next(p["stance"] for p in PASS_A if p["text"] == task["text"]),
            "annotator-2": next(p["stance"] for p in PASS_B if p["text"] == task["text"]),
        }
        assert stances == expected
        assert [line.split(":")[0] for line in task["passes"].splitlines()] == ["annotator-1", "annotator-2"]
    assert tasks[0]["passes"] == (
        "annotator-1: FAVOR; 'UN envoy' INTERNATIONAL FAVOR · un (United Nations)\n"
        "annotator-2: NONE; 'UN envoy' INTERNATIONAL FAVOR · un (United Nations)"
    )
    assert "flagged for adjudication; comment: 'a heading: is fighting a position?'" in tasks[2]["passes"]
    lines = [line for _, line in read_jsonl(queue)]
    assert [line["segment_id"] for line in lines] == [segment_ids[text] for text in (ENVOY, REBELS, HEADING)]
    assert lines[1]["passes"] == {
        "annotator-1": {
            "stance": "AGAINST", "comment": None, "needs_adjudication": False,
            "actors": [{"start": 0, "end": 12, "text": "Rebel groups", "type": "OPPOSITION", "actor_id": None,
                        "stance": "AGAINST"}],
        },
        "annotator-2": {"stance": "AGAINST", "comment": None, "needs_adjudication": False, "actors": []},
    }
    assert (lines[1]["headline"], lines[1]["previous"], lines[1]["next"]) == ("Geneva talks resume", ENVOY, HEADING)
    assert "@" not in queue.read_text(encoding="utf-8")  # pseudonyms, never emails

    # Pushing again adds nothing.
    code, out, err = run(capsys, "adjudicate", *common, "--adjudicator", adjudicator)
    assert code == 0, err
    assert "3 unit(s) to adjudicate: 0 task(s) created, 3 already present (0 task(s)" in out
    assert len(project_tasks(label_studio_env, title)) == 3

    # The adjudicator decides two units outside the web UI; a rule outside the guidelines is refused first.
    wrong = write_lines(tmp_path / "wrong.jsonl", [{**DECISIONS[0], "rule": "Common sense"}], segment_ids)
    refused = record(wrong, "--annotator", adjudicator, "--review", *common)
    assert refused.returncode == 1 and "rule 'Common sense' is not a section of the guidelines" in refused.stderr
    decisions = write_lines(tmp_path / "decisions.jsonl", DECISIONS, segment_ids)
    done = record(decisions, "--annotator", adjudicator, "--review", *common)
    assert done.returncode == 0 and "2 annotations recorded, 0 already there" in done.stdout, done.stderr

    code, out, err = pull(capsys, project, project_title)
    assert code == 0, err
    assert f"3 task(s) in review project {title!r}, 1 without a completed annotation" in out
    assert "2 decision(s), 1 with a comment" in out
    scheme = load_project(project).scheme
    records = read_annotations(store, scheme)
    decided = {a.text: a for a in records if a.annotator == adjudicator}
    assert sorted(decided) == sorted([ENVOY, REBELS])
    assert (decided[ENVOY].rule, decided[ENVOY].comment) == ("Sentence stance", "welcoming a ceasefire backs the talks")
    assert decided[REBELS].actors == (ActorSpan(0, 12, "Rebel groups", "OPPOSITION", None, "AGAINST"),)
    # The raw passes are untouched: their lines are the file's lines before, the decisions added between them.
    kept = [line for line in store.read_bytes().splitlines(keepends=True) if adjudicator.encode() not in line]
    assert b"".join(kept) == passes
    pulled = store.read_bytes()
    assert pull(capsys, project, project_title)[0] == 0 and store.read_bytes() == pulled

    code, out, err = run(capsys, "agreement", "--project", project, "--adjudicate", "--adjudicator", adjudicator)
    assert code == 0, err
    gold = {a.text: a for a in read_annotations(project / "annotations" / "gold.jsonl", scheme)}
    assert sorted(gold) == sorted([RUSSIA, ENVOY, REBELS, ASSAD])  # HEADING: flagged, still undecided
    assert (gold[ENVOY].stance, gold[ENVOY].rule) == ("FAVOR", "Sentence stance")
    assert (gold[REBELS].actors, gold[REBELS].rule) == (decided[REBELS].actors, "Actor spans")
    assert gold[RUSSIA].rule is None and gold[ASSAD].rule is None  # majority, no decision
    assert decisions_per_rule(gold.values()) == {"geneva": {"Actor spans": 1, "Sentence stance": 1}}
    assert decisions_table(decisions_per_rule(gold.values())) == [
        "| Rule | `geneva` | Total |",
        "|---|---:|---:|",
        "| Actor spans | 1 | 1 |",
        "| Sentence stance | 1 | 1 |",
        "| **All decisions** | 2 | 2 |",
    ]

    # What is left: the flagged heading, already in the review project; its queue has that task only.
    code, out, err = run(capsys, "adjudicate", *common, "--adjudicator", adjudicator, "--queue", queue)
    assert code == 0, err
    assert "1 unit(s) to adjudicate: 0 task(s) created, 1 already present (2 task(s) of the project decided" in out
    assert [line["text"] for _, line in read_jsonl(queue)] == [HEADING]

    # A decision on a sentence edited since its review task was pushed is refused.
    talks = project / "seeds" / "talks.txt"
    talks.write_text(talks.read_text(encoding="utf-8").replace(HEADING, HEADING + " resumes"), encoding="utf-8")
    stale = write_lines(tmp_path / "stale.jsonl", [labels(HEADING, "NONE", rule="Hard cases")], segment_ids)
    refused = record(stale, "--annotator", adjudicator, "--review", *common)
    assert refused.returncode == 1 and "was edited since its review task was pushed" in refused.stderr
    code, out, err = run(capsys, "adjudicate", *common, "--adjudicator", adjudicator)
    assert code == 0 and f"stale: segment {segment_ids[HEADING]} (target geneva)" in out


@pytest.mark.browser
@pytest.mark.labelstudio
@pytest.mark.slow
def test_the_adjudicator_sees_both_passes_on_the_review_screen(
    label_studio_env, chromium: BrowserContext, artifacts_dir, project_title, tmp_path, capsys
):
    server = label_studio_env
    passes = two_passes(server, project_title, tmp_path, capsys)
    common, adjudicator = passes.common, passes.adjudicator
    assert run(capsys, "adjudicate", *common, "--adjudicator", adjudicator)[0] == 0
    client = connect(server.url, server.token)
    title = review_title(project_title)
    (review,) = [p for p in client.projects.list(title=title) if p.title == title]
    invite_annotator(server.url, server.token, adjudicator, ANNOTATOR_PASSWORD)
    page = chromium.new_page()
    log_in(page, server.url, adjudicator, ANNOTATOR_PASSWORD)
    page.goto(f"{server.url}/projects/{review.id}/data")
    page.get_by_text(ENVOY, exact=True).first.click()  # the task of the sentence, opened from the Data Manager
    # Each pass is a tab named by its pseudonym, and the passes are listed under the sentence.
    for pseudonym in ("annotator-1", "annotator-2"):
        expect(page.get_by_text(pseudonym, exact=True).first).to_be_visible(timeout=60_000)
    for line in project_tasks(server, title)[0]["passes"].splitlines():
        expect(page.get_by_text(line, exact=True)).to_be_visible()
    for rule in RULES:  # the rules to choose from (Label Studio adds a hotkey to each)
        expect(page.get_by_role("radio", name=re.compile(rf"^{re.escape(rule)}(\[\w\])?$"))).to_be_visible()
    screenshot = artifacts_dir / "review-screen.png"
    page.screenshot(path=str(screenshot), full_page=True)
    with capsys.disabled():
        print(f"\nscreenshot of the review screen: {screenshot}")
    page.close()


def test_gold_keeps_the_rule_of_a_decision_and_majority_gold_has_none(tmp_path):
    from stance_corpus.labeling.agreement import adjudicate

    def rating(annotator: str, stance: str, rule: str | None = None) -> Annotation:
        return Annotation("s1", "a", "Assad spoke.", "geneva", annotator, stance, rule=rule)

    gold, ties = adjudicate([rating("a", "FAVOR"), rating("b", "NONE"), rating("j", "NONE", "Sentence stance")], "j")
    assert ties == [] and (gold[0].stance, gold[0].rule) == ("NONE", "Sentence stance")
    gold, _ = adjudicate([rating("a", "FAVOR"), rating("b", "FAVOR"), rating("c", "NONE", "Hard cases")])
    assert (gold[0].stance, gold[0].rule) == ("FAVOR", None)
