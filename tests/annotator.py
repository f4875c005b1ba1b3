"""An annotator at the Label Studio labeling screen, for the browser tests and benchmarks/annotator_actions.py.

Every key press, click, drag and typed search goes through `Annotator`, which counts it: the counts are what a person
does, measured on the real screen. One action is one key press (a chord such as Shift+A is one), one click, one
mouse drag, or typing one search string. What a person does once per browser (close the instructions, turn on a
setting) is not counted per sentence.

The five sentences of tests/data/test_annotator_screen/seeds/talks.txt, one case each, in reading order (the order
"Label All Tasks" serves them): `CASES` are the four measured cases, `label_the_last_sentence` the fifth.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect
from stance_corpus.labeling.server import connect

DATA = Path(__file__).parent / "data" / "test_annotator_screen"
SELECT_AFTER_CREATING = "Select region after creating it"
SELECTED_ACTOR = "Stance of the selected actor toward the target"  # shown while a span is selected
COMMENT = "Does the border crossing concern the ceasefire?"
ANNOTATOR_PASSWORD = "annotator-password-1"

# A point inside a word of the annotated sentence, `fraction` of the way across it. (Pressing the mouse on the exact
# centre of a letter sometimes starts no selection in headless Chromium; a quarter of a word across never failed.)
_POINT_IN_WORD = """(line, [word, fraction]) => {
    const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
    const nodes = [];
    while (walker.nextNode()) nodes.push(walker.currentNode);
    const at = (offset) => {
        for (const node of nodes) {
            if (offset < node.textContent.length) return [node, offset];
            offset -= node.textContent.length;
        }
        return [nodes.at(-1), nodes.at(-1).textContent.length];
    };
    const start = nodes.map((node) => node.textContent).join("").indexOf(word);
    if (start < 0) throw new Error(`no ${word} in ${line.textContent}`);
    const range = document.createRange();
    range.setStart(...at(start));
    range.setEnd(...at(start + word.length));
    const box = range.getClientRects()[0];
    return [box.x + box.width * fraction, box.y + box.height / 2];
}"""


def invite_annotator(url: str, token: str, email: str, password: str) -> None:
    """Sign up through the organisation's invite link, as a new annotator does (signup is closed without it)."""
    invite = connect(url, token).organizations.invites.get_invite_link().invite_url
    with httpx.Client(base_url=url, timeout=60) as browserless:  # a busy machine answers signups slowly
        browserless.get(invite).raise_for_status()
        response = browserless.post(
            invite,
            data={"email": email, "password": password, "csrfmiddlewaretoken": browserless.cookies["csrftoken"]},
            headers={"Referer": f"{url}{invite}"},
        )
    assert response.status_code == 302, f"signup of {email} refused: {response.status_code} {response.text[:300]}"


def log_in(page: Page, url: str, email: str, password: str) -> None:
    """Log in through the login form, as a person does (logged out first: the browser of the session is shared)."""
    page.context.clear_cookies()
    page.goto(f"{url}/user/login/")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")


