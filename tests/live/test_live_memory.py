"""`record --live --keep 3s` on a busy program in a real terminal: the viewer's memory stays
flat once the window is full, however long the program runs (RSS sampled with psutil).

TRACETUI_LIVE_MEMORY_S sets how long it watches (default 30 s) and TRACETUI_LIVE_MEMORY_KEEP
the --keep (default 3s); the README's figure: 60 and 5s.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests.record.conftest import Recorder
from tests.tui.test_tmux import Tmux
from tracetui.record.options import parse_duration

LIVERATE = Path(__file__).resolve().parents[1] / "bench" / "programs" / "liverate"
LIVE = re.compile(r"● LIVE (\d+(?:\.\d+)?) s ")


def _viewer(t: Tmux) -> psutil.Process:
    """The tracetui process showing the view (not the background recorder, not the program)."""
    import subprocess

    pane = int(subprocess.run(["tmux", "display-message", "-p", "-t", t.name, "#{pane_pid}"], check=True,
                              capture_output=True, text=True).stdout)  # fmt: skip
    for p in psutil.Process(pane).children(recursive=True):
        cmd = p.cmdline()
        if "tracetui" in cmd and "--live" in cmd:
            return p
    raise AssertionError("no viewer process under the tmux pane")


@pytest.mark.slow
def test_memory_stays_flat_with_a_small_keep(recorder: Recorder, tmp_path: Path) -> None:
    assert shutil.which("tmux"), "tmux is needed for this test (Debian package tmux)"
    watch_s = float(os.environ.get("TRACETUI_LIVE_MEMORY_S", "30"))
    keep = os.environ.get("TRACETUI_LIVE_MEMORY_KEEP", "3s")
    env = " ".join(f"{k}={v}" for k, v in recorder.env.items() if k in ("PATH", "GOROOT", "GOTOOLCHAIN", "GOPROXY",
                                                                          "GOFLAGS", "GOCACHE", "PYTHONPATH", "HOME"))  # fmt: skip
    # 2 pairs x 25 round trips per ms: about 200 k events/s, running past the watch.
    cmd = (f"cd {tmp_path} && env {env} {sys.executable} -m tracetui record --live --keep {keep} --no-sample "
           f"-o t.pftrace -- go run -C {LIVERATE} . 2 25 {int(watch_s + 20)}")  # fmt: skip
    t = Tmux(cmd, width=120, height=40)
    rss: list[tuple[float, int]] = []
    try:
        t.wait_for(LIVE.pattern, timeout=90)
        viewer = _viewer(t)
        time.sleep(parse_duration(keep) + 1.0)  # the window fills
        t0 = time.monotonic()
        while time.monotonic() - t0 < watch_s:
            rss.append((time.monotonic() - t0, viewer.memory_info().rss))
            time.sleep(0.5)
        elapsed = LIVE.search(t.screen())
        assert elapsed is not None and float(elapsed.group(1)) > watch_s  # it ran, live, all along
        t.keys("q")
        t.wait_for(r"TRACETUI-EXIT=0", timeout=90)
    finally:
        t.close()
    third = len(rss) // 3
    first, last = max(r for _, r in rss[:third]), max(r for _, r in rss[-third:])
    mib = [f"{s:.0f}s {r / 2**20:.0f}" for s, r in rss[:: max(1, len(rss) // 12)]]
    print(f"viewer RSS (MiB), --keep {keep}, over {watch_s:.0f}s: {', '.join(mib)}; first third max {first / 2**20:.0f}, "
          f"last third max {last / 2**20:.0f} ({last / first:.2f}x)")  # fmt: skip
    size = (tmp_path / "t.gotrace").stat().st_size
    assert size > 20 * 2**20  # a busy program: the recording grew far beyond the window
    assert last < 1.3 * first, (first, last)
