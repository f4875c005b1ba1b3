"""An annotator's session in the real Label Studio web UI (Debian's Chromium), then `stance-corpus pull`.

The annotator joins through the organisation's invite link, logs in, opens the first task of the project, reads
the guidelines, headline, target and neighbouring sentences, marks an actor by dragging the mouse over part of two
words (word granularity makes it whole words), types it and its stance with hotkeys, gives the sentence stance and
submits. The pulled record must be exactly what the browser did.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from xml.etree import ElementTree

import pytest
from annotator import ANNOTATOR_PASSWORD, Annotator, invite_annotator, log_in
from playwright.sync_api import BrowserContext, Page, expect
from stance_corpus.corpus.actors import load_actor_registry
from stance_corpus.corpus.project import load_project
from stance_corpus.corpus.schema import ActorSpan, Annotation
from stance_corpus.corpus.store import read_annotations
from stance_corpus.labeling.config import label_config
from stance_corpus.labeling.server import connect

from stance_corpus.cli import main

DATA = Path(__file__).parent / "data" / "test_browser"
TARGET = "the Geneva talks"
HEADLINE = "Geneva talks resume"
# The body segments of data/test_browser/seeds/geneva.txt, read off the file by hand.
FIRST = "Russia said on Monday that the opposition delegation would stay in Geneva."
SECOND = "The UN envoy welcomed the ceasefire."
THIRD = "Rebel groups rejected it."
GUIDELINES = "Mark the stance of each sentence toward the target, then every actor who takes a position."
TARGET_GUIDELINES = "Joining, backing or continuing the Geneva talks is FAVOR; leaving or refusing them is AGAINST."
PROJECT = load_project(DATA)
REGISTRY = load_actor_registry(PROJECT.actors, PROJECT.scheme)
CONFIG = label_config(PROJECT.scheme, PROJECT.scheme.targets[0], REGISTRY)


def test_every_label_and_choice_has_its_own_hotkey():
    """The registry's actors are chosen in a searchable list (a Taxonomy), not by keys."""
    config = ElementTree.fromstring(CONFIG)
    in_lists = {id(choice) for taxonomy in config.iter("Taxonomy") for choice in taxonomy.iter("Choice")}
    assert len(in_lists) == 1 + len(REGISTRY)  # "not in the registry" and every actor
    options = [
        (element.tag, element.get("value"), element.get("hotkey"))
        for element in config.iter()
        if element.tag in ("Label", "Choice") and id(element) not in in_lists
    ]
    assert len(options) == 6 + 3 + 3 + 1  # actor types, sentence stances, actor stances, adjudication flag
    assert [option for option in options if not option[2]] == []
    hotkeys = [hotkey for _, _, hotkey in options]
    assert len(set(hotkeys)) == len(hotkeys), hotkeys


def test_every_text_selects_whole_words():
    texts = ElementTree.fromstring(CONFIG).iter("Text")
    assert {text.get("name"): text.get("granularity") for text in texts} == {
        "target_description": None, "previous": "word", "text": "word", "next": "word",
    }


def drag_over(page: Page, line: str, first_word: str, last_word: str) -> None:
    """Press the mouse inside the second letter of first_word and release inside the last-but-one of last_word."""
    element = page.locator(".lsf-richtext__line", has_text=line).first
    # The line is split into several text nodes around the regions already highlighted in it.
    points = element.evaluate(
        """(line, [first, last]) => {
            const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
            const nodes = [];
            while (walker.nextNode()) nodes.push(walker.currentNode);
            const text = nodes.map((node) => node.textContent).join("");
            const centre = (offset) => {
                let node = nodes[0];
                for (node of nodes) {
                    if (offset < node.textContent.length) break;
                    offset -= node.textContent.length;
                }
                const range = document.createRange();
                range.setStart(node, offset);
                range.setEnd(node, offset + 1);
                const box = range.getBoundingClientRect();
                return [box.x + box.width / 2, box.y + box.height / 2];
            };
            return [centre(text.indexOf(first) + 1), centre(text.indexOf(last) + last.length - 2)];
        }""",
        [first_word, last_word],
    )
    (x1, y1), (x2, y2) = points
    page.mouse.move(x1, y1)
    page.mouse.down()
    page.mouse.move(x2, y2, steps=10)
    page.mouse.up()


