"""`tracetui record -- go run ...`: the child's output, exit status and signals, the caps,
and the traces, checked by `go tool trace -d=parsed`."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import GO_VERSION
from tests.record.conftest import PROGRAMS, Recorder, go_run
from tracetui.gotrace.reader import read_trace
from tracetui.model.from_gotrace import build_model
from tracetui.perfetto.reader import read_model

pytestmark = pytest.mark.slow


def assert_go_accepts(gotool, path: Path) -> None:
    p = gotool.parsed(path)
    assert p.returncode == 0, p.stderr.decode()[-500:]
    assert b"Sync" in p.stdout


def model_of(path: Path):
    return build_model(read_trace(str(path)))


def test_exit_code_output_and_files(recorder: Recorder, gotool, tmp_path: Path, workload_bin: Path) -> None:
    out = tmp_path / "run.pftrace"
    p = recorder.run("-o", str(out), "--no-sample", "--", *go_run("cpu", "50"), cwd=tmp_path)
    plain = subprocess.run([workload_bin, "cpu", "50"], capture_output=True, check=False)
    assert p.returncode == 0, p.stderr
    assert p.stdout == plain.stdout  # the program's output, untouched
    assert_go_accepts(gotool, tmp_path / "run.gotrace")
    trace = read_model(str(out))
    assert trace.events == model_of(tmp_path / "run.gotrace").events > 50
    assert trace.go_version == f"go{GO_VERSION}"  # from the binary record built: the trace cannot tell
    assert b"wrote" in p.stderr and b"run.gotrace" in p.stderr


@pytest.mark.parametrize("how, code", [("exit", 5), ("return", 0)])
def test_exit_hook_flushes(recorder: Recorder, gotool, tmp_path: Path, how: str, code: int) -> None:
    p = recorder.run("-o", "t.pftrace", "--no-sample", "--", *go_run(how, str(code)), cwd=tmp_path)
    assert p.returncode == code, p.stderr
    assert_go_accepts(gotool, tmp_path / "t.gotrace")
    table = read_trace(str(tmp_path / "t.gotrace"))
    assert table.error is None  # complete: the exit hook stopped the tracer


def test_default_output_name(recorder: Recorder, tmp_path: Path) -> None:
    p = recorder.run("--no-sample", "--", *go_run("return"), cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    [pf] = tmp_path.glob("workload-*.pftrace")
    assert (tmp_path / pf.name.replace(".pftrace", ".gotrace")).stat().st_size > 0
    assert len(pf.stem.split("-")) == 3  # workload-YYYYmmdd-HHMMSS


@pytest.mark.parametrize("group", [[], ["--foreground"]])
def test_stdin_stdout_stderr_pass_through(recorder: Recorder, tmp_path: Path, group: list[str]) -> None:
    p = recorder.run("-o", "t.pftrace", "--no-sample", *group, "--", *go_run("stdio"), cwd=tmp_path,
                     input=b"hello\nworld\n")  # fmt: skip
    assert p.returncode == 0
    assert p.stdout == b"HELLO\nWORLD\n"
    assert p.stderr.startswith(b"err line\n")


def test_panic(recorder: Recorder, gotool, tmp_path: Path) -> None:
    p = recorder.run("-o", "t.pftrace", "--no-sample", "--", *go_run("panic"), cwd=tmp_path)
    assert p.returncode == 2
    assert b"panic: workload: deliberate panic" in p.stderr
    assert b"Traceback" not in p.stderr
    assert_go_accepts(gotool, tmp_path / "t.gotrace")
    assert (tmp_path / "t.pftrace").stat().st_size > 0


def _start_ready(recorder: Recorder, tmp_path: Path, mode: str, *extra: str) -> subprocess.Popen[bytes]:
    p = recorder.start("-o", "t.pftrace", "--no-sample", *extra, "--", *go_run(mode), cwd=tmp_path)
    assert p.stdout is not None
    assert p.stdout.readline() == b"ready\n"
    time.sleep(0.3)
    return p


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_signal_forwarded_after_checkpoint(recorder: Recorder, gotool, tmp_path: Path, sig: int) -> None:
    p = _start_ready(recorder, tmp_path, "wait")
    sent = time.monotonic_ns()
    p.send_signal(sig)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 128 + sig, err
    assert_go_accepts(gotool, tmp_path / "t.gotrace")
    m = model_of(tmp_path / "t.gotrace")
    # The checkpoint made everything up to the signal durable: little is lost.
    assert m.base_time + m.duration > sent - 50_000_000
    assert (tmp_path / "t.pftrace").stat().st_size > 0


def test_graceful_shutdown_is_traced(recorder: Recorder, gotool, tmp_path: Path) -> None:
    p = _start_ready(recorder, tmp_path, "graceful")
    sent = time.monotonic_ns()
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 7, err
    assert out.endswith(b"graceful terminated\n")
    assert_go_accepts(gotool, tmp_path / "t.gotrace")
    m = model_of(tmp_path / "t.gotrace")
    assert m.base_time + m.duration > sent + 150_000_000  # the 200 ms of shutdown work


def test_duration_cap(recorder: Recorder, gotool, tmp_path: Path) -> None:
    t0 = time.monotonic()
    p = recorder.run("-o", "t.pftrace", "--no-sample", "--duration", "1s", "--", *go_run("wait"), cwd=tmp_path)
    assert p.returncode == 130, p.stderr
    assert time.monotonic() - t0 < 30
    assert b"tracetui: --duration 1s reached; the trace was stopped and flushed" in p.stderr
    assert read_trace(str(tmp_path / "t.gotrace")).error is None
    assert_go_accepts(gotool, tmp_path / "t.gotrace")


def test_max_size_cap(recorder: Recorder, gotool, tmp_path: Path) -> None:
    p = recorder.run("-o", "t.pftrace", "--no-sample", "--max-size", "1MB", "--", *go_run("chan", "1000000"),
                     cwd=tmp_path)  # fmt: skip
    assert p.returncode == 0, p.stderr
    assert p.stdout == b"done\n"  # the program went on to its end
    size = (tmp_path / "t.gotrace").stat().st_size
    assert 1e6 <= size < 12e6  # uncapped, this run writes tens of MB
    # the size the trace has, measured once the program flushed it (not what the check saw)
    assert f"the trace reached --max-size 1.0 MB: tracing stopped at {size / 1e6:.1f} MB ({size:,} bytes), the program goes on".encode() in p.stderr  # fmt: skip
    assert_go_accepts(gotool, tmp_path / "t.gotrace")


def test_package_directory(recorder: Recorder, gotool, tmp_path: Path) -> None:
    p = recorder.run("-o", str(tmp_path / "d.pftrace"), "--no-sample", "--", "./workload", "exit", "4",
                     cwd=PROGRAMS)  # fmt: skip
    assert p.returncode == 4, p.stderr
    assert_go_accepts(gotool, tmp_path / "d.gotrace")


def test_named_go_files(recorder: Recorder, gotool, tmp_path: Path) -> None:
    p = recorder.run("-o", str(tmp_path / "f.pftrace"), "--no-sample", "--", "go", "run", "workload/main.go",
                     "exit", "6", cwd=PROGRAMS)  # fmt: skip
    assert p.returncode == 6, p.stderr
    assert_go_accepts(gotool, tmp_path / "f.gotrace")


def test_user_ldflags_kept(recorder: Recorder, tmp_path: Path) -> None:
    p = recorder.run("-o", "t.pftrace", "--no-sample", "--", "go", "run", "-C", str(PROGRAMS),
                     "-ldflags=-s -w", "./workload", "exit", "3", cwd=tmp_path)  # fmt: skip
    assert p.returncode == 3, p.stderr
    assert read_trace(str(tmp_path / "t.gotrace")).error is None


@pytest.mark.parametrize("args, message", [
    (["--duration", "soon", "--", "true"], b"tracetui: bad duration 'soon'"),
    (["--max-size", "big", "--", "true"], b"tracetui: bad size 'big'"),
    ([], b"tracetui: nothing to record"),
    (["--", "go", "run", "-C", str(PROGRAMS), "./alpha"], b"tracetui: example.com/recordtests/alpha: is package alpha, not a main package"),
    (["--", "go", "run", "-C", str(PROGRAMS), "./nosuchdir"], b"tracetui: go list failed"),
])  # fmt: skip
def test_user_errors_are_one_line(recorder: Recorder, tmp_path: Path, args: list[str], message: bytes) -> None:
    p = recorder.run(*args, cwd=tmp_path)
    assert p.returncode == 2
    last = p.stderr.rstrip(b"\n").split(b"\n")[-1]
    assert last.startswith(message), p.stderr
    assert b"Traceback" not in p.stderr


def test_build_error(recorder: Recorder, tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module broken\n\ngo 1.22\n")
    (tmp_path / "main.go").write_text("package main\n\nfunc main() { undefined() }\n")
    p = recorder.run("--", "go", "run", ".", cwd=tmp_path)
    assert p.returncode == 2
    assert p.stderr.count(b"undefined: undefined") == 1, p.stderr  # Go's report, each line once
    assert p.stderr.rstrip().split(b"\n")[-1].startswith(b"tracetui: go build failed: ./main.go:3:15: undefined")


def test_missing_go_toolchain(recorder: Recorder, tmp_path: Path) -> None:
    env = dict(recorder.env, PATH="/nonexistent")
    p = recorder.run("--", "go", "run", ".", cwd=tmp_path, env=env)
    assert p.returncode == 2
    assert p.stderr.strip() == b"tracetui: go: no Go toolchain found (install Go 1.22 or newer, or put `go` on PATH)"
