"""Actions per sentence at the labeling screen, measured by a browser script on a real local Label Studio.

    .venv/bin/python benchmarks/annotator_actions.py [--screenshot docs/img/annotator-screen.png]

Annotates the corpus project tests/data/test_annotator_screen (five sentences, pre-annotated by its registry's
gazetteer) into a fresh local server, opens the label
stream in Debian's Chromium (headless, as tests/browser.py) as the admin user, turns on "Select region after
creating it" as the instructions ask, then labels the four measured cases of tests/annotator.py, counting each key
press, click, drag and typed search, and the fifth sentence (not counted). It pulls the project and checks that
every case's labels arrived before printing the table (docs/annotation.md, "Actions per sentence").
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout without installing
sys.path.insert(0, str(REPO / "tests"))  # the annotator of the browser tests

from annotator import CASES, DATA, LAST_SENTENCE, Annotator, label_the_last_sentence, log_in
from browser import CHROMIUM, CHROMIUM_ARGS
from playwright.sync_api import expect, sync_playwright
from stance_corpus.corpus.actors import load_actor_registry
from stance_corpus.corpus.project import load_project
from stance_corpus.labeling.convert import required_id
from stance_corpus.labeling.pull import annotations_from_export, export_snapshot
from stance_corpus.labeling.server import TOKEN_ENV, URL_ENV, connect, start_local_server

from stance_corpus.cli import main

GOALS = {  # issue 18's goals, actions per sentence
    "trust the pre-fill": 2,
    "change one actor's stance": 3,
    "add a span with its actor id": 5,
    "fix a boundary": 6,
}
SCREENSHOT_CASE = "change one actor's stance"  # two pre-filled spans, shown before anything is done


def measure(screenshot: Path | None) -> list[tuple[str, list[str]]]:
    """(case, actions) of each measured case, after checking in the pulled project that each one's labels arrived."""
    with tempfile.TemporaryDirectory(prefix="stance-corpus-actions-") as tmp, start_local_server(Path(tmp)) as server:
        os.environ[URL_ENV], os.environ[TOKEN_ENV] = server.url, server.token
        folder = shutil.copytree(DATA, Path(tmp) / "project")
        corpus = load_project(folder)
        title = "annotator actions"
        if main(["annotate", "--project", str(folder), "--title", title]) != 0:
            raise SystemExit("annotate failed")
        client = connect(server.url, server.token)
        (project,) = [p for p in client.projects.list(title=title) if p.title == title]
        measured = []
        with tempfile.TemporaryDirectory(prefix="stance-corpus-chromium-") as profile, sync_playwright() as driver:
            browser = driver.chromium.launch_persistent_context(
                profile, executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
                viewport={"width": 1400, "height": 1000},
            )
            page = browser.new_page()
            log_in(page, server.url, server.username, server.password)
            annotator = Annotator(page)
            annotator.start_labeling(server.url, project.id)
            for case in CASES:
                annotator.wait_for(case.sentence)
                if screenshot is not None and case.name == SCREENSHOT_CASE:
                    expect(page.get_by_text("Annotation saved successfully")).to_have_count(0, timeout=15_000)
                    screenshot.parent.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(screenshot))
                annotator.actions = []
                case.work(annotator)
                measured.append((case.name, list(annotator.actions)))
            annotator.wait_for(LAST_SENTENCE)
            label_the_last_sentence(annotator)
            expect(page.get_by_text("Annotation saved successfully").last).to_be_visible(timeout=30_000)
            browser.close()
        registry = load_actor_registry(corpus.actors, corpus.scheme)
        target = corpus.scheme.targets[0].id
        snapshot = export_snapshot(client, required_id(project.id, title), server.data_dir)
        pulled = annotations_from_export(snapshot, corpus.scheme, target, registry.keys())
    done = {annotation.text for annotation in pulled.annotations}
    missing = [case.name for case in CASES if case.sentence not in done]
    if missing or LAST_SENTENCE not in done:
        raise SystemExit(f"labels did not arrive for {missing or [LAST_SENTENCE]}")
    return measured


def main_cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--screenshot", type=Path, help="save the screen of a pre-annotated sentence here (PNG)")
    args = parser.parse_args()
    rows = measure(args.screenshot)
    print("| case | actions | count | goal |")
    print("|---|---|---:|---:|")
    for name, actions in rows:
        print(f"| {name} | {', '.join(actions)} | {len(actions)} | {GOALS[name]} |")


if __name__ == "__main__":
    main_cli()
