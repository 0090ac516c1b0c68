"""`tracetui record -- go test ...`: one package through -trace, several through the exec
shim (one trace per package), failing tests, flags passed through."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import GO_VERSION
from tests.record.conftest import PROGRAMS, Recorder
from tracetui.gotrace.reader import read_trace
from tracetui.perfetto.reader import read_model

pytestmark = pytest.mark.slow
GO_TEST = ["go", "test", "-C", str(PROGRAMS)]


def accepted(gotool, path: Path) -> bool:
    p = gotool.parsed(path)
    return p.returncode == 0 and b"Sync" in p.stdout


def test_one_package(recorder: Recorder, gotool, tmp_path: Path) -> None:
    p = recorder.run("--no-sample", "--", *GO_TEST, "-v", "-run", "TestSum", "./alpha", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert b"=== RUN   TestSum\n" in p.stdout and b"ok  \texample.com/recordtests/alpha" in p.stdout
    [pf] = tmp_path.glob("alpha.test-*.pftrace")
    gotrace = pf.with_suffix(".gotrace")
    assert accepted(gotool, gotrace)
    table = read_trace(str(gotrace))
    assert table.error is None
    model = read_model(str(pf))
    assert model.events == len(table)
    assert model.go_version == f"go{GO_VERSION}"  # the toolchain that built the test binary


def test_several_packages(recorder: Recorder, gotool, tmp_path: Path) -> None:
    p = recorder.run("-o", "all.pftrace", "--", *GO_TEST, "./...", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert b"ok  \texample.com/recordtests/beta" in p.stdout
    assert b"example.com/recordtests/workload\t[no test files]" in p.stdout
    for pkg in ("alpha", "beta"):
        assert accepted(gotool, tmp_path / f"all.{pkg}.gotrace"), pkg
        assert read_model(str(tmp_path / f"all.{pkg}.pftrace")).events > 100
    assert sorted(x.name for x in tmp_path.iterdir()) == ["all.alpha.gotrace", "all.alpha.pftrace",
                                                         "all.beta.gotrace", "all.beta.pftrace"]  # fmt: skip


def test_failing_test_keeps_status_and_traces(recorder: Recorder, gotool, tmp_path: Path) -> None:
    env = dict(recorder.env, BETA_FAIL="1")
    p = recorder.run("-o", "f.pftrace", "--no-sample", "--", *GO_TEST, "./alpha", "./beta", cwd=tmp_path, env=env)
    assert p.returncode == 1
    assert b"--- FAIL: TestFailWhenAsked" in p.stdout and b"FAIL\texample.com/recordtests/beta" in p.stdout
    assert accepted(gotool, tmp_path / "f.beta.gotrace")
    assert accepted(gotool, tmp_path / "f.alpha.gotrace")


def test_count_gives_a_trace_per_run(recorder: Recorder, tmp_path: Path) -> None:
    p = recorder.run("-o", "c.pftrace", "--no-sample", "--", *GO_TEST, "-count=2", "./alpha", "./beta",
                     cwd=tmp_path)  # fmt: skip
    assert p.returncode == 0, p.stderr
    names = sorted(x.name for x in tmp_path.glob("*.pftrace"))
    assert names == ["c.alpha.pftrace", "c.beta.pftrace"]  # -count=2 runs each binary once


def test_trace_flag_is_ours(recorder: Recorder, tmp_path: Path) -> None:
    p = recorder.run("--", *GO_TEST, "-trace=x.out", "./alpha", cwd=tmp_path)
    assert p.returncode == 2
    assert p.stderr == b"tracetui: go test -trace is not supported by tracetui record (it sets it itself)\n"


def _interrupted(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[int, bytes]:
    """Run argv in a process group of its own, SIGINT the group (a terminal's Ctrl-C) once
    it printed "waiting"; its exit status and output."""
    p = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         start_new_session=True)  # fmt: skip
    assert p.stdout is not None
    out = b""
    while b"waiting\n" not in out:
        line = p.stdout.readline()
        assert line, out
        out += line
    time.sleep(0.6)  # a few 200 ms generations
    os.killpg(p.pid, signal.SIGINT)
    out += p.communicate(timeout=60)[0]
    return p.returncode, out


def test_sigint(recorder: Recorder, tmp_path: Path) -> None:
    env = dict(recorder.env, BETA_WAIT="1")
    args = ["-v", "-run", "TestWaitWhenAsked", "./beta"]
    plain_rc, plain_out = _interrupted([*GO_TEST, *args], env, tmp_path)
    rc, out = _interrupted(recorder.argv("-o", "i.pftrace", "--no-sample", "--", *GO_TEST, *args), env, tmp_path)
    assert rc == plain_rc != 0  # what go test itself gives for a Ctrl-C
    assert out.startswith(b"=== RUN   TestWaitWhenAsked\nwaiting\n") and plain_out.startswith(out[:30])
    assert b"Traceback" not in out
    assert (tmp_path / "i.gotrace").stat().st_size > 0
    # The test binary died by SIGINT: its trace lost its last generation, the rest is kept.
    assert b"tracetui: wrote i.pftrace" in out
    assert read_model(str(tmp_path / "i.pftrace")).events > 50
