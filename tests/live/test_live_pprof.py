"""`tracetui record --live --pprof URL` on a real net/http/pprof service on 127.0.0.1: windows
fetched back to back, joined on one clock with the gaps marked, --keep bounding what is
held, and on q every window's Go trace and one Perfetto file of them all."""

from __future__ import annotations

import itertools
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.record.conftest import Recorder
from tests.record.test_pprof import service  # noqa: F401 - the fixture: the workload serving net/http/pprof
from tests.tui.test_tmux import Tmux
from tracetui.gotrace.reader import read_trace
from tracetui.live.loader import status_of
from tracetui.live.pprofwindows import PprofWindows, window_model
from tracetui.model import TrackKind
from tracetui.model.concat import GAP_NAME

pytestmark = pytest.mark.slow


def wait_windows(w: PprofWindows, n: int, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while len(w.held) + w.dropped < n:
        assert time.monotonic() < end, f"{len(w.held)} windows after {timeout}s ({w.error})"
        w.poll()
        time.sleep(0.1)


def test_windows_join_on_the_process_clock(service: str, tmp_path: Path) -> None:  # noqa: F811
    w = PprofWindows(service, str(tmp_path / "w"), keep_s=60).start()
    try:
        wait_windows(w, 3)
        live = w.model()
        assert live is not None
        tr = live.trace
        parts = list(w.held)
        # One clock: each window starts after the one before ends, a few ms later (one HTTP
        # round trip), and the join runs from the first's start to the last's end.
        for a, b in itertools.pairwise(parts):
            gap = b.base_time - (a.base_time + a.duration)
            assert 0 < gap < 300_000_000, gap
        assert tr.duration == parts[-1].base_time + parts[-1].duration - parts[0].base_time
        assert tr.events == sum(p.events for p in parts)
        # The gaps: a row of their own, counted by the LIVE line.
        rows = [t for t in tr.tracks if t.kind == TrackKind.HOST and t.name == GAP_NAME]
        assert len(rows) == 1 and rows[0].spans is not None and len(rows[0].spans) == len(parts) - 1
        status = status_of(live, w)
        assert status.gaps == len(parts) - 1 and 0 < status.gap_ns < 300_000_000 * status.gaps
        assert status.pieces == "windows"  # what the LIVE line says it skips
        # The service's ping-pong loop (alive throughout) is one goroutine row across windows.
        loop = [g for g in tr.goroutines.id.tolist() if tr.string(tr.goroutines.func[tr.goroutines.index(g)])
                == "main.main.func6"]  # fmt: skip
        assert len(loop) == 1
        row = tr.goroutine_track(loop[0])
        assert row is not None and row.spans is not None
        assert row.spans.start[0] < 200_000_000 and row.spans.end[-1] > tr.duration - 200_000_000
    finally:
        w.stop()
    t0 = time.monotonic()
    assert w.exit_status() == 0 and w.finished()
    assert time.monotonic() - t0 < 5  # the window in flight, then done
    w.finish()
    assert w.ended and not w.error
    for f in w.files:  # every window is a whole trace of its own, its clock the process's
        table = read_trace(f)
        assert table.error is None and any(s.has_snapshot for s in table.syncs)
        assert abs(window_model(f).base_time - int(table.time[0])) < 1_000_000


def test_keep_bounds_the_windows_held(service: str, tmp_path: Path) -> None:  # noqa: F811
    w = PprofWindows(service, str(tmp_path / "w"), keep_s=1.5).start()
    try:
        wait_windows(w, 4)
    finally:
        w.stop()
        w.exit_status()
    assert w.dropped >= 1 and len(w.held) <= 3
    assert len(w.files) >= 4  # every window stays on disk


def test_a_refused_connection_ends_the_windows(tmp_path: Path) -> None:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    w = PprofWindows(f"http://127.0.0.1:{port}", str(tmp_path / "w")).start()
    assert w.exit_status() == 1 and w.finished()
    assert w.error is not None and "cannot connect" in w.error
    assert w.why_no_trace().startswith("no trace: http://127.0.0.1:") and not w.files


def test_record_live_pprof_in_a_terminal(recorder: Recorder, service: str, tmp_path: Path) -> None:  # noqa: F811
    assert shutil.which("tmux"), "tmux is needed for this test (Debian package tmux)"
    env = " ".join(f"{k}={v}" for k, v in recorder.env.items() if k in ("PATH", "PYTHONPATH", "HOME"))
    t = Tmux(f"cd {tmp_path} && env {env} {sys.executable} -m tracetui record --live --pprof {service} -o s.pftrace",
             width=140, height=40)  # fmt: skip
    try:
        t.wait_for(r"● LIVE .* 2 gaps \(", timeout=30)  # three windows joined, two gaps between
        t.keys("q")
        done = t.wait_for(r"TRACETUI-EXIT=\d+", timeout=60)
    finally:
        t.close()
    assert "TRACETUI-EXIT=0" in done, done
    assert re.search(r"wrote s\.pftrace \(.* in \d+ windows; their Go traces are in s\.windows\)", done), done
    windows = sorted((tmp_path / "s.windows").iterdir())
    assert len(windows) >= 3 and windows[0].name == "0001.gotrace"
    out = subprocess.run([sys.executable, "-m", "tracetui", "summary", "--json", "s.pftrace"], cwd=tmp_path,
                         env=recorder.env, capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    # All the windows' goroutines (the service makes new ones for each request).
    ids = set()
    for f in windows:
        ids |= set(window_model(str(f)).goroutines.id.tolist())
    assert summary["goroutines"] == len(ids)
    assert summary["duration_ns"] > 0.9e9 * len(windows)


def test_live_pprof_refusals(recorder: Recorder, tmp_path: Path) -> None:
    (tmp_path / "s.windows").mkdir()
    (tmp_path / "s.windows" / "0001.gotrace").write_bytes(b"x")
    cases = [
        (["--pprof", "http://127.0.0.1:1", "--", "go", "version"], "give no command with it"),
        (["--pprof", "http://127.0.0.1:1", "--no-view"], "does not go with --no-view"),
        (["--pprof", "ftp://127.0.0.1:1"], "give an http:// or https:// URL"),
        (["--pprof", "http://127.0.0.1:1", "-o", "s.pftrace"], "s.windows: exists already: give another -o"),
        (["--pprof", "http://127.0.0.1:1"], "--live needs a terminal"),  # (tested last: no terminal here)
    ]
    for args, want in cases:
        p = recorder.run("--live", *args, cwd=tmp_path)
        lines = p.stderr.decode().splitlines()
        assert p.returncode == 2 and len(lines) == 1 and want in lines[0], p.stderr


def test_duration_ends_the_windows(service: str, tmp_path: Path) -> None:  # noqa: F811
    w = PprofWindows(service, str(tmp_path / "w"), duration_s=1.5).start()
    assert w.exit_status() == 0 and w.finished()  # by itself, after the window in flight
    assert len(w.files) == 2 and not w.error
    w.finish()
    live = w.model()
    assert live is not None and w.ended and 1.9e9 < live.trace.duration < 3e9


def test_a_service_that_goes_away_ends_the_recording_with_1(workload_bin: Path, tmp_path: Path) -> None:
    p = subprocess.Popen([workload_bin, "serve"], stdout=subprocess.PIPE)
    assert p.stdout is not None
    port = int(p.stdout.readline().split()[1])
    w = PprofWindows(f"http://127.0.0.1:{port}", str(tmp_path / "w")).start()
    try:
        wait_windows(w, 1)
    finally:
        p.kill()
        p.wait()
    assert w.exit_status() == 1 and w.finished()  # the service stopped answering
    assert w.error is not None and "127.0.0.1" in w.error and "\n" not in w.error
    w.finish()
    assert w.ended and w.model() is not None  # what arrived stays on screen
