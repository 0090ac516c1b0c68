"""Open a trace file as a model, whole or progressively (for the viewer).

The one place that knows which reader handles a file: consumers (the TUI, commands) ask
for a `Trace` and never read a file format themselves.
"""

from __future__ import annotations

import gc
import inspect
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from tracetui.errors import TraceFormatError, TracetuiError
from tracetui.gotrace.events import EventTable
from tracetui.model.trace import Trace, Track

if TYPE_CHECKING:
    from tracetui.live.loader import LiveStatus

ExtraTracks = Callable[[Trace], list[Track]]  # tracks to add to a model (a recording's host rows)

GROWTH = 4.0  # after the first chunk, model again each time the events read have grown by this factor
MIN_INTERVAL_S = 1.0  # and no more often than this


@dataclass
class LoadStep:
    """One step of a progressive load: how far it got and, sometimes, a newer model."""

    fraction: float  # of the file's bytes read
    events: int  # events read so far
    trace: Trace | None = None  # a model of everything read so far (None: no new model)
    done: bool = False
    warning: str | None = None  # set on the last step of a truncated or corrupted trace
    phase: str = ""  # what the load is doing, for the loading screen ("Reading x.trace", "Building the model")
    live: LiveStatus | None = None  # a live view's figures (the trace is still being written)


# What the viewer loads a trace with: load_progressively's shape (a path and a "cancelled?"
# question in, the steps out); the live view and tests give their own.
Loader = Callable[[str, Callable[[], bool]], Iterator[LoadStep]]


def check_readable(path: str) -> None:
    """Raise a one-line error unless `path` is a file we can read."""
    if not os.path.exists(path):
        raise TracetuiError("no such file", path=path)
    if os.path.isdir(path):
        raise TracetuiError("is a directory, not a trace file", path=path)
    if not os.access(path, os.R_OK):
        raise TraceFormatError("cannot read: permission denied", path=path)


def read_bytes(path: str) -> bytes:
    """The file's bytes, or a one-line error naming it."""
    check_readable(path)
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise TraceFormatError(f"cannot read: {e.strerror or e}", path=path) from None


def usable(path: str, table: EventTable) -> str | None:
    """Raise if a broken trace has no complete generation; else the warning to show (or None)."""
    if table.error is None:
        return None
    if table.valid_size == 0:
        raise TraceFormatError(table.error.split("\n")[0], path=path, offset=table.error_offset)
    from tracetui.report import partial_warning

    return partial_warning(path, table)


def _with_extra(trace: Trace, extra_tracks: ExtraTracks | None) -> Trace:
    """The trace with extra_tracks(trace) appended to its tracks (existing indices unchanged)."""
    if extra_tracks is not None:
        trace.tracks.extend(extra_tracks(trace))
    return trace


def _head(path: str) -> bytes:
    """The first bytes of a file: enough to tell a Go trace from a Perfetto one."""
    check_readable(path)
    try:
        with open(path, "rb") as f:
            return f.read(64)
    except OSError as e:
        raise TraceFormatError(f"cannot read: {e.strerror or e}", path=path) from None


def _perfetto_reader(data: bytes) -> Callable[[str], Trace] | None:
    """The Perfetto reader when the bytes look like a Perfetto trace and it is available."""
    try:
        from tracetui.perfetto import reader as pf
    except ImportError:
        return None
    is_pf = getattr(pf, "is_perfetto", None)
    read = getattr(pf, "read_model", None)
    if is_pf is None or read is None or not is_pf(data[:64]):
        return None
    return read  # type: ignore[no-any-return]


def _perfetto_preview(path: str) -> Trace | None:
    """A quick first model of a big Perfetto file tracetui wrote (its rare events and
    metadata, read from its head and tail), or None."""
    try:
        from tracetui.perfetto.preview import read_preview
    except ImportError:
        return None
    return read_preview(path)


def read_position(path: str) -> float | None:
    """How far this process has read `path` (the offset of a descriptor open on it over its
    size), for readers that say nothing while they read; None if unknown (not Linux, not open)."""
    try:
        real, size = os.path.realpath(path), os.path.getsize(path)
        for fd in os.listdir("/proc/self/fd"):
            try:
                if os.readlink(f"/proc/self/fd/{fd}") != real:
                    continue
                with open(f"/proc/self/fdinfo/{fd}") as f:
                    pos = next(int(line.split()[1]) for line in f if line.startswith("pos:"))
                return min(pos / max(size, 1), 1.0)
            except (OSError, StopIteration, ValueError, IndexError):
                continue
    except OSError:
        return None
    return None


