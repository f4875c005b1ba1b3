"""Errors raised by the library; the CLI turns each into one line and a non-zero exit.

    StanceCorpusError
    ├── InputError        bad seed text, catalogue line, registry entry or annotation store record
    ├── ReleaseError      a release that cannot be built or would overwrite a published version
    └── LabelStudioError  (stance_corpus.labeling.errors) the server is down, refuses a request, or returns an
                          invalid annotation
"""

from __future__ import annotations

from pathlib import Path


class StanceCorpusError(Exception):
    """Base class: its message is meant for people and names what is wrong and where."""


class InputError(StanceCorpusError):
    """An input file (or one line or record of it) is unusable."""

    def __init__(self, where: str | Path, problem: str) -> None:
        self.where = str(where)
        self.problem = problem
        super().__init__(f"{where}: {problem}")


class ReleaseError(StanceCorpusError):
    """A release cannot be built, or building it would change a published version."""

