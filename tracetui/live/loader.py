"""The viewer's loader for a trace that is still being written: a model of the live window
after each refresh, with the figures of the LIVE indicator, until the tracer stops."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from tracetui.errors import TracetuiError
from tracetui.live.window import LiveModel
from tracetui.load import LoadStep
from tracetui.model.concat import GAP_SECTION
from tracetui.model.trace import Trace, TrackKind

POLL_S = 0.2  # how often the file is looked at
REFRESH_S = 1.0  # a new model at most this often (Go ends a generation about every second)


class LiveSource(Protocol):
    """What the live view reads: a Go trace's window (LiveWindow) or GODEBUG lines (GodebugTail)."""

    path: str
    ended: bool
    dropped: int
    pieces: str  # what it is made of, as the LIVE line names what it skips: "generations"

    def poll(self) -> int: ...
    def finish(self) -> int: ...
    def model(self) -> LiveModel | None: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class LiveStatus:
    """What the LIVE indicator shows (figures of the window modelled last)."""

    elapsed_s: float  # the recording's time at the window's end
    events_per_s: float  # events of the window over its time span
    goroutines: int  # alive at the window's end
    gc_cycles: int  # GC cycles in the window
    sched_p99_ns: int  # scheduling latency p99 in the window (0: none)
    offset_ns: int  # where the window starts on the recording's clock
    skipped: int  # generations left out to keep up (0: the whole window)
    dropped: int  # generations that left the window (--keep)
    ended: bool  # the tracer stopped: the model is the final one
    gaps: int = 0  # times nothing was traced in the window (between pprof windows)
    gap_ns: int = 0  # their total
    pieces: str = "generations"  # what `skipped` counts (pprof mode: "windows")


def status_of(live: LiveModel, window: LiveSource) -> LiveStatus:
    """The indicator's figures for one model of the window."""
    from tracetui.analysis.histograms import histogram, occurrences

    tr = live.trace
    g = tr.goroutines
    end = tr.duration
    alive = int(np.count_nonzero((g.created <= end) & ((g.ended < 0) | (g.ended > end)))) if len(g.id) else 0
    try:
        p99 = histogram(occurrences(tr)["sched_latency"].duration).p99_ns
    except (KeyError, ValueError):
        p99 = 0
    span_s = max(tr.duration, 1) / 1e9
    gaps = next((t.spans for t in tr.tracks if t.kind == TrackKind.HOST and t.group == GAP_SECTION), None)
    return LiveStatus(
        elapsed_s=(tr.base_time - live.origin_ns + tr.duration) / 1e9,
        events_per_s=tr.events / span_s,
        goroutines=alive,
        gc_cycles=len(tr.gc),
        sched_p99_ns=p99,
        offset_ns=tr.base_time - live.origin_ns,
        skipped=live.skipped,
        dropped=window.dropped,
        ended=window.ended,
        gaps=len(gaps) if gaps is not None else 0,
        gap_ns=int(gaps.duration.sum()) if gaps is not None else 0,
        pieces=window.pieces,
    )


def live_steps(
    window: LiveSource,
    finished: Callable[[], bool],
    cancelled: Callable[[], bool] = lambda: False,
    refresh_s: float = REFRESH_S,
    poll_s: float = POLL_S,
    extra: Callable[[Trace], None] | None = None,
    nothing: Callable[[], str] | None = None,
) -> Iterator[LoadStep]:
    """Steps for the viewer: a waiting step, then a model of the window each time one or
    more generations have completed (at most every `refresh_s`), and when `finished()` says
    the tracer stopped, the final model (done). `extra(model)` adds tracks to each model.
    A recording that ends with no trace at all raises TracetuiError with `nothing()`."""
    yield LoadStep(0.0, 0, phase=f"Waiting for the first generation of {window.path}")
    last = 0.0
    fresh = 0
    while not cancelled():
        ended = finished()
        fresh += window.finish() if ended else window.poll()
        now = time.monotonic()
        if ended or (fresh and now - last >= refresh_s):
            live = window.model()
            last, fresh = time.monotonic(), 0
            if live is not None:
                if extra is not None:
                    extra(live.trace)
                step = LoadStep(1.0, live.trace.events, live.trace, done=ended, phase="Live")
                step.live = status_of(live, window)
                yield step
            elif ended:
                raise TracetuiError(nothing() if nothing else "the recording ended without a trace", path=window.path)
        if ended:
            return
        time.sleep(poll_s)