def _read_perfetto(
    read: Callable[..., Trace], path: str, cancelled: Callable[[], bool], report: Callable[[LoadStep], None] | None
) -> Trace | None:
    """Run the Perfetto reader, handing it `cancelled` (checked per chunk) and a progress
    callback (fraction of the file read) when it takes them; None if it stopped because
    the load was cancelled."""
    try:
        params = inspect.signature(read).parameters
    except (TypeError, ValueError):
        params = {}  # type: ignore[assignment]
    kwargs: dict[str, object] = {}
    if "cancelled" in params:
        kwargs["cancelled"] = cancelled
    if "progress" in params and report is not None:

        def progress(fraction: float) -> None:
            f = min(max(float(fraction), 0.0), 1.0)
            report(LoadStep(f, 0, phase="Reading Perfetto file" if f < 1 else "Building the model"))

        kwargs["progress"] = progress
    try:
        return read(path, **kwargs)
    except Exception:
        if cancelled():
            return None  # whatever stopped it, the load is over
        raise


def load_progressively(
    path: str,
    cancelled: Callable[[], bool] = lambda: False,
    report: Callable[[LoadStep], None] | None = None,
    extra_tracks: ExtraTracks | None = None,
) -> Iterator[LoadStep]:
    """Read `path` chunk by chunk, yielding progress after each chunk and a model of the
    prefix read so far at a growing schedule (the first slice, then each time the events
    have grown by GROWTH), and the whole model on the last step. A step's `phase` says
    what comes next (reading, building the model). Stops quietly (without a last step) once
    `cancelled()` is true. A big Perfetto file of ours first yields a preview model (its
    tracks and rare events, the hot rows empty), then the whole one. `report` receives
    progress from inside a long step (a Perfetto file read in one call). `extra_tracks(model)`
    gives tracks added to every model yielded (a recording's host rows). User errors raise
    TracetuiError."""
    from tracetui.gotrace.reader import TraceStream
    from tracetui.model.from_gotrace import build_model as build

    def build_model(table: EventTable) -> Trace:
        return _with_extra(build(table), extra_tracks)

    pf = _perfetto_reader(_head(path))
    if pf is not None:  # it reads the file itself, in pieces
        yield LoadStep(0.0, 0, phase="Reading Perfetto file")
        preview = _perfetto_preview(path)
        if cancelled():
            return
        if preview is not None:  # the first screen: every track, the hot ones still empty
            yield LoadStep(0.0, preview.events, _with_extra(preview, extra_tracks), phase="Reading Perfetto file")
        whole = _read_perfetto(pf, path, cancelled, report)
        if whole is None or cancelled():
            return
        trace = _with_extra(whole, extra_tracks)
        yield LoadStep(1.0, trace.events, trace, done=True, phase="Drawing")
        return
    reading = f"Reading {os.path.basename(path)}"
    yield LoadStep(0.0, 0, phase=reading)
    data = read_bytes(path)
    stream = TraceStream(data, path)
    size = max(len(data), 1)
    modelled = 0
    last_model_at = 0.0
    for offset in stream:
        if cancelled():
            return
        n = stream.events
        now = time.monotonic()
        due = modelled == 0 or (n >= GROWTH * modelled and now - last_model_at >= MIN_INTERVAL_S)
        fraction = min(offset / size, 1.0)
        step = LoadStep(fraction, n, phase=reading)
        if due and offset < len(data) and stream.reader.error is None and n > 0:
            yield LoadStep(fraction, n, phase="Building the model of the part read")
            if cancelled():
                return
            step.trace = build_model(stream.table())
            modelled, last_model_at = n, time.monotonic()
        yield step
    if cancelled():
        return
    table = stream.table()
    warning = usable(path, table)
    yield LoadStep(1.0, len(table), phase="Building the model")
    if cancelled():
        return
    yield LoadStep(1.0, len(table), build_model(table), done=True, warning=warning, phase="Drawing")


class Opened(NamedTuple):
    """A whole trace file as a model."""

    trace: Trace
    warning: str | None  # one line for a truncated or corrupted Go trace, else None
    partial: dict[str, object] | None  # what was lost of it (for `summary --json`), else None
    wall_start: int | None = None  # Unix ns of the trace's time 0 (a Go 1.25+ trace's clock snapshot), else None


def wall_start(table: EventTable, base_time: int) -> int | None:
    """The wall-clock time (Unix ns) of time 0, from the first clock snapshot (Go 1.25+)."""
    for s in table.syncs:
        if s.has_snapshot:
            return s.sec * 1_000_000_000 + s.nsec - (s.trace_time - base_time)
    return None


def open_model(path: str, extra_tracks: ExtraTracks | None = None) -> Opened:
    """The whole model of a trace file (a Go trace, or a Perfetto trace), with the tracks
    `extra_tracks(model)` gives added."""
    from tracetui.gotrace.reader import read_buffer
    from tracetui.model.from_gotrace import build_model
    from tracetui.report import partial_info

    pf = _perfetto_reader(_head(path))
    if pf is not None:
        return Opened(_with_extra(pf(path), extra_tracks), None, None)
    table = read_buffer(read_bytes(path), path)
    warning, partial = usable(path, table), partial_info(table)
    trace = build_model(table)
    wall = wall_start(table, trace.base_time)
    del table
    gc.collect()  # the reader's objects hold the table in reference cycles: free its ~45 bytes/event now
    return Opened(_with_extra(trace, extra_tracks), warning, partial, wall)
