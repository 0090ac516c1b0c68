"""q, Esc and Ctrl+C stop any load at once: the app exits 0, the loading thread ends (even
inside a long step that never looks at the cancel flag) and lets go of what it read; and
the loading screen says what it is doing and how far."""

from __future__ import annotations

import asyncio
import gc
import time
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import TRACES
from tests.tui.helpers import GCSTW, run_app, status, until_first_screen
from tracetui import load
from tracetui.load import LoadStep
from tracetui.tui.app import Loader, TraceApp, phase_text

KEYS = ["q", "escape", "ctrl+c"]


async def _press_while_loading(
    app: TraceApp, key: str, after: float = 0.3, ready: Callable[[], bool] = lambda: True
) -> float:
    """Run the app, press `key` after a while (once `ready()`); seconds from the key to the app's end."""
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(after)
        for _ in range(500):
            if ready():
                break
            await pilot.pause(0.01)
        assert app.timeline is None and app.return_code is None, "still loading when the key comes"
        t0 = time.monotonic()
        await pilot.press(key)
        for _ in range(100):
            if app.return_code is not None:
                break
            await pilot.pause(0.01)
    return time.monotonic() - t0


@pytest.mark.parametrize("key", KEYS)
def test_a_key_stops_a_load_that_checks_the_flag(key: str) -> None:
    seen: list[int] = []

    def loader(path: str, cancelled: Callable[[], bool]) -> Iterator[LoadStep]:
        for i in range(1000):
            if cancelled():
                return
            seen.append(i)
            time.sleep(0.01)
            yield LoadStep(i / 1000, i, phase="Reading x.trace")

    app = TraceApp(GCSTW, loader=loader)
    took = asyncio.run(_press_while_loading(app, key))
    assert app.return_code == 0 and took < 2.0
    assert app.loader_thread is not None and app.loader_thread.join(2.0), "the loading thread still runs"
    assert 5 < len(seen) < 200


def _stuck_loader(holder: list[weakref.ref[np.ndarray]], started: list[float]) -> Loader:
    """A load in one long step that never looks at the flag (a reader reading a whole file
    in one call), holding 80 MB."""

    def loader(path: str, cancelled: Callable[[], bool]) -> Iterator[LoadStep]:
        yield LoadStep(0.0, 0, phase="Reading Perfetto file")
        big = np.ones(10_000_000)
        holder.append(weakref.ref(big))
        started.append(time.monotonic())
        x = 0
        while time.monotonic() - started[0] < 30:  # pure Python: interruptible between bytecodes
            x += 1
        yield LoadStep(1.0, x)

    return loader


@pytest.mark.parametrize("key", KEYS)
def test_a_key_stops_a_long_step_at_once_and_memory_is_given_back(key: str) -> None:
    holder: list[weakref.ref[np.ndarray]] = []
    started: list[float] = []
    app = TraceApp(GCSTW, loader=_stuck_loader(holder, started))
    took = asyncio.run(_press_while_loading(app, key, after=0.2, ready=lambda: bool(started)))
    assert started, "the long step never began"
    assert app.return_code == 0
    assert took < 2.0, f"the app took {took:.2f} s to leave"
    thread = app.loader_thread
    assert thread is not None
    t0 = time.monotonic()
    assert thread.join(5.0), "the loading thread was not interrupted"
    assert time.monotonic() - t0 < 2.0 and time.monotonic() - started[0] < 10
    gc.collect()
    assert holder[0]() is None, "the load's arrays are still alive"


def test_the_app_exits_at_once_even_if_the_load_cannot_be_interrupted() -> None:
    """A step stuck in C (here a sleep) cannot be interrupted: the app still leaves at once
    (the thread is a daemon, not waited for)."""

    def loader(path: str, cancelled: Callable[[], bool]) -> Iterator[LoadStep]:
        yield LoadStep(0.0, 0, phase="Reading")
        time.sleep(4)
        yield LoadStep(1.0, 0)

    app = TraceApp(GCSTW, loader=loader)
    t0 = time.monotonic()
    took = asyncio.run(_press_while_loading(app, "q"))
    assert app.return_code == 0 and took < 2.0 and time.monotonic() - t0 < 3.0
    assert app.loader_thread is not None and app.loader_thread.thread.daemon


