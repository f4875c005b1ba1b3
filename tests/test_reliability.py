"""Reliability and security (docs/reliability.md): what a pull leaves on a server, whose server gets the token, who
can read the secrets, what a killed command leaves, and that no output option replaces what it should not.

The Label Studio tests run a real `label-studio` (tests/conftest.py, or a server of their own when they kill it).
"""

from __future__ import annotations

import dataclasses
import http.server
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import sysconfig
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from helpers import TARGET_ID, annotate, labeling_project, pull, run, stance_result, users, write_store
from stance_corpus.corpus.errors import ReleaseError
from stance_corpus.corpus.project import load_project
from stance_corpus.corpus.schema import GOLD_ANNOTATOR
from stance_corpus.corpus.store import read_annotations, write_annotations
from stance_corpus.labeling.pull import SERIALIZATION, SNAPSHOT_TITLE
from stance_corpus.labeling.server import (
    CREDENTIALS_FILE,
    RUNNING_FILE,
    TOKEN_ENV,
    URL_ENV,
    LocalServer,
    connect,
    free_port,
    start_local_server,
)

from stance_corpus.cli import main

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"
AGREEMENT_STORE = DATA / "test_labeling_agreement"

labelstudio = pytest.mark.labelstudio


def local_env() -> dict[str, str]:
    """This environment without a team server: commands use the embedded server of their --data-dir."""
    return {k: v for k, v in os.environ.items() if k not in (URL_ENV, TOKEN_ENV)}


def command(*args: str | Path, **options: Any) -> subprocess.CompletedProcess[str]:
    """`stance-corpus ARGS` in a process of its own, without a team server; stdout and stderr captured."""
    options = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True, **options}
    return subprocess.run(
        [sys.executable, "-m", "stance_corpus.cli", *map(str, args)], check=False, env=local_env(), timeout=900,
        **options,
    )


