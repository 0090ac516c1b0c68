"""bench_gc.py's machinery on a tiny budget, so the benchmark cannot rot: the gcheavy program
builds and writes a trace with GC cycles, every stage and command runs, the figures and the
targets come out (their values are not checked: speed is measured by the benchmark itself)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent / "bench_gc.py"


def _bench_module():
    spec = importlib.util.spec_from_file_location("bench_gc", BENCH)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.slow
def test_bench_gc_tiny(tmp_path: Path, go: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACETUI_BENCH_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "figures.json"
    argv = [sys.executable, str(BENCH), "--max-bytes", "1e6", "--pace", "0.2s", "--json", str(out)]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    assert p.returncode == 0, p.stderr[-2000:]
    fig = json.loads(out.read_text())
    assert fig["events"] > 10_000 and fig["gc_cycles"] > 0 and fig["generations"] >= 1
    stages = [s["stage"] for s in fig["stages"]]
    assert stages[:2] == ["read (EventTable)", "model build"] and "MMU" in stages
    assert all(s["peak"] > 0 and s["seconds"] >= 0 for s in fig["stages"])
    assert set(fig["commands"]) == {
        "go -d=parsed",
        "tracetui dump",
        "go -pprof=sched",
        "tracetui pprof sched",
        "tracetui summary --json",
    }
    assert len(fig["targets"]) == 3
    for line in ("MMU", "tracetui dump / go -d=parsed", "summary --json >= 2 M events/s"):
        assert line in p.stdout
    assert list((tmp_path / "cache").glob("gcheavy-1e6-0.2s-*.trace"))


def test_report_and_targets() -> None:
    """The report and the PASS/MISS verdicts from made-up figures."""
    bench = _bench_module()
    cmd = {"seconds": 1.0, "cpu": 1.0, "peak": 50 * 10**6}
    fig = {
        "trace": "t",
        "trace_bytes": 10**7,
        "events": 3 * 10**6,
        "gc_cycles": 600,
        "generations": 4,
        "base_rss": 10**7,
        "hwm_reset": True,
        "stages": [{"stage": "read (EventTable)", "seconds": 0.5, "cpu": 0.5, "peak": 4 * 10**7}],
        "commands": {
            "go -d=parsed": cmd,
            "tracetui dump": cmd | {"seconds": 2.0},
            "go -pprof=sched": cmd,
            "tracetui pprof sched": cmd,
            "tracetui summary --json": cmd,
        },
    }
    assert [ok for _, ok, _ in bench.verdicts(fig)] == [True, True, False]
    text = bench.report(fig)
    assert "PASS  summary --json >= 2 M events/s end to end: 3.00 M ev/s" in text
    assert "MISS  dump <= 1.0x go tool trace -d=parsed: 2.00x" in text


def test_stages_follow_summary_json() -> None:
    """The stage child calls the analyses report.summary_json calls: if these change there,
    bench_gc.stages_child must follow."""
    import inspect

    from tracetui import report

    src = inspect.getsource(report.summary_json)
    child = inspect.getsource(_bench_module().stages_child)
    for call in ("summary_stats(trace)", "totals(", "latency_histograms(", "group_table(", "mmu_curve(", "series("):
        assert call in src and call in child, call
