"""A throwaway PostgreSQL server for the tests: Debian's own binaries, a cluster in a temp dir, loopback only.

The cluster listens on 127.0.0.1 on a free port with its unix socket in the temp dir, so it never meets the
machine's own PostgreSQL. PostgreSQL refuses to run as root: as root (CI), the cluster belongs to the `postgres`
system user that Debian's package creates, and every server command runs through `runuser`.
"""

from __future__ import annotations

import os
import pwd
import re
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from stance_corpus.labeling.server import free_port

DEBIAN_POSTGRESQL = Path("/usr/lib/postgresql")
SUPERUSER = "postgres"
INSTALL_HINT = "run scripts/install-system-deps.sh as root (it installs Debian's postgresql)"


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
