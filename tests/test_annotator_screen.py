"""The annotator's screen: actor ids chosen from the registry, pre-annotations readable without clicks, comments and
the adjudication flag, and the actions a sentence takes (tests/annotator.py drives real Chromium on a real server).

The pure tests below check the adapter (labeling/convert.py) and the store (corpus/store.py) for the new fields.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from annotator import (
    ANNOTATOR_PASSWORD,
    CASES,
    COMMENT,
    DATA,
    LAST_SENTENCE,
    Annotator,
    invite_annotator,
    label_the_last_sentence,
    log_in,
)
from playwright.sync_api import BrowserContext, Page, expect
from stance_corpus.corpus.actors import load_actor_registry
from stance_corpus.corpus.errors import InputError
from stance_corpus.corpus.project import load_project
from stance_corpus.corpus.schema import ActorSpan, Annotation
from stance_corpus.corpus.store import annotation_from_record, read_annotations, write_annotations
from stance_corpus.labeling.agreement import adjudicate
from stance_corpus.labeling.convert import annotation_from_label_studio, result_from_spans
from stance_corpus.labeling.errors import LabelStudioError
from stance_corpus.labeling.server import connect

from stance_corpus.cli import main

PROJECT = load_project(DATA)
SCHEME = PROJECT.scheme
REGISTRY = load_actor_registry(PROJECT.actors, SCHEME)
# The actions of each case of tests/annotator.py, as the screen takes them (docs/annotation.md, "Actions per
# sentence"); a change of the labeling config that adds one shows up here.
ACTIONS = {
    "trust the pre-fill": ["f", "Control+Enter"],
    "change one actor's stance": ["click 'Russia'", "Shift+A", "a", "Control+Enter"],
    "add a span with its actor id": [
        "2", "drag 'opposition'..'delegation'", "Shift+F", "click the actor list", "type 'high neg'",
        "click 'High Negotiations Committee (hnc)'", "click FAVOR", "Control+Enter",
    ],
    "fix a boundary": ["click 'Mistura'", "drag the start of the span to 'Staffan'", "f", "Control+Enter"],
}


def span(text: str, sentence: str, kind: str, actor_id: str | None, stance: str) -> ActorSpan:
    start = sentence.index(text)
    return ActorSpan(start, start + len(text), text, kind, actor_id, stance)


def label_the_five_sentences(
    page: Page, url: str, email: str, project_id: int, artifacts_dir: Path
) -> dict[str, list[str]]:
    """Log in and label the five sentences; the actions of each measured case."""
    log_in(page, url, email, ANNOTATOR_PASSWORD)
    annotator = Annotator(page)
    annotator.start_labeling(url, project_id)
    counted: dict[str, list[str]] = {}
    for case in CASES:
        annotator.wait_for(case.sentence)
        if case.name == "change one actor's stance":
            # Pre-annotations readable without a click: each span's stance and actor under it in the Regions list.
            regions = page.locator(".lsf-outliner-item")
            expect(regions).to_have_count(2)
            expect(regions.nth(0)).to_contain_text("UN")
            expect(regions.nth(1)).to_contain_text("Russia")
            notes = page.locator(".lsf-outliner-item__ocr textarea, .lsf-outliner-item__ocr input")
            expect(notes.nth(0)).to_have_value("pre-filled: NONE · un (United Nations)")
            expect(notes.nth(1)).to_have_value("pre-filled: NONE · russia (Russia)")
            # The context has its captions; the kind of segment is shown.
            for caption in ("Previous sentence (context, not labelled)", "Next sentence (context, not labelled)",
                            "Segment to label (body)", "Headline: Geneva talks resume"):
                expect(page.get_by_text(caption, exact=True)).to_be_visible()
            page.screenshot(path=str(artifacts_dir / "pre-annotations.png"))
        annotator.actions = []
        case.work(annotator)
        counted[case.name] = list(annotator.actions)
    annotator.wait_for(LAST_SENTENCE)
    label_the_last_sentence(annotator)
    expect(page.get_by_text("Annotation saved successfully").last).to_be_visible(timeout=30_000)
    return counted


@pytest.mark.browser
@pytest.mark.labelstudio
@pytest.mark.slow
def test_an_annotator_chooses_actors_from_the_registry_comments_flags_and_pull_returns_it(
    label_studio_env, chromium: BrowserContext, artifacts_dir, project_title, tmp_path, capsys
):
    server = label_studio_env
    folder = shutil.copytree(DATA, tmp_path / "project")
    assert main(["annotate", "--project", str(folder), "--title", project_title]) == 0
    capsys.readouterr()
    client = connect(server.url, server.token)
    (project,) = [p for p in client.projects.list(title=project_title) if p.title == project_title]
    email = f"annotator-{project.id}@example.com"
    invite_annotator(server.url, server.token, email, ANNOTATOR_PASSWORD)

    page = chromium.new_page()
    try:
        counted = label_the_five_sentences(page, server.url, email, project.id, artifacts_dir)
    finally:  # the browser is the session's: the next browser test starts logged out, with default settings
        page.evaluate("window.localStorage.clear()")
        page.close()
        chromium.clear_cookies()
    assert counted == ACTIONS
    assert main(["pull", "--project", str(folder), "--title", project_title]) == 0
    assert "1 flagged for adjudication, 1 with a comment" in capsys.readouterr().out
    pulled = {a.text: a for a in read_annotations(folder / "annotations" / "annotations.jsonl", SCHEME)}
    assert {text: (a.stance, a.actors, a.comment, a.needs_adjudication) for text, a in pulled.items()} == {
        (first := CASES[0].sentence): (
            "FAVOR", (span("Russia", first, "GOVERNMENT", "russia", "NONE"),), None, False,
        ),
        (second := CASES[1].sentence): (
            "AGAINST",
            (
                span("UN", second, "INTERNATIONAL", "un", "NONE"),
                span("Russia", second, "GOVERNMENT", "russia", "AGAINST"),
            ),
            None,
            False,
        ),
        (third := CASES[2].sentence): (
            "FAVOR",
            (span("opposition delegation", third, "OPPOSITION", "hnc", "FAVOR"),),
            None,
            False,
        ),
        (fourth := CASES[3].sentence): (
            "FAVOR",
            (span("Staffan de Mistura", fourth, "INTERNATIONAL", "de_mistura", "NONE"),),
            None,
            False,
        ),
        LAST_SENTENCE: (
            "AGAINST",
            (span("Hezbollah fighters", LAST_SENTENCE, "MILITANT", None, "AGAINST"),),
            COMMENT,
            True,
        ),
    }
    assert {a.annotator for a in pulled.values()} == {email}


# The adapter and the store, without a server.

TASK = {
    "id": 7,
    "data": {"text": "Russia and the UN met.", "segment_id": "s-1", "article_id": "a", "target_id": "geneva"},
}
USER = {"id": 3, "email": "ann@example.org"}


def adapt(task: dict, annotation: dict, actor_ids: object = None) -> Annotation:
    """The adapter on the fixture project's scheme and target."""
    return annotation_from_label_studio(task, annotation, SCHEME, "geneva", actor_ids)  # type: ignore[arg-type]


