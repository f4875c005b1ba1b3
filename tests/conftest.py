"""Shared fixtures; shared functions and constants are in helpers.py.

`label_studio`: one real label-studio server for the session, on SQLite in a temp dir; a test marked
`@helpers.on_sqlite_and_postgresql` also runs against the Label Studio that `stance-corpus annotate --database
postgresql` serves from Debian's PostgreSQL (tests/postgres.py). Each test creates its own project under a unique
title (`project_title`), so tests don't interfere."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import artifacts_dir, chromium  # noqa: F401 - fixtures of the browser tests
from helpers import DATABASES, labeling_project
from postgres import AnnotateRun, annotate_on_postgresql, postgresql  # noqa: F401 - fixtures of the PostgreSQL tests
from stance_corpus.labeling.server import TOKEN_ENV, URL_ENV, LocalServer, start_local_server


@pytest.fixture(scope="session")
def sqlite_label_studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """The session's Label Studio on SQLite (its data in a temp dir)."""
    with start_local_server(tmp_path_factory.mktemp("label-studio")) as server:
        yield server


@pytest.fixture
def label_studio(request: pytest.FixtureRequest) -> LocalServer:
    """A running Label Studio: the session's one on SQLite, or with the parameter "postgresql" (indirect, see
    helpers.on_sqlite_and_postgresql) the one `annotate --database postgresql` serves. Function-scoped, so that it
    only picks one of the two session servers: neither restarts when tests of both kinds interleave."""
    database = getattr(request, "param", "sqlite")
    assert database in DATABASES, database
    if database == "postgresql":
        run: AnnotateRun = request.getfixturevalue("annotate_on_postgresql")
        return run.server
    server: LocalServer = request.getfixturevalue("sqlite_label_studio")
    return server


@pytest.fixture
def label_studio_env(label_studio: LocalServer, monkeypatch: pytest.MonkeyPatch) -> LocalServer:
    """The CLI pointed at the session server as a team server (LABEL_STUDIO_URL + LABEL_STUDIO_API_KEY)."""
    monkeypatch.setenv(URL_ENV, label_studio.url)
    monkeypatch.setenv(TOKEN_ENV, label_studio.token)
    return label_studio


@pytest.fixture
def project_title(request: pytest.FixtureRequest) -> str:
    """A project title of its own for each test (its name and a random suffix)."""
    return f"{request.node.name[:40]} {uuid.uuid4().hex[:8]}"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the Label Studio tests' corpus project (tests/data/test_labeling) that a test may change."""
    return labeling_project(tmp_path / "project")


@pytest.fixture
def seeds(project: Path) -> Path:
    """The seed folder of that copy (`project`)."""
    return project / "seeds"
