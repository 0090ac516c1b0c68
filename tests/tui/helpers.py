"""Shared helpers for the viewer's tests: a loaded app, the text on screen."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from textual.pilot import Pilot

from tests.conftest import TRACES
from tracetui.tui.app import TraceApp
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