def spawn(*args: str | Path) -> subprocess.Popen[str]:
    """`stance-corpus ARGS` started in a process of its own, without a team server."""
    return subprocess.Popen(
        [sys.executable, "-m", "stance_corpus.cli", *map(str, args)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=local_env(),
    )


def last_line(text: str) -> str:
    return text.strip().splitlines()[-1]


def export_files(server_data_dir: Path, project_id: int) -> list[str]:
    folder = server_data_dir / "media" / "export" / str(project_id)
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def project_id(client: Any, title: str) -> int:
    (found,) = [p for p in client.projects.list(title=title) if p.title == title]
    return int(found.id)


def embedded(server: LocalServer) -> None:
    """Make server's data dir usable as an embedded one (`--data-dir`), as `annotate` leaves it."""
    credentials = {"username": server.username, "password": server.password, "token": server.token}
    path = server.data_dir / CREDENTIALS_FILE
    path.write_text(json.dumps(credentials), encoding="utf-8")
    path.chmod(0o600)


# --- Label Studio: what a pull leaves on the server ---------------------------------------------------------------


@labelstudio
def test_a_pull_from_a_local_server_leaves_no_copy_of_the_annotations(
    label_studio, monkeypatch, project_title, project, seeds, capsys
):
    monkeypatch.delenv(URL_ENV, raising=False)
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    embedded(label_studio)
    local = ("--data-dir", label_studio.data_dir)
    assert annotate(capsys, project, project_title, *local)[0] == 0
    client = connect(label_studio.url, label_studio.token)
    pid = project_id(client, project_title)
    task = next(iter(client.tasks.list(project=pid, page_size=100, include="id,data")))
    (user,) = users(client, "local")
    client.annotations.create(id=task.id, result=stance_result("FAVOR"), completed_by=user.id)
    # What a pull killed before it could clean up leaves (a snapshot and its file), and a snapshot made by a person.
    client.projects.exports.create(id=pid, title=SNAPSHOT_TITLE, serialization_options=SERIALIZATION)
    theirs = client.projects.exports.create(id=pid, title="made in the web UI")
    assert len(export_files(label_studio.data_dir, pid)) == 2

    store = project / "annotations"
    code, out, err = pull(capsys, project, project_title, *local)
    assert code == 0, err
    assert "removed 1 export snapshot(s) left on the server by interrupted pulls" in out
    assert "keeps this pull's export file" not in out
    assert [export.id for export in client.projects.exports.list(id=pid)] == [theirs.id]
    (left,) = export_files(label_studio.data_dir, pid)  # the person's snapshot only: neither ours nor the killed one
    assert client.projects.exports.get(id=pid, export_pk=theirs.id).md5[:8] in left
    assert [a.stance for a in read_annotations(store / "annotations.jsonl", load_project(project).scheme)] == ["FAVOR"]
    assert "1 new annotator(s) given a release pseudonym" in out
    assert json.loads((store / "pseudonyms.json").read_text(encoding="utf-8")) == {user.email: "annotator-1"}

    # The annotated sentence is edited: its annotation is an orphan; once retired, a pull does not bring it back.
    talks = seeds / "talks.txt"
    talks.write_text(talks.read_text(encoding="utf-8").replace(task.data["text"], "An edited sentence."), "utf-8")
    code, out, _ = pull(capsys, project, project_title, *local)
    assert code == 0 and "1 orphaned annotation(s) of 1 segment(s)" in out
    assert run(capsys, "orphans", "--project", project, "--retire")[0] == 0
    code, out, _ = pull(capsys, project, project_title, *local)
    assert code == 0 and "1 annotation(s) retired with `stance-corpus orphans --retire` not brought back" in out
    assert "orphaned" not in out and read_annotations(store / "annotations.jsonl", load_project(project).scheme) == []


@labelstudio
def test_a_pull_from_a_team_server_deletes_its_snapshot_and_names_the_file_left(
    label_studio_env, project_title, project, capsys
):
    assert annotate(capsys, project, project_title)[0] == 0
    client = connect(label_studio_env.url, label_studio_env.token)
    pid = project_id(client, project_title)
    code, out, err = pull(capsys, project, project_title)
    assert code == 0, err
    assert list(client.projects.exports.list(id=pid)) == []
    # Label Studio 1.23 keeps the file of a deleted snapshot; on a team server only its admin can remove it.
    (left,) = export_files(label_studio_env.data_dir, pid)
    assert f"the team server keeps this pull's export file media/export/{pid}/{left} " in out
    (label_studio_env.data_dir / "media" / "export" / str(pid) / left).unlink()


# --- Label Studio: the token and the secrets ---------------------------------------------------------------------


class _Impostor(http.server.BaseHTTPRequestHandler):
    """Whatever else answers on a port a killed server used: says it is up and notes every Authorization header."""

    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _Impostor.seen.append(self.headers.get("Authorization") or "")
        body = b'{"status": "UP"}' if self.path == "/health" else b"{}"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def impostor() -> Iterator[str]:
    _Impostor.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), _Impostor)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _modes(folder: Path) -> dict[str, str]:
    """Every folder and file under `folder` (itself included) that group or others may use, with its mode."""
    paths = [folder, *folder.rglob("*")]
    return {str(p.relative_to(folder)): stat.filemode(p.lstat().st_mode) for p in paths if p.lstat().st_mode & 0o077}


@labelstudio
@pytest.mark.slow
def test_a_stale_running_file_never_sends_the_token_elsewhere_and_the_data_dir_is_private(impostor, project):
    data_dir = project.parent / "label-studio"
    data_dir.mkdir(mode=0o755)
    data_dir.chmod(0o755)
    # A SIGKILLed server's running.json: its port now answers for someone else, its PID is another live process.
    (data_dir / RUNNING_FILE).write_text(json.dumps({"url": impostor, "pid": os.getpid()}), encoding="utf-8")
    result = command("pull", "--project", project, "--title", "no such project", "--data-dir", data_dir)
    token = json.loads((data_dir / CREDENTIALS_FILE).read_text(encoding="utf-8"))["token"]

    assert [header for header in _Impostor.seen if token in header] == []
    # A server of its own was started (and stopped): the command got as far as asking it for the project.
    assert result.returncode == 1 and "has no project titled 'no such project'" in last_line(result.stderr)
    assert "Label Studio admin (saved in" in result.stdout and not (data_dir / RUNNING_FILE).exists()
    assert (data_dir / "label_studio.sqlite3").is_file()  # the database, which holds the token too
    assert _modes(data_dir) == {}  # 0700 folders, 0600 files


