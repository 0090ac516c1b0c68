"""The installed `tracetui view` in a real terminal (tmux), keyboard only, 256 colours, no
mouse: the task of the issue's "done when", step by step, read back from the screen."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pytest

from tests.tui.helpers import CHANNELS
from tracetui.load import open_model
from tracetui.model.trace import FlowKind, State, TrackKind
from tracetui.tui.timefmt import format_duration

TRACETUI = Path(sys.executable).parent / "tracetui"


class Tmux:
    def __init__(self, command: str, width: int = 140, height: int = 44) -> None:
        self.name = f"tracetui-test-{uuid.uuid4().hex[:8]}"
        env = {k: v for k, v in os.environ.items() if k not in ("COLORTERM", "NO_COLOR", "TMUX")}
        env["TERM"] = "xterm-256color"
        subprocess.run(
            ["tmux", "new-session", "-d", "-s", self.name, "-x", str(width), "-y", str(height),
             f"{command}; echo TRACETUI-EXIT=$?; sleep 30"],
            check=True, env=env,
        )  # fmt: skip

    def keys(self, *keys: str, literal: bool = False) -> None:
        """Type like a person: one key at a time."""
        for k in keys:
            subprocess.run(["tmux", "send-keys", "-t", self.name, *(["-l"] if literal else []), k], check=True)
            time.sleep(0.08)

    def screen(self, escapes: bool = False) -> str:
        args = ["tmux", "capture-pane", "-p", "-t", self.name] + (["-e"] if escapes else [])
        return subprocess.run(args, check=True, capture_output=True, text=True).stdout

    def wait_for(self, pattern: str, timeout: float = 20.0) -> str:
        end = time.monotonic() + timeout
        while True:
            text = self.screen()
            if re.search(pattern, text, re.MULTILINE):
                return text
            if time.monotonic() > end:
                raise AssertionError(f"{pattern!r} never showed; the screen:\n{text}")
            time.sleep(0.1)

    def wait_gone(self, pattern: str, timeout: float = 10.0) -> None:
        end = time.monotonic() + timeout
        while re.search(pattern, self.screen(), re.MULTILINE):
            if time.monotonic() > end:
                raise AssertionError(f"{pattern!r} is still on the screen")
            time.sleep(0.1)

    def status(self) -> str:
        lines = [ln for ln in self.screen().splitlines() if " │ " in ln]
        return lines[-1] if lines else ""

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], check=False, capture_output=True)


@pytest.fixture
def tmux_view():  # type: ignore[no-untyped-def]
    assert shutil.which("tmux"), "tmux is needed for this test (Debian package tmux)"
    assert TRACETUI.exists(), f"the installed command is missing: {TRACETUI}"
    sessions: list[Tmux] = []

    def start(*args: str) -> Tmux:
        t = Tmux(" ".join([str(TRACETUI), "view", *args]))
        sessions.append(t)
        return t

    yield start
    for t in sessions:
        t.close()


def _unblocked_wait() -> tuple[int, int, int, str]:
    """(goroutine, a time inside one of its waits, the unblock time, the unblocker's row
    name) from the model: a wait that another goroutine ended."""
    trace = open_model(CHANNELS).trace
    f = trace.flows
    for k in np.flatnonzero(f.kind == FlowKind.UNBLOCK).tolist():
        dst, src = trace.tracks[int(f.to_track[k])], int(f.from_track[k])
        if dst.kind != TrackKind.GOROUTINE or src < 0 or trace.tracks[src].kind != TrackKind.GOROUTINE:
            continue
        sp = dst.spans.flat
        j = np.flatnonzero((sp.state == State.WAITING) & (sp.end == f.from_ts[k]))
        if j.size and sp.end[j[0]] - sp.start[j[0]] > 2000:
            mid = int(sp.start[j[0]] + sp.end[j[0]]) // 2
            return dst.id, mid, int(f.from_ts[k]), trace.tracks[src].name.split()[0]
    raise AssertionError("no goroutine-to-goroutine unblock in the trace")


def test_the_keyboard_task_in_tmux(tmux_view) -> None:  # type: ignore[no-untyped-def]
    trace = open_model(CHANNELS).trace
    t = tmux_view("--no-mouse", CHANNELS)
    screen = t.wait_for(r"P0 .*\n")
    assert "GC" in screen and "Goroutines" in screen and "G1 main.main" in screen
    # 256 colours over SSH-like settings (no COLORTERM): 256-colour SGR, no truecolor.
    colours = t.screen(escapes=True)
    assert re.search(r"\x1b\[[0-9;]*48;5;\d+", colours) and "48;2;" not in colours

    # ? lists the keys; Esc closes it.
    t.keys("?")
    t.wait_for("zoom to the longest span on the row")
    t.keys("Escape")
    t.wait_gone("zoom to the longest span")

    # The longest stop-the-world pause: the STW row, x.
    t.keys("j", "x")
    durations = trace.stw.end - trace.stw.start
    kind = trace.string(int(trace.stw.reason[int(np.argmax(durations))]))
    t.wait_for(re.escape(f"stop-the-world ({kind}) {format_duration(int(durations.max()))}"))

    # A blocked goroutine: go there (time, then row), follow ] to its unblocker, [ back.
    gid, mid, _, src = _unblocked_wait()
    t.keys("0", "C-g")
    t.keys(f"{mid}ns", literal=True)
    t.keys("Enter")
    # The row in one burst, as keys arrive over a slow SSH link.
    subprocess.run(["tmux", "send-keys", "-t", t.name, "C-g", *f"G{gid}", "Enter"], check=True)
    t.wait_for(rf"G{gid} [^│]*│[^│]*│ blocked")
    t.keys("]")
    t.wait_for(rf"was unblocked by {src}\b")
    assert t.status().startswith(src)
    t.keys("[")
    t.wait_for(rf"^G{gid} [^│]*│[^│]*│ blocked")

    # Its stack, in the details.
    t.keys("Enter")
    t.wait_for("stack:")
    assert re.search(r"main\.go:\d+", t.screen())

    # Ctrl+Z undoes navigation (the terminal is raw: it does not suspend the viewer).
    t.keys("Escape")
    t.wait_gone("stack:")

    def view() -> str:
        return t.status().split("│ view ")[-1].split(" │")[0]

    def view_changes_from(old: str) -> str:
        end = time.monotonic() + 10
        while view() == old:
            assert time.monotonic() < end, t.screen()
            time.sleep(0.05)
        return view()

    whole = view()
    t.keys("w")
    half = view_changes_from(whole)
    t.keys("w")
    view_changes_from(half)
    t.keys("C-z")  # back one step
    t.wait_for(r"│ view " + re.escape(half) + r"( │|$)")

    t.keys("q")
    t.wait_for("TRACETUI-EXIT=0")


def test_a_bad_file_in_tmux_is_one_line(tmux_view, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "notes.txt"
    bad.write_text("hello")
    t = tmux_view(str(bad))
    screen = t.wait_for("TRACETUI-EXIT=2")
    msg = [ln for ln in screen.splitlines() if ln.startswith("tracetui:")]
    assert len(msg) == 1 and "notes.txt" in msg[0] and "not a Go execution trace" in msg[0]
    assert "Traceback" not in screen


def test_the_analysis_screens_in_tmux(tmux_view) -> None:  # type: ignore[no-untyped-def]
    """Screen 5 draws its curve in braille with the axes, 4 then p lists the p99 bucket,
    3 then f shows the flame graph, in a real terminal."""
    from tests.tui.helpers import GCSTW
    from tracetui.analysis.mmu import mmu, series
    from tracetui.tui.screens.mmu import window_sizes

    trace = open_model(GCSTW).trace
    u = series(trace)
    windows = window_sizes(trace.duration, 140 - 7)  # a column each, beside the y axis
    first = int(windows[np.searchsorted(windows, 10**6)])  # the cursor starts at 1 ms
    t = tmux_view("--no-mouse", GCSTW)
    t.wait_for(r"P0 .*\n")
    t.keys("5")
    screen = t.wait_for(r"window .*: MMU")
    assert "100% ┤" in screen and "  0% ┤" in screen and "└┬" in screen and "1 µs" in screen
    assert re.search("[\u2801-\u28ff]", screen), "no braille dots drawn"
    w = re.search(r"window (\S+ \S+): MMU ([0-9.]+)%", screen)
    assert w is not None and w.groups() == (format_duration(first), f"{100 * mmu(u, first):.1f}")
    t.keys("Right", "Right")
    moved = t.wait_for(r"window .*: MMU")
    assert re.search(r"window (\S+ \S+): MMU", moved).group(1) != w.group(1)  # type: ignore[union-attr]
    t.keys("3")
    t.wait_for("Space: callers")
    t.keys("f")
    t.wait_for(r"waits  \(←/→/↑/↓ move, z zoom")
    t.keys("q")
    t.wait_for("TRACETUI-EXIT=0")
