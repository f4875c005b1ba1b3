"""Errors raised by the library. The `stance-corpus` command prints each as one line, `stance-corpus: error: ` and
its message, and exits with status 1; code that uses the library catches them by class.

    StanceCorpusError       base class: a problem for a person to fix, never a bug of ours (those stay tracebacks)
    ├── InputError          an input file, one of its lines, or a record is unusable: a seed text, a catalogue,
    │   │                   registry or predictions line, an annotation store record, a dataset or model file,
    │   │                   an annotation exported from Label Studio
    │   └── StoreError      the annotation store as a whole does not fit: the same segment annotated twice by one
    │                       annotator, no gold label yet, a record of a segment the seeds no longer hold (edited,
    │                       removed, of another kind) or in the wrong file
    ├── ReleaseError        a release cannot be built, read, compared or published, or building it would change a
    │                       published version
    ├── LabelStudioError    (stance_corpus.labeling.errors) Label Studio cannot be reached, refuses our
    │                       credentials or a request, or answers with something we cannot accept
    └── PoolError           (stance_corpus.pool.errors) a pool folder that is not ours or was started otherwise,
                            a worker process that died

InputError, StoreError and ReleaseError carry `where` (a `file:line`, a folder, a dataset, a task, or None where the
problem has no place) and `problem` (what is wrong and, where it helps, what to do); the message is
`where: problem`, or the problem alone.
"""

from __future__ import annotations

from pathlib import Path


class StanceCorpusError(Exception):
    """Base class of every error the library raises for people: its message names what is wrong and where."""


class InputError(StanceCorpusError):
    """Raised when an input file, one of its lines, or a record is unusable; `where` names it (`file:line`)."""

    def __init__(self, where: str | Path, problem: str) -> None:
        self.where = str(where)
        self.problem = problem
        super().__init__(f"{where}: {problem}")

    def __reduce__(self) -> tuple[type[InputError], tuple[str, str]]:
        # Raised in a worker process, it travels back to the caller pickled: rebuild it from its two parts.
        return type(self), (self.where, self.problem)


class StoreError(InputError):
    """Raised when the annotation store does not fit the corpus it is released from, or holds one segment twice
    for one annotator; `where` is the store file (and line). A malformed store line is a plain InputError."""


class ReleaseError(StanceCorpusError):
    """Raised when a release cannot be built, read, compared or published, or building it would change a published
    version; `where` is the release folder, card or repository concerned (None when the problem has no place)."""

    def __init__(self, where: str | Path | None, problem: str) -> None:
        self.where = None if where is None else str(where)
        self.problem = problem
        super().__init__(problem if where is None else f"{where}: {problem}")

