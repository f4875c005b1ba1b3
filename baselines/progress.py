"""One progress bar over every stage of a baseline run that takes time, named as each stage starts.

The bar counts stages, not seconds: it is at 100% only when the last stage (the report files) is written. Its total
is unknown (shown as a count) until the run knows how many stages it has (`expect`), right after the imports.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Self

from tqdm import tqdm


class Progress:
    """A tqdm bar of stages on stderr; `with progress.stage(name):` names a stage and counts it when done."""

    def __init__(self, total: int | None = None, label: str = "baseline", disable: bool | None = False) -> None:
        self.label = label
        self.bar = tqdm(total=total, desc=label, unit="stage", disable=disable, dynamic_ncols=True)

    def expect(self, stages: int) -> None:
        """`stages` more stages follow the ones done so far: the bar's total from now on."""
        self.bar.total = self.bar.n + stages
        self.bar.refresh()

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Show `name` while the block runs; one step when it completes."""
        self.bar.set_description_str(f"{self.label}: {name}")
        yield
        self.bar.update(1)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if kind is None:
            self.bar.set_description_str(f"{self.label}: done")
        self.bar.close()
