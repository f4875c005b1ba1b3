"""Writing imported articles into a seed folder so that a failed or interrupted import leaves it as it was.

Texts and the new catalogue are written into a staging folder inside the seed folder (`.ingest-*`, hidden: no
command reads it). The commit moves the new texts in (new names only: no file is overwritten) and then replaces
`articles.jsonl` in one rename; the catalogue's rename is the commit point, so a text that is in the folder but not
in the catalogue can only be one of an import that stopped during its commit. The commit runs with SIGINT and
SIGTERM held back (acted on once the catalogue is in); a harder stop (SIGKILL, a crash) in that window leaves the
staging folder with its list of moved texts, and the next import, before anything else, takes those texts out
again. One import at a time: the seed folder is locked (flock) while an import runs.
"""

from __future__ import annotations

import fcntl
import os
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


class SeedWriter:
    """A context manager that stages articles (`add`) and writes them into the seed folder on `commit`; leaving the
    block without a commit removes what was staged."""

    def __init__(self, seeds: Path) -> None:
        self.seeds = seeds
        self._lock: int | None = None
        self._staging: Path | None = None
        self._catalogue: IO[str] | None = None
        self._names: list[str] = []
        self._staging_name = ""

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
        return self

    def add(self, article: Article) -> None:
        """Stage one article: its text file and its catalogue line."""
        assert self._staging is not None and self._catalogue is not None
        name = f"{article.id}{TEXT_SUFFIX}"
        # os-level calls, the text as bytes: a third of the cost of a Path.open and a text wrapper per article.
        handle = os.open(os.path.join(self._staging_name, name), _CREATE, _TEXT_MODE)
        try:
            os.fchmod(handle, _TEXT_MODE)  # whatever the umask: the mode the texts have in the seed folder
            data = article.text.encode("utf-8")
            while data:
                data = data[os.write(handle, data):]
        finally:
            os.close(handle)
        self._catalogue.write(catalogue_line(article) + "\n")
        self._names.append(name)

    def commit(self) -> None:
        """Move the staged texts in and replace the catalogue (the commit point)."""
        assert self._staging is not None and self._catalogue is not None
        self._catalogue.close()
        present = set(os.listdir(self.seeds))  # one listing, not a stat per name
        folded = {name.casefold() for name in present}
        for name in self._names:
            # A name that differs only in case is asked about: on a case-insensitive file system it is the same file.
            if name in present or (name.casefold() in folded and (self.seeds / name).exists()):
                raise InputError(self.seeds / name, "exists but is not in the catalogue: remove it or list it")
        (self._staging / _MOVING).write_text("".join(f"{name}\n" for name in self._names), encoding="utf-8")
        seeds = os.fspath(self.seeds)
        with _signals_held():
            for name in self._names:
                os.rename(os.path.join(self._staging_name, name), os.path.join(seeds, name))
            os.chmod(self._staging / CATALOGUE_NAME, _TEXT_MODE)
            os.replace(self._staging / CATALOGUE_NAME, self.seeds / CATALOGUE_NAME)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._catalogue is not None and not self._catalogue.closed:
            self._catalogue.close()
        try:
            if self._staging is not None:
                _roll_back(self.seeds, self._staging)
        finally:
            if self._lock is not None:
                os.close(self._lock)  # releases the lock


@contextmanager
def _signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM noted and acted on when the block ends (the handler they had, or the default action).

    Python runs its signal handlers in the main thread whichever thread the system hands a signal to, so holding
    them back takes handlers of Python's: a signal mask would hold back only the threads that set it, and an
    import has others (a worker pool's, the progress bar's). In another thread no Python handler can interrupt
    the block.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = {number: signal.signal(number, lambda number, _: received.append(number)) for number in _HELD_SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        if received:
            signal.raise_signal(received[0])


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
