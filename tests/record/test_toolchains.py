"""Go source mode with the older toolchains (1.27.3 is every other test's): the overlay's
exit hook and checkpoint link and work on each (1.22 has runtime.addExitHook, 1.23+
internal/runtime/exithook)."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.record.conftest import go_run, record_env
from tracetui.gotrace.reader import read_trace

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("version", ["1.22.10", "1.23.9", "1.24.11", "1.25.5", "1.26.6"])
def test_older_toolchain(version: str, gotool, tmp_path: Path) -> None:
    import gotoolchain

    go = gotoolchain.ensure_go(version)
    env = record_env(go)
    argv = [sys.executable, "-m", "tracetui", "record", "--no-sample", "-o", "t.pftrace", "--", *go_run("exit", "9")]
    p = subprocess.run(argv, check=False, cwd=tmp_path, env=env, capture_output=True, timeout=300)
    assert p.returncode == 9, p.stderr
    table = read_trace(str(tmp_path / "t.gotrace"))
    assert table.error is None and len(table) > 100  # the exit hook flushed it all
    parsed = gotool.parsed(tmp_path / "t.gotrace")
    assert parsed.returncode == 0, parsed.stderr[-300:]
    # The checkpoint links too: a SIGINT is acknowledged and the trace stays readable.
    argv[-2:] = ["wait"]
    child = subprocess.Popen(argv, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout is not None and child.stdout.readline() == b"ready\n"
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=120)
    assert child.returncode == 130, err
    assert gotool.parsed(tmp_path / "t.gotrace").returncode == 0
