"""Writing files so that a reader never sees half of one: write beside the target, then rename onto it."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(path: Path, mode: int = 0o644) -> Iterator[Path]:
    """A fresh temporary path beside `path` (mode 0600 while written), renamed onto `path` with `mode` when the block
    ends without error, and removed when it fails: `path` is either the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(handle)
    try:
        yield Path(temporary)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)


def write_text_atomic(path: Path, text: str, mode: int = 0o644) -> None:
    """Replace `path` with `text` (UTF-8) in one step: a reader sees the old file or the whole new one."""
    with atomic_path(path, mode) as temporary:
        temporary.write_text(text, encoding="utf-8")
