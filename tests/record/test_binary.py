"""A prebuilt Go binary: GODEBUG schedtrace/gctrace split from its stderr, which passes
through untouched; its exit status and signals; the runtime tracks."""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import go_env
from tests.record.conftest import PROGRAMS, Recorder
from tracetui.model.trace import State, TrackKind
from tracetui.perfetto.check import check_file
from tracetui.perfetto.reader import read_model
from tracetui.record.buildinfo import go_version_of
from tracetui.record.gobinary import godebug_for
from tracetui.record.godebug import Demux, RuntimeLog
from tracetui.record.godebugmodel import godebug_model
from tracetui.record.options import RecordOptions
from tracetui.report import summary_stats

SCHED1 = (b"SCHED 108ms: gomaxprocs=2 idleprocs=0 threads=8 spinningthreads=0 needspinning=1 idlethreads=1 "
          b"runqueue=0 [ 0 2 ] schedticks=[ 652 427 ]")  # fmt: skip
SCHED_OLD = (
    b"SCHED 104ms: gomaxprocs=2 idleprocs=0 threads=8 spinningthreads=0 needspinning=1 idlethreads=1 runqueue=3 [1 1]"
)
GCLINE = (b"gc 6 @0.015s 3%: 0.083+4.3+0.18 ms clock, 0.16+0/0.088/0.086+0.37 ms cpu, 137->298->198 MB, 160 MB goal, "
          b"0 MB stacks, 0 MB globals, 2 P (forced)")  # fmt: skip


def test_lines_parse() -> None:
    log = RuntimeLog()
    for line, ts in (
        (SCHED1, 1000),
        (SCHED_OLD, 2000),
        (GCLINE, 50_000_000),
        (b"  G5: status=4(chan receive (nil chan)) m=nil lockedm=nil", 2000),
        (b"  P1: status=3 schedtick=1420 syscalltick=5 m=nil runqsize=0 gfreecnt=0 timerslen=4", 2000),
    ):
        assert log.add(line, ts), line  # fmt: skip
    assert not log.add(b"SCHED APPLINE g=1 i=1933", 3)
    assert log.np("sched", "runqueue").tolist() == [0, 3]
    assert log.np("prunq", "n").tolist() == [0, 2, 1, 1]
    assert log.np("gc", "c2").tolist() == [4_300_000]
    assert log.reasons[b"chan receive (nil chan)"] == log.np("gstat", "reason")[0]
    assert log.np("gstat", "dump").tolist() == [1] and log.np("prunq", "dump").tolist() == [0, 0, 1, 1]


def _log(lines: list[tuple[bytes, int]]) -> RuntimeLog:
    log = RuntimeLog()
    for line, ts in lines:
        assert log.add(line, ts), line
    return log


DETAIL = b" gcwaiting=false nmidlelocked=0 stopwait=0 sysmonwait=false"
T0 = 10**12  # the child's start, CLOCK_MONOTONIC


