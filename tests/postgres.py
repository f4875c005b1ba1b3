"""A throwaway PostgreSQL server for the tests: Debian's own binaries, a cluster in a temp dir, loopback only; and
`stance-corpus annotate --database postgresql` running on it (the PostgreSQL side of the `label_studio` fixture).

The cluster listens on 127.0.0.1 on a free port with its unix socket in the temp dir, so it never meets the
machine's own PostgreSQL. PostgreSQL refuses to run as root: as root (CI), the cluster belongs to the `postgres`
system user that Debian's package creates, and every server command runs through `runuser`.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from helpers import interrupt, labeling_project
from psycopg import sql
from stance_corpus.labeling.server import CREDENTIALS_FILE, RUNNING_FILE, TOKEN_ENV, URL_ENV, LocalServer, free_port

DEBIAN_POSTGRESQL = Path("/usr/lib/postgresql")
SUPERUSER = "postgres"
INSTALL_HINT = "run scripts/install-system-deps.sh as root (it installs Debian's postgresql)"
ANNOTATE_PROJECT = "stance-corpus on postgresql"
STARTUP_SECONDS = 300  # first start: Label Studio's migrations run on an empty database


@dataclass(frozen=True)
class PostgresDatabase:
    host: str
    port: int
    name: str
    user: str
    password: str

    def label_studio_env(self) -> dict[str, str]:
        """The variables Label Studio reads to use this database instead of SQLite."""
        return {
            "DJANGO_DB": "default",
            "POSTGRE_HOST": self.host,
            "POSTGRE_PORT": str(self.port),
            "POSTGRE_NAME": self.name,
            "POSTGRE_USER": self.user,
            "POSTGRE_PASSWORD": self.password,
        }


@dataclass(frozen=True)
class PostgresCluster:
    port: int
    socket_dir: Path

    def create_database(self, name: str) -> PostgresDatabase:
        """A new database owned by a new role of the same name, with a random password (one per Label Studio)."""
        password = secrets.token_urlsafe(16)
        with psycopg.connect(host=str(self.socket_dir), port=self.port, user=SUPERUSER, dbname="postgres",
                             autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(name), password))
            admin.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name), sql.Identifier(name)))
        return PostgresDatabase(host="127.0.0.1", port=self.port, name=name, user=name, password=password)


def postgresql_bin_dir() -> Path:
    """The bin dir of the newest PostgreSQL major version Debian installed."""
    versions = [path for path in DEBIAN_POSTGRESQL.glob("*/bin") if (path / "initdb").is_file()]
    if not versions:
        raise FileNotFoundError(f"no {DEBIAN_POSTGRESQL}/<version>/bin/initdb: {INSTALL_HINT}")
    return max(versions, key=lambda path: int(re.sub(r"\D", "", path.parent.name) or 0))


@contextmanager
def running_postgres() -> Iterator[PostgresCluster]:
    """Start a fresh cluster on 127.0.0.1 (superuser reachable only through its socket); stop and delete it after."""
    bin_dir = postgresql_bin_dir()
    as_owner = _command_prefix()
    # Not under pytest's tmp_path: its parent is private to root, and the server may run as `postgres`.
    base = Path(tempfile.mkdtemp(prefix="stance-corpus-pg-"))
    data_dir, socket_dir, log = base / "data", base / "socket", base / "server.log"
    socket_dir.mkdir()
    if as_owner:
        shutil.chown(base, user=SUPERUSER)
        shutil.chown(socket_dir, user=SUPERUSER)
    port = free_port()
    started = False
    try:
        try:
            for command in (
                [bin_dir / "initdb", "-D", data_dir, "-U", SUPERUSER, "--auth-local=trust",
                 "--auth-host=scram-sha-256", "--encoding=UTF8", "--locale=C"],
                [bin_dir / "pg_ctl", "-D", data_dir, "-l", log, "-w", "-t", "60", "start",
                 "-o", f"-c listen_addresses=127.0.0.1 -p {port} -k {socket_dir}"],
            ):
                subprocess.run([*as_owner, *map(str, command)], check=True, capture_output=True, text=True)
        except subprocess.CalledProcessError as error:
            server_log = log.read_text(errors="replace") if log.exists() else ""
            raise RuntimeError(f"PostgreSQL: {error.cmd[len(as_owner)]} failed: {error.stderr}{server_log}") from None
        started = True
        yield PostgresCluster(port=port, socket_dir=socket_dir)
    finally:
        if started:
            subprocess.run([*as_owner, str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-m", "fast", "-w", "stop"],
                           check=False, capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def _command_prefix() -> list[str]:
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(SUPERUSER)
    except KeyError:
        raise FileNotFoundError(f"no '{SUPERUSER}' system user to run PostgreSQL as: {INSTALL_HINT}") from None
    return ["runuser", "-u", SUPERUSER, "--"]


@pytest.fixture(scope="session")
def postgresql() -> Iterator[PostgresCluster]:
    """A PostgreSQL cluster for the session (create_database per user); missing binaries fail, never skip."""
    try:
        with running_postgres() as server:
            yield server
    except FileNotFoundError as error:
        pytest.fail(str(error), pytrace=False)


@dataclass(frozen=True)
class AnnotateRun:
    """A running `stance-corpus annotate --database postgresql`: its process and output, its Label Studio, and the
    database that Label Studio keeps its data in."""

    process: subprocess.Popen[str]
    log: Path
    database: PostgresDatabase
    server: LocalServer
    project: Path  # the corpus project it annotates (a copy of tests/data/test_labeling)


@pytest.fixture(scope="session")
def annotate_on_postgresql(
    postgresql: PostgresCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AnnotateRun]:
    """`stance-corpus annotate --database postgresql` of tests/data/test_labeling/seeds into ANNOTATE_PROJECT, in
    its own process as in a terminal, until Ctrl-C at the end of the session."""
    database = postgresql.create_database("label_studio")
    work = tmp_path_factory.mktemp("annotate-postgresql")
    data_dir = work / "label-studio"
    project = labeling_project(work / "project")
    # DJANGO_DB=sqlite: the option must switch it; unbuffered: the test reads the output while annotate runs.
    env = {**os.environ, **database.label_studio_env(), "DJANGO_DB": "sqlite", "PYTHONUNBUFFERED": "1"}
    for name in (URL_ENV, TOKEN_ENV):
        env.pop(name, None)
    command = [
        sys.executable, "-m", "stance_corpus.cli", "annotate", "--project", project, "--title", ANNOTATE_PROJECT,
        "--data-dir", data_dir, "--database", "postgresql",
    ]
    log_path = work / "annotate.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(list(map(str, command)), env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_for(process, log_path, "press Ctrl-C to stop it")
        credentials = json.loads((data_dir / CREDENTIALS_FILE).read_text(encoding="utf-8"))
        running = json.loads((data_dir / RUNNING_FILE).read_text(encoding="utf-8"))
        server = LocalServer(
            running["url"], credentials["token"], credentials["username"], credentials["password"], data_dir, process
        )
        yield AnnotateRun(process=process, log=log_path, database=database, server=server, project=project)
    finally:
        interrupt(process, data_dir)


def _wait_for(process: subprocess.Popen[str], log_path: Path, line: str) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while line not in log_path.read_text(encoding="utf-8"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"annotate did not get to {line!r}:\n{log_path.read_text(encoding='utf-8')[-3000:]}")
        time.sleep(1)
