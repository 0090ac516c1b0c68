"""The live view in the app (Textual pilot): it follows the newest data with no key pressed,
navigation stops following and F / End resume it, q stops the recording and quits once the
files are written, and a recording that ended by itself stays on screen, marked ended."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from tests.tui.helpers import status
from tracetui.live.generations import GenerationIndex
from tracetui.live.loader import live_steps
from tracetui.live.window import LiveWindow
from tracetui.load import LoadStep
from tracetui.tui.app import TraceApp

TRACE = Path(__file__).resolve().parents[2] / "traces" / "go1.27.3" / "generations.trace"


class FakeRecording:
    """A recording whose trace file the test grows one generation at a time."""

    def __init__(self, path: Path, program_status: int = 3) -> None:
        self.path = path
        self.data = TRACE.read_bytes()
        idx = GenerationIndex()
        idx.feed(self.data)
        idx.finish()
        self.ends = [s.end for s in idx.spans]
        self.written = 0
        path.write_bytes(b"")
        self.ended = False
        self.stopped = False
        self.program_status = program_status

    def grow(self) -> None:
        """Append the next generation (and a byte of the one after, which completes it)."""
        upto = min(self.ends[self.written] + 1, len(self.data))
        with open(self.path, "ab") as f:
            f.write(self.data[self.path.stat().st_size : upto])
        self.written += 1

    def end(self) -> None:
        with open(self.path, "ab") as f:
            f.write(self.data[self.path.stat().st_size :])
        self.ended = True

    def finished(self) -> bool:
        return self.ended

    def stop(self) -> None:
        self.stopped = True
        self.end()

    def exit_status(self) -> int:
        return 0 if self.stopped else self.program_status


def _loader(rec: FakeRecording) -> Callable[[str, Callable[[], bool]], Iterator[LoadStep]]:
    window = LiveWindow(str(rec.path))

    def load(_path: str, cancelled: Callable[[], bool]) -> Iterator[LoadStep]:
        return live_steps(window, rec.finished, cancelled, refresh_s=0.0, poll_s=0.02)

    return load


async def _until(pilot: Pilot[Any], cond: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if cond():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"never: {what}")


def _run(rec: FakeRecording, body: Callable[[TraceApp, Pilot[Any]], Any]) -> TraceApp:
    app = TraceApp(str(rec.path), loader=_loader(rec), live=rec)

    async def go() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            await body(app, pilot)

    asyncio.run(go())
    return app


def test_follows_the_live_edge_and_navigation_stops_it(tmp_path: Path) -> None:
    rec = FakeRecording(tmp_path / "t.gotrace")

    async def body(app: TraceApp, pilot: Pilot[Any]) -> None:
        rec.grow()
        await _until(pilot, lambda: app.timeline is not None, "the first model")
        tl = app.timeline
        assert tl is not None and tl.live and tl.following
        assert status(app).startswith("● LIVE")
        first_total = tl.total
        rec.grow()  # no key pressed: the view moves on by itself
        await _until(pilot, lambda: tl.total > first_total, "a newer model")
        assert tl.t0 + tl.span == tl.total and tl.cursor_t == tl.total - 1
        await pilot.press("w")  # zoom in: a navigation key, it stops following
        assert not tl.following
        t0, span = tl.t0, tl.span
        shown_at = t0 + tl.time_offset
        rec.grow()
        before = tl.total
        await _until(pilot, lambda: tl.total != before, "the last generation")
        assert (tl.t0 + tl.time_offset, tl.span) == (shown_at, span)  # the same moments on screen
        await pilot.press("F")
        assert tl.following and tl.t0 + tl.span == tl.total
        await pilot.press("left")
        assert not tl.following
        await pilot.press("end")
        assert tl.following
        await pilot.press("q")  # live: stops the recording first
        await _until(pilot, lambda: app.return_code is not None, "the exit")

    app = _run(rec, body)
    assert rec.stopped and app.return_code == 0  # stopped by the user: 0


def test_q_waits_for_the_files_then_quits_with_0(tmp_path: Path) -> None:
    rec = FakeRecording(tmp_path / "t.gotrace", program_status=7)
    rec.stop = lambda: setattr(rec, "stopped", True)  # type: ignore[method-assign]  # the recorder takes its time

    async def body(app: TraceApp, pilot: Pilot[Any]) -> None:
        rec.grow()
        await _until(pilot, lambda: app.timeline is not None, "the first model")
        await pilot.press("q")
        await pilot.pause(0.2)
        assert rec.stopped and app.return_code is None  # still on screen while the files are written
        assert status(app).startswith("◼ STOPPING")
        rec.end()  # the recorder is done
        await _until(pilot, lambda: app.return_code is not None, "the exit")

    app = _run(rec, body)
    assert app.return_code == 0


def test_a_program_that_ends_stays_on_screen_marked_ended(tmp_path: Path) -> None:
    rec = FakeRecording(tmp_path / "t.gotrace", program_status=3)

    async def body(app: TraceApp, pilot: Pilot[Any]) -> None:
        rec.grow()
        await _until(pilot, lambda: app.timeline is not None, "the first model")
        rec.end()
        await _until(pilot, lambda: status(app).startswith("■ ENDED"), "the ended mark")
        await pilot.pause(0.3)
        assert app.return_code is None  # the view stays open on the full recording
        assert app.timeline is not None and app.timeline.trace.events > 0
        await pilot.press("q")
        await _until(pilot, lambda: app.return_code is not None, "the exit")

    app = _run(rec, body)
    assert app.return_code == 3 and not rec.stopped  # the program's own status