def exported(result: list[dict]) -> dict:
    return {"id": 11, "completed_by": USER, "result": result, "created_at": "2026-01-01T00:00:00Z"}


def sentence(stance: str = "NONE") -> list[dict]:
    return [{"id": "s", "from_name": "stance", "to_name": "text", "type": "choices", "value": {"choices": [stance]}}]


def test_a_pre_annotation_round_trips_with_its_actor_chosen_and_its_note_ignored():
    spans = [span("Russia", TASK["data"]["text"], "GOVERNMENT", "russia", "NONE"),
             span("UN", TASK["data"]["text"], "INTERNATIONAL", None, "FAVOR")]
    result = result_from_spans(TASK["data"]["text"], spans, {a.id: a.name for a in REGISTRY.values()})
    notes = [r["value"]["text"] for r in result if r["from_name"] == "prefill"]
    assert notes == [["pre-filled: NONE · russia (Russia)"], ["pre-filled: FAVOR · not in the registry"]]
    assert [r["value"]["taxonomy"] for r in result if r["from_name"] == "actor_id"] == [[["russia"]],
                                                                                         [["NOT_IN_REGISTRY"]]]
    annotation = adapt(TASK, exported(sentence() + result), REGISTRY.keys())
    assert annotation.actors == tuple(spans) and annotation.comment is None and not annotation.needs_adjudication


