"""Errors raised by the library; the CLI turns each into one line and a non-zero exit.

    StanceCorpusError
    ├── InputError        bad seed text, catalogue line, registry entry or annotation store record
    ├── ReleaseError      a release that cannot be built or would overwrite a published version
    ├── LabelStudioError  (labeling) the server is down, refuses the token, or returns an invalid annotation
    └── PoolError         (pool) a pool folder that is not ours or was started otherwise, a worker that died
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

    def __reduce__(self) -> tuple:
        # Raised in a worker process, it travels back to the caller pickled: rebuild it from its two parts.
        return type(self), (self.where, self.problem)


class ReleaseError(StanceCorpusError):
    """A release cannot be built, or building it would change a published version."""


class LabelStudioError(StanceCorpusError):
    """Label Studio cannot be reached, refuses our credentials, or sent something we cannot accept."""


class PoolError(StanceCorpusError):
    """A pool cannot be built or resumed here (pool/): its folder holds something else, or a stage's worker died."""
