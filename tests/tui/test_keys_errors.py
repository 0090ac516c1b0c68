"""Keys a new user reaches for first, and screen 4's event list."""

from __future__ import annotations

import asyncio
from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable

from tests.tui.helpers import CHANNELS, GCSTW, run_app
from tracetui.analysis.histograms import latency_histograms, occurrences
from tracetui.tui.app import TraceApp
from tracetui.tui.screens.analysis import HistogramsScreen
from tracetui.tui.widgets.timeline import Timeline
from tracetui.units import format_duration


def test_ctrl_c_quits_like_q() -> None:
    async def body(app: TraceApp, pilot: Pilot[Any], tl: Timeline) -> None:
        await pilot.press("ctrl+c")

    app = run_app(body)
    assert app.return_code == 0
    assert not app.is_running


def test_ctrl_c_quits_while_typing_in_a_prompt() -> None:
    async def body(app: TraceApp, pilot: Pilot[Any], tl: Timeline) -> None:
        await pilot.press("slash", "x", "ctrl+c")

    app = run_app(body)
    assert app.return_code == 0


def test_ctrl_c_quits_while_loading() -> None:
    async def go() -> TraceApp:
        app = TraceApp(GCSTW)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("ctrl+c")
            await pilot.pause(0.1)
        return app

    app = asyncio.run(go())
    assert app.return_code == 0


def _ns(text: str) -> float:
    number, unit = text.split()
    return float(number) * {"ns": 1, "µs": 1e3, "ms": 1e6, "s": 1e9}[unit]


def test_histogram_events_slowest_first_and_alike_collapsed() -> None:
    async def body(app: TraceApp, pilot: Pilot[Any], tl: Timeline) -> None:
        await pilot.press("4")
        for _ in range(200):
            await pilot.pause(0.02)
            if isinstance(app.screen, HistogramsScreen) and app.screen.analysis is not None:
                break
        screen = app.screen
        assert isinstance(screen, HistogramsScreen) and screen.hist_name == "sched_latency"
        await pilot.press("left", "enter")  # the first bucket: many short waits, on few goroutines
        h = latency_histograms(tl.trace)["sched_latency"]
        count = h.buckets[0][2]
        table = screen.query_one("#events", DataTable)
        rows = [[str(c) for c in table.get_row_at(r)] for r in range(table.row_count)]
        assert 1 < len(rows) < count  # collapsed
        counts = [int(r[1].removeprefix("×").replace(",", "") or 1) for r in rows]
        assert sum(counts) == count  # every event of the bucket, once
        shown = [_ns(r[0]) for r in rows]
        assert shown == sorted(shown, reverse=True)  # slowest first
        assert len({(r[0], r[3]) for r in rows}) == len(rows)  # no two lines alike
        # Each line stands for events that print alike and share a goroutine group.
        occ = occurrences(tl.trace)["sched_latency"]
        for line in screen.lines:
            assert format_duration(_ns(line.duration)) == line.duration
            k = int(occ.track[line.row])
            assert tl.trace.tracks[k].group in line.where or line.where == tl.trace.tracks[k].name
        # Enter shows the line's longest event on the timeline.
        first = screen.lines[0].row
        await pilot.press("enter")
        assert not isinstance(app.screen, HistogramsScreen)
        assert tl.current_row.track == int(occ.track[first]) and tl.cursor_t == int(occ.start[first])

    run_app(body, path=CHANNELS, size=(140, 40))