@pytest.mark.browser
@pytest.mark.labelstudio
@pytest.mark.slow
def test_an_annotator_labels_the_first_task_in_the_browser_and_pull_returns_it(
    label_studio_env, chromium: BrowserContext, artifacts_dir, project_title, tmp_path, capsys
):
    server = label_studio_env
    folder = shutil.copytree(DATA, tmp_path / "project")
    with (folder / "stance-corpus.toml").open("a", encoding="utf-8") as config:
        config.write("\n[annotation]\nannotators_per_task = 1\n")
    assert main(["annotate", "--project", str(folder), "--title", project_title]) == 0
    capsys.readouterr()
    client = connect(server.url, server.token)
    (project,) = [p for p in client.projects.list(title=project_title) if p.title == project_title]
    first_task = min(client.tasks.list(project=project.id, page_size=10), key=lambda task: task.id)
    email = f"annotator-{project.id}@example.com"
    invite_annotator(server.url, server.token, email, ANNOTATOR_PASSWORD)

    page = chromium.new_page()
    log_in(page, server.url, email, ANNOTATOR_PASSWORD)
    page.goto(f"{server.url}/projects/{project.id}/data")
    page.get_by_role("button", name="Label All Tasks").click()

    # The guidelines open with the first task, and stay one click away.
    instructions = page.locator(".lsf-modal-ls")
    expect(instructions).to_contain_text(GUIDELINES, timeout=60_000)
    expect(instructions).to_contain_text(TARGET_GUIDELINES)  # the target's own section of the guidelines
    page.keyboard.press("Escape")
    expect(instructions).to_be_hidden()
    expect(page.get_by_role("button", name="Instructions")).to_be_visible()

    description = PROJECT.scheme.targets[0].description  # the target's description, on the labeling screen
    for visible in (f"Target: {TARGET}", description, f"Headline: {HEADLINE}", FIRST, SECOND):
        expect(page.get_by_text(visible, exact=True)).to_be_visible()
    expect(page.get_by_text(THIRD, exact=True)).to_have_count(0)  # not a neighbour of the first sentence
    # The gazetteer's pre-annotation is already there; the annotator adds the actor it does not know.
    regions = page.locator(".lsf-outliner-item")
    expect(regions).to_have_count(1)
    expect(regions.first).to_contain_text("Russia")

    page.keyboard.press("2")  # OPPOSITION
    drag_over(page, FIRST, "opposition", "delegation")
    expect(regions).to_have_count(2)
    regions.filter(has_text="opposition delegation").click()
    page.keyboard.press("Shift+A")  # the selected actor is AGAINST
    Annotator(page).choose_actor("not in", "not in the registry")  # this test's registry knows Russia only
    page.keyboard.press("Escape")  # close the actor list
    page.locator(".lsf-richtext").nth(1).click(position={"x": 2, "y": 2})  # leave its search box
    page.keyboard.press("u")  # unselect the region
    page.keyboard.press("f")  # the sentence is FAVOR
    screenshot = artifacts_dir / "labeling-screen.png"
    page.screenshot(path=str(screenshot), full_page=True)
    with capsys.disabled():  # shown in the test output even when the test passes
        print(f"\nscreenshot of the labeling screen: {screenshot}")
    page.get_by_test_id("bottombar-submit-button").click()

    # Submitting opens the next task in reading order, with the first sentence now as context.
    expect(page.get_by_text(THIRD, exact=True)).to_be_visible(timeout=30_000)
    for visible in (FIRST, SECOND):
        expect(page.get_by_text(visible, exact=True)).to_be_visible()
    page.close()

    assert main(["pull", "--project", str(folder), "--title", project_title]) == 0
    (pulled,) = read_annotations(folder / "annotations" / "annotations.jsonl", PROJECT.scheme)
    opposition = FIRST.index("opposition delegation")
    assert pulled.created_at and pulled.updated_at
    assert pulled == Annotation(
        segment_id=first_task.data["segment_id"],
        article_id="geneva",
        text=FIRST,
        target="geneva",
        annotator=email,
        stance="FAVOR",
        actors=(
            ActorSpan(start=0, end=6, text="Russia", type="GOVERNMENT", actor_id="russia", stance="NONE"),
            ActorSpan(
                start=opposition, end=opposition + len("opposition delegation"), text="opposition delegation",
                type="OPPOSITION", actor_id=None, stance="AGAINST",
            ),
        ),
        created_at=pulled.created_at,
        updated_at=pulled.updated_at,
    )