def test_annotate_without_the_server_installed_says_how_before_making_credentials(project):
    """An environment with every library but no `label-studio` command (a venv that sees this one's packages)."""
    venv = project.parent / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    site = Path(sysconfig.get_paths(vars={"base": str(venv), "platbase": str(venv)})["purelib"])
    (site / "with_the_test_environment.pth").write_text(
        f"import site; site.addsitedir({sysconfig.get_paths()['purelib']!r})\n", encoding="utf-8"
    )
    data_dir = project.parent / "label-studio"
    env = local_env() | {"PATH": "/usr/bin:/bin"}
    if shutil.which("label-studio", path=env["PATH"]):
        pytest.skip("a label-studio command is installed system-wide")
    result = subprocess.run(
        [venv / "bin" / "python", "-m", "stance_corpus.cli", "annotate", "--project", project, "--data-dir", data_dir],
        capture_output=True, text=True, check=False, env=env, timeout=300,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"stance-corpus: error: the Label Studio server is not installed in {venv}: run `make server` in {REPO} "
        f"(or set {URL_ENV} and {TOKEN_ENV} to use a team server)"
    )
    assert result.stdout == "" and not (data_dir / CREDENTIALS_FILE).exists()


# --- Label Studio: the server killed mid-push and mid-pull -------------------------------------------------------


