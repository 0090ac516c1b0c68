"""model/concat.py: windows of one process joined on its clock. Checked against the parts:
the join's counts and time totals are the sums of its windows', ids and stacks resolve to
the same functions, and the time between windows is on a row of its own."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from tracetui.gotrace.reader import read_buffer, read_trace
from tracetui.live.generations import GenerationIndex
from tracetui.model import State, Trace, TrackKind, build_model
from tracetui.model.concat import GAP_NAME, GAP_REASON, concat, gap_spans

TRACES = Path(__file__).resolve().parents[2] / "traces" / "go1.27.3"
GAP = 7_000_000  # ns between the windows of the tests that place them


def windows(path: Path) -> list[Trace]:
    """A trace cut at its generations: the header and each generation's bytes, modelled
    alone (as a live window is)."""
    data = path.read_bytes()
    ix = GenerationIndex()
    ix.feed(data)
    ix.finish()
    return [build_model(read_buffer(ix.header + data[s.start : s.end])) for s in ix.spans]


def after(first: Trace, second: Trace, gap: int = GAP) -> Trace:
    """`second` placed `gap` ns after `first` ends (two programs' traces, as if one's windows)."""
    return dataclasses.replace(second, base_time=first.base_time + first.duration + gap)


def state_totals(t: Trace, kind: TrackKind) -> np.ndarray:
    return sum((tr.spans.totals() for tr in t.tracks if tr.kind == kind and tr.spans is not None),
               np.zeros(13, np.int64))  # fmt: skip


def count(t: Trace, name: str) -> int:
    """Events in a latency histogram of the analyses."""
    from tracetui.analysis.histograms import latency_histograms

    return latency_histograms(t)[name].count


def funcs(t: Trace) -> dict[int, str]:
    g = t.goroutines
    return {int(i): t.string(f) for i, f in zip(g.id, g.func, strict=True)}


def test_windows_of_one_trace_sum_to_the_join() -> None:
    """Generations 1 and 3 of a trace: two windows of one process with a gap (generation 2)
    between them. (Neighbouring generations of one trace overlap by a few µs: windows
    fetched one after another do not.)"""
    cut = windows(TRACES / "generations.trace")
    assert len(cut) == 3
    parts = [cut[0], cut[2]]
    joined = concat(parts)
    assert joined.events == sum(p.events for p in parts)
    assert len(joined.gc) == sum(len(p.gc) for p in parts)
    for kind in (TrackKind.PROC, TrackKind.THREAD):
        assert (state_totals(joined, kind) == sum(state_totals(p, kind) for p in parts)).all(), kind
    # Goroutines alive through the gap: one lifetime, the gap in the state they had on both
    # sides (else unknown), so the analyses keep the waits of both windows (Go's summary
    # keeps a goroutine's last lifetime only); a wait going on through the gap is one wait.
    start, end = gap_spans(parts)
    gap = int(end[0] - start[0])
    g0, g1 = parts[0].goroutines, parts[1].goroutines
    through = [g for g in g0.id.tolist() if g0.ended[g0.index(g)] < 0 and g1.index(g) >= 0]
    assert through
    added = state_totals(joined, TrackKind.GOROUTINE) - sum(state_totals(p, TrackKind.GOROUTINE) for p in parts)
    assert (added >= 0).all() and len(through) * gap <= added.sum() <= len(through) * (gap + 2_000_000)
    for name in ("sched_latency", "block_chan receive"):
        alone = count(parts[0], name) + count(parts[1], name)
        assert alone > 0 and abs(count(joined, name) - alone) <= len(through), name
    # One row per goroutine, P and M the windows had.
    assert joined.goroutines.id.tolist() == sorted({int(g) for p in parts for g in p.goroutines.id})
    assert joined.proc_ids.tolist() == sorted({int(i) for p in parts for i in p.proc_ids})
    assert all(joined.goroutine_track(int(g)) is not None for g in joined.goroutines.id)
    # On the whole trace's clock: from its start to its end, the gap where generation 2 was.
    whole = build_model(read_trace(TRACES / "generations.trace"))
    assert joined.base_time == whole.base_time
    assert abs(joined.duration - whole.duration) < 1_000_000
    assert start.size == 1 and 0.9e9 < end[0] - start[0] < 1.1e9
    for t in joined.tracks:
        if t.spans is not None and len(t.spans) and t.spans.depth is None:
            assert (np.diff(t.spans.start) >= 0).all() and (t.spans.end[:-1] <= t.spans.start[1:]).all(), t.name


def test_two_programs_join_with_strings_stacks_and_tracks_remapped() -> None:
    a = build_model(read_trace(TRACES / "gcstw.trace"))
    b = after(a, build_model(read_trace(TRACES / "annotations.trace")))
    joined = concat([a, b])
    assert len(joined.gc) == len(a.gc) + len(b.gc) > 0
    assert len(joined.tasks) == len(b.tasks) > 0 and len(joined.regions) == len(b.regions)
    assert len(joined.logs) == len(b.logs) > 0
    # b's log messages and categories, and its tasks' names, read the same after the remap.
    assert [joined.string(s) for s in joined.logs.string] == [b.string(s) for s in b.logs.string]
    assert [joined.string(s) for s in joined.logs.arg] == [b.string(s) for s in b.logs.arg]
    assert [joined.string(s) for s in joined.tasks.name] == [b.string(s) for s in b.tasks.name]
    # Goroutine ids are both programs' (1, 2, ...): a goroutine's row holds both windows.
    fa, fb = funcs(a), funcs(b)
    assert set(joined.goroutines.id.tolist()) == set(fa) | set(fb)
    for gid in set(fa) & set(fb):
        row = joined.goroutine_track(gid)
        assert row is not None and row.spans is not None
        pa, pb = a.goroutine_track(gid), b.goroutine_track(gid)
        assert pa is not None and pb is not None and pa.spans is not None and pb.spans is not None
        k = len(row.spans) - len(pb.spans)  # (a span over the gap if it lived through it)
        assert k - len(pa.spans) in (0, 1)
        # b's spans moved to b's place on the clock, with the stacks they had.
        assert row.spans.start[k] == pb.spans.start[0] + b.base_time - a.base_time
        for i in range(len(pb.spans)):
            assert joined.frames(row.spans.stack[k + i]) == b.frames(pb.spans.stack[i])
    # A flow of b points from and to the tracks with the same ids as in b.
    if len(b.flows):
        i = int(np.flatnonzero(b.flows.to_track >= 0)[0])
        src = b.tracks[b.flows.to_track[i]]
        j = len(a.flows) + i
        dst = joined.tracks[joined.flows.to_track[j]]
        assert (dst.kind, dst.id) == (src.kind, src.id)


def test_goroutines_made_and_ended_in_a_gap() -> None:
    """A goroutine alive at a window's end and absent from the next ended in the gap (at
    the window's end, as far as anyone knows); one alive at a window's start that was not
    in the one before was made in the gap (at the window's start)."""
    a = build_model(read_trace(TRACES / "nethttp.trace"))  # (goroutine ids 1, 2, ... in both programs)
    b = after(a, build_model(read_trace(TRACES / "flightrecorder.trace")))
    joined = concat([a, b])
    g = joined.goroutines
    start_b = b.base_time - a.base_time
    ga, gb = a.goroutines, b.goroutines
    checked = {"gap-ended": 0, "gap-made": 0}
    for gid in set(ga.id.tolist()) | set(gb.id.tolist()):
        i, ia, ib = g.index(gid), ga.index(gid), gb.index(gid)
        if ia >= 0:
            want = int(ga.created[ia])
        else:
            want = start_b + int(gb.created[ib]) if gb.created[ib] >= 0 else start_b
            checked["gap-made"] += gb.created[ib] < 0
        assert g.created[i] == want, gid
        if ib >= 0:
            want = start_b + int(gb.ended[ib]) if gb.ended[ib] >= 0 else -1
        else:
            want = int(ga.ended[ia]) if ga.ended[ia] >= 0 else a.duration
            checked["gap-ended"] += ga.ended[ia] < 0
        assert g.ended[i] == want, gid
    assert min(checked.values()) > 0, checked


def test_the_gap_is_a_row_of_its_own() -> None:
    a = build_model(read_trace(TRACES / "channels.trace"))
    b = after(a, build_model(read_trace(TRACES / "syncprims.trace")))
    c = after(b, build_model(read_trace(TRACES / "fileio.trace")), gap=2 * GAP)
    joined = concat([a, b, c])
    start, end = gap_spans([a, b, c])
    assert (end - start).tolist() == [GAP, 2 * GAP]
    rows = [t for t in joined.tracks if t.kind == TrackKind.HOST and t.name == GAP_NAME]
    assert len(rows) == 1 and rows[0].spans is not None
    sp = rows[0].spans
    assert sp.start.tolist() == start.tolist() and sp.end.tolist() == end.tolist()
    assert (sp.state == State.WAITING).all() and {joined.string(r) for r in sp.reason} == {GAP_REASON}
    assert joined.duration == c.base_time - a.base_time + c.duration
    assert not [t for t in concat([a, b], mark_gaps=False).tracks if t.kind == TrackKind.HOST]


def test_counters_join_lazily_in_order() -> None:
    a = build_model(read_trace(TRACES / "gcstw.trace"))
    b = after(a, build_model(read_trace(TRACES / "gcstw.trace")))
    joined = concat([a, b])
    running = joined.goroutine_counts[State.RUNNING]
    assert not running.computed
    n = len(a.goroutine_counts[State.RUNNING]) + len(b.goroutine_counts[State.RUNNING])
    assert len(running) == n and (np.diff(running.ts) >= 0).all()
    assert len(joined.heap_alloc) == len(a.heap_alloc) + len(b.heap_alloc) > 0
    heap = next(t for t in joined.tracks if t.kind == TrackKind.HEAP)
    assert heap.counter is joined.heap_alloc


def test_nothing_to_join() -> None:
    with pytest.raises(ValueError):
        concat([])
