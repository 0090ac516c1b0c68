"""Shared helpers for the viewer's tests: a loaded app, the text on screen."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import numpy as np
from textual.pilot import Pilot

from tests.conftest import TRACES
from tracetui.load import LoadStep
from tracetui.model.trace import Counter, Spans, State, Trace, Track, TrackKind
from tracetui.tui.app import Loader, TraceApp
from tracetui.tui.widgets.timeline import Timeline

GCSTW = str(TRACES / "go1.27.3" / "gcstw.trace")
CHANNELS = str(TRACES / "go1.27.3" / "channels.trace")


async def until_loaded(app: TraceApp, pilot: Pilot[Any], timeout: float = 20.0) -> None:
    """Wait for the whole trace to be loaded (or the app to exit)."""
    for _ in range(int(timeout / 0.02)):
        await pilot.pause(0.02)
        if app.return_code is not None:
            return
        if app.timeline is not None and not app.loading and app.timeline.size.width > 0:
            await pilot.pause()
            return
    raise AssertionError("the trace never finished loading")


async def until_first_screen(app: TraceApp, pilot: Pilot[Any], timeout: float = 2.0) -> None:
    """Wait until the timeline shows its first model (the load may go on); the caller asserts."""
    for _ in range(int(timeout / 0.02)):
        await pilot.pause(0.02)
        if app.timeline is not None:
            return


def run_app(
    body: Callable[[TraceApp, Pilot[Any], Timeline], Awaitable[None]],
    path: str = GCSTW,
    size: tuple[int, int] = (120, 40),
    **kwargs: Any,
) -> TraceApp:
    """Run `body(app, pilot, timeline)` on a loaded app; returns the app after it exited."""

    async def go() -> None:
        app = TraceApp(path, **kwargs)
        async with app.run_test(size=size) as pilot:
            await until_loaded(app, pilot)
            assert app.timeline is not None, f"no timeline (exit {app.return_code})"
            await body(app, pilot, app.timeline)
        holder.append(app)

    holder: list[TraceApp] = []
    asyncio.run(go())
    return holder[0]


def row_text(tl: Timeline, idx: int) -> str:
    """The text the timeline draws for row idx (label and cells)."""
    y = idx - int(tl.scroll_offset.y)
    return "".join(seg.text for seg in tl.render_line(y))


def screen_text(app: TraceApp) -> str:
    """Everything on screen as plain text."""
    return app.export_screenshot()


def status(app: TraceApp) -> str:
    from tracetui.tui.widgets.panels import StatusLine

    return str(app.query_one(StatusLine).render())


def row_index(tl: Timeline, label_start: str) -> int:
    for i, r in enumerate(tl.rows.rows):
        if r.label.strip().startswith(label_start):
            return i
    raise AssertionError(f"no row {label_start!r}: {[r.label for r in tl.rows.rows][:40]}")


HOST = "pingpong (pid 4711)"
HOST_STATES = ("running", "sleeping", "disk wait")  # the kernel's names, as the sampler gives them


def with_host(trace: Trace, group: str = HOST, thread: str = "thread 4712") -> Trace:
    """`trace` with a host section as the sampler makes it: CPU (cores), RSS (bytes) and a
    thread's sampled states (running, sleeping, disk wait, in turn), on the trace's clock."""
    n = 30
    ts = (np.arange(n, dtype=np.int64) * trace.duration) // n
    cpu = Counter(ts, np.linspace(0.5, 3.0, n))
    rss = Counter(ts, (64 + np.arange(n, dtype=np.int64)) * 2**20)
    states = np.array([State.RUNNING, State.IDLE, State.WAITING] * (n // 3), np.uint8)
    reasons = np.array([trace.strings.intern(HOST_STATES[i % 3]) for i in range(n)], np.int32)
    end = np.append(ts[1:], trace.duration)
    spans = Spans(ts, end, states, reasons, np.zeros(n, np.int32), np.full(n, -1, np.int64))
    base = max((t.id for t in trace.tracks if t.kind == TrackKind.HOST), default=-1) + 1
    trace.tracks.extend(
        [
            Track(TrackKind.HOST, base, "CPU", group, counter=cpu, unit="cores"),
            Track(TrackKind.HOST, base + 1, "RSS", group, counter=rss, unit="bytes"),
            Track(TrackKind.HOST, base + 2, thread, group, spans=spans),
        ]
    )
    return trace


def model_loader(trace: Trace) -> Loader:
    """A loader that hands the app this model (as the last step of a load)."""

    def load(path: str, cancelled: Callable[[], bool]) -> Iterator[LoadStep]:
        yield LoadStep(1.0, trace.events, trace, done=True)

    return load
