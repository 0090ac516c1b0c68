"""Live GODEBUG recordings: the runtime's schedtrace/gctrace lines as `record` logs them
(`run.godebug.log`: `<CLOCK_MONOTONIC ns> <line>`, one per line, flushed as they arrive),
read as they come and modelled as `record` models them at the end."""

from __future__ import annotations

import os
import time

from tracetui.errors import TraceFormatError
from tracetui.live.window import LiveModel
from tracetui.record.godebug import RuntimeLog
from tracetui.record.godebugmodel import godebug_model


class GodebugTail:
    """The runtime lines of a GODEBUG recording's log, as the file grows (a live source like
    LiveWindow: poll, finish, model). The lines are few (one schedtrace line per period, one
    gctrace line per GC cycle), so every model has them all."""

    pieces = "lines"

    def __init__(self, path: str, section: str, period_ms: int = 100) -> None:
        self.path = path
        self.section = section
        self.period_ms = period_ms
        self.log = RuntimeLog()
        self.ended = False
        self.dropped = 0
        self._pos = 0
        self._partial = b""
        self._models = 0
        self._origin: int | None = None

    def poll(self) -> int:
        """Read the lines appended since the last poll; how many runtime lines they held."""
        try:
            with open(self.path, "rb") as f:
                f.seek(self._pos)
                data = f.read()
        except FileNotFoundError:
            return 0
        except OSError as e:
            raise TraceFormatError(f"cannot read: {e.strerror or e}", path=self.path) from None
        self._pos += len(data)
        *lines, self._partial = (self._partial + data).split(b"\n")
        before = self.log.lines
        for line in lines:
            ts, _, text = line.partition(b" ")
            if not ts.isdigit() or text.startswith(b"mangled: "):
                continue
            self.log.add(text, int(ts))
        return self.log.lines - before

    def finish(self) -> int:
        n = self.poll()
        self.ended = True
        return n

    def model(self) -> LiveModel | None:
        """The model of every line so far (None before the first)."""
        if not self.log.lines:
            return None
        t0 = time.perf_counter()
        trace = godebug_model(self.log, section=self.section, period_ms=self.period_ms,
                              end_ns=None if self.ended else time.monotonic_ns())  # fmt: skip
        if self._origin is None:
            self._origin = trace.base_time
        return LiveModel(trace, self.log.lines, 0, time.perf_counter() - t0, 0, self._origin)

    def close(self) -> None:
        """Nothing held open (each poll opens the file)."""


def section_of(command: list[str]) -> str:
    """The host section's name for a live GODEBUG recording: the program's name."""
    return f"{os.path.basename(command[0]) if command else 'program'} (live)"
