"""Shared fixtures. `label_studio`: one real label-studio server (SQLite in a temp dir) for the whole session.

Each test that uses it creates its own project under a unique title (`project_title`), so tests don't interfere.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import artifacts_dir, chromium  # noqa: F401 - fixtures of the browser tests
from postgres import postgresql  # noqa: F401 - fixture of the PostgreSQL tests
from stance_corpus.labeling.server import RUNNING_FILE, TOKEN_ENV, URL_ENV, LocalServer, start_local_server


@pytest.fixture(scope="session")
def label_studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    with start_local_server(tmp_path_factory.mktemp("label-studio")) as server:
        yield server


@pytest.fixture
def label_studio_env(label_studio: LocalServer, monkeypatch: pytest.MonkeyPatch) -> LocalServer:
    """The CLI pointed at the session server as a team server (LABEL_STUDIO_URL + LABEL_STUDIO_API_KEY)."""
    monkeypatch.setenv(URL_ENV, label_studio.url)
    monkeypatch.setenv(TOKEN_ENV, label_studio.token)
    return label_studio


@pytest.fixture
def project_title(request: pytest.FixtureRequest) -> str:
    return f"{request.node.name[:40]} {uuid.uuid4().hex[:8]}"


def interrupt(process: subprocess.Popen, data_dir: Path) -> None:
    """Ctrl-C a running `stance-corpus annotate`; if it does not stop within a minute, kill it and the Label Studio
    it started (its own process group, named in running.json) so that no server outlives the test, then fail."""
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError, KeyError, ValueError):
            os.killpg(json.loads((data_dir / RUNNING_FILE).read_text(encoding="utf-8"))["pid"], signal.SIGKILL)
        process.kill()
        process.wait()
        pytest.fail("stance-corpus annotate did not stop within 60 s of Ctrl-C")
