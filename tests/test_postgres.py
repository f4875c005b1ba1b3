"""The Label Studio workflow on PostgreSQL: `stance-corpus annotate --database postgresql` as a team would run it.

The server is started by the CLI itself (Debian's PostgreSQL in a temp dir, tests/postgres.py); the push / pull
tests of test_labeling.py then run again, unchanged, against it, and a pull + agreement round trip goes through
the embedded-server path (`--data-dir`, `--database`), checking in PostgreSQL itself that the data lives there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from conftest import interrupt
from postgres import PostgresCluster
from stance_corpus.labeling.server import (
    CREDENTIALS_FILE,
    RUNNING_FILE,
    TOKEN_ENV,
    URL_ENV,
    LocalServer,
    connect,
    free_port,
)
from test_labeling import (  # noqa: F401  (run again here, against Label Studio on PostgreSQL)
    DATA,
    TALKS,
    _stance_result,
    _users,
    project,
    run,
    seeds,
    test_labeling_config_is_accepted_by_the_server_and_matches_the_scheme,
    test_pull_rejects_an_invalid_annotation_and_writes_nothing,
    test_pull_returns_every_annotation_of_two_users_field_by_field,
    test_push_three_times_then_new_article_then_edited_sentence,
)

pytestmark = pytest.mark.postgresql

PROJECT = "stance-corpus on postgresql"
STARTUP_SECONDS = 300  # first start: Label Studio's migrations run on an empty database


@pytest.fixture(scope="module")
def annotate_on_postgresql(postgresql: PostgresCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """`stance-corpus annotate --database postgresql` running in its own process, as in a terminal, until Ctrl-C."""
    database = postgresql.create_database("label_studio")
    work = tmp_path_factory.mktemp("annotate-postgresql")
    data_dir = work / "label-studio"
    folder = shutil.copytree(DATA, work / "project", ignore=shutil.ignore_patterns("later"))
    # DJANGO_DB=sqlite: the option must switch it; unbuffered: the test reads the output while annotate runs.
    env = {**os.environ, **database.label_studio_env(), "DJANGO_DB": "sqlite", "PYTHONUNBUFFERED": "1"}
    for name in (URL_ENV, TOKEN_ENV):
        env.pop(name, None)
    command = [
        sys.executable, "-m", "stance_corpus.cli", "annotate", "--project", folder, "--title", PROJECT,
        "--data-dir", data_dir, "--database", "postgresql",
    ]
    log_path = work / "annotate.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(list(map(str, command)), env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_for(process, log_path, "press Ctrl-C to stop it")
        credentials = json.loads((data_dir / CREDENTIALS_FILE).read_text(encoding="utf-8"))
        running = json.loads((data_dir / RUNNING_FILE).read_text(encoding="utf-8"))
        yield {
            "process": process, "log": log_path, "data_dir": data_dir, "database": database, "url": running["url"],
            "project": folder, **credentials,
        }
    finally:
        interrupt(process, data_dir)


def _wait_for(process: subprocess.Popen, log_path: Path, line: str) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while line not in log_path.read_text(encoding="utf-8"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"annotate did not get to {line!r}:\n{log_path.read_text(encoding='utf-8')[-3000:]}")
        time.sleep(1)


@pytest.fixture(scope="module")
def label_studio(annotate_on_postgresql: dict) -> LocalServer:
    """Overrides tests/conftest.py for this module: the imported test_labeling tests run against PostgreSQL."""
    server = annotate_on_postgresql
    return LocalServer(server["url"], server["token"], server["username"], server["password"], server["data_dir"],
                       server["process"])


@pytest.mark.labelstudio
@pytest.mark.slow
def test_annotate_stores_the_project_in_postgresql(annotate_on_postgresql):
    database = annotate_on_postgresql["database"]
    log = annotate_on_postgresql["log"].read_text(encoding="utf-8")
    assert "5 task(s) for 1 article(s): 5 created" in log
    with psycopg.connect(host=database.host, port=database.port, user=database.user, password=database.password,
                         dbname=database.name) as connection:
        rows = connection.execute(
            "SELECT t.data->>'text', p.maximum_annotations, p.overlap_cohort_percentage, p.show_instruction "
            "FROM task t JOIN project p ON p.id = t.project_id WHERE p.title = %s ORDER BY t.id",
            (PROJECT,),
        ).fetchall()
    assert [text for text, *_ in rows] == [text for _, text in TALKS]  # reading order = import order
    assert {tuple(settings) for _, *settings in rows} == {(2, 100, True)}  # 2 annotators on every task


@pytest.mark.labelstudio
@pytest.mark.slow
def test_pull_and_agreement_through_the_embedded_server_on_postgresql(
    annotate_on_postgresql, monkeypatch, tmp_path, capsys
):
    server = annotate_on_postgresql
    for name in (URL_ENV, TOKEN_ENV):
        monkeypatch.delenv(name, raising=False)
    client = connect(server["url"], server["token"])
    (ls_project,) = [p for p in client.projects.list(title=PROJECT) if p.title == PROJECT]
    tasks = {task.data["text"]: task for task in client.tasks.list(project=ls_project.id, page_size=100)}
    first, second = _users(client, "pg-first", "pg-second")
    # first: F F A N, second: F A A N on the first four segments. Observed 3/4; chance (2*1 + 1*2 + 1*1)/16.
    for user, stances in ((first, "FFAN"), (second, "FAAN")):
        for (_, text), stance in zip(TALKS, stances):
            label = {"F": "FAVOR", "A": "AGAINST", "N": "NONE"}[stance]
            client.annotations.create(id=tasks[text].id, result=_stance_result(label), completed_by=user.id)

    folder = shutil.copytree(server["project"], tmp_path / "project")
    code, out, err = run(
        capsys, "pull", "--project", folder, "--title", PROJECT, "--data-dir", server["data_dir"],
        "--database", "postgresql",
    )
    assert code == 0, err
    assert f"{first.email}: 4 completed" in out and f"{second.email}: 4 completed" in out
    report = tmp_path / "agreement.json"
    code, out, err = run(capsys, "agreement", "--project", folder, "--json", report)
    assert code == 0, err
    (pair,) = json.loads(report.read_text(encoding="utf-8"))["targets"]["geneva"]["sentence_stance"]["pairs"]
    assert pair["segments"] == 4 and pair["percent_agreement"] == 75.0
    assert pair["cohen_kappa"] == pytest.approx((0.75 - 5 / 16) / (1 - 5 / 16), abs=1e-4)


def test_postgresql_not_answering_is_a_clear_error(monkeypatch, project, tmp_path, capsys):  # noqa: F811
    for name in (URL_ENV, TOKEN_ENV):
        monkeypatch.delenv(name, raising=False)
    port = free_port()
    monkeypatch.setenv("POSTGRE_HOST", "127.0.0.1")
    monkeypatch.setenv("POSTGRE_PORT", str(port))
    code, _, err = run(
        capsys, "annotate", "--project", project, "--data-dir", tmp_path / "label-studio", "--database", "postgresql",
    )
    assert code == 1
    assert err.startswith(
        f"stance-corpus: error: PostgreSQL at 127.0.0.1:{port} (POSTGRE_HOST, POSTGRE_PORT) is not answering: "
    )
    assert len(err.strip().splitlines()) == 1
