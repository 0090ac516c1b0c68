"""`record --live --pprof URL`: trace windows of a running service, fetched back to back
from its net/http/pprof (`/debug/pprof/trace?seconds=1`) and joined on its clock.

A thread fetches window after window into `DIR/0001.gotrace`, `0002.gotrace`, ... (each a
complete trace of its own). `poll` models each new window alone, its string and stack ids
put into one pair of tables, and `model` joins the windows the view holds (the last
`keep_s` seconds) with `model.concat`: one clock, the gaps between windows on a row of
their own. The same object is the live view's recording: `stop` ends the fetching after
the window in flight, `finished` says it has ended.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque

from tracetui.errors import TracetuiError
from tracetui.gotrace.events import EventTable, StackTable, StringTable
from tracetui.live.window import LiveModel
from tracetui.model.concat import concat, gap_spans, share_tables
from tracetui.model.trace import Trace
from tracetui.record.pprof import fetch, trace_url

WINDOW_S = 1  # seconds per window: Go's own generation length, so the view moves as a tailed trace does
SLACK_S = 10.0  # beyond the window, for the answer to start and end
BEHIND = 3  # windows waiting to be modelled before the oldest are skipped (left on disk)


class PprofWindows:
    """The windows fetched so far (a live source: poll, finish, model) and the fetching
    (a live recording: finished, stop, exit_status)."""

    pieces = "windows"

    def __init__(
        self,
        url: str,
        directory: str,
        keep_s: float = 300.0,
        duration_s: float | None = None,
        max_size: int | None = None,
        seconds: int = WINDOW_S,
    ) -> None:
        self.endpoint = trace_url(url, seconds)
        self.path = directory  # (what the loading screen names)
        self.directory = directory
        self.keep_s = keep_s
        self.duration_s = duration_s
        self.max_size = max_size
        self.seconds = seconds
        self.ended = False
        self.dropped = 0  # windows that left the view (--keep): still on disk
        self.skipped = 0  # windows not modelled to keep up (on disk)
        self.files: list[str] = []  # every window written, in order
        self.error: str | None = None  # why the fetching stopped, if not asked to
        self.stopped_by_user = False
        self.strings, self.stacks = StringTable(), StackTable()
        self.held: list[Trace] = []  # the windows in the view, modelled, oldest first
        self.origin_ns: int | None = None
        self.budget_s = 1.0  # joining the held windows may take this long, else fewer are joined
        self.span_limit: int | None = None
        self._fresh: deque[str] = deque()  # written, not yet modelled
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._fetch_loop, name="pprof-windows", daemon=True)

    def start(self) -> PprofWindows:
        os.makedirs(self.directory, exist_ok=True)
        self._thread.start()
        return self

    # --- fetching (its own thread) -------------------------------------------------------

    def _fetch_loop(self) -> None:
        t0 = time.monotonic()
        n = 0
        while not self._stop.is_set():
            if self.duration_s is not None and time.monotonic() - t0 >= self.duration_s:
                break
            n += 1
            dest = os.path.join(self.directory, f"{n:04d}.gotrace")
            try:
                size, _ = fetch(self.endpoint, dest, self.seconds + SLACK_S, self.max_size)
            except TracetuiError as e:
                self.error = str(e).removeprefix("tracetui: ")
                if os.path.exists(dest) and os.path.getsize(dest) == 0:
                    os.unlink(dest)
                return
            if size:
                with self._lock:
                    self.files.append(dest)
                    self._fresh.append(dest)

    # --- the live recording --------------------------------------------------------------

    def finished(self) -> bool:
        return not self._thread.is_alive()

    def stop(self) -> None:
        """Stop after the window in flight (at most a second away)."""
        if not self._stop.is_set() and self._thread.is_alive():
            self.stopped_by_user = True
        self._stop.set()

    def exit_status(self) -> int:
        """0 when stopped by the user or --duration; 1 when the service stopped answering."""
        self._thread.join(self.seconds + SLACK_S + 5)
        return 1 if self.error and not self.stopped_by_user else 0

    def why_no_trace(self) -> str:
        return f"no trace: {self.error}" if self.error else "no trace: the service sent no trace window"

    # --- the live source -----------------------------------------------------------------

    def poll(self) -> int:
        """Model the windows fetched since the last poll; how many."""
        with self._lock:
            fresh = list(self._fresh)
            self._fresh.clear()
        if len(fresh) > BEHIND:  # modelling falls behind the fetching: skip ahead
            self.skipped += len(fresh) - BEHIND
            fresh = fresh[-BEHIND:]
        for path in fresh:
            try:
                self.held.append(share_tables(window_model(path), self.strings, self.stacks))
            except TracetuiError:  # a window cut short with nothing whole in it (the service went away)
                self.skipped += 1
        self._trim()
        return len(fresh)

    def finish(self) -> int:
        self._thread.join(self.seconds + SLACK_S + 5)
        n = self.poll()
        self.ended = True
        return n

    def _trim(self) -> None:
        if not self.held:
            return
        newest = self.held[-1]
        end = newest.base_time + newest.duration
        k = 0
        while k < len(self.held) - 1 and end - (self.held[k].base_time + self.held[k].duration) > self.keep_s * 1e9:
            k += 1
        if k:
            del self.held[:k]
            self.dropped += k

    def model(self) -> LiveModel | None:
        """The held windows joined (the newest of them when joining all costs more than
        `budget_s`: the view skips ahead, as LiveWindow does)."""
        if not self.held:
            return None
        n = len(self.held) if self.span_limit is None else min(self.span_limit, len(self.held))
        t0 = time.perf_counter()
        trace = concat(self.held[-n:])
        took = time.perf_counter() - t0
        if took > self.budget_s and n > 1:
            self.span_limit = max(1, int(n * self.budget_s / took))
        elif self.span_limit is not None and took < self.budget_s / 2:
            self.span_limit += 1
        if self.origin_ns is None:
            self.origin_ns = trace.base_time
        return LiveModel(trace, n, 0, took, self.skipped + len(self.held) - n, self.origin_ns)

    def gaps(self) -> tuple[int, int]:
        """(gaps, ns not traced) between the windows in the view."""
        start, end = gap_spans(self.held)
        return int(start.size), int((end - start).sum())

    def close(self) -> None:
        self._stop.set()


def window_model(path: str) -> Trace:
    """One window's model, its times on the process's monotonic clock (the clock snapshot of
    Go 1.25+ says where the trace clock stands against it; earlier, they are one on Linux)."""
    from tracetui.gotrace.reader import read_trace
    from tracetui.model.from_gotrace import build_model

    table = read_trace(path)
    trace = build_model(table)
    trace.base_time += clock_offset(table)
    return trace


def clock_offset(table: EventTable) -> int:
    """CLOCK_MONOTONIC minus the trace clock (ns) at the first clock snapshot, 0 without one."""
    for s in table.syncs:
        if s.has_snapshot and s.mono:
            return int(s.mono) - int(s.trace_time)
    return 0


def join_files(paths: list[str]) -> Trace | None:
    """Every window of a recording joined (for the Perfetto file written at the end)."""
    strings, stacks = StringTable(), StackTable()
    parts = []
    for p in paths:
        try:
            parts.append(share_tables(window_model(p), strings, stacks))
        except TracetuiError:
            continue  # a window cut short (the service went away): the others still join
    return concat(parts) if parts else None