def test_godebug_model() -> None:
    """Lines placed by their own times (not by arrival); GC and STW from the clock fields."""
    log = _log([
        (b"SCHED 0ms: gomaxprocs=2 idleprocs=1 threads=4 spinningthreads=0 needspinning=0 idlethreads=1 runqueue=0"
         + DETAIL, T0 + 300_000),
        (b"  P0: status=1 schedtick=1 syscalltick=0 m=0 runqsize=1 gfreecnt=0 timerslen=0", T0 + 300_000),
        (b"  P1: status=0 schedtick=1 syscalltick=0 m=nil runqsize=0 gfreecnt=0 timerslen=0", T0 + 300_000),
        (b"  G1: status=2() m=0 lockedm=0", T0 + 300_000),
        (b"  G2: status=4(force gc (idle)) m=nil lockedm=nil", T0 + 300_000),
        (b"  G3: status=6() m=nil lockedm=nil", T0 + 300_000),
        # arrives 30 ms late (a busy pipe): still placed at @0.015s
        (GCLINE.replace(b"gc 6", b"gc 1"), T0 + 50_000_000),
        (b"SCHED 100ms: gomaxprocs=3 idleprocs=0 threads=5 spinningthreads=1 needspinning=0 idlethreads=0 runqueue=2"
         + DETAIL, T0 + 100_400_000),
        (b"  P0: status=1 schedtick=1 syscalltick=0 m=0 runqsize=3 gfreecnt=0 timerslen=0", T0 + 100_400_000),
        (b"  P1: status=1 schedtick=1 syscalltick=0 m=nil runqsize=0 gfreecnt=0 timerslen=0", T0 + 100_400_000),
        (b"  G1: status=4(chan receive) m=0 lockedm=0", T0 + 100_400_000),
        (b"  G2: status=4(force gc (idle)) m=nil lockedm=nil", T0 + 100_400_000),
        # @0.015s but the first cycle ends at 15.0+4.563 ms: this one follows it
        ((b"gc 2 @0.015s 3%: 0.05+2+0.1 ms clock, 0.1+0/0.08/0.08+0.3 ms cpu, 8->9->2 MB, 9 MB goal, 0 MB stacks, "
          b"0 MB globals, 2 P"), T0 + 120_000_000),
    ])  # fmt: skip
    m = godebug_model(log, section="app (pid 7)", go_version="go1.27.3", period_ms=100, start_ns=T0,
                      end_ns=T0 + 250_000_000)  # fmt: skip
    assert (m.source, m.go_version, m.base_time, m.duration, m.events) == ("godebug", "go1.27.3", T0, 250_000_000, 13)
    # SCHED times count from the first SCHED line (arrived 0.3 ms after the start); gctrace's
    # from the runtime's start, estimated as the earliest arrival - (@T + the cycle's clock).
    sched0 = 300_000
    gc0 = 50_000_000 - (15_000_000 + 83_000 + 4_300_000 + 180_000)
    g1 = gc0 + 15_000_000
    g1_end = g1 + 4_563_000
    assert m.gc.start.tolist() == [g1, g1_end] and m.gc.arg.tolist() == [1, 2]
    assert m.gc.end.tolist() == [g1_end, g1_end + 2_150_000]
    assert m.stw.start.tolist() == [g1, g1 + 4_383_000, g1_end, g1_end + 2_050_000]
    assert (m.stw.end - m.stw.start).tolist() == [83_000, 180_000, 50_000, 100_000]
    assert [m.string(r) for r in m.stw.reason] == ["GC sweep termination", "GC mark termination"] * 2
    assert m.heap_alloc.value.tolist() == [x << 20 for x in (137, 298, 198, 8, 9, 2)]
    assert m.heap_goal.ts.tolist() == [0, g1_end] and m.heap_goal.value.tolist() == [160 << 20, 9 << 20]
    assert m.gomaxprocs.ts.tolist() == [sched0, sched0 + 100_000_000] and m.gomaxprocs.value.tolist() == [2, 3]
    host = {t.name: t for t in m.tracks if t.kind == TrackKind.HOST}
    assert {t.group for t in host.values()} == {"app (pid 7)"}
    threads = host["Threads"].counter
    assert threads is not None and threads.value.tolist() == [4, 5] and host["Threads"].unit == "count"
    assert threads.ts.tolist() == [sched0, sched0 + 100_000_000]
    runnable = host["Runnable goroutines"].counter
    assert runnable is not None and runnable.value.tolist() == [1, 5]  # global + per-P queues
    g1sp = host["G1"].spans
    assert g1sp is not None and [m.string(r) for r in g1sp.reason] == ["running", "chan receive"]
    assert g1sp.state.tolist() == [State.RUNNING, State.WAITING]
    assert g1sp.end.tolist() == [sched0 + 100_000_000, sched0 + 200_000_000]  # to the next dump, or one period
    assert "G3" not in host  # dead
    p1 = host["P1"].spans
    assert p1 is not None and p1.state.tolist() == [State.IDLE, State.RUNNING]
    waiting = host["Goroutines waiting"].counter
    assert waiting is not None and waiting.value.tolist() == [1, 2]
    for t in m.tracks:  # everything on the trace's clock, within it
        ts = t.counter.ts if t.counter is not None else t.spans.start if t.spans is not None else None
        assert ts is not None and (ts >= 0).all() and (ts <= m.duration).all(), t.name
    stats = summary_stats(m)
    assert (stats["gc_cycles"], stats["stw"]["count"], stats["stw"]["max_ns"]) == (2, 4, 180_000)
    assert (stats["go_version"], stats["procs"], stats["threads"], stats["runnable_goroutines"]) == ("1.27.3", 3, 5, 5)


def _demux(chunks: list[bytes]) -> tuple[bytes, RuntimeLog, Path]:
    r, w = os.pipe()
    out_r, out_w = os.pipe()
    log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"demux-{os.getpid()}.log"
    d = Demux(r, str(log_path), out_fd=out_w)
    d.start()
    for c in chunks:
        os.write(w, c)
    os.close(w)
    log = d.join()
    os.close(out_w)
    out = b""
    while chunk := os.read(out_r, 65536):
        out += chunk
    os.close(out_r)
    return out, log, log_path


