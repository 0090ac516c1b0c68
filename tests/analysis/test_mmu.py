"""MMU against go tool trace's own /mmu plot (its -http server on 127.0.0.1)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.analysis.test_blocking import CORPUS
from tests.conftest import go_env, trace_id
from tests.support.gotracehttp import GoTraceServer
from tracetui.analysis.mmu import mmu, mmu_curve, series, worst_window
from tracetui.load import open_model
from tracetui.model import Counter
from tracetui.perfetto.writer import write_trace

FLAGS = {False: "assist|background|stw", True: "assist|background|stw|sweep"}  # sweep? -> Go's flags


def _check(go: str, path: Path, tmp: Path) -> None:
    model = open_model(path).trace
    out = tmp / (path.stem + ".pftrace")
    write_trace(model, str(out))
    again = open_model(out).trace  # the series travels in our Perfetto files
    srv = GoTraceServer(go, go_env(go), path)
    try:
        for sweep, flags in FLAGS.items():
            data = json.loads(srv.get("/mmu?mode=plot&flags=" + flags))
            u = series(model, sweep)
            assert np.array_equal(u.ts, series(again, sweep).ts)
            assert np.array_equal(u.value, series(again, sweep).value)
            # Go's band algorithm answers 0 for a 1 ns window whatever the trace: compare the rest.
            curve = [(int(w), m) for w, m in data["curve"] if int(w) > 1]
            assert len(curve) >= 90
            for w, m in curve:
                ours = mmu(u, w)
                assert abs(ours - m) < 1e-9, f"{flags} window {w} ns: ours {ours}, Go's {m}"
    finally:
        srv.stop()


@pytest.mark.parametrize("path", CORPUS, ids=trace_id)
def test_mmu_equals_go_tool_trace(path: Path, go: str, tmp_path: Path) -> None:
    _check(go, path, tmp_path)


def test_mmu_of_fresh_traces(fresh: list[Path], go: str, tmp_path: Path) -> None:
    for path in fresh:
        _check(go, path, tmp_path)


def test_mmu_of_a_step_function() -> None:
    # 1 for 10 ns, 0 for 10 ns, 1 for 80 ns: the worst 20 ns window holds the 0 part whole.
    u = Counter(np.array([0, 10, 20, 100]), np.array([1.0, 0.0, 1.0, 0.0]))
    assert mmu(u, 10) == 0.0 and mmu(u, 20) == 0.5 and mmu(u, 100) == 0.9 and mmu(u, 1000) == 0.9
    assert worst_window(u, 10) == (10, 0.0) and worst_window(u, 20)[1] == 0.5
    curve = mmu_curve(Counter(np.array([0, 10**6, 2 * 10**6]), np.array([1.0, 0.5, 0.0])))
    assert curve[0] == (1000, 0.5) and curve[-1][0] == 2 * 10**6 and curve[-1][1] == pytest.approx(0.75)


def test_a_trace_with_gc_has_a_utilization_dip() -> None:
    # gcstw stops the world for GC: the MMU at a 1 ms window is well under 1 there.
    gcstw = next(p for p in CORPUS if p.stem == "gcstw")
    u = series(open_model(gcstw).trace)
    assert len(u) > 2 and mmu(u, 10**6) < 1.0 and mmu(u, 1000) < mmu(u, 10**8)


def _summary_json(path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    from tracetui.cli import main

    assert main(["summary", "--json", str(path)]) == 0
    return json.loads(capsys.readouterr().out)


def test_summary_mmu_is_gos_at_each_window(fresh: list[Path], go: str, capsys: pytest.CaptureFixture[str]) -> None:
    """summary --json's `mmu` (and `mmu_sweep`): 50 windows from 1 µs to the trace's length,
    each the worst window's utilization that go tool trace's /mmu details give for it."""
    gcstw = next(p for p in CORPUS if p.stem == "gcstw")
    for path in (gcstw, fresh[0]):
        data = _summary_json(path, capsys)
        duration = int(data["duration_ns"])  # type: ignore[call-overload]
        srv = GoTraceServer(go, go_env(go), path)
        try:
            for key, flags in (("mmu", FLAGS[False]), ("mmu_sweep", FLAGS[True])):
                curve = data[key]
                assert isinstance(curve, list) and len(curve) == 50
                assert curve[0][0] == 1000 and curve[-1][0] == duration
                assert [w for w, _ in curve] == sorted({w for w, _ in curve})
                for w, ours in curve[:: 1 if key == "mmu" else 7]:
                    worst = json.loads(srv.get(f"/mmu?mode=details&window={w}&flags={flags}"))
                    assert abs(worst[0]["MutatorUtil"] - ours) < 1e-9, f"{path.name} {key} window {w}"
        finally:
            srv.stop()
    assert any(u < 0.9 for _, u in _summary_json(gcstw, capsys)["mmu"])  # type: ignore[union-attr]