def _big_project(folder: Path, sentences: int) -> Path:
    """The labeling fixture project with one article of `sentences` sentences instead of its own."""
    project = labeling_project(folder)
    seeds = project / "seeds"
    for path in seeds.iterdir():
        path.unlink()
    paragraphs = [
        " ".join(f"Speaker {n} said on day {n % 7} that the talks on item {n} went on." for n in range(p, p + 10))
        for p in range(0, sentences, 10)
    ]
    (seeds / "big.txt").write_text("Talks go on\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
    catalogue = {"id": "big", "title": "Talks go on", "language": "en", "license": "test fixture written for the tests"}
    (seeds / "articles.jsonl").write_text(json.dumps(catalogue) + "\n", encoding="utf-8")
    return project


def _kill(server: LocalServer) -> None:
    os.killpg(server.process.pid, signal.SIGKILL)
    server.process.wait()


def _kill_when(server: LocalServer, ready: Callable[[], bool], process: subprocess.Popen[str]) -> bool:
    """SIGKILL the server once ready() holds while `process` still runs; False if the process ended first."""
    while process.poll() is None:
        if ready():
            _kill(server)
            return True
        time.sleep(0.02)
    return False


@labelstudio
@pytest.mark.slow
def test_a_server_killed_mid_push_and_mid_pull_loses_nothing_and_leaves_nothing(tmp_path):
    sentences = 5000
    project = _big_project(tmp_path / "project", sentences)
    data_dir, store = tmp_path / "label-studio", project / "annotations"
    scheme = load_project(project).scheme
    common = ["--project", project, "--title", "killed", "--data-dir", data_dir]
    server = start_local_server(data_dir)
    embedded(server)
    credentials = {"username": server.username, "password": server.password, "token": server.token}
    try:
        # Mid-push: killed once the project exists, while its tasks are being created.
        client = connect(server.url, server.token)
        push = spawn("annotate", *common)
        assert _kill_when(server, lambda: any(p.title == "killed" for p in client.projects.list(title="killed")), push)
        _, err = push.communicate(timeout=300)
        assert push.returncode == 1 and last_line(err).startswith("stance-corpus: error: lost the connection to")

        server = start_local_server(data_dir, **credentials)
        client = connect(server.url, server.token)
        pid = project_id(client, "killed")
        assert client.projects.get(id=pid).task_number < sentences  # killed before the push was done
        resumed = command("annotate", *common)
        assert resumed.returncode == 0, resumed.stderr
        tasks = list(client.tasks.list(project=pid, page_size=1000, fields="task_only", include="id,data"))
        assert len(tasks) == len({t.data["segment_id"] for t in tasks}) == sentences  # each segment once

        # Mid-pull: killed while the export snapshot is being built.
        (user,) = users(client, "killed")
        for task in tasks[:20]:
            client.annotations.create(id=task.id, result=stance_result("NONE"), completed_by=user.id)
        assert command("pull", *common).returncode == 0
        before = (store / "annotations.jsonl").read_bytes()
        client.annotations.create(id=tasks[20].id, result=stance_result("AGAINST"), completed_by=user.id)
        pulling = spawn("pull", *common)
        assert _kill_when(server, lambda: bool(list(client.projects.exports.list(id=pid))), pulling)
        _, err = pulling.communicate(timeout=300)
        assert pulling.returncode == 1 and last_line(err).startswith("stance-corpus: error: lost the connection to")
        assert (store / "annotations.jsonl").read_bytes() == before  # the store as it was

        server = start_local_server(data_dir, **credentials)
        client = connect(server.url, server.token)
        assert [e.title for e in client.projects.exports.list(id=pid)] == [SNAPSHOT_TITLE]  # the killed pull's
        resumed = command("pull", *common)
        assert resumed.returncode == 0, resumed.stderr
        assert "removed 1 export snapshot(s) left on the server by interrupted pulls" in resumed.stdout
        assert list(client.projects.exports.list(id=pid)) == [] and export_files(data_dir, pid) == []
        pulled = read_annotations(store / "annotations.jsonl", scheme)
        assert len(pulled) == 21 and sum(a.stance == "AGAINST" for a in pulled) == 1
    finally:
        server.stop()


# --- Files and outputs -------------------------------------------------------------------------------------------


@pytest.fixture
def agreement_store(tmp_path: Path) -> Path:
    return shutil.copytree(AGREEMENT_STORE, tmp_path / "store")


def test_output_options_write_through_symlinks_and_pipes_and_dash_is_stdout(agreement_store, tmp_path, capsys):
    def segments(figures: str) -> int:
        return int(json.loads(figures)["targets"]["talks"]["sentence_stance"]["segments"])

    target = tmp_path / "figures.json"
    target.write_text("old", encoding="utf-8")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    code, out, err = run(capsys, "agreement", "--project", agreement_store, "--json", link)
    assert code == 0, err
    assert link.is_symlink() and segments(target.read_text(encoding="utf-8")) == 5

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text(encoding="utf-8")))
    reader.start()
    code, _, err = run(capsys, "agreement", "--project", agreement_store, "--json", fifo)
    reader.join(timeout=30)
    assert code == 0, err
    assert stat.S_ISFIFO(fifo.lstat().st_mode) and segments(received[0]) == 5

    # `-`: the figures alone on stdout, the table for people on stderr.
    code, out, err = run(capsys, "agreement", "--project", agreement_store, "--json", "-")
    assert code == 0 and json.loads(out) == json.loads(target.read_text(encoding="utf-8"))
    assert "Sentence stance:" in err
    assert not (Path("-").exists())


def test_stdout_on_a_full_disk_is_one_line():
    with open("/dev/full", "w") as full:
        result = command("segment", DATA / "test_labeling" / "seeds", stdout=full)
    assert result.returncode == 1
    assert result.stderr == "stance-corpus: error: cannot write: No space left on device\n"


