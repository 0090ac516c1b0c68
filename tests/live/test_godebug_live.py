"""Live GODEBUG recordings: the runtime's lines are read from record's log as they arrive."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.record.conftest import Recorder
from tracetui.live.godebugtail import GodebugTail
from tracetui.model.trace import TrackKind


def test_lines_as_they_come(tmp_path: Path) -> None:
    log = tmp_path / "run.godebug.log"
    lines = [
        (
            b"1000000000 SCHED 0ms: gomaxprocs=2 idleprocs=1 threads=4 spinningthreads=0 needspinning=0 idlethreads=1 "
            b"runqueue=0 [0 0]"
        ),
        b"1100000000 mangled: SCHED 10",
        (
            b"1200000000 SCHED 200ms: gomaxprocs=2 idleprocs=2 threads=5 spinningthreads=0 needspinning=0 idlethreads=2 "
            b"runqueue=0 [0 0]"
        ),
    ]
    tail = GodebugTail(str(log), "app (live)")
    assert tail.poll() == 0 and tail.model() is None  # no file yet
    log.write_bytes(lines[0] + b"\n" + lines[1] + b"\n" + lines[2][:30])  # the last line is not whole yet
    assert tail.poll() == 1
    with open(log, "ab") as f:
        f.write(lines[2][30:] + b"\n")
    assert tail.poll() == 1 and tail.log.lines == 2
    live = tail.model()
    assert live is not None
    assert any(t.kind == TrackKind.HOST and t.name.startswith("Threads") for t in live.trace.tracks)


@pytest.mark.slow
def test_a_running_binary_s_lines_arrive_while_it_runs(recorder: Recorder, workload_bin: Path,
                                                       tmp_path: Path) -> None:  # fmt: skip
    proc = recorder.start("--no-sample", "-o", "t.pftrace", "--", str(workload_bin), "graceful", cwd=tmp_path)
    tail = GodebugTail(str(tmp_path / "t.godebug.log"), "workload (live)")
    try:
        deadline = time.monotonic() + 30
        while tail.log.lines < 5 and time.monotonic() < deadline:
            tail.poll()
            time.sleep(0.05)
        assert proc.poll() is None and tail.log.lines >= 5  # schedtrace every 100 ms, read while it runs
        live = tail.model()
        assert live is not None and live.trace.duration > 0
    finally:
        proc.send_signal(2)
        proc.communicate(timeout=60)
    tail.finish()
    assert tail.ended and tail.log.lines >= 5
