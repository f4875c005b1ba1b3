"""Writing imported articles into a seed folder so that a failed or interrupted import leaves it as it was.

Texts and the new catalogue are written into a staging folder inside the seed folder (`.ingest-*`, hidden: no
command reads it). The commit moves the new texts in (new names only: no file is overwritten) and then replaces
`articles.jsonl` in one rename; the catalogue's rename is the commit point, so a text that is in the folder but not
in the catalogue can only be one of an import that stopped during its commit. The commit runs with SIGINT and
SIGTERM held back; a harder stop (SIGKILL, a crash) in that window leaves the staging folder with its list of
moved texts, and the next import, before anything else, takes those texts out again. One import at a time: the
seed folder is locked (flock) while an import runs.

With `background`, a writer thread creates the staged text files while the import goes on checking the next records
(creating a file is waiting on the file system, most of an article's cost in a JSONL import); the thread is done
before the commit starts, and an abandoned import waits for it to stop before the staging folder is removed.
"""

from __future__ import annotations

import fcntl
import os
import queue
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from stance_corpus.corpus.articles import CATALOGUE_NAME, TEXT_SUFFIX, catalogue_line
from stance_corpus.corpus.errors import InputError
from stance_corpus.corpus.schema import Article

STAGING_PREFIX = ".ingest-"
_MOVING = "moving.txt"  # the staging folder's list of texts being moved in (one file name a line)
_HELD_SIGNALS = {signal.SIGINT, signal.SIGTERM}
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
_TEXT_MODE = 0o644
_QUEUED_TEXTS = 64  # texts waiting for the writer thread at most


class SeedWriter:
    """A context manager that stages articles (`add`) and writes them into the seed folder on `commit`; leaving the
    block without a commit removes what was staged."""

    def __init__(self, seeds: Path, background: bool = False) -> None:
        self.seeds = seeds
        self.background = background
        self._lock: int | None = None
        self._staging: Path | None = None
        self._catalogue: IO[str] | None = None
        self._names: list[str] = []
        self._staging_name = ""
        self._queue: queue.Queue[tuple[str, str] | None] | None = None
        self._thread: threading.Thread | None = None
        self._failure: Exception | None = None
        self._stopping = False

    def __enter__(self) -> Self:
        self.seeds.mkdir(parents=True, exist_ok=True)
        self._lock = os.open(self.seeds, os.O_RDONLY)
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock)
            self._lock = None
            raise InputError(self.seeds, "another import into this folder is running; try again when it ends") from None
        recover(self.seeds)
        self._staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=self.seeds))
        self._staging_name = os.fspath(self._staging)
        self._catalogue = (self._staging / CATALOGUE_NAME).open("w", encoding="utf-8", newline="\n")
        current = self.seeds / CATALOGUE_NAME
        if current.is_file():
            existing = current.read_bytes().decode("utf-8")  # checked by the caller (corpus.articles) already
            self._catalogue.write(existing if not existing or existing.endswith("\n") else existing + "\n")
        if self.background:
            self._queue = queue.Queue(maxsize=_QUEUED_TEXTS)
            self._thread = threading.Thread(target=self._write_queued, name="ingest-writer", daemon=True)
            with held_signals():  # the thread inherits the mask: SIGINT and SIGTERM go to the main thread only
                self._thread.start()
        return self

    def add(self, article: Article) -> None:
        """Stage one article: its text file and its catalogue line.

        With `background`, the text file is written by the writer thread (a failure of it is raised by a later
        `add` or by `commit`); else before `add` returns."""
        assert self._staging is not None and self._catalogue is not None
        name = f"{article.id}{TEXT_SUFFIX}"
        path = os.path.join(self._staging_name, name)
        if self._queue is not None:
            if self._failure is not None:
                raise self._failure
            self._queue.put((path, article.text))  # waits while _QUEUED_TEXTS are queued: memory stays flat
        else:
            _write_text(path, article.text)
        self._catalogue.write(catalogue_line(article) + "\n")
        self._names.append(name)

    def _write_queued(self) -> None:
        """The writer thread: the queued texts into their files, until None; after a failure or once the import is
        abandoned, the rest are taken off the queue unwritten."""
        assert self._queue is not None
        while (item := self._queue.get()) is not None:
            if self._failure is None and not self._stopping:
                try:
                    _write_text(*item)
                except Exception as error:  # noqa: BLE001  (raised in the main thread; this one empties the queue)
                    self._failure = error

    def _finish_writes(self) -> None:
        """Wait for the writer thread to write what is queued and end."""
        if self._thread is not None and self._queue is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def commit(self) -> None:
        """Move the staged texts in and replace the catalogue (the commit point)."""
        assert self._staging is not None and self._catalogue is not None
        self._finish_writes()
        if self._failure is not None:
            raise self._failure
        self._catalogue.close()
        present = set(os.listdir(self.seeds))  # one listing, not a stat per name
        for name in self._names:
            if name in present:
                raise InputError(self.seeds / name, "exists but is not in the catalogue: remove it or list it")
        (self._staging / _MOVING).write_text("".join(f"{name}\n" for name in self._names), encoding="utf-8")
        seeds = os.fspath(self.seeds)
        with held_signals():
            for name in self._names:
                os.rename(os.path.join(self._staging_name, name), os.path.join(seeds, name))
            os.chmod(self._staging / CATALOGUE_NAME, _TEXT_MODE)
            os.replace(self._staging / CATALOGUE_NAME, self.seeds / CATALOGUE_NAME)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        try:
            self._stopping = True
            self._finish_writes()  # the thread writes nothing more: it only empties the queue
        finally:
            self._close_and_roll_back()

    def _close_and_roll_back(self) -> None:
        if self._catalogue is not None and not self._catalogue.closed:
            self._catalogue.close()
        try:
            if self._staging is not None:
                _roll_back(self.seeds, self._staging)
        finally:
            if self._lock is not None:
                os.close(self._lock)  # releases the lock


@contextmanager
def held_signals() -> Iterator[None]:
    """SIGINT and SIGTERM held back in this thread while the block runs (and in threads it starts meanwhile)."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _write_text(path: str, text: str) -> None:
    """A new file with the text (os-level calls, the text as bytes: a third of the cost of a Path.open and a text
    wrapper), mode 0644 whatever the umask: the mode the texts have in the seed folder."""
    handle = os.open(path, _CREATE, _TEXT_MODE)
    try:
        os.fchmod(handle, _TEXT_MODE)
        data = text.encode("utf-8")
        while data:
            data = data[os.write(handle, data):]
    finally:
        os.close(handle)


def recover(seeds: Path) -> None:
    """Undo what imports that were killed left in `seeds`: their staging folders, and the texts an import killed
    during its commit had moved in before the catalogue that lists them replaced the old one."""
    for staging in sorted(seeds.glob(f"{STAGING_PREFIX}*")):
        if staging.is_dir():
            _roll_back(seeds, staging)


def _roll_back(seeds: Path, staging: Path) -> None:
    moving = staging / _MOVING
    if moving.is_file() and (staging / CATALOGUE_NAME).exists():  # the commit point was not reached
        for name in moving.read_text(encoding="utf-8").split():
            moved = seeds / name
            if moved.is_file() and not (staging / name).exists():
                moved.unlink()
    shutil.rmtree(staging, ignore_errors=True)
