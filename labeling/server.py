"""Reaching Label Studio: a local `label-studio` process on loopback (SQLite) or a team server given by URL + token.

    start_local_server(data_dir)   start a server on a free 127.0.0.1 port; LocalServer.stop() ends it
    connect(url, token)            an SDK client, after checking that the server answers and accepts the token
    open_label_studio(data_dir)    what the CLI uses: the team server of LABEL_STUDIO_URL + LABEL_STUDIO_API_KEY,
                                   else the embedded server of `data_dir` (reused when already running)

Secrets stay with their owner: the data dir is 0700 and the server runs with umask 077, so its SQLite database
(which holds the admin token), its export files and our credentials.json are 0600. A running.json left by a server
that was killed is trusted only when its process is alive and is that data dir's `label-studio start`: the token is
never sent to whatever else answers on that port.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib.metadata import requires
from pathlib import Path
from typing import Self

import httpx
from label_studio_sdk import LabelStudio
from label_studio_sdk.core.api_error import ApiError
from stance_corpus.corpus.files import write_text_atomic
from stance_corpus.labeling.errors import LabelStudioError, label_studio_errors
from stance_corpus.labeling.settings import (
    CREDENTIALS_FILE,
    DATABASE_ENV,
    DEFAULT_USERNAME,
    EMBEDDED_DATA_DIR,
    LOG_FILE,
    POSTGRESQL_DJANGO_DB,
    RUNNING_FILE,
    SERVER_ENV,
    TOKEN_ENV,
    URL_ENV,
)

START_TIMEOUT_SECONDS = 300.0  # cold start runs the migrations: ~25 s idle, minutes on a busy machine
# The SDK retries connection errors and 5xx/429 answers with exponential backoff (1 s, 2 s, 4 s, ...).
CLIENT_RETRIES = 4
CLIENT_TIMEOUT_SECONDS = 120.0
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
SERVER_UMASK = 0o077  # whatever the server writes (database, exports, uploads) is readable by its owner only
DATABASE_FILE = "label_studio.sqlite3"
PRIVATE_FILES = (
    DATABASE_FILE, f"{DATABASE_FILE}-journal", f"{DATABASE_FILE}-wal", f"{DATABASE_FILE}-shm", CREDENTIALS_FILE,
    RUNNING_FILE, LOG_FILE,
)


@dataclass
class LocalServer:
    """A `label-studio` process started by us; use as a context manager or call stop()."""

    url: str
    token: str
    username: str
    password: str
    data_dir: Path
    process: subprocess.Popen = field(repr=False)

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        with contextlib.suppress(FileNotFoundError, json.JSONDecodeError):
            running = self.data_dir / RUNNING_FILE
            if json.loads(running.read_text()).get("pid") == self.process.pid:
                running.unlink()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_local_server(
    data_dir: Path,
    *,
    port: int | None = None,
    extra_env: Mapping[str, str] | None = None,
    username: str | None = None,
    password: str | None = None,
    token: str | None = None,
) -> LocalServer:
    """Start `label-studio` on 127.0.0.1 with its data (SQLite unless extra_env says otherwise) under data_dir.

    The admin user and token only take effect on the first start of a data dir; later starts must pass the same.
    The data dir is made private (0700, and its files 0600) and the server writes with umask 077.
    Raises LabelStudioError with the tail of the server log when it exits or does not come up in time.
    """
    executable = server_executable()
    data_dir = Path(data_dir).resolve()
    make_private(data_dir)
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    username = username or DEFAULT_USERNAME
    password = password or secrets.token_urlsafe(18)
    token = token or secrets.token_hex(20)  # the server accepts 6-40 characters
    env = {
        **os.environ,
        **SERVER_ENV,
        "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir),
        "LABEL_STUDIO_USERNAME": username,
        "LABEL_STUDIO_PASSWORD": password,
        "LABEL_STUDIO_USER_TOKEN": token,
        **(extra_env or {}),
    }
    if env.get("DJANGO_DB") in POSTGRESQL_DJANGO_DB:
        _check_postgresql_answers(env)
    log_path = data_dir / LOG_FILE
    # --data-dir repeats LABEL_STUDIO_BASE_DATA_DIR so that the process's command line says whose server it is.
    command = [executable, *_start_arguments(port, data_dir)]
    with os.fdopen(os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE_MODE), "ab") as log:
        process = subprocess.Popen(
            command,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # our own process group: stop() ends the server and nothing else
            umask=SERVER_UMASK,
        )
    server = LocalServer(url, token, username, password, data_dir, process)
    try:
        _wait_until_up(server, log_path)
    except BaseException:  # also Ctrl-C: the server is in its own session and would not get the SIGINT
        server.stop()
        raise
    _write_private(data_dir / RUNNING_FILE, {"url": url, "pid": process.pid})
    return server


def _wait_until_up(server: LocalServer, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not _is_up(server.url):
        if server.process.poll() is not None:
            raise LabelStudioError(
                f"label-studio exited with code {server.process.returncode} while starting:\n{_tail(log_path)}"
            )
        if time.monotonic() > deadline:
            raise LabelStudioError(
                f"label-studio did not answer on {server.url} within {START_TIMEOUT_SECONDS:.0f} s:\n{_tail(log_path)}"
            )
        time.sleep(0.5)
    if _token_status(server.url, server.token) != 200:
        # label-studio silently moves to the next port when its own is taken: what answered is another server.
        raise LabelStudioError(f"another server answers on {server.url} (the port was taken): start again")


def _start_arguments(port: int, data_dir: Path) -> list[str]:
    return [
        "start", "--no-browser", "--port", str(port), "--internal-host", "127.0.0.1", "--data-dir", str(data_dir)
    ]


def make_private(data_dir: Path) -> None:
    """Create data_dir 0700 (or make an existing one so) and take group and other access off the server's and our
    files in it (a data dir of an older version had its database 0644)."""
    data_dir.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    data_dir.chmod(PRIVATE_DIR_MODE)
    for name in PRIVATE_FILES:
        path = data_dir / name
        if path.is_file() and not path.is_symlink() and path.stat().st_mode & 0o077:
            path.chmod(path.stat().st_mode & 0o700)


def connect(url: str, token: str) -> LabelStudio:
    """An SDK client for the server at url, after checking that it answers and accepts the token."""
    url = url.rstrip("/")
    if not _is_up(url):
        raise LabelStudioError(f"Label Studio at {url} is not answering (is the server running? check {URL_ENV})")
    client = LabelStudio(base_url=url, api_key=token, max_retries=CLIENT_RETRIES, timeout=CLIENT_TIMEOUT_SECONDS)
    with label_studio_errors("check the API token", url):
        try:
            client.users.whoami()
        except ApiError as error:
            if error.status_code == 401:
                problem = f"Label Studio at {url} refused the API token (401): check {TOKEN_ENV}"
                raise LabelStudioError(problem) from error
            raise
    return client


@contextlib.contextmanager
def open_label_studio(
    data_dir: Path = EMBEDDED_DATA_DIR, *, database: str | None = None, announce: Callable[[str], None] = print
) -> Iterator[tuple[LabelStudio, str, LocalServer | None]]:
    """(client, url, server) for a command: the team server when LABEL_STUDIO_URL is set, else the embedded one.

    An embedded server already running for data_dir (e.g. `annotate` in another terminal) is reused once its
    process is checked to be that data dir's server; otherwise one is started and `server` is it (stopped when the
    block ends). Whether the server is installed is checked before any credential is made. Generated credentials
    are saved 0600 in data_dir and announced once, when they are created. Connection losses and refusals inside
    the block (after the SDK's retries) become one-line LabelStudioErrors.
    """
    with contextlib.ExitStack() as stack:
        url = os.environ.get(URL_ENV, "").rstrip("/")
        server = None
        if url:
            token = os.environ.get(TOKEN_ENV)
            if not token:
                raise LabelStudioError(f"{URL_ENV} is set to {url} but {TOKEN_ENV} (the API token) is not")
        else:
            data_dir = Path(data_dir)
            running_url = running_server(data_dir)
            if running_url is None:
                server_executable()  # before credentials are made and shown: they are useless without a server
            token = (credentials := _embedded_credentials(data_dir, announce))["token"]
            if running_url is not None:
                url = running_url
            else:
                extra_env = DATABASE_ENV[database] if database else None  # None: DJANGO_DB of the environment
                server = stack.enter_context(start_local_server(
                        data_dir,
                        extra_env=extra_env,
                        username=credentials["username"],
                        password=credentials["password"],
                        token=credentials["token"],
                    ))
                url = server.url
        client = connect(url, token)
        with label_studio_errors(url=url):
            yield client, url, server


def embedded_data_dir(data_dir: Path) -> Path | None:
    """The data dir of the server a command reaches: `data_dir` for the embedded one, None for a team server."""
    return None if os.environ.get(URL_ENV) else Path(data_dir).resolve()


def running_server(data_dir: Path) -> str | None:
    """The URL in data_dir's running.json if the server it names is ours; a stale file is removed.

    Ours: the saved PID is alive and is `label-studio start` with this data dir and the saved URL's port. Anything
    else that answers there (a port reused after a SIGKILL) never gets the token.
    """
    path = Path(data_dir) / RUNNING_FILE
    running = _read_json(path)
    if running is None:
        return None
    url, pid = running.get("url"), running.get("pid")
    if not (isinstance(url, str) and isinstance(pid, int) and _is_server_process(pid, Path(data_dir).resolve(), url)):
        path.unlink(missing_ok=True)  # left by a server that was killed
        return None
    if not _is_up(url):  # a second server on one database would be worse than waiting
        raise LabelStudioError(f"the Label Studio of {data_dir} (pid {pid}) does not answer on {url}: wait, or stop it")
    return url


def _is_server_process(pid: int, data_dir: Path, url: str) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):  # gone, or another user's process
        return False
    arguments = _command_line(pid)
    port = url.rsplit(":", 1)[-1]
    expected = _start_arguments(int(port), data_dir) if port.isdigit() else None
    return (
        expected is not None
        and len(arguments) > len(expected)
        and Path(arguments[-len(expected) - 1]).name == "label-studio"
        and arguments[-len(expected):] == expected
    )


def _command_line(pid: int) -> list[str]:
    """The arguments of process pid: /proc on Linux, `ps` elsewhere (split on spaces: paths with spaces fail)."""
    proc = Path(f"/proc/{pid}/cmdline")
    try:
        return proc.read_bytes().decode("utf-8", "replace").split("\0")[:-1] if proc.exists() else subprocess.run(
            ["ps", "-ww", "-o", "args=", "-p", str(pid)], capture_output=True, text=True, check=False, timeout=10
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return []


def _embedded_credentials(data_dir: Path, announce: Callable[[str], None]) -> dict[str, str]:
    path = data_dir / CREDENTIALS_FILE
    stored = _read_json(path)
    if stored:
        return stored
    credentials = {
        "username": os.environ.get("LABEL_STUDIO_USERNAME") or DEFAULT_USERNAME,
        "password": os.environ.get("LABEL_STUDIO_PASSWORD") or secrets.token_urlsafe(18),
        "token": os.environ.get("LABEL_STUDIO_USER_TOKEN") or secrets.token_hex(20),
    }
    make_private(data_dir)
    _write_private(path, credentials)
    announce(
        f"Label Studio admin (saved in {path}, shown once): user {credentials['username']}, "
        f"password {credentials['password']}, API token {credentials['token']}"
    )
    return credentials


def _check_postgresql_answers(env: Mapping[str, str]) -> None:
    """Fail in one line, before Label Studio's minute of retries and its traceback, when nothing listens."""
    # Label Studio's own defaults for unset variables (label_studio/core/settings/base.py).
    host, port = env.get("POSTGRE_HOST", "localhost"), env.get("POSTGRE_PORT", "5432")
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except (OSError, ValueError) as error:
        raise LabelStudioError(
            f"PostgreSQL at {host}:{port} (POSTGRE_HOST, POSTGRE_PORT) is not answering: {error}"
        ) from error


def _token_status(url: str, token: str) -> int:
    try:
        response = httpx.get(f"{url}/api/current-user/whoami", headers={"Authorization": f"Token {token}"}, timeout=30)
    except httpx.HTTPError as error:
        raise LabelStudioError(f"label-studio on {url} stopped answering right after it started: {error}") from error
    return response.status_code


def _is_up(url: str) -> bool:
    try:
        response = httpx.get(f"{url}/health", timeout=5)
    except httpx.HTTPError:
        return False
    return response.status_code == 200 and "UP" in response.text


def server_executable() -> str:
    """The `label-studio` command of this environment (or of PATH); LabelStudioError saying how to install it."""
    candidate = Path(sys.executable).parent / "label-studio"
    executable = str(candidate) if candidate.is_file() else shutil.which("label-studio")
    if executable is None:
        raise LabelStudioError(f"the Label Studio server is not installed in {sys.prefix}: {install_hint()}")
    return executable


def install_hint() -> str:
    """How to install the server: `make server` in a checkout, else the `server` extra's own requirement."""
    checkout = Path(__file__).resolve().parents[1]
    if (checkout / "pyproject.toml").is_file() and (checkout / "Makefile").is_file():
        return f"run `make server` in {checkout} (or set {URL_ENV} and {TOKEN_ENV} to use a team server)"
    requirement = next(
        (r.split(";")[0].strip() for r in requires("stance-corpus") or [] if 'extra == "server"' in r),
        "label-studio",
    )
    return f"{sys.executable} -m pip install '{requirement}' (or set {URL_ENV} and {TOKEN_ENV} to use a team server)"


def _tail(path: Path, lines: int = 20) -> str:
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except json.JSONDecodeError as error:
        raise LabelStudioError(f"{path}: not valid JSON; delete it to start over") from error


def _write_private(path: Path, content: dict) -> None:
    """Written 0600 via a temp file, so a reader never sees half a file and nobody else can read the secrets;
    never through a symlink (the secret would land wherever it points)."""
    if path.is_symlink():
        raise LabelStudioError(f"{path}: a symbolic link; refusing to write credentials through it")
    write_text_atomic(path, json.dumps(content, indent=2), mode=PRIVATE_FILE_MODE)
