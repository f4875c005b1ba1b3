"""The Label Studio workflow on PostgreSQL: `stance-corpus annotate --database postgresql` as a team would run it.

The server is started by the CLI itself (Debian's PostgreSQL in a temp dir, tests/postgres.py), and is the
PostgreSQL side of the `label_studio` fixture: the push / pull tests of test_labeling.py marked
`on_sqlite_and_postgresql` run against it too. Here: the project lives in PostgreSQL itself, a pull + agreement
round trip goes through the embedded-server path (`--data-dir`, `--database`), and a PostgreSQL that does not
answer is one line.
"""

from __future__ import annotations

import json
import shutil

import psycopg
import pytest
from helpers import TALKS, TARGET_ID, run, stance_result, users
from postgres import ANNOTATE_PROJECT, AnnotateRun
from stance_corpus.labeling.server import TOKEN_ENV, URL_ENV, connect, free_port

pytestmark = pytest.mark.postgresql


@pytest.mark.labelstudio
@pytest.mark.slow
def test_annotate_stores_the_project_in_postgresql(annotate_on_postgresql: AnnotateRun) -> None:
    database = annotate_on_postgresql.database
    log = annotate_on_postgresql.log.read_text(encoding="utf-8")
    assert "5 task(s) for 1 article(s): 5 created" in log
    with psycopg.connect(host=database.host, port=database.port, user=database.user, password=database.password,
                         dbname=database.name) as connection:
        rows = connection.execute(
            "SELECT t.data->>'text', p.maximum_annotations, p.overlap_cohort_percentage, p.show_instruction "
            "FROM task t JOIN project p ON p.id = t.project_id WHERE p.title = %s ORDER BY t.id",
            (ANNOTATE_PROJECT,),
        ).fetchall()
    assert [text for text, *_ in rows] == [text for _, text in TALKS]  # reading order = import order
    assert {tuple(settings) for _, *settings in rows} == {(2, 100, True)}  # 2 annotators on every task


@pytest.mark.labelstudio
@pytest.mark.slow
def test_pull_and_agreement_through_the_embedded_server_on_postgresql(
    annotate_on_postgresql, monkeypatch, tmp_path, capsys
):
    server = annotate_on_postgresql.server
    for name in (URL_ENV, TOKEN_ENV):
        monkeypatch.delenv(name, raising=False)
    client = connect(server.url, server.token)
    (project,) = [p for p in client.projects.list(title=ANNOTATE_PROJECT) if p.title == ANNOTATE_PROJECT]
    tasks = {task.data["text"]: task for task in client.tasks.list(project=project.id, page_size=100)}
    first, second = users(client, "pg-first", "pg-second")
    # first: F F A N, second: F A A N on the first four segments. Observed 3/4; chance (2*1 + 1*2 + 1*1)/16.
    for user, stances in ((first, "FFAN"), (second, "FAAN")):
        for (_, text), stance in zip(TALKS, stances):
            label = {"F": "FAVOR", "A": "AGAINST", "N": "NONE"}[stance]
            client.annotations.create(id=tasks[text].id, result=stance_result(label), completed_by=user.id)

    project = shutil.copytree(annotate_on_postgresql.project, tmp_path / "project")
    code, out, err = run(
        capsys, "pull", "--project", project, "--title", ANNOTATE_PROJECT, "--data-dir", server.data_dir,
        "--database", "postgresql",
    )
    assert code == 0, err
    assert f"{first.email}: 4 completed" in out and f"{second.email}: 4 completed" in out
    report = tmp_path / "agreement.json"
    code, out, err = run(capsys, "agreement", "--project", project, "--json", report)
    assert code == 0, err
    (pair,) = json.loads(report.read_text(encoding="utf-8"))["targets"][TARGET_ID]["sentence_stance"]["pairs"]
    assert pair["segments"] == 4 and pair["percent_agreement"] == 75.0
    assert pair["cohen_kappa"] == pytest.approx((0.75 - 5 / 16) / (1 - 5 / 16), abs=1e-4)


def test_postgresql_not_answering_is_a_clear_error(monkeypatch, project, tmp_path, capsys):
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
