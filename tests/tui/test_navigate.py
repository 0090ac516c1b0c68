"""Navigation helpers and the row set, on real traces: causality, search, go-to, rows."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import committed_traces, trace_id
from tests.tui.helpers import CHANNELS, GCSTW
from tracetui.load import open_model
from tracetui.model.trace import FlowKind, State, TrackKind
from tracetui.tui.details import describe
from tracetui.tui.navigate import FlowIndex, Target, goroutine_matches, parse_target
from tracetui.tui.palette import Look
from tracetui.tui.rows import RowKind, RowSet, _block_category
from tracetui.tui.timefmt import format_offset, format_time, parse_time, tick_step


def test_cause_of_a_wait_is_the_unblock_at_its_end() -> None:
    trace = open_model(CHANNELS).trace
    idx = FlowIndex(trace)
    checked = 0
    for t in trace.tracks:
        if t.kind != TrackKind.GOROUTINE:
            continue
        k = trace.track_index(TrackKind.GOROUTINE, t.id)
        sp = t.spans.flat
        for i in np.flatnonzero(sp.state == State.WAITING)[:20].tolist():
            hop = idx.cause(k, int(sp.start[i]) + 1)
            if hop is None:
                continue
            # Go: GoUnblock ends the wait; the flow goes to the goroutine's next start.
            assert hop.to_track == k and hop.from_ts == int(sp.end[i])
            nxt = np.flatnonzero((sp.start >= sp.end[i]) & (sp.state == State.RUNNING))
            assert hop.to_ts == int(sp.start[nxt[0]])
            checked += 1
    assert checked >= 10


def test_cause_of_a_first_run_is_the_creation() -> None:
    trace = open_model(GCSTW).trace
    idx = FlowIndex(trace)
    g = trace.goroutines
    created = np.flatnonzero(g.created >= 0)
    assert created.size
    for row in created.tolist():
        k = int(g.track[row])
        sp = trace.tracks[k].spans.flat
        first_run = np.flatnonzero(sp.state == State.RUNNING)
        if not first_run.size:
            continue
        hop = idx.cause(k, int(sp.start[first_run[0]]))
        assert hop is not None and hop.kind == FlowKind.CREATE
        assert hop.from_ts == int(g.created[row])


def test_search_by_id_and_function() -> None:
    trace = open_model(GCSTW).trace
    assert goroutine_matches(trace, "G1") == [1]
    assert goroutine_matches(trace, "1")[:1] == [1]
    workers = goroutine_matches(trace, "gcBgMarkWorker")
    expected = [t.id for t in trace.tracks if t.kind == TrackKind.GOROUTINE and "gcBgMarkWorker" in t.group]
    assert workers == sorted(expected) and len(workers) >= 1
    assert goroutine_matches(trace, "main\\.work\\.func[12]") == sorted(
        t.id for t in trace.tracks if t.kind == TrackKind.GOROUTINE and t.group.startswith("main.work.func")
    )
    assert goroutine_matches(trace, "[unclosed") == []  # not a regex: a plain substring
    assert goroutine_matches(trace, "   ") == []


@pytest.mark.parametrize(
    "text, target",
    [
        ("1.5ms", Target(time=1_500_000)),
        ("200us", Target(time=200_000)),
        ("2 s", Target(time=2_000_000_000)),
        ("120ns", Target(time=120)),
        ("G12", Target(kind=TrackKind.GOROUTINE, ident=12)),
        ("12", Target(kind=TrackKind.GOROUTINE, ident=12)),
        ("p3", Target(kind=TrackKind.PROC, ident=3)),
        ("M7", Target(kind=TrackKind.THREAD, ident=7)),
        ("later", None),
        ("1.5", None),
    ],
)
def test_parse_target(text: str, target: Target | None) -> None:
    assert parse_target(text) == target


def test_ticks_and_time_text() -> None:
    assert tick_step(1_000_000_000, 100, 10) == 100_000_000
    assert tick_step(42_289_409, 98, 12) == 10_000_000
    assert tick_step(3000, 100, 12) == 500
    assert format_offset(20_000_000, 10_000_000) == "20ms"
    assert format_offset(2_500, 500) == "2.5µs"
    assert format_time(1_234_567_891, 1_000_000) == "1.23457s"
    assert parse_time("3ms") == 3_000_000 and parse_time("x") is None


@pytest.mark.parametrize(
    "reason, look",
    [
        ("chan receive", Look.BLOCK_SYNC),
        ("chan send", Look.BLOCK_SYNC),
        ("select", Look.BLOCK_SYNC),
        ("sync", Look.BLOCK_SYNC),
        ("sync.(*Cond).Wait", Look.BLOCK_SYNC),
        ("network", Look.BLOCK_NET),
        ("sleep", Look.BLOCK_SLEEP),
        ("wait until GC ends", Look.BLOCK_GC),
        ("GC background sweeper wait", Look.BLOCK_GC),
        ("system goroutine wait", Look.BLOCK_OTHER),
        ("forever", Look.BLOCK_OTHER),
    ],
)
def test_block_reasons_by_category(reason: str, look: Look) -> None:
    assert _block_category(reason) == look


def test_gc_workers_show_as_gc_on_the_ps() -> None:
    trace = open_model(GCSTW).trace
    rows = RowSet(trace)
    workers = set(rows.gc_workers().tolist())
    assert workers == {t.id for t in trace.tracks if t.kind == TrackKind.GOROUTINE and t.group ==
                       "runtime.gcBgMarkWorker"}  # fmt: skip
    for row in rows.rows:
        t = rows.track_of(row)
        if t is None or t.kind != TrackKind.PROC:
            continue
        sr = rows.span_row(row)
        flat = t.spans.flat
        on = (flat.state == State.RUNNING) & np.isin(flat.arg, list(workers))
        assert (sr.look[on] == Look.GC).all()
        assert (sr.look[(flat.state == State.RUNNING) & ~on & (flat.arg >= 0)] == Look.RUNNING).all()


@pytest.mark.parametrize("path", committed_traces(), ids=trace_id)
def test_every_committed_trace_lays_out_and_describes(path) -> None:  # type: ignore[no-untyped-def]
    """Every row of every committed trace draws, and its details read at three times."""
    from tracetui.tui import cells as C

    trace = open_model(str(path)).trace
    rows = RowSet(trace)
    rows.prepare()
    edges = np.linspace(0, max(trace.duration, 1), 81).astype(np.int64)
    idx = FlowIndex(trace)
    for row in rows.rows:
        if row.kind == RowKind.SPANS:
            code = C.span_cells(rows.span_row(row), edges)
            assert code.shape == (80,)
        for t in (0, trace.duration // 2, max(trace.duration - 1, 0)):
            lines = describe(rows, row, t, idx)
            assert all("\x1b" not in line for line in lines)