@dataclass
class Annotator:
    """A person at the labeling screen of `page`: the actions they take, counted in `actions`."""

    page: Page
    actions: list[str] = field(default_factory=list)

    @property
    def sentence(self):
        """The annotated sentence: the third text of the screen (after the target's description and the previous
        sentence, before the next one)."""
        return self.page.locator(".lsf-richtext__line").nth(2)

    def start_labeling(self, url: str, project_id: int) -> None:
        """Open the project's label stream, close the instructions and turn on "Select region after creating it"
        as the instructions ask (once per browser: not counted)."""
        self.page.goto(f"{url}/projects/{project_id}/data")
        self.page.get_by_role("button", name="Label All Tasks").click()
        expect(self.page.locator(".lsf-modal-ls")).to_contain_text("Using the labeling screen", timeout=60_000)
        self.page.keyboard.press("Escape")
        self.page.locator("[aria-label*=ettings]").last.click()
        setting = self.page.get_by_text(SELECT_AFTER_CREATING, exact=True)
        setting.click()
        self.page.keyboard.press("Escape")
        expect(setting).to_be_hidden()

    def wait_for(self, text: str) -> None:
        """Wait until the task of this sentence is on the screen."""
        expect(self.sentence).to_have_text(text, timeout=30_000)

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)
        self.actions.append(key)

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)
        self.actions.append(f"type {text!r}")

    def click_span(self, text: str) -> None:
        """Click a highlighted span of the sentence, which selects it."""
        span = self.sentence.locator(".htx-highlight").filter(has_text=re.compile(f"^{re.escape(text)}$"))
        span.first.click()
        expect(self.page.get_by_text(SELECTED_ACTOR, exact=True)).to_be_visible()
        self.actions.append(f"click {text!r}")

    def drag_over(self, first_word: str, last_word: str) -> None:
        """Drag the mouse from inside first_word to inside last_word (the selection snaps to whole words)."""
        start = self.sentence.evaluate(_POINT_IN_WORD, [first_word, 0.25])
        end = self.sentence.evaluate(_POINT_IN_WORD, [last_word, 0.75])
        self._drag(start, end)
        self.actions.append(f"drag {first_word!r}..{last_word!r}")
        # "Select region after creating it" selects the new span a moment later: a person sees it, then goes on.
        expect(self.page.get_by_text(SELECTED_ACTOR, exact=True)).to_be_visible()

    def drag_boundary(self, side: str, to_word: str) -> None:
        """Drag the start or end handle of the selected span into to_word."""
        handle = self.sentence.locator(f"area.__resize_{'left' if side == 'start' else 'right'}").first
        box = handle.bounding_box()
        assert box is not None, "the selected span shows no resize handle"
        target = self.sentence.evaluate(_POINT_IN_WORD, [to_word, 0.25 if side == "start" else 0.75])
        self._drag((box["x"] + box["width"] / 2, box["y"] + box["height"] / 2), target)
        self.actions.append(f"drag the {side} of the span to {to_word!r}")

    def _drag(self, start: tuple[float, float], end: tuple[float, float]) -> None:
        self.page.mouse.move(*start)
        self.page.mouse.down()
        self.page.mouse.move(*end, steps=10)
        self.page.mouse.up()

    def choose_actor(self, search: str, actor: str | None) -> None:
        """Open the selected span's actor list, search it and click `actor` (three actions); with actor None, check
        that the search finds nothing. The list stays open until the next click elsewhere."""
        self.page.locator(".htx-taxonomy:visible").click()
        self.actions.append("click the actor list")
        search_box = self.page.locator(".htx-taxonomy-dropdown:visible").get_by_test_id("taxonomy-search")
        expect(search_box).to_be_focused()
        self.type(search)
        items = self.page.locator(".htx-taxonomy-dropdown:visible .ant-select-tree-title")
        if actor is None:
            expect(items).to_have_count(0)
            return
        items.filter(has_text=actor).click()
        self.actions.append(f"click {actor!r}")

    def click_sentence_stance(self, stance: str) -> None:
        """Click the sentence stance (which also closes an open actor list)."""
        sentence_stance = self.page.locator(".lsf-choices").first
        sentence_stance.locator(".lsf-choice").filter(has_text=re.compile(f"^{stance}\\b")).click()
        self.actions.append(f"click {stance}")

    def submit(self) -> None:
        self.press("Control+Enter")


@dataclass(frozen=True)
class Case:
    name: str
    sentence: str
    work: Callable[[Annotator], None]


def trust_the_prefill(annotator: Annotator) -> None:
    """Russia is pre-filled right (GOVERNMENT, russia, NONE): give the sentence its stance and submit."""
    annotator.press("f")
    annotator.submit()


def change_one_actors_stance(annotator: Annotator) -> None:
    """UN and Russia are pre-filled with stance NONE; Russia is AGAINST."""
    annotator.click_span("Russia")
    annotator.press("Shift+A")
    annotator.press("a")
    annotator.submit()


def add_a_span_with_its_id(annotator: Annotator) -> None:
    """Nothing is pre-filled; "opposition delegation" is the HNC (OPPOSITION), in favour."""
    annotator.press("2")
    annotator.drag_over("opposition", "delegation")
    annotator.press("Shift+F")
    annotator.choose_actor("high neg", "High Negotiations Committee (hnc)")
    annotator.click_sentence_stance("FAVOR")
    annotator.submit()


def fix_a_boundary(annotator: Annotator) -> None:
    """The gazetteer's alias "Mistura" pre-fills part of the name: the span is "Staffan de Mistura"."""
    annotator.click_span("Mistura")
    annotator.drag_boundary("start", "Staffan")
    annotator.press("f")
    annotator.submit()


CASES = (
    Case("trust the pre-fill", "Russia welcomed the talks in Geneva.", trust_the_prefill),
    Case("change one actor's stance", "The UN said that Russia blocked the ceasefire.", change_one_actors_stance),
    Case("add a span with its actor id", "The opposition delegation arrived on Monday.", add_a_span_with_its_id),
    Case("fix a boundary", "Staffan de Mistura called for calm.", fix_a_boundary),
)
LAST_SENTENCE = "Hezbollah fighters crossed the border."


def label_the_last_sentence(annotator: Annotator) -> None:
    """A new span whose actor is not in the registry: searching a made-up id finds nothing, and submitting is
    refused until the span says "not in the registry"; then a comment, the adjudication flag, and submit."""
    page = annotator.page
    annotator.press("3")
    annotator.drag_over("Hezbollah", "fighters")
    annotator.press("Shift+A")
    annotator.choose_actor("hezbollah", None)
    annotator.click_sentence_stance("AGAINST")
    page.get_by_test_id("bottombar-submit-button").click()
    refusal = page.get_by_text("An actor has no registry actor yet")
    expect(refusal).to_be_visible()
    page.get_by_role("button", name="OK").click()
    expect(refusal).to_be_hidden()
    annotator.choose_actor("not in", "not in the registry")
    expect(page.locator(".htx-taxonomy:visible")).to_have_text("not in the registry")
    page.get_by_placeholder("What is unclear").click()
    annotator.type(COMMENT)
    page.locator(".lsf-choice").filter(has_text="Needs adjudication").click()
    page.get_by_test_id("bottombar-submit-button").click()
