"""`tracetui summary`: the figures agree with what Go's parser prints for the same trace."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import TRACES
from tracetui.cli import main

_EVENT = re.compile(rb"^M=(-?\d+) P=(-?\d+) G=(-?\d+) (\w+) Time=(-?\d+)(.*)$")  # a v1 trace starts at -1

SAMPLES = [TRACES / f"go{v}" / f"{n}.trace" for v, n in [
    ("1.22.10", "gcstw"), ("1.23.9", "annotations"), ("1.24.11", "nethttp"),
    ("1.25.5", "flightrecorder"), ("1.26.6", "generations"), ("1.27.3", "gcstw"), ("1.27.3", "manygoroutines"),
]]  # fmt: skip


def go_figures(parsed: bytes) -> dict[str, object]:
    """The summary's figures, computed from `go tool trace -d=parsed` text alone."""
    events = 0
    gids: set[int] = set()
    pids: set[int] = set()
    ms: set[int] = set()
    gc = 0
    open_stw: dict[int, int] = {}
    stw: list[int] = []
    first = last = None
    for line in parsed.splitlines():
        m = _EVENT.match(line)
        if not m:
            continue
        events += 1
        mid, kind, t, rest = int(m.group(1)), m.group(4), int(m.group(5)), m.group(6)
        first = t if first is None else first
        last = t
        if mid != -1:
            ms.add(mid)
        if kind == b"StateTransition":
            if g := re.match(rb" GoID=(-?\d+) ", rest):
                gids.add(int(g.group(1)))
            if p := re.match(rb" ProcID=(-?\d+) ", rest):
                pids.add(int(p.group(1)))
        elif kind == b"RangeBegin" and rest.startswith(b' Name="GC concurrent mark phase"'):
            gc += 1
        if kind in (b"RangeBegin", b"RangeEnd") and rest.startswith(b' Name="stop-the-world ('):
            g = int(re.search(rb"Scope=Goroutine\((-?\d+)\)", rest).group(1))
            if kind == b"RangeBegin":
                open_stw[g] = t
            elif g in open_stw:
                stw.append(t - open_stw.pop(g))
    return {
        "events": events,
        "goroutines": len(gids),
        "procs": len(pids),
        "threads": len(ms),
        "gc_cycles": gc,
        "stw": {"count": len(stw), "total_ns": sum(stw), "max_ns": max(stw, default=0)},
        "duration_ns": (last or 0) - (first or 0),
    }


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_summary_json_agrees_with_go(path: Path, gotool, capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "--json", str(path)]) == 0
    ours = json.loads(capfd.readouterr().out)
    go = gotool.parsed(path)
    want = go_figures(go.stdout)
    for key in ("events", "goroutines", "procs", "threads", "gc_cycles", "stw"):
        assert ours[key] == want[key], f"{key}: ours {ours[key]} vs Go's {want[key]}"
    assert ours["go_version"] == {"1.22": "1.22", "1.23": "1.23", "1.24": "1.23", "1.25": "1.25"}.get(
        path.parent.name[2:6], "1.26"
    )


def test_gc_program_has_gc_and_stw(capfd: pytest.CaptureFixture[str]) -> None:
    """The GC-pressure program runs runtime.GC and ReadMemStats: cycles and pauses show."""
    assert main(["summary", "--json", str(TRACES / "go1.27.3" / "gcstw.trace")]) == 0
    s = json.loads(capfd.readouterr().out)
    assert s["gc_cycles"] >= 2
    assert s["stw"]["count"] >= 4 and 0 < s["stw"]["max_ns"] <= s["stw"]["total_ns"]


def test_summary_text_report(capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", str(TRACES / "go1.27.3" / "gcstw.trace")]) == 0
    out = capfd.readouterr().out
    for label in ("Go version", "Duration", "GOMAXPROCS", "Goroutines", "GC cycles", "Stop-the-world"):
        assert label in out
    assert "Go 1.26+ trace format (the trace does not say which release)" in out  # 1.26 and 1.27 write alike


def test_summary_of_truncated_trace_warns(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    data = (TRACES / "go1.27.3" / "generations.trace").read_bytes()
    p = tmp_path / "cut.trace"
    p.write_bytes(data[: len(data) * 3 // 4])
    assert main(["summary", "--json", str(p)]) == 0
    captured = capfd.readouterr()
    s = json.loads(captured.out)
    assert s["partial"]["valid_bytes"] < len(data) * 3 // 4
    assert captured.err.count("\n") == 1 and "lost" in captured.err and str(p) in captured.err
