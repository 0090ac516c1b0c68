"""`tracetui record --live` in a real terminal (tmux) on a real Go program: the LIVE line
advances with no key pressed, q stops the recording, and the files it writes are whole."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.record.conftest import PROGRAMS, Recorder
from tests.tui.test_tmux import Tmux

LIVE = re.compile(r"● LIVE (\d+(?:\.\d+)?) s ")


@pytest.mark.slow
def test_record_live_in_a_terminal(recorder: Recorder, tmp_path: Path) -> None:
    assert shutil.which("tmux"), "tmux is needed for this test (Debian package tmux)"
    env = " ".join(f"{k}={v}" for k, v in recorder.env.items() if k in ("PATH", "GOROOT", "GOTOOLCHAIN", "GOPROXY",
                                                                          "GOFLAGS", "GOCACHE", "PYTHONPATH", "HOME"))  # fmt: skip
    cmd = (f"cd {tmp_path} && env {env} {sys.executable} -m tracetui record --live --no-sample -o t.pftrace -- "
           f"go run -C {PROGRAMS} ./workload graceful")  # fmt: skip
    t = Tmux(cmd, width=120, height=40)
    try:
        first = float(LIVE.search(t.wait_for(LIVE.pattern, timeout=60)).group(1))  # type: ignore[union-attr]
        time.sleep(2.5)
        later = LIVE.search(t.screen())
        assert later is not None and float(later.group(1)) >= first + 1.0  # it moves on by itself
        assert re.search(r"^G1 +main\.main|^ G1 main\.main", t.screen(), re.MULTILINE) or "main.main" in t.screen()
        t.keys("q")
        done = t.wait_for(r"TRACETUI-EXIT=\d+", timeout=60)
        assert "TRACETUI-EXIT=0" in done, done  # stopped by the user: 0
    finally:
        t.close()
    for name in ("t.gotrace", "t.pftrace"):
        out = subprocess.run([sys.executable, "-m", "tracetui", "summary", "--json", name], check=False,
                             cwd=tmp_path,
                             env=recorder.env, capture_output=True, text=True, timeout=120)  # fmt: skip
        assert out.returncode == 0, out.stderr
        assert '"main.main"' in out.stdout
    assert "ready" in (tmp_path / "t.live.log").read_text()  # the program's output went to the log
