"""Pilot tests of the first timeline app."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.conftest import TRACES
from tracetui.tui.app import TraceApp

TRACE = str(TRACES / "go1.27.3" / "gcstw.trace")


def _run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


async def _until_loaded(app: TraceApp, pilot: object) -> None:
    """Wait (up to 5 s) for the worker to finish: the timeline exists or the app exited."""
    for _ in range(100):
        await pilot.pause(0.05)  # type: ignore[attr-defined]
        if app.timeline is not None or app.return_code is not None:
            return


def test_loads_and_shows_rows() -> None:
    async def go() -> None:
        app = TraceApp(TRACE)
        async with app.run_test(size=(100, 30)) as pilot:
            await _until_loaded(app, pilot)
            assert app.timeline is not None, "the trace never finished loading"
            names = [r.name for r in app.timeline.rows]
            assert any(n.startswith("P0") for n in names)
            assert any(n.startswith("G1 ") for n in names)

    _run(go())


def test_zoom_pan_fit_keys() -> None:
    async def go() -> None:
        app = TraceApp(TRACE)
        async with app.run_test(size=(100, 30)) as pilot:
            await _until_loaded(app, pilot)
            tl = app.timeline
            assert tl is not None
            full = tl.span
            await pilot.press("w")
            assert abs(tl.span - full / 2) <= 1
            t0 = tl.t0
            await pilot.press("d")
            assert tl.t0 > t0
            await pilot.press("a")
            assert tl.t0 == t0
            await pilot.press("s")
            assert abs(tl.span - full) <= 2
            await pilot.press("w", "w", "0")
            assert (tl.t0, tl.span) == (0, full)
            await pilot.press("j", "j")
            assert tl.cursor_row == 2
            await pilot.press("k")
            assert tl.cursor_row == 1
            await pilot.press("q")
        assert app.return_code == 0

    _run(go())


def test_bad_file_exits_with_one_line(tmp_path: Path) -> None:
    p = tmp_path / "x.trace"
    p.write_text("not a trace")

    async def go() -> TraceApp:
        app = TraceApp(str(p))
        async with app.run_test(size=(80, 24)) as pilot:
            await _until_loaded(app, pilot)
        return app

    app = _run(go())
    assert app.return_code == 2