def test_demux_interleaved() -> None:
    rest = SCHED1[len(b"SCHED 108") :]
    out, log, path = _demux([
        b"app zero\n", b"SCHED ", b"app one\n", b"108", b"app two\n", rest + b"\n",  # cut twice, put back
        GCLINE[:20], GCLINE[20:] + b"\napp three\n",  # held until its newline
        b"  G7: status=4(", b"chan receive", b"app four\n", b") m=nil lockedm=nil\n",
        b"10ms: gomaxprocs=2 idleprocs=0\n",  # a fragment whose start was lost: mangled, passed on
        b"no newline"])  # fmt: skip
    assert out == b"app zero\napp one\napp two\napp three\napp four\n10ms: gomaxprocs=2 idleprocs=0\nno newline"
    assert (log.lines, log.repaired, log.mangled) == (3, 2, 1)
    text = path.read_bytes()
    assert text.count(b"mangled: ") == 1 and SCHED1 in text and GCLINE in text
    assert b"  G7: status=4(chan receive) m=nil lockedm=nil" in text
    path.unlink()


def test_demux_passes_a_partial_line_at_once() -> None:
    r, w = os.pipe()
    out_r, out_w = os.pipe()
    log_path = Path("/tmp") / f"demux-partial-{os.getpid()}.log"
    d = Demux(r, str(log_path), out_fd=out_w)
    d.start()
    os.write(w, b"Password: ")
    assert select.select([out_r], [], [], 5)[0], "a prompt must not wait for its newline"
    assert os.read(out_r, 100) == b"Password: "
    os.close(w)
    d.join()
    os.close(out_w)
    os.close(out_r)
    log_path.unlink()


def test_godebug_merge() -> None:
    opts = RecordOptions(command=["x"], godebug_period_ms=100, scheddetail=True)
    assert godebug_for(opts, {}) == ("schedtrace=100,gctrace=1,scheddetail=1", False, 100)
    assert godebug_for(opts, {"GODEBUG": "http2client=0,schedtrace=50"}) == (
        "http2client=0,schedtrace=50,gctrace=1,scheddetail=1", True, 50)  # fmt: skip


@pytest.mark.slow
def test_go_binary_is_recognised(workload_bin: Path) -> None:
    assert (go_version_of(str(workload_bin)) or "").startswith("go1.27")
    assert go_version_of("/bin/sh") is None


@pytest.mark.slow
def test_stderr_split_while_godebug_flows(recorder: Recorder, workload_bin: Path, tmp_path: Path) -> None:
    n = 3000
    p = recorder.run("-o", "b.pftrace", "--scheddetail", "--schedtrace", "10", "--", str(workload_bin), "stderr",
                     str(n), cwd=tmp_path)  # fmt: skip
    assert p.returncode == 0, p.stderr[-2000:]
    err = p.stderr.decode()
    # Every line of the program's arrives, in order; runtime text shows only in mangled lines.
    found = [int(x) for x in re.findall(r"app line (\d+)", err)]
    assert found == list(range(n))
    ours = [ln for ln in err.splitlines() if ln.startswith("tracetui: ")]
    m = re.search(r"tracetui: (\d+) runtime line\(s\) were mangled", err)
    mangled = int(m.group(1)) if m else 0
    theirs = [ln for ln in err.splitlines() if not ln.startswith("tracetui: ")]
    if not mangled:
        assert theirs == [f"app line {i}" for i in range(n)]  # untouched, though the runtime cut in
    # A runtime line cut by several program lines leaves a fragment on each of them (seen on a
    # loaded machine: `gc 5 @0.5s 2` + `%app line 2671` + `: 0.13app line 2672`): each mangled
    # runtime line accounts for a few polluted program lines, never none.
    polluted = [ln for ln in theirs if not re.fullmatch(r"app line \d+", ln)]
    assert len(polluted) <= 3 * mangled, polluted
    assert ours[-1].startswith("tracetui: wrote b.pftrace")
    log = (tmp_path / "b.godebug.log").read_text()
    assert len(re.findall(r"^\d+ SCHED \d+ms: gomaxprocs=", log, re.MULTILINE)) >= 3
    assert re.search(r"^\d+   G1: status=", log, re.MULTILINE)
    assert not check_file(str(tmp_path / "b.pftrace")).problems
    names = {t.name for t in read_model(str(tmp_path / "b.pftrace")).tracks}
    assert {"Threads", "P0", "Goroutines waiting", "CPU"} <= names


@pytest.mark.slow
def test_exit_status_and_panic(recorder: Recorder, workload_bin: Path, tmp_path: Path) -> None:
    p = recorder.run("-o", "e.pftrace", "--no-sample", "--", str(workload_bin), "exit", "5", cwd=tmp_path)
    assert p.returncode == 5
    p = recorder.run("-o", "p.pftrace", "--no-sample", "--", str(workload_bin), "panic", cwd=tmp_path)
    assert p.returncode == 2
    assert b"panic: workload: deliberate panic\n\ngoroutine 1 [running]:" in p.stderr
    assert b"SCHED" not in p.stderr  # the crash's schedtrace dump went to the log
    assert (tmp_path / "p.pftrace").stat().st_size > 0


