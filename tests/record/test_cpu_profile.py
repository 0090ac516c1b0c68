"""`tracetui record --cpu-profile`: the CPU profiler runs during the trace, so that it holds
CPU samples (go run: the overlay starts it with the tracer; go test: -test.cpuprofile)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.record.conftest import PROGRAMS, Recorder, go_run
from tracetui.analysis.cpu import cpu_samples
from tracetui.load import open_model

pytestmark = pytest.mark.slow
GO_TEST = ["go", "test", "-C", str(PROGRAMS)]


def go_samples(gotool, path: Path) -> int:  # type: ignore[no-untyped-def]
    """StackSample events in Go's own parse of the trace."""
    p = gotool.parsed(path)
    assert p.returncode == 0, p.stderr.decode()[-500:]
    return p.stdout.count(b" StackSample ")


def test_go_run_with_cpu_profile(recorder: Recorder, gotool, tmp_path: Path) -> None:
    p = recorder.run("-o", "s.pftrace", "--no-sample", "--cpu-profile", "--", *go_run("cpu", "400"), cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    n = go_samples(gotool, tmp_path / "s.gotrace")
    assert n >= 5
    for f in ("s.gotrace", "s.pftrace"):
        trace = open_model(str(tmp_path / f)).trace
        cs = trace.cpu_samples
        assert len(cs) == n, f
        # The workers' loop, on their goroutines (not the recorder's own).
        leaves = [trace.frames(int(s))[0][0] for s in cs.stack.tolist() if int(s)]
        assert sum(fn == "main.cpu.func1" for fn in leaves) >= n // 2
        # The profile leaves out the recorder's own goroutines (the tracer's and profiler's readers).
        prof = cpu_samples(trace)
        assert len(prof) >= n // 2 and not set(prof.goroutine.tolist()) & set(trace.injected.tolist())


@pytest.mark.parametrize("packages", [["./beta"], ["./alpha", "./beta"]], ids=["one", "several"])
def test_go_test_with_cpu_profile(recorder: Recorder, gotool, tmp_path: Path, packages: list[str]) -> None:
    env = dict(recorder.env, BETA_BURN="1")
    p = recorder.run("-o", "t.pftrace", "--no-sample", "--cpu-profile", "--", *GO_TEST, "-run", "TestBurnWhenAsked",
                     *packages, cwd=tmp_path, env=env)  # fmt: skip
    assert p.returncode == 0, p.stderr
    beta = tmp_path / ("t.gotrace" if len(packages) == 1 else "t.beta.gotrace")
    n = go_samples(gotool, beta)
    assert n >= 10  # 300 ms of burning at 100 Hz
    assert len(open_model(str(beta.with_suffix(".pftrace"))).trace.cpu_samples) == n
    # Nothing left behind: no profile, no copy of the test binary (go test -cpuprofile would).
    left = sorted(x.name for x in tmp_path.iterdir())
    assert all(x.startswith("t.") and x.endswith((".gotrace", ".pftrace")) for x in left), left
    assert not list(PROGRAMS.glob("*.test")) and not list(PROGRAMS.glob("*.prof"))


def test_without_the_flag_no_samples(recorder: Recorder, gotool, tmp_path: Path) -> None:
    env = dict(recorder.env, BETA_BURN="1")
    p = recorder.run("-o", "t.pftrace", "--no-sample", "--", *GO_TEST, "-run", "TestBurnWhenAsked", "./beta",
                     cwd=tmp_path, env=env)  # fmt: skip
    assert p.returncode == 0, p.stderr
    assert go_samples(gotool, tmp_path / "t.gotrace") == 0


def test_cpu_profile_needs_go_run_or_go_test(recorder: Recorder, tmp_path: Path) -> None:
    p = recorder.run("--no-sample", "--cpu-profile", "--mode", "plain", "--", "true", cwd=tmp_path)
    assert p.returncode == 2
    assert p.stderr.count(b"\n") == 1 and b"--cpu-profile needs `go run` or `go test`" in p.stderr


def test_live_passes_cpu_profile_on() -> None:
    from tracetui.cli import _build_parser
    from tracetui.live.command import record_args

    args = _build_parser().parse_args(["record", "--live", "--cpu-profile", "--", "go", "run", "."])
    assert "--cpu-profile" in record_args(args, ["go", "run", "."])
    args = _build_parser().parse_args(["record", "--live", "--", "go", "run", "."])
    assert "--cpu-profile" not in record_args(args, ["go", "run", "."])