@pytest.mark.parametrize("first", [["slash", "a"], ["question_mark"], ["2"]], ids=["prompt", "help", "screen-2"])
def test_ctrl_c_quits_from_a_prompt_the_help_and_other_screens(first: list[str]) -> None:
    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        await pilot.press(*first)
        await pilot.pause(0.1)
        await pilot.press("ctrl+c")
        await pilot.pause(0.1)
        assert app.return_code == 0

    app = run_app(body)
    assert app.return_code == 0


def test_the_loading_screen_says_what_it_does_and_how_far() -> None:
    def loader(path: str, cancelled: Callable[[], bool]) -> Iterator[LoadStep]:
        yield LoadStep(0.34, 12_345_678, phase="Reading run.gotrace")
        while not cancelled():
            time.sleep(0.02)
            yield LoadStep(0.34, 12_345_678, phase="Reading run.gotrace")

    async def go() -> None:
        app = TraceApp(GCSTW, loader=loader)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause(0.4)
            text = str(app.query_one("#phase").render())
            assert text == "Reading run.gotrace: 34 % (12.3 M events)"
            await pilot.press("q")

    asyncio.run(go())


def test_phase_words() -> None:
    assert phase_text("Reading run.gotrace", 0.34, 12_345_678, 0.2) == "Reading run.gotrace: 34 % (12.3 M events)"
    assert phase_text("Reading Perfetto file", 0.0, 0, 12.4) == "Reading Perfetto file (12 s)"
    assert phase_text("Building the model", 1.0, 950, 0) == "Building the model (950 events)"


def test_a_real_load_names_its_phases(tmp_path: Path) -> None:
    phases = [s.phase for s in load.load_progressively(GCSTW)]
    assert phases[0] == "Reading gcstw.trace" and "Building the model" in phases


def test_escape_then_q_after_the_first_screen() -> None:
    """Esc stops the rest of the load and keeps the part read; q then quits with 0."""
    from tracetui.load import open_model

    part = open_model(GCSTW).trace

    def loader(path: str, cancelled: Callable[[], bool]) -> Iterator[LoadStep]:
        yield LoadStep(0.5, 100, part, phase="Reading")
        while not cancelled():
            time.sleep(0.02)
            yield LoadStep(0.5, 100)

    async def go() -> TraceApp:
        app = TraceApp(GCSTW, loader=loader)
        async with app.run_test(size=(100, 30)) as pilot:
            await until_first_screen(app, pilot)
            await pilot.press("escape")
            assert app.loader_thread is not None and app.loader_thread.join(2.0)
            assert "loading stopped at 50%" in status(app)
            await pilot.press("q")
        return app

    assert asyncio.run(go()).return_code == 0


def test_read_position_follows_a_reader_that_says_nothing(tmp_path: Path) -> None:
    f = tmp_path / "x.pftrace"
    f.write_bytes(b"\x0a" * 1000)
    assert load.read_position(str(f)) is None  # not open
    with open(f, "rb", buffering=0) as fh:
        fh.read(250)
        assert load.read_position(str(f)) == 0.25


def test_a_perfetto_load_reports_its_progress(tmp_path: Path) -> None:
    from tracetui.perfetto.writer import write_trace

    out = tmp_path / "m.pftrace"
    write_trace(load.open_model(str(TRACES / "go1.27.3" / "manygoroutines.trace")).trace, str(out))
    reported: list[LoadStep] = []
    steps = list(load.load_progressively(str(out), report=reported.append))
    fractions = [s.fraction for s in reported]
    assert fractions == sorted(fractions) and len(fractions) > 2 and fractions[-1] == 1.0
    assert reported[0].phase == "Reading Perfetto file" and reported[-1].phase == "Building the model"
    assert steps[0].phase == "Reading Perfetto file" and steps[-1].done and steps[-1].trace is not None
