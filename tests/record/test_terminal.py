"""`tracetui record` in a real terminal (tmux): Ctrl-C goes to tracetui first, which
checkpoints the trace and forwards it; then the viewer opens on the recording; its exit
status is the program's. With stdout not a terminal the viewer does not open (every other
test in this directory runs that way)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.record.conftest import PROGRAMS, record_env
from tracetui.gotrace.reader import read_trace

pytestmark = pytest.mark.slow


class Term:
    """A detached tmux session running one shell command."""

    def __init__(self, command: str, env: dict[str, str], cwd: Path) -> None:
        self.name = f"tracetui-record-{uuid.uuid4().hex[:8]}"
        env = {k: v for k, v in env.items() if k not in ("COLORTERM", "NO_COLOR", "TMUX")}
        env["TERM"] = "xterm-256color"
        subprocess.run(["tmux", "new-session", "-d", "-s", self.name, "-x", "120", "-y", "40", "-c", str(cwd),
                        f"{command}; echo RECORD-EXIT=$?; sleep 30"], check=True, env=env)  # fmt: skip

    def keys(self, *keys: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, *keys], check=True)

    def wait_for(self, pattern: str, timeout: float = 60.0) -> str:
        end = time.monotonic() + timeout
        while True:
            text = subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name], check=True, capture_output=True,
                                  text=True).stdout  # fmt: skip
            if re.search(pattern, text, re.MULTILINE):
                return text
            if time.monotonic() > end:
                raise AssertionError(f"{pattern!r} never showed; the screen:\n{text}")
            time.sleep(0.1)

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], check=False, capture_output=True)


@pytest.fixture
def term_env(go: str) -> dict[str, str]:
    if shutil.which("tmux") is None:
        pytest.fail("tmux is needed (Debian package tmux)")
    return record_env(go)


def test_ctrl_c_then_viewer(term_env: dict[str, str], gotool, tmp_path: Path) -> None:
    tracetui = Path(sys.executable).parent / "tracetui"
    cmd = f"{tracetui} record -o t.pftrace --no-sample -- go run -C {PROGRAMS} ./workload wait"
    t = Term(cmd, term_env, tmp_path)
    try:
        t.wait_for(r"^ready$")
        time.sleep(0.3)
        t.keys("C-c")  # the terminal's SIGINT: to tracetui's process group only
        t.wait_for(r"Goroutines", timeout=90)  # the viewer, on the recording
        t.keys("q")
        screen = t.wait_for(r"RECORD-EXIT=\d+")
        assert "RECORD-EXIT=130" in screen
    finally:
        t.close()
    assert gotool.parsed(tmp_path / "t.gotrace").returncode == 0
    assert len(read_trace(str(tmp_path / "t.gotrace"))) > 1000
    assert (tmp_path / "t.pftrace").stat().st_size > 0


def test_no_view(term_env: dict[str, str], tmp_path: Path) -> None:
    tracetui = Path(sys.executable).parent / "tracetui"
    t = Term(f"{tracetui} record --no-view -o t.pftrace --no-sample -- go run -C {PROGRAMS} ./workload exit 3",
             term_env, tmp_path)  # fmt: skip
    try:
        screen = t.wait_for(r"RECORD-EXIT=\d+")
        assert "RECORD-EXIT=3" in screen and "tracetui: wrote t.pftrace" in screen
    finally:
        t.close()


def test_viewer_at_once_then_ctrl_c_while_converting(term_env: dict[str, str], tmp_path: Path) -> None:
    """The viewer opens on the Go trace before any .pftrace exists; quit early, the
    conversion goes on with a progress bar; Ctrl+C stops it: no file, one line, exit 0."""
    tracetui = Path(sys.executable).parent / "tracetui"
    t = Term(f"{tracetui} record -o t.pftrace -- go run -C {PROGRAMS} ./workload chan 1500000", term_env, tmp_path)
    try:
        t.wait_for(r"Goroutines", timeout=90)
        assert not (tmp_path / "t.pftrace").exists()
        t.keys("q")
        t.wait_for(r"tracetui: converting t\.gotrace.*%", timeout=30)  # Rich's bar on the terminal
        t.keys("C-c")
        screen = t.wait_for(r"RECORD-EXIT=\d+")
    finally:
        t.close()
    assert "RECORD-EXIT=0" in screen
    assert (
        "tracetui: stopped: t.pftrace was not written (make it with `tracetui export t.gotrace -o t.pftrace`)" in screen
    )
    assert not (tmp_path / "t.pftrace").exists()