def test_publish_refuses_a_repository_id_that_is_not_one(tmp_path, capsys):
    code, _, err = run(capsys, "publish", tmp_path, "--repo-id", "not a repo")
    assert code == 1 and len(err.splitlines()) == 1
    assert err.startswith("stance-corpus: error: --repo-id 'not a repo' is not a Hub repository id (OWNER/NAME): ")


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stance model saved by `stance-corpus baseline` on a tiny dataset (three cue words, three labels)."""
    import datasets

    folder = tmp_path_factory.mktemp("toy")
    cues = {"FAVOR": "welcomed", "AGAINST": "condemned", "NONE": "visited"}
    rows = [
        {"text": f"The minister {cues[label]} the plan on day {n}.", "stance": label, "article_id": f"a{n % 3}"}
        for n in range(30)
        for label in [("FAVOR", "AGAINST", "NONE")[n % 3]]
    ]
    (folder / "data").mkdir()
    datasets.Dataset.from_list(rows).to_parquet(folder / "data" / "train.parquet")
    out = folder / "report"
    assert main(["baseline", str(folder), "--out", str(out)]) == 0
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return out / report["models"]["tfidf-logreg"]["model_file"]


def test_baseline_out_refuses_a_folder_that_is_not_a_report_and_keeps_its_files(model, tmp_path, capsys):
    report = model.parent.parent
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("three years of work", encoding="utf-8")
    dataset = report.parent
    code, _, err = run(capsys, "baseline", dataset, "--out", mine)
    assert code == 1 and err == (
        f"stance-corpus: error: {mine}: is a folder but not a baseline report (it holds thesis.tex): give a new or "
        "empty folder, or an earlier report\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]  # nothing beside it either
    assert [p.name for p in mine.iterdir()] == ["thesis.tex"]

    code, _, err = run(capsys, "baseline", dataset, "--out", ".")
    assert code == 1 and err.startswith(f"stance-corpus: error: {Path.cwd()}: is a folder but not a baseline report")
    assert [name for name in os.listdir() if name.startswith("..")] == []

    # An earlier report is replaced whole, and a report is readable like the files in it.
    code, _, err = run(capsys, "baseline", dataset, "--out", report)
    assert code == 0, err
    assert stat.S_IMODE(report.stat().st_mode) == 0o755 and model.is_file()


def test_predict_reads_stdin_like_a_file_and_never_writes_over_its_input(model, tmp_path, capsys):
    sentences = tmp_path / "sentences.jsonl"
    lines = b'{"id": "s1", "text": "The minister welcomed it."}\n\n{"id": "s2", "text": "caf\xe9"}\n'
    sentences.write_bytes(lines)
    from_file = command("predict", model, sentences)
    from_stdin = command("predict", model, input=lines.decode("latin-1"), encoding="latin-1")
    problem = "is not valid UTF-8 (byte 0xe9 at byte 26 of the line)"
    assert from_file.stderr == f"stance-corpus: error: {sentences}:3: {problem}\n"
    assert from_stdin.stderr == from_file.stderr.replace(str(sentences), "<stdin>")

    good = b'{"id": "s1", "text": "The minister welcomed it."}\n'
    sentences.write_bytes(good)
    for out in (sentences, model):
        before = out.read_bytes()
        code, _, err = run(capsys, "predict", model, sentences, "--out", out)
        assert code == 1 and err.endswith("give --out another file\n") and out.read_bytes() == before
    code, out, _ = run(capsys, "predict", model, sentences, "--out", "-")
    assert code == 0 and json.loads(out)["segment_id"] == "s1"
    piped = command("predict", model, "--out", "-", input=good.decode())
    assert piped.returncode == 0 and json.loads(piped.stdout)["label"] == "FAVOR"


# --- Orphaned annotations ----------------------------------------------------------------------------------------


def test_orphaned_annotations_are_listed_and_retired_never_deleted(project, seeds, capsys):
    write_store(project, {}, TARGET_ID)  # alice, bob and gold: NONE for every sentence
    store, scheme = project / "annotations", load_project(project).scheme
    records = read_annotations(store / "annotations.jsonl", scheme)
    talks = seeds / "talks.txt"
    talks.write_text(talks.read_text(encoding="utf-8").replace("rejected it.", "rejected the truce."), "utf-8")

    code, out, _ = run(capsys, "orphans", "--project", project)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("3 orphaned annotation(s) of 1 segment(s) no longer in the corpus as annotated")
    assert len(lines) == 4 and all("'Rebel groups rejected it.'" in line for line in lines[1:])
    assert read_annotations(store / "annotations.jsonl", scheme) == records  # listing changes nothing

    # agreement reports them (the figures still count them: they are real annotations of the old sentence).
    code, out, _ = run(capsys, "agreement", "--project", project)
    assert code == 0 and "3 orphaned annotation(s) of 1 segment(s)" in out

    code, out, _ = run(capsys, "orphans", "--project", project, "--retire")
    assert code == 0 and f"retired 3 annotation(s) to {store / 'retired.jsonl'} (nothing deleted)" in out
    archive = [json.loads(line) for line in (store / "retired.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted((entry["file"], entry["record"]["annotator"]) for entry in archive) == [
        ("annotations.jsonl", "alice"), ("annotations.jsonl", "bob"), ("gold.jsonl", GOLD_ANNOTATOR)
    ]
    kept = read_annotations(store / "annotations.jsonl", scheme)
    assert len(kept) == len(records) - 2 and all(a.text != "Rebel groups rejected it." for a in kept)
    code, out, _ = run(capsys, "orphans", "--project", project)
    assert out.startswith("no orphaned annotations")


# --- Annotator pseudonyms in releases ----------------------------------------------------------------------------


def test_a_release_names_annotators_by_pseudonym_and_keeps_each_pseudonym(tmp_path):
    from stance_corpus.corpus.pseudonyms import assign_pseudonyms
    from stance_corpus.corpus.release.build import build_release

    root = shutil.copytree(DATA / "seed_project", tmp_path / "project")
    write_store(root, {}, "syria_peace")
    store = root / "annotations"
    scheme = load_project(root).scheme
    records = [
        dataclasses.replace(a, annotator={"alice": "a@example.com", "bob": "b@example.com"}[a.annotator])
        for a in read_annotations(store / "annotations.jsonl", scheme)
    ]
    write_annotations(store / "annotations.jsonl", records)
    with pytest.raises(ReleaseError, match=r"pseudonyms.json: missing, so the release would name annotators by email"):
        build_release(load_project(root), "1.0.0")
    assert not (root / "releases" / "1.0.0").exists()

    assert assign_pseudonyms(store, {r.annotator for r in records}) == ["a@example.com", "b@example.com"]  # by pull
    first, _ = build_release(load_project(root), "1.0.0")
    assert _released_annotators(first) == {"annotator-1", "annotator-2"}
    assert not [path for path in first.rglob("*") if path.is_file() and b"example.com" in path.read_bytes()]

    # A new annotator, sorted first, gets the next pseudonym; the others keep theirs.
    newcomer = dataclasses.replace(records[0], annotator="0@example.com")
    write_annotations(store / "annotations.jsonl", [*records, newcomer])
    assert assign_pseudonyms(store, {"0@example.com", "a@example.com"}) == ["0@example.com"]
    second, _ = build_release(load_project(root), "1.1.0")
    rows = _released_rows(second)
    assert {row["annotator"] for row in rows if row["text"] == records[0].text} == {f"annotator-{n}" for n in (1, 2, 3)}
    assert json.loads((store / "pseudonyms.json").read_text(encoding="utf-8")) == {
        "0@example.com": "annotator-3", "a@example.com": "annotator-1", "b@example.com": "annotator-2"
    }


def _released_rows(folder: Path) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    return [row for path in (folder / "raw_annotations").glob("*.parquet") for row in pq.read_table(path).to_pylist()]


def _released_annotators(folder: Path) -> set[str]:
    return {row["annotator"] for row in _released_rows(folder)}
