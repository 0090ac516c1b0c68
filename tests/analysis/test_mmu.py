"""MMU against go tool trace's own /mmu plot (its -http server on 127.0.0.1)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.analysis.test_blocking import CORPUS
from tests.conftest import go_env, trace_id
from tests.support.gotracehttp import GoTraceServer
from tracetui.analysis.mmu import DEFAULT, Utilization, mmu_curve, utilization
from tracetui.gotrace.reader import read_trace

FLAGS = (DEFAULT, DEFAULT | {"sweep"})


def _check(go: str, path: Path) -> None:
    table = read_trace(path)
    srv = GoTraceServer(go, go_env(go), path)
    try:
        for flags in FLAGS:
            data = json.loads(srv.get("/mmu?mode=plot&flags=" + "|".join(sorted(flags))))
            u = utilization(table, frozenset(flags))
            # Go's band algorithm answers 0 for a 1 ns window whatever the trace: compare the rest.
            curve = [(int(w), m) for w, m in data["curve"] if int(w) > 1]
            assert len(curve) >= 90
            for w, m in curve:
                assert abs(u.mmu(w) - m) < 1e-9, f"{sorted(flags)} window {w} ns: ours {u.mmu(w)}, Go's {m}"
    finally:
        srv.stop()


@pytest.mark.parametrize("path", CORPUS, ids=trace_id)
def test_mmu_equals_go_tool_trace(path: Path, go: str) -> None:
    _check(go, path)


def test_mmu_of_fresh_traces(fresh: list[Path], go: str) -> None:
    for path in fresh:
        _check(go, path)


def test_mmu_of_a_step_function() -> None:
    # 1 for 10 ns, 0 for 10 ns, 1 for 80 ns: the worst 20 ns window holds the 0 part whole.
    u = Utilization(np.array([0, 10, 20, 100]), np.array([1.0, 0.0, 1.0, 0.0]))
    assert u.mmu(10) == 0.0 and u.mmu(20) == 0.5 and u.mmu(100) == 0.9 and u.mmu(1000) == 0.9
    curve = mmu_curve(Utilization(np.array([0, 10**6, 2 * 10**6]), np.array([1.0, 0.5, 0.0])))
    assert curve[0] == (1000, 0.5) and curve[-1][0] == 2 * 10**6 and curve[-1][1] == pytest.approx(0.75)
