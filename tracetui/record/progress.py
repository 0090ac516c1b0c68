"""Progress of a long conversion on stderr: a Rich bar on a terminal, a few plain lines otherwise."""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import Self, TextIO

from tracetui.sanitize import safe_text

QUIET_S = 1.0  # nothing is shown for a conversion that ends sooner than this
PLAIN_STEP = 0.25  # a plain line each time this much more is done


class Cancelled(Exception):
    """Raised from a progress hook when the user stopped the conversion."""


class ConvertProgress:
    """`with ConvertProgress("converting run.gotrace") as p: p.update(0.4, "reading")`:
    a transient Rich bar when the stream is a terminal, else lines such as
    `tracetui: converting run.gotrace: 50 %` (one per PLAIN_STEP)."""

    def __init__(self, label: str, stream: TextIO | None = None, tty: bool | None = None) -> None:
        self.label = safe_text(label, keep_newlines=False)
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.start = time.monotonic()
        self.fraction = 0.0
        self._next_plain = PLAIN_STEP
        self._plain_shown = False
        self._bar: object | None = None
        self._task: object | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def update(self, fraction: float, phase: str = "") -> None:
        self.fraction = min(max(fraction, self.fraction), 1.0)
        if time.monotonic() - self.start < QUIET_S:
            return
        if self.tty:
            self._show_bar(phase)
        elif not self._plain_shown or self.fraction >= self._next_plain:
            # the first line when the wait begins, then one per PLAIN_STEP crossed
            self._plain_shown = True
            self._next_plain = (int(self.fraction / PLAIN_STEP) + 1) * PLAIN_STEP
            print(f"tracetui: {self.label}: {self.fraction * 100:.0f} %", file=self.stream, flush=True)

    def _show_bar(self, phase: str) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

        if self._bar is None:
            bar = Progress(TextColumn("[bold]tracetui[/]: {task.description}"), BarColumn(), TaskProgressColumn(),
                           TimeElapsedColumn(), console=Console(file=self.stream), transient=True)  # fmt: skip
            bar.start()
            self._task = bar.add_task(self.label, total=1.0)
            self._bar = bar
        assert isinstance(self._bar, Progress)
        desc = f"{self.label} ({phase})" if phase else self.label
        self._bar.update(self._task, completed=self.fraction, description=desc)  # type: ignore[arg-type]

    def close(self) -> None:
        from rich.progress import Progress

        if isinstance(self._bar, Progress):
            self._bar.stop()
        self._bar = None
