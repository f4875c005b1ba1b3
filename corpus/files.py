"""Writing files so that a reader never sees half of one, and nothing but the file meant is ever replaced.

    atomic_path(path)       write beside the target, then rename onto it (through a symlink: onto its target)
    write_text_atomic(...)  the same for a text
    open_output(path)       what every file output option writes through: `-` is stdout, a device or a pipe
                            (/dev/stdout, a FIFO) is written in place, a regular file is replaced atomically
    output_folder(path)     what every folder output option checks: `-`, a symlink and a non-folder are refused

A symlink is never replaced by a regular file, nor a device or a pipe (`--json /dev/stdout` as root used to turn
/dev/stdout into a file).
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from stance_corpus.corpus.errors import InputError

STDOUT = "-"


def _target(path: Path) -> Path:
    """The file a write to `path` means: the end of its symlinks (a dangling one's target is created)."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


@contextmanager
def atomic_path(path: Path, mode: int = 0o644) -> Iterator[Path]:
    """A fresh temporary path beside `path` (mode 0600 while written), renamed onto `path` with `mode` when the block
    ends without error, and removed when it fails: `path` is either the old file or the whole new one.

    A symlink stays a symlink (its target is replaced); a path that is not a regular file is refused."""
    target = _target(Path(path))
    if target.exists() and not target.is_file():
        raise InputError(path, "is not a regular file (a folder, a device or a pipe): refusing to replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    os.close(handle)
    try:
        yield Path(temporary)
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    finally:
        Path(temporary).unlink(missing_ok=True)


def write_text_atomic(path: Path, text: str, mode: int = 0o644) -> None:
    """Replace `path` (see atomic_path) with `text` (UTF-8) in one step: a reader sees the old file or the whole
    new one."""
    with atomic_path(path, mode) as temporary:
        temporary.write_text(text, encoding="utf-8")


def _in_place(path: Path, target: Path) -> bool:
    """Written as it is rather than replaced: a device or a pipe, or a name of a process's own stream
    (/dev/stdout, /dev/fd/N, /proc/self/fd/N resolve to the file stdout was redirected to, which must stay open)."""
    special = str(path).startswith(("/dev/", "/proc/")) or str(target).startswith(("/dev/", "/proc/"))
    return special or (target.exists() and not target.is_file() and not target.is_dir())


@contextmanager
def open_output(path: Path | str, mode: int = 0o644) -> Iterator[IO[str]]:
    """A text stream for a file output option: `-` is stdout; a device or a pipe is written in place; anything else
    is replaced atomically when the block ends without error (a symlink's target; the link stays). A folder is
    refused."""
    if str(path) == STDOUT:
        yield sys.stdout
        sys.stdout.flush()
        return
    path = Path(path)
    target = _target(path)
    if target.is_dir():
        raise InputError(path, "is a folder: give a file name (or - for stdout)")
    if _in_place(path, target):
        with open(target, "w", encoding="utf-8") as handle:
            yield handle
        return
    with atomic_path(target, mode) as temporary, temporary.open("w", encoding="utf-8") as handle:
        yield handle


def output_folder(path: Path) -> Path:
    """A folder output option's path, checked: not `-` (stdout is for files), not a symlink (never replaced),
    and a folder if it exists."""
    if str(path) == STDOUT:
        raise InputError(path, "names stdout, but this option takes a folder")
    if path.is_symlink():
        raise InputError(path, "is a symbolic link: refusing to replace it (give the folder it points to)")
    if path.exists() and not path.is_dir():
        raise InputError(path, "exists and is not a folder")
    return path


def same_file(first: Path | str, second: Path | str) -> bool:
    """Whether two paths name one existing file (through links, `..` and the like); `-` is nobody's file."""
    if STDOUT in (str(first), str(second)):
        return False
    try:
        return os.path.samefile(first, second)
    except OSError:
        return False
