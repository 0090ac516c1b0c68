"""The live window on a trace that `tracetui record` is writing while a real program runs."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from tests.record.conftest import Recorder, go_run
from tracetui.gotrace.reader import read_buffer
from tracetui.live.window import LiveWindow
from tracetui.model.trace import TrackKind


@pytest.mark.slow
def test_generations_arrive_while_the_program_runs(recorder: Recorder, tmp_path: Path) -> None:
    proc = recorder.start("--no-sample", "-o", "t.pftrace", "--", *go_run("graceful"), cwd=tmp_path)
    gotrace = tmp_path / "t.gotrace"
    w = LiveWindow(str(gotrace), keep_s=60)
    try:
        deadline = time.monotonic() + 60
        while len(w.window) < 3 and time.monotonic() < deadline and proc.poll() is None:
            w.poll()
            time.sleep(0.1)
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else b""
        assert len(w.window) >= 3  # record starts a generation every 200 ms: they arrive as it runs
        live = w.model()
        assert live is not None and live.trace.events > 0
        goroutines = [t for t in live.trace.tracks if t.kind == TrackKind.GOROUTINE]
        assert any(t.name.endswith("main.main") for t in goroutines)
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 7, err  # the program's own status on SIGINT
    w.finish()
    last = w.model()
    assert last is not None and w.dropped == 0
    whole = read_buffer(gotrace.read_bytes())
    assert whole.error is None and last.trace.events == len(whole)
    w.close()


@pytest.mark.slow
def test_window_stays_bounded_on_a_long_busy_run(recorder: Recorder, tmp_path: Path) -> None:
    """A small keep holds a few generations however long the program runs: bytes held and
    the size of each model stay flat while the file grows."""
    proc = recorder.start("--no-sample", "-o", "t.pftrace", "--", *go_run("steady", "4000"), cwd=tmp_path)
    w = LiveWindow(str(tmp_path / "t.gotrace"), keep_s=0.5)
    held: list[int] = []
    modelled = 0
    last = time.monotonic()
    try:
        while proc.poll() is None:
            if w.poll():
                held.append(w.bytes_held())
            if held and time.monotonic() - last > 1.0:  # a model now and then, as the view makes them
                live = w.model()
                assert live is not None and live.trace.events > 0
                modelled += 1
                last = time.monotonic()
            time.sleep(0.05)
        w.finish()
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=60)
    size = (tmp_path / "t.gotrace").stat().st_size
    assert len(held) >= 5 and w.dropped > 0 and modelled >= 1, (held, w.dropped)
    assert max(held) < size / 2  # the window is a part of the file, not all of it
    late = held[len(held) // 2 :]
    assert max(late) <= 3 * max(held[: len(held) // 2])  # flat, not growing with the run
    assert len(w.index.spans) <= len(w.window) + 1  # generations that left are forgotten
    w.close()