@pytest.mark.slow
def test_sigint(recorder: Recorder, workload_bin: Path, tmp_path: Path) -> None:
    p = recorder.start("-o", "s.pftrace", "--", str(workload_bin), "wait", cwd=tmp_path)
    assert p.stdout is not None and p.stdout.readline() == b"ready\n"
    timer = threading.Timer(0.5, p.send_signal, (signal.SIGINT,))
    timer.start()
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    names = {t.name for t in read_model(str(tmp_path / "s.pftrace")).tracks}
    assert "Threads" in names


@pytest.fixture(scope="module")
def gcloop_bin(go: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A program that allocates in a loop (several GC cycles with a low GOGC), built plainly."""
    out = tmp_path_factory.mktemp("bin") / "gcloop"
    subprocess.run([go, "build", "-o", str(out), "./gcloop"], cwd=PROGRAMS, env=go_env(go), check=True)
    return out


GCTRACE = re.compile(rb"^\d+ gc (\d+) @[\d.]+s \d+%[^:]*: ([\d.]+)\+([\d.]+)\+([\d.]+) ms clock", re.MULTILINE)


def _summary(recorder: Recorder, *args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "tracetui", "summary", *args], cwd=cwd, env=recorder.env,
                          capture_output=True, timeout=120, check=False)  # fmt: skip


@pytest.mark.slow
def test_godebug_recording_is_a_trace(recorder: Recorder, gcloop_bin: Path, tmp_path: Path) -> None:
    """A prebuilt binary's recording summarises with its Go version, the GC cycles and STW
    pauses its gctrace lines printed, and thresholds on them; its rows share one clock."""
    p = recorder.run("-o", "gc.pftrace", "--schedtrace", "10", "--", str(gcloop_bin), "40", cwd=tmp_path,
                     env=dict(recorder.env, GOGC="10"))  # fmt: skip
    assert p.returncode == 0, p.stderr[-2000:]
    cycles = GCTRACE.findall((tmp_path / "gc.godebug.log").read_bytes())
    assert len(cycles) >= 5, "GOGC=10 and 40 rounds of 4 MB give several GC cycles"
    assert [int(c[0]) for c in cycles] == list(range(1, len(cycles) + 1))
    pauses = [round(float(c[i]) * 1e6) for c in cycles for i in (1, 3)]  # sweep termination, mark termination

    s = _summary(recorder, "--json", "gc.pftrace", cwd=tmp_path)
    assert s.returncode == 0, s.stderr
    data = json.loads(s.stdout)
    version = go_version_of(str(gcloop_bin))
    assert version is not None and version.startswith("go1.27")
    assert (data["source"], data["go_version"]) == ("godebug", version.removeprefix("go"))
    assert data["gc_cycles"] == len(cycles)
    assert data["stw"] == {"count": len(pauses), "total_ns": sum(pauses), "max_ns": max(pauses)}
    assert data["histograms"]["stw_GC mark termination"]["count"] == len(cycles)
    assert data["gomaxprocs"]["last"] >= 1 and data["threads"] >= 2

    text = _summary(recorder, "gc.pftrace", cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    out = text.stdout.decode()
    assert f"{version} (the binary's build info)" in out and "unknown" not in out
    assert re.search(r"GODEBUG runtime lines\s+\d", out) and re.search(r"Ps / threads\s+\d+ / \d+", out)
    assert re.search(rf"GC cycles\s+{len(cycles)}\s", out)

    breach = _summary(recorder, "--fail-on", "stw.max>1ns", "gc.pftrace", cwd=tmp_path)
    assert breach.returncode == 1
    assert b"threshold breached: stw.max is" in breach.stderr and b"(stw.max>1ns)" in breach.stderr
    assert _summary(recorder, "--fail-on", "stw.max>1s", "gc.pftrace", cwd=tmp_path).returncode == 0

    model = read_model(str(tmp_path / "gc.pftrace"))
    host = [t for t in model.tracks if t.kind == TrackKind.HOST]
    sections = {t.group for t in host} - {"Host (system)"}  # the program's, and the system's page cache, MHz, ...
    assert len(sections) == 1 and re.fullmatch(r"gcloop \(pid \d+\)", sections.pop())
    names = {t.name for t in host}
    assert {"Threads", "Idle Ps", "Runnable goroutines", "CPU", "RSS"} <= names  # schedtrace's and the sampler's
    assert any(re.fullmatch(r"gcloop \(tid \d+\)", n) for n in names)
    for t in model.tracks:  # one clock: every row within [0, duration]
        ts = t.counter.ts if t.counter is not None else t.spans.start if t.spans is not None else np.zeros(0)
        ends = t.spans.end if t.spans is not None else ts
        assert (ts >= 0).all() and (ends <= model.duration).all(), t.name
    # The GC cycles sit where the schedtrace and sampler rows say the program ran.
    assert 0 < model.gc.start[0] < model.gc.end[-1] < model.duration
