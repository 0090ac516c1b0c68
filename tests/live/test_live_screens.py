"""In a live view the analysis screens (2-5) take the newest model by themselves, with no key
pressed, analysed in a worker thread while the older one stays on screen, and shown where
the user was (Textual pilot)."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable

from tracetui.gotrace.reader import read_trace
from tracetui.live.loader import LiveStatus
from tracetui.load import LoadStep
from tracetui.model import Trace, build_model
from tracetui.model.concat import concat
from tracetui.tui.app import TraceApp
from tracetui.tui.screens.analysis import GoroutinesScreen, HistogramsScreen
from tracetui.tui.screens.mmu import MMUScreen

TRACES = Path(__file__).resolve().parents[2] / "traces" / "go1.27.3"


class Growing:
    """A live recording whose models the test hands out one at a time: a program's trace,
    then that trace and a second window with 3000 more goroutines."""

    def __init__(self) -> None:
        first = build_model(read_trace(TRACES / "channels.trace"))
        more = build_model(read_trace(TRACES / "manygoroutines.trace"))
        more = dataclasses.replace(more, base_time=first.base_time + first.duration + 5_000_000)
        again = dataclasses.replace(more, base_time=more.base_time + more.duration + 5_000_000)
        self.models: list[Trace] = [first, concat([first, more]), concat([first, more, again])]
        self.next = threading.Semaphore(0)
        self.stopped = False

    def loader(self, _path: str, cancelled: Callable[[], bool]) -> Iterator[LoadStep]:
        for i, m in enumerate(self.models):
            while not self.next.acquire(timeout=0.05):
                if cancelled() or self.stopped:
                    return
            step = LoadStep(1.0, m.events, m, done=False, phase="Live")
            step.live = LiveStatus(float(i + 1), 1000.0, len(m.goroutines), 0, 0, 0, 0, 0, False)
            yield step
        while not (cancelled() or self.stopped):
            self.next.acquire(timeout=0.05)

    def finished(self) -> bool:
        return self.stopped

    def stop(self) -> None:
        self.stopped = True

    def exit_status(self) -> int:
        return 0


async def _until(pilot: Pilot[Any], cond: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if cond():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"never: {what}")


def _run(body: Callable[[TraceApp, Pilot[Any], Growing], Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(TraceApp, "SCREENS_REFRESH_S", 0.2)
    rec = Growing()
    app = TraceApp("live", loader=rec.loader, live=rec)

    async def go() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            rec.next.release()
            await _until(pilot, lambda: app.timeline is not None, "the first model")
            await body(app, pilot, rec)
            rec.stop()

    asyncio.run(go())


def _counted(table: DataTable[Any]) -> int:
    """The goroutines screen 2 lists: the sum of its count column."""
    return sum(int(str(table.get_row_at(r)[1])) for r in range(table.row_count))


def test_screen_2_follows_the_newest_model_with_no_key_pressed(monkeypatch: pytest.MonkeyPatch) -> None:
    async def body(app: TraceApp, pilot: Pilot[Any], rec: Growing) -> None:
        await pilot.press("2")
        screen = app.screen
        assert isinstance(screen, GoroutinesScreen)
        await _until(pilot, lambda: screen.analysis is not None and screen.query_one(DataTable).row_count > 2,
                     "the first analysis")  # fmt: skip
        table = screen.query_one(DataTable)
        before = _counted(table)
        assert before == len(rec.models[0].goroutines)
        await pilot.press("down", "down")
        assert table.cursor_row == 2
        rec.next.release()  # the newer model arrives; no key pressed from here on
        await _until(pilot, lambda: screen.trace is rec.models[1], "the newer model on screen 2")
        await _until(pilot, lambda: _counted(table) != before, "the newer count")
        assert _counted(table) == len(rec.models[1].goroutines) > before
        assert table.cursor_row == 2  # where the user was
        assert app.screen is screen and list(app.analyses) == [id(rec.models[1])]  # only the newest kept

    _run(body, monkeypatch)


def test_screens_4_and_5_follow_too(monkeypatch: pytest.MonkeyPatch) -> None:
    async def body(app: TraceApp, pilot: Pilot[Any], rec: Growing) -> None:
        await pilot.press("4")
        hist = app.screen
        assert isinstance(hist, HistogramsScreen)
        await _until(pilot, lambda: hist.analysis is not None, "the first analysis")
        h = hist.hist()
        assert h is not None and hist.hist_name == "sched_latency"
        count = h.count
        await pilot.press("right", "right")
        assert hist.bucket == 1
        rec.next.release()
        await _until(pilot, lambda: hist.trace is rec.models[1], "the newer model on screen 4")
        h = hist.hist()
        assert h is not None and h.count > count and hist.bucket == 1  # more events; the same bucket
        assert f"{h.count:,} events" in str(hist.query_one("#bars").render())
        await pilot.press("5")
        mmu = app.screen
        assert isinstance(mmu, MMUScreen)
        await pilot.pause(0.3)
        assert mmu.trace is rec.models[1]
        rec.next.release()
        await _until(pilot, lambda: mmu.trace is rec.models[2], "the newer model on screen 5")

    _run(body, monkeypatch)