def test_an_actor_id_outside_the_registry_names_the_task_the_annotator_and_the_id():
    typed = result_from_spans(TASK["data"]["text"], [span("UN", TASK["data"]["text"], "INTERNATIONAL",
                                                          "un", "NONE")])
    typed = [r for r in typed if r["from_name"] != "actor_id"] + [
        {"id": "actor1", "from_name": "actor_id", "to_name": "text", "type": "textarea",
         "value": {"start": 15, "end": 17, "text": ["the_un"]}},
    ]
    with pytest.raises(LabelStudioError) as refused:
        adapt(TASK, exported(sentence() + typed), REGISTRY.keys())
    assert str(refused.value) == (
        "task 7 (segment s-1) annotation 11 by ann@example.org: actor id 'the_un' of the span 'UN' is not in the "
        "actor registry (choose a registry actor or 'not in the registry' in Label Studio)"
    )
    # Without a registry to check against (as before), the typed id is taken as it is.
    assert adapt(TASK, exported(sentence() + typed)).actors[0].actor_id == "the_un"


def test_the_comment_and_the_flag_are_read_and_an_unknown_flag_is_refused():
    extra = [
        {"id": "c", "from_name": "comment", "to_name": "text", "type": "textarea", "value": {"text": [" Who? "]}},
        {"id": "q", "from_name": "flag", "to_name": "text", "type": "choices",
         "value": {"choices": ["needs_adjudication"]}},
    ]
    annotation = adapt(TASK, exported(sentence("FAVOR") + extra))
    assert (annotation.comment, annotation.needs_adjudication) == ("Who?", True)
    extra[1]["value"]["choices"] = ["urgent"]
    with pytest.raises(LabelStudioError, match=r"flag\(s\) \['urgent'\] are not part of the labeling config"):
        adapt(TASK, exported(sentence("FAVOR") + extra))


def test_the_store_writes_the_new_fields_only_when_set_so_old_lines_keep_their_bytes(tmp_path):
    old = {"segment_id": "s-1", "article_id": "a", "text": "Russia and the UN met.", "target": "geneva",
           "annotator": "ann@example.org", "stance": "NONE", "actors": [], "created_at": None, "updated_at": None}
    line = json.dumps(old, ensure_ascii=False) + "\n"
    path = tmp_path / "annotations.jsonl"
    path.write_text(line, encoding="utf-8")
    (plain,) = read_annotations(path, SCHEME)
    flagged = Annotation(**{**old, "segment_id": "s-2", "stance": "NONE", "actors": ()},
                         comment="Who is 'they'?", needs_adjudication=True)
    write_annotations(path, [plain, flagged])
    first, second = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert first == line
    assert json.loads(second) == {**old, "segment_id": "s-2", "comment": "Who is 'they'?", "needs_adjudication": True}
    assert read_annotations(path, SCHEME) == [plain, flagged]
    with pytest.raises(InputError, match="'needs_adjudication' must be true or false"):
        annotation_from_record({**old, "needs_adjudication": "yes"}, "line 1", SCHEME)
    with pytest.raises(InputError, match="'comment' must be a non-empty string or null"):
        annotation_from_record({**old, "comment": " "}, "line 1", SCHEME)


def test_a_flagged_segment_is_never_decided_by_majority_and_lists_its_comments():
    def rating(annotator: str, flagged: bool, comment: str | None) -> Annotation:
        return Annotation("s-1", "a", "Russia and the UN met.", "geneva", annotator, "NONE",
                          comment=comment, needs_adjudication=flagged)

    gold, ties = adjudicate([rating("x", True, "Is this the talks?"), rating("y", False, None),
                             rating("z", False, "fine")])
    assert gold == []
    assert [tie.problem for tie in ties] == [
        "flagged for adjudication by x; comment by x: 'Is this the talks?'; comment by z: 'fine'"
    ]
    gold, ties = adjudicate([rating("x", False, "Is this the talks?"), rating("y", False, None)])
    assert ties == [] and [(g.annotator, g.comment, g.needs_adjudication) for g in gold] == [("gold", None, False)]


def test_the_committed_store_rebuilds_byte_identical(tmp_path):
    """Backward compatible: the repository's committed store reads and writes back to the same bytes."""
    repository = load_project(Path(__file__).resolve().parents[1])
    committed = repository.store
    for name in ("annotations.jsonl", "gold.jsonl"):
        copy = tmp_path / name
        write_annotations(copy, read_annotations(committed / name, repository.scheme))
        assert copy.read_bytes() == (committed / name).read_bytes()
