"""`tracetui record --flight`: a flight recorder in the program, snapshots when a trigger fires."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.record.conftest import Recorder, go_run
from tracetui.errors import UsageError
from tracetui.record.flight import parse_trigger


def test_triggers_parse_like_fail_on_rules() -> None:
    assert parse_trigger("sched_latency.p99>5ms").value == 5e6
    assert parse_trigger("gc_pause.max > 2ms").op == ">"
    assert parse_trigger("goroutines>10000").value == 10000
    assert parse_trigger("heap>2GB").value == 2e9
    assert parse_trigger("heap<1GiB").value == 1024.0**3
    for bad, says in (("sched_latncy.p99>5ms", "did you mean sched_latency.p99"), ("goroutines>10k", "a count"),
                      ("gc_pause.max>2", "a time"), ("heap>>1", "NAME>VALUE")):  # fmt: skip
        with pytest.raises(UsageError) as e:
            parse_trigger(bad)
        assert says in e.value.one_line(), e.value.one_line()
    with pytest.raises(UsageError) as e:
        parse_trigger("latency>1ms")
    assert "valid: sched_latency.p99, sched_latency.max, gc_pause.max, goroutines, heap" in e.value.one_line()


def _tracetui(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tracetui", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=180, check=False)  # fmt: skip


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--on", "goroutines>10", "--", "true"], "--on and --cooldown go with --flight"),
        (["--flight", "--on", "gorutines>10", "--", "true"], "unknown metric 'gorutines'"),
        (["--flight", "--no-sample", "--", "python3", "-c", "pass"], "this command records in plain mode"),
        (["--flight", "--live", "--", "go", "run", "."], "does not go with --live"),
    ],
)
def test_flags_it_refuses_in_one_line(recorder: Recorder, tmp_path: Path, args: list[str], says: str) -> None:
    r = recorder.run(*args, cwd=tmp_path)
    err = r.stderr.decode()
    assert r.returncode == 2 and says in err and err.count("\n") == 1, err


def test_an_old_go_is_one_line(recorder: Recorder, tmp_path: Path) -> None:
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "go").write_text("#!/bin/sh\necho go1.24.9\n")
    (fake / "go").chmod(0o755)
    env = dict(recorder.env, PATH=f"{fake}{os.pathsep}{recorder.env['PATH']}")
    r = recorder.run("--flight", "--", "go", "run", ".", cwd=tmp_path, env=env)
    err = r.stderr.decode()
    assert r.returncode == 2 and "--flight needs Go 1.25 or later" in err and "go1.24.9" in err, err


@pytest.mark.slow
def test_one_incident_one_snapshot_with_the_window_before_it(recorder: Recorder, tmp_path: Path) -> None:
    r = recorder.run("--flight", "--on", "goroutines>1000", "--no-sample", "-o", "f.pftrace", "--",
                     *go_run("burst"), cwd=tmp_path)  # fmt: skip
    err = r.stderr.decode()
    assert r.returncode == 0, err
    assert "snapshot 1: goroutines>1000 (was " in err and "snapshot 2" not in err  # the cool-down: one incident, one
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.flight-001.gotrace", "f.flight-001.pftrace"]
    for name in ("f.flight-001.gotrace", "f.flight-001.pftrace"):
        out = _tracetui("summary", "--json", name, cwd=tmp_path, env=recorder.env)
        assert out.returncode == 0, out.stderr
        s = json.loads(out.stdout)
        assert s["trigger"]["reason"].startswith("goroutines>1000 (was ")
        assert s["goroutines"] > 1000  # the incident is in it
        assert s["duration_ns"] > 1e9  # and the quiet second before it
        assert s["trigger"]["at_ns"] > 1e9
    text = _tracetui("summary", "f.flight-001.gotrace", cwd=tmp_path, env=recorder.env).stdout
    assert "a flight recorder, triggered by goroutines>1000" in text
    _opens_on_the_trigger(tmp_path / "f.flight-001.gotrace", s["trigger"]["at_ns"])


def _opens_on_the_trigger(path: Path, at_ns: int) -> None:
    from tests.tui.helpers import status, until_loaded
    from tracetui.tui.app import TraceApp

    async def go() -> None:
        app = TraceApp(str(path))
        async with app.run_test(size=(120, 40)) as pilot:
            await until_loaded(app, pilot)
            assert app.timeline is not None
            assert abs(app.timeline.cursor_t - at_ns) <= max(app.timeline.span // app.timeline.cells, 1)
            assert "flight recorder snapshot: triggered by goroutines>1000" in status(app)

    asyncio.run(go())


@pytest.mark.slow
def test_sigusr1_snapshots_and_a_quiet_program_writes_nothing(recorder: Recorder, tmp_path: Path) -> None:
    proc = recorder.start("--flight", "--on", "goroutines>100000", "--no-sample", "-o", "w.pftrace", "--",
                          *go_run("graceful"), cwd=tmp_path)  # fmt: skip
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(0.5)
        proc.send_signal(signal.SIGUSR1)  # to tracetui: forwarded to the program, which snapshots
        deadline = time.monotonic() + 20
        while not (tmp_path / "w.flight-001.gotrace").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    assert "snapshot 1: SIGUSR1" in err.decode(), err.decode()
    assert (tmp_path / "w.flight-001.pftrace").exists()
    quiet = recorder.run("--flight", "--on", "goroutines>100000", "--no-sample", "-o", "q.pftrace", "--",
                         *go_run("return"), cwd=tmp_path)  # fmt: skip
    assert quiet.returncode == 0 and "no trigger fired: nothing was written" in quiet.stderr.decode()
    assert not list(tmp_path.glob("q.*"))


@pytest.mark.slow
def test_a_key_snapshots_and_the_terminal_comes_back(recorder: Recorder, tmp_path: Path) -> None:
    """On a terminal: one status line, `s` takes a snapshot, Ctrl+C ends it, and the
    terminal's mode is what it was."""
    import shutil

    from tests.tui.test_tmux import Tmux

    assert shutil.which("tmux"), "tmux is needed for this test (Debian package tmux)"
    keep = ("PATH", "GOROOT", "GOTOOLCHAIN", "GOPROXY", "GOFLAGS", "GOCACHE", "PYTHONPATH", "HOME")
    env = " ".join(f"{k}={v}" for k, v in recorder.env.items() if k in keep)
    record = " ".join([sys.executable, "-m", "tracetui", "record", "--flight", "--no-view", "--no-sample", "--on",
                       "'goroutines>100000'", "-o", "k.pftrace", "--", *go_run("graceful")])  # fmt: skip
    t = Tmux(f"cd {tmp_path} && stty -g > before && env {env} {record}; stty -g > after", width=140, height=20)
    try:
        t.wait_for(r"flight recorder: last 10s held, 0 snapshots .*goroutines=\d+", timeout=60)
        t.keys("s")
        t.wait_for(r"snapshot 1: requested -> k\.flight-001\.gotrace", timeout=30)
        t.keys("C-c")
        t.wait_for(r"TRACETUI-EXIT=", timeout=60)
    finally:
        t.close()
    assert (tmp_path / "k.flight-001.gotrace").exists() and (tmp_path / "k.flight-001.pftrace").exists()
    assert (tmp_path / "before").read_text() == (tmp_path / "after").read_text()  # cbreak undone


