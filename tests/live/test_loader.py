"""The live loader: models of the window as generations arrive, then the final one."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracetui.errors import TracetuiError
from tracetui.gotrace.reader import read_buffer
from tracetui.live.generations import GenerationIndex
from tracetui.live.loader import live_steps
from tracetui.live.window import LiveWindow

TRACE = Path(__file__).resolve().parents[2] / "traces" / "go1.27.3" / "generations.trace"


def test_steps_follow_the_file_until_the_tracer_stops(tmp_path: Path) -> None:
    data = TRACE.read_bytes()
    idx = GenerationIndex()
    idx.feed(data)
    idx.finish()
    ends = [s.end for s in idx.spans]  # 3 generations
    path = tmp_path / "t.gotrace"
    path.write_bytes(b"")
    # The file grows by one generation each time the loader looks (a poll), then the tracer stops.
    sizes = iter([ends[0] + 1, ends[1] + 1, len(data), len(data)])
    state = {"polls": 0, "ended": False}

    def finished() -> bool:
        size = next(sizes, None)
        if size is None:
            state["ended"] = True
        else:
            with open(path, "r+b") as f:
                f.seek(0, 2)
                f.write(data[f.tell() : size])
        state["polls"] += 1
        return state["ended"]

    window = LiveWindow(str(path))
    steps = list(live_steps(window, finished, refresh_s=0.0, poll_s=0.0))
    assert steps[0].trace is None and "Waiting" in steps[0].phase
    models = [s for s in steps if s.trace is not None]
    assert [s.done for s in models] == [False, False, False, True]
    gens = [s.trace.events for s in models]
    assert gens[0] < gens[1] < gens[2] == gens[3] == len(read_buffer(data))
    lives = [s.live for s in models]
    assert all(x is not None for x in lives)
    assert lives[-1].ended and not lives[0].ended
    assert lives[-1].offset_ns == 0 and lives[-1].elapsed_s > lives[0].elapsed_s
    assert lives[-1].goroutines > 0 and lives[-1].events_per_s > 0
    window.close()


def test_cancel_stops_at_once(tmp_path: Path) -> None:
    path = tmp_path / "t.gotrace"
    path.write_bytes(TRACE.read_bytes())
    steps = list(live_steps(LiveWindow(str(path)), lambda: False, cancelled=lambda: True))
    assert len(steps) == 1 and steps[0].trace is None


def test_a_recording_without_a_trace_is_one_error(tmp_path: Path) -> None:
    steps = live_steps(
        LiveWindow(str(tmp_path / "never.gotrace")), lambda: True, nothing=lambda: "no trace: build failed"
    )
    next(steps)  # waiting
    with pytest.raises(TracetuiError) as e:
        next(steps)
    assert e.value.one_line() == f"tracetui: {tmp_path / 'never.gotrace'}: no trace: build failed"


def test_live_line_names_what_it_skips() -> None:
    """`skipping ahead` counts generations of a trace file, windows of a pprof endpoint."""
    from tracetui.live.loader import LiveStatus
    from tracetui.tui.app import live_text

    base = LiveStatus(1.0, 1000.0, 3, 0, 0, 0, 4, 0, False)
    assert "skipping ahead: 4 generations not drawn" in live_text(base)
    windows = LiveStatus(1.0, 1000.0, 3, 0, 0, 0, 4, 0, False, gaps=2, gap_ns=5_000_000, pieces="windows")
    text = live_text(windows)
    assert "skipping ahead: 4 windows not drawn" in text and "2 gaps (5" in text
