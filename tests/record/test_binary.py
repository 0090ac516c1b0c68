"""A prebuilt Go binary: GODEBUG schedtrace/gctrace split from its stderr, which passes
through untouched; its exit status and signals; the runtime tracks."""

from __future__ import annotations

import os
import re
import select
import signal
import threading
from pathlib import Path

import pytest

from tests.record.conftest import Recorder
from tracetui.perfetto.check import check_file
from tracetui.perfetto.reader import read_model
from tracetui.record.buildinfo import go_version_of
from tracetui.record.gobinary import godebug_for
from tracetui.record.godebug import Demux, RuntimeLog
from tracetui.record.godebugtracks import encode_runtime
from tracetui.record.options import RecordOptions

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
    packets, _ = encode_runtime(log, 100)
    from perfetto.protos.perfetto.trace import perfetto_trace_pb2 as pb

    trace = pb.Trace.FromString(packets)
    names = {p.track_descriptor.uuid: p.track_descriptor.name for p in trace.packet if p.HasField("track_descriptor")}
    gc = [p for p in trace.packet if p.HasField("track_event") and names[p.track_event.track_uuid] == "GC (gctrace)"]
    # Three phases ending when the line arrived: 0.083 + 4.3 + 0.18 ms before it.
    assert [p.timestamp for p in gc] == [45_437_000, 45_520_000, 45_520_000, 49_820_000, 49_820_000, 50_000_000]
    assert [p.track_event.name for p in gc[0::2]] == ["STW sweep termination", "concurrent mark",
                                                      "STW mark termination"]  # fmt: skip
    g5 = [p for p in trace.packet if p.HasField("track_event") and names[p.track_event.track_uuid] == "G5 (sampled)"]
    assert [(p.timestamp, p.track_event.name) for p in g5] == [(2000, "waiting: chan receive (nil chan)"),
                                                             (2000 + 100_000_000, "")]  # fmt: skip


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
    assert len([ln for ln in theirs if not re.fullmatch(r"app line \d+", ln)]) <= mangled
    assert ours[-1].startswith("tracetui: wrote b.pftrace")
    log = (tmp_path / "b.godebug.log").read_text()
    assert len(re.findall(r"^\d+ SCHED \d+ms: gomaxprocs=", log, re.MULTILINE)) >= 3
    assert re.search(r"^\d+   G1: status=", log, re.MULTILINE)
    assert not check_file(str(tmp_path / "b.pftrace")).problems
    names = {t.name for t in read_model(str(tmp_path / "b.pftrace")).tracks}
    assert {"Threads (sampled)", "P0 (sampled)", "Goroutines waiting (sampled)", "CPU (cores)"} <= names


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
    assert "Threads (sampled)" in names
