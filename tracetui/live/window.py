"""A rolling window over a Go trace file that is still being written, modelled on demand.

`LiveWindow.poll()` reads what the tracer appended since the last poll and notes each
generation it completes. Generations that ended more than `keep_s` before the newest one
(on the trace's own clock, so a slow reader keeps the same span of time), or beyond
`max_bytes` in all, leave the window; they stay in the file, which the recording
keeps whole. `model()` builds the model of the generations in the window: the header and
their bytes, read back from the file, form a trace the reader takes whole (like a flight
recorder's snapshot), so memory holds the window and never the whole recording.

When building the model of the whole window takes longer than `budget_s`, the next model
covers fewer generations (the newest ones): the view skips ahead instead of lagging
further behind at each refresh, and `skipped` says so.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from tracetui.errors import TraceFormatError
from tracetui.live.generations import GenerationIndex, GenerationSpan
from tracetui.model.trace import Trace

READ_CHUNK = 8 << 20  # bytes read per call while catching up


@dataclass
class LiveModel:
    """A model of the window and how it was made."""

    trace: Trace
    generations: int  # generations it covers
    first_gen: int  # the generation number it starts at
    build_s: float  # seconds spent reading and modelling
    skipped: int  # generations in the window left out to keep up (0: all of it)
    origin_ns: int  # the recording's first timestamp: trace.base_time - origin_ns = where the window starts


class LiveWindow:
    """The generations of a growing trace file that the live view holds."""

    pieces = "generations"

    def __init__(
        self,
        path: str,
        keep_s: float = 300.0,
        max_bytes: int | None = None,
        budget_s: float = 1.0,
    ) -> None:
        self.path = path
        self.keep_s = keep_s
        self.max_bytes = max_bytes
        self.budget_s = budget_s
        self.index = GenerationIndex()
        self.window: list[GenerationSpan] = []  # complete generations held, oldest first
        self.ended = False  # the file is whole: the tracer stopped
        self.dropped = 0  # generations that left the window
        self.span_limit: int | None = None  # at most this many generations per model (set when too slow)
        self.origin_ns: int | None = None
        self._fd: int | None = None
        self._read_pos = 0

    # --- reading -------------------------------------------------------------------------

    def _open(self) -> int | None:
        if self._fd is None:
            try:
                self._fd = os.open(self.path, os.O_RDONLY)
            except FileNotFoundError:
                return None  # not created yet: the program has not started tracing
            except OSError as e:
                raise TraceFormatError(f"cannot read: {e.strerror or e}", path=self.path) from None
        return self._fd

    def poll(self) -> int:
        """Read what was appended; returns how many generations completed."""
        fd = self._open()
        if fd is None:
            return 0
        completed: list[GenerationSpan] = []
        while True:
            data = os.pread(fd, READ_CHUNK, self._read_pos)
            if not data:
                break
            self._read_pos += len(data)
            completed += self.index.feed(data)
            if self.index.error is not None:
                raise TraceFormatError(self.index.error, path=self.path, offset=self.index.error_offset)
            if len(data) < READ_CHUNK:
                break
        self.window.extend(completed)
        self._trim()
        return len(completed)

    def finish(self) -> int:
        """The tracer stopped and the file is whole: read the rest, close the last generation."""
        n = self.poll()
        last = self.index.finish()
        self.window.extend(last)
        self.ended = True
        self._trim()
        return n + len(last)

    def _trim(self) -> None:
        k = 0
        if not self.window:
            return
        newest = self.window[-1]
        while k < len(self.window) - 1 and self.window[k].seconds_to(newest) > self.keep_s:
            k += 1
        if self.max_bytes is not None:
            total = self.bytes_held() - sum(s.end - s.start for s in self.window[:k])
            while k < len(self.window) - 1 and total > self.max_bytes:
                total -= self.window[k].end - self.window[k].start
                k += 1
        if k:
            del self.window[:k]
            self.dropped += k
            first = self.window[0].start
            done = sum(1 for s in self.index.spans if s.complete and s.end <= first)
            self.index.drop_first(done)

    def bytes_held(self) -> int:
        """Bytes of trace the window covers."""
        return sum(s.end - s.start for s in self.window)

    @property
    def version(self) -> int:
        return self.index.version

    # --- modelling -----------------------------------------------------------------------

    def window_bytes(self, last: int | None = None) -> bytes:
        """The header and the window's generations (only the newest `last` if given)."""
        spans = list(self.window)
        if last is not None:
            spans = spans[-last:]
        if not spans or self._fd is None:
            return b""
        start, end = spans[0].start, spans[-1].end
        return self.index.header + os.pread(self._fd, end - start, start)

    def model(self) -> LiveModel | None:
        """A model of the window (its newest generations when whole ones cost too much), or
        None before the first generation is complete."""
        from tracetui.gotrace.reader import read_buffer
        from tracetui.model.from_gotrace import build_model

        if not self.window:
            return None
        n = len(self.window) if self.span_limit is None else min(self.span_limit, len(self.window))
        t0 = time.perf_counter()
        table = read_buffer(self.window_bytes(n), self.path)
        trace = build_model(table)
        del table
        took = time.perf_counter() - t0
        if self.origin_ns is None:
            self.origin_ns = trace.base_time
        skipped = len(self.window) - n
        if took > self.budget_s and n > 1:
            self.span_limit = max(1, int(n * self.budget_s / took))  # keep up: fewer next time
        elif self.span_limit is not None and took < self.budget_s / 2:
            self.span_limit += 1  # room again: grow back towards the whole window
        return LiveModel(trace, n, self.window[-n].gen, took, skipped, self.origin_ns)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
