"""`tracetui record -- go test ...`: one package through -trace, several through the exec
shim (one trace per package), failing tests, flags passed through."""

from __future__ import annotations

from pathlib import Path

import pytest

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
    assert read_model(str(pf)).events == len(table)


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
