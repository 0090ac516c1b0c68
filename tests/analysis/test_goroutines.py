"""Goroutine analysis against go tool trace's own goroutine pages (its -http server on
127.0.0.1): groups, and every goroutine's breakdown and special ranges, to the nanosecond."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.analysis.test_blocking import CORPUS
from tests.conftest import TRACES, go_env, trace_id
from tests.support.gotracehttp import GoTraceServer, go_duration
from tracetui.analysis.goroutines import goroutine_stats, group_table, groups
from tracetui.cli import main
from tracetui.load import open_model


def _check(go: str, path: Path) -> None:
    trace = open_model(str(path)).trace
    stats = goroutine_stats(trace)
    srv = GoTraceServer(go, go_env(go), path)
    try:
        theirs = srv.groups()
        assert {g.name: (g.count, g.execution) for g in groups(stats)} == theirs
        for name in theirs:
            for gid, row in srv.group(name).items():
                i = int(np.searchsorted(stats.id, gid))
                ours = {"Total": int(stats.total[i]), **stats.breakdown(i)}
                ours.update({k: int(v[i]) for k, v in stats.ranges.items() if v[i]})
                assert {k: ours.get(k, 0) for k in row} == row, f"G{gid} ({name})"
                # Nothing we count is missing from Go's page.
                assert {k for k, v in ours.items() if v} <= set(row), f"G{gid} ({name})"
    finally:
        srv.stop()


@pytest.mark.parametrize("path", CORPUS, ids=trace_id)
def test_goroutine_pages_equal_go_tool_trace(path: Path, go: str) -> None:
    _check(go, path)


def test_goroutine_pages_of_a_fresh_trace(fresh: list[Path], go: str) -> None:  # type: ignore[no-untyped-def]
    for path in fresh:
        _check(go, path)


def test_go_durations_parse() -> None:
    assert go_duration("1.5ms") == 1_500_000
    assert go_duration("2m3.000000001s") == 123_000_000_001
    assert go_duration("0s") == 0 and go_duration("640ns") == 640 and go_duration("12.25µs") == 12_250


def test_summary_json_goroutine_groups(capsys) -> None:  # type: ignore[no-untyped-def]
    path = TRACES / "go1.27.3" / "gcstw.trace"
    assert main(["summary", "--json", str(path)]) == 0
    table = json.loads(capsys.readouterr().out)["goroutine_groups"]
    trace = open_model(str(path)).trace
    assert table == group_table(trace)
    assert sum(g["count"] for g in table) == len(trace.goroutines)
    execs = [g["breakdown_ns"]["Execution time"] for g in table]
    assert execs == sorted(execs, reverse=True)
