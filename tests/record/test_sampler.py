"""The /proc sampler and its host tracks; a command that is not Go gets them alone."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from tests.record.conftest import Recorder, go_run
from tracetui.gotrace.events import StringTable
from tracetui.model.trace import State, TrackKind
from tracetui.perfetto.check import check_file
from tracetui.perfetto.reader import read_model
from tracetui.perfetto.writer import write_trace
from tracetui.record.hosttracks import host_model, host_tracks
from tracetui.record.sampler import Sampler, Samples


def _samples() -> Samples:
    """Two ticks 40 ms apart then one more, a process with two threads (one runs, one
    sleeps then waits on disk) and a child process; absolute times from T0."""
    t = [T0 + 10_000_000, T0 + 50_000_000, T0 + 90_000_000]
    rows = [  # ts, pid, tid, state, cpu_ns, wait_ns, slices
        (t[0], 10, 10, "R", 0, 0, 0), (t[0], 10, 11, "S", 5, 0, 3), (t[0], 20, 20, "S", 0, 0, 0),
        (t[1], 10, 10, "R", 40_000_000, 4_000_000, 4), (t[1], 10, 11, "D", 20_000_005, 0, 5),
        (t[1], 20, 20, "S", 0, 0, 0),
        (t[2], 10, 10, "R", 80_000_000, 4_000_000, 8), (t[2], 10, 11, "D", 20_000_005, 0, 5),
    ]  # fmt: skip
    cols = list(zip(*rows))
    return Samples(np.array(cols[0]), np.array(cols[1]), np.array(cols[2]), np.array([ord(c) for c in cols[3]], np.uint8),
                   np.array(cols[4]), np.array(cols[5]), np.array(cols[6]), np.array(t[:2]), np.array([10, 10]),
                   np.array([4096, 8192]), {10: "pingpong", 20: "sh"}, {10: "pingpong", 11: "pingpong", 20: "sh"},
                   25.0, T0, T0 + 100_000_000)  # fmt: skip


T0 = 10**12


def test_host_tracks() -> None:
    strings = StringTable()
    tracks = host_tracks(_samples(), T0, strings, first_id=5)
    assert [t.id for t in tracks] == list(range(5, 5 + len(tracks))) and {t.kind for t in tracks} == {TrackKind.HOST}
    by = {(t.group, t.name): t for t in tracks}
    assert {g for g, _ in by} == {"pingpong (pid 10)", "sh (pid 20)"}  # a section per process
    rates = {}
    for name, unit in (("CPU", "cores"), ("Run-queue wait", "cores"), ("Timeslices", "/s")):
        c = by["pingpong (pid 10)", name]
        assert c.unit == unit and c.counter is not None and c.counter.ts.tolist() == [10_000_000, 50_000_000]
        rates[name] = c.counter.value.tolist()
    # 40 ms on CPU in 40 ms (thread 10) + 20 ms (thread 11) = 1.5 cores, from the first tick; then 1 core
    assert rates == {"CPU": pytest.approx([1.5, 1.0]), "Run-queue wait": pytest.approx([0.1, 0.0]),
                     "Timeslices": pytest.approx([150.0, 100.0])}  # fmt: skip
    rss = by["pingpong (pid 10)", "RSS"]
    assert rss.unit == "bytes" and rss.counter is not None and rss.counter.value.tolist() == [4096, 8192]
    t11 = by["pingpong (pid 10)", "pingpong (tid 11)"].spans
    assert t11 is not None
    assert t11.state.tolist() == [State.IDLE, State.WAITING]
    assert [strings[r] for r in t11.reason] == ["sleeping", "disk wait"]
    assert t11.start.tolist() == [10_000_000, 50_000_000] and t11.end.tolist() == [50_000_000, 100_000_000]
    t10 = by["pingpong (pid 10)", "pingpong (tid 10)"].spans
    assert t10 is not None and t10.state.tolist() == [State.RUNNING] and strings[int(t10.reason[0])] == "running"
    # Clipped to another trace's [0, duration]: the value in effect at 0 moves to 0.
    late = host_tracks(_samples(), T0 + 30_000_000, strings, duration=40_000_000)
    c = next(t for t in late if t.name == "CPU").counter
    assert c is not None and c.ts.tolist() == [0, 20_000_000] and c.value.tolist() == pytest.approx([1.5, 1.0])
    for t in late:
        sp = t.spans
        if sp is not None:
            assert (sp.start >= 0).all() and (sp.end <= 40_000_000).all() and (sp.end > sp.start).all()
    m = host_model(_samples())
    assert (m.source, m.base_time, m.duration, m.version) == ("host", T0, 100_000_000, 0)
    assert len(m.tracks) == len(tracks) and not len(m.goroutines)


@pytest.mark.slow
def test_sampler_sees_cpu_and_threads(workload_bin: Path, tmp_path: Path) -> None:
    before = time.monotonic_ns()
    child = subprocess.Popen([workload_bin, "cpu", "2000"], stdout=subprocess.DEVNULL)
    s = Sampler(child.pid, 50)
    s.start()
    time.sleep(0.6)
    samples = s.stop()
    child.kill()
    child.wait()
    assert before <= samples.ts.min() and samples.ts.max() <= time.monotonic_ns()
    assert len(np.unique(samples.ts)) >= 15  # ~30 ticks at 50 Hz
    assert len(np.unique(samples.tid)) >= 3  # a Go program has a few threads
    assert set(samples.pid.tolist()) == {child.pid}
    assert samples.process_names[child.pid] == "workload"
    assert (samples.state == ord("R")).any()
    # 4 busy goroutines: CPU time summed over the threads. (Not "over half a core": on a
    # machine busy with other work the program may get less; a tenth holds, and 0 would not.)
    per_tid = [samples.cpu_ns[samples.tid == t] for t in np.unique(samples.tid)]
    busy = sum(int(c.max() - c.min()) for c in per_tid)
    span = int(samples.ts.max() - samples.ts.min())
    assert busy / span > 0.1
    out = tmp_path / "s.pftrace"
    write_trace(host_model(samples), str(out))
    assert not check_file(str(out)).problems
    model = read_model(str(out))
    assert model.source == "host"
    host = [t for t in model.tracks if t.kind == TrackKind.HOST]
    assert {t.group for t in host} == {"Host (system)", f"workload (pid {child.pid})"}
    units = {t.name: t.unit for t in host}
    assert {"CPU": "cores", "RSS": "bytes", "Run-queue wait": "cores", "Timeslices": "/s"}.items() <= units.items()
    rows = [t for t in host if t.spans is not None]
    assert len(rows) >= 3 and all(re.fullmatch(r"workload \(tid \d+\)", t.name) for t in rows)
    assert any((t.spans.state == State.RUNNING).any() for t in rows if t.spans is not None)


@pytest.mark.slow
def test_plain_command_gets_samples(recorder: Recorder, tmp_path: Path) -> None:
    p = recorder.run("-o", "p.pftrace", "--", "sh", "-c", "sleep 0.4; echo out; exit 3", cwd=tmp_path)
    assert p.returncode == 3
    assert p.stdout == b"out\n"
    assert b"process samples only" in p.stderr
    model = read_model(str(tmp_path / "p.pftrace"))
    assert any(t.name.startswith("sh ") for t in model.tracks)  # the thread row of sh
    assert not (tmp_path / "p.gotrace").exists()


@pytest.mark.slow
def test_plain_command_without_sampler(recorder: Recorder, tmp_path: Path) -> None:
    p = recorder.run("-o", "p.pftrace", "--no-sample", "--", "true", cwd=tmp_path)
    assert p.returncode == 0
    assert p.stderr == b"tracetui: nothing was recorded\n"
    assert not (tmp_path / "p.pftrace").exists()


@pytest.mark.slow
def test_go_trace_with_sampler_tracks(recorder: Recorder, gotool, tmp_path: Path) -> None:
    p = recorder.run("-o", "g.pftrace", "--", *go_run("cpu", "300"), cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert not check_file(str(tmp_path / "g.pftrace")).problems
    from tracetui.gotrace.reader import read_trace
    from tracetui.model.from_gotrace import build_model

    model = read_model(str(tmp_path / "g.pftrace"))
    assert model.events == build_model(read_trace(str(tmp_path / "g.gotrace"))).events
    assert model.source == "gotrace" and len(model.goroutines)
    host = [t for t in model.tracks if t.kind == TrackKind.HOST]
    # `go run` and the program it runs: a section each; the program's holds counters and a row per thread.
    sections = {t.group for t in host}
    prog = next(g for g in sections if re.fullmatch(r"workload \(pid \d+\)", g))
    names = {t.name for t in host if t.group == prog}
    assert {"CPU", "RSS", "Run-queue wait", "Timeslices"} <= names
    assert len([n for n in names if re.fullmatch(r"workload \(tid \d+\)", n)]) >= 3
    # On the Go trace's clock: within [0, duration], and the program ran on CPU while it was traced.
    for t in host:
        ts = t.counter.ts if t.counter is not None else t.spans.start if t.spans is not None else np.zeros(0)
        ends = t.spans.end if t.spans is not None else ts
        assert (ts >= 0).all() and (ends <= model.duration).all(), t.name
    cpu = next(t.counter for t in host if t.group == prog and t.name == "CPU")
    assert cpu is not None and float(cpu.value.max()) > 0.3