@pytest.mark.slow
def test_go_test_gets_a_flight_recorder_in_each_test_binary(recorder: Recorder, tmp_path: Path) -> None:
    from tests.record.conftest import PROGRAMS

    env = dict(recorder.env, BETA_BURST="1")
    r = recorder.run("--flight", "--on", "goroutines>1000", "--no-sample", "-o", "t.pftrace", "--", "go", "test",
                     "-C", str(PROGRAMS), "-run", "TestBurstWhenAsked|TestCount", "./alpha", "./beta", cwd=tmp_path,
                     env=env)  # fmt: skip
    err = r.stderr.decode()
    assert r.returncode == 0, err
    assert "snapshot 1: goroutines>1000 (was " in err and "snapshot 2" not in err  # beta's burst only
    s = json.loads(_tracetui("summary", "--json", "t.flight-001.pftrace", cwd=tmp_path, env=recorder.env).stdout)
    assert s["trigger"]["reason"].startswith("goroutines>1000") and s["goroutines"] > 1000
    assert "ok" in r.stdout.decode()  # go test's own output, untouched


@pytest.mark.slow
@pytest.mark.parametrize(
    ("rule", "program"),
    [
        ("gc_pause.max>1us", ["go", "run", "-C", "PROGRAMS", "./gcloop", "300"]),  # GC cycles under GOGC=10
        ("sched_latency.max>200us", ["go", "run", "-C", "PROGRAMS", "./workload", "burst"]),  # 3000 runnable at once
    ],
)
def test_gc_pause_and_sched_latency_rules_fire(recorder: Recorder, tmp_path: Path, rule: str,
                                               program: list[str]) -> None:  # fmt: skip
    from tests.record.conftest import PROGRAMS

    argv = [str(PROGRAMS) if a == "PROGRAMS" else a for a in program]
    env = dict(recorder.env, GOGC="10")
    r = recorder.run("--flight", "--on", rule, "--no-sample", "-o", "r.pftrace", "--", *argv, cwd=tmp_path, env=env)
    err = r.stderr.decode()
    assert r.returncode == 0, err
    assert f"snapshot 1: {rule} (was " in err and "snapshot 2" not in err, err
    s = json.loads(_tracetui("summary", "--json", "r.flight-001.gotrace", cwd=tmp_path, env=recorder.env).stdout)
    assert s["trigger"]["reason"].startswith(rule)
    if rule.startswith("gc_pause"):
        assert s["gc_cycles"] >= 1 and s["stw"]["count"] >= 1  # the pauses are in the snapshot
    else:  # On a loaded host any wait may pass 200 µs before the burst, and the runtime's histogram is
        # coarse (its bucket's bound may exceed what the trace shows): only latencies are sure to be there.
        assert s["histograms"]["sched_latency"]["count"] > 0 and s["histograms"]["sched_latency"]["max_ns"] > 0
