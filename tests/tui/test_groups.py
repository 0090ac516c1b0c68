"""The overview of goroutine groups: their order, which start folded, and what a group's
header row draws (tracetui.tui.groups, through RowSet and the timeline)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from tests.tui.helpers import CHANNELS, GCSTW, row_index, row_text, run_app, status, with_host
from tracetui.gotrace.events import StringTable
from tracetui.load import open_model
from tracetui.model.trace import Spans, State, Trace, Track, TrackKind
from tracetui.tui.cells import encode, runs_of
from tracetui.tui.details import describe
from tracetui.tui.groups import FOLD_ABOVE, FOLD_SECTION_ABOVE, activity_cells, is_runtime
from tracetui.tui.palette import LOWER_EIGHTHS, Palette
from tracetui.tui.rows import UNKNOWN_GROUP, RowKind, RowSet
from tracetui.tui.timefmt import format_duration

MANY = str(Path(GCSTW).parent / "manygoroutines.trace")
R, Q, W = State.RUNNING, State.RUNNABLE, State.WAITING


def _spans(parts: list[tuple[int, int, int]]) -> Spans:
    n = len(parts)
    a = np.array(parts, np.int64).reshape(n, 3)
    z = np.zeros(n, np.int32)
    return Spans(a[:, 0].copy(), a[:, 1].copy(), a[:, 2].astype(np.uint8), z, z.copy(), np.full(n, -1, np.int64))


def _trace(groups: dict[str, list[list[tuple[int, int, int]]]], duration: int = 1000) -> Trace:
    """A Go model with only goroutine tracks: per group, the spans of each goroutine (ids
    in the order given)."""
    tracks, gid = [], 1
    for name, gs in groups.items():
        for parts in gs:
            tracks.append(Track(TrackKind.GOROUTINE, gid, f"G{gid} {name}", name, spans=_spans(parts)))
            gid += 1
    tr = Trace.bare(base_time=0, duration=duration, strings=StringTable(), tracks=tracks, source="gotrace", events=1)
    tr.version = 27
    return tr


def _names(rows: RowSet) -> list[str]:
    return [g for g, _ in rows.groups]


def test_groups_by_running_time_user_code_first_then_id_then_name() -> None:
    tr = _trace({
        "main.b": [[(0, 10, R), (10, 100, W)]],  # lowest id, least running
        "runtime.bgsweep": [[(0, 900, R)]],  # runs most, but the runtime's
        "main.a": [[(0, 50, R)], [(100, 130, R)]],  # two goroutines: 80 running
        "": [[(0, 800, R)]],  # unknown start function
        "net/http.(*conn).serve": [[(0, 60, R)]],
    })  # fmt: skip
    rows = RowSet(tr)
    assert rows.order == "running"
    assert _names(rows) == ["main.a", "net/http.(*conn).serve", "main.b", "runtime.bgsweep", UNKNOWN_GROUP]
    assert rows.running_time("main.a") == 80 and rows.running_time(UNKNOWN_GROUP) == 800
    assert rows.cycle_order() == "id"
    assert _names(rows) == ["main.b", "runtime.bgsweep", "main.a", UNKNOWN_GROUP, "net/http.(*conn).serve"]
    assert rows.cycle_order() == "name"
    assert _names(rows) == ["main.a", "main.b", "net/http.(*conn).serve", UNKNOWN_GROUP, "runtime.bgsweep"]
    assert rows.cycle_order() == "running"
    # The rows follow the groups; inside a group, goroutines by id.
    heads = [r.group for r in rows.rows if r.kind == RowKind.GROUP]
    assert heads == _names(rows)
    assert [r.gid for r in rows.rows if r.group == "main.a" and r.gid >= 0] == [3, 4]
    assert is_runtime("runtime/trace.Start.func1") and not is_runtime("runtimex.f")


def test_big_groups_start_folded_small_ones_and_host_sections_not() -> None:
    big = [[(0, 10, R)] for _ in range(FOLD_ABOVE + 1)]
    tr = with_host(_trace({"main.big": big, "main.small": [[(0, 5, R)]] * FOLD_ABOVE}))
    rows = RowSet(tr)
    host = next(g for g, _ in rows.host_groups)
    assert rows.collapsed == {"main.big"} and host not in rows.collapsed
    assert not any(r.group == "main.big" and r.gid >= 0 for r in rows.rows)
    assert sum(r.group == "main.small" and r.gid >= 0 for r in rows.rows) == FOLD_ABOVE
    # Going to one of its goroutines unfolds it.
    idx = rows.reveal(3)
    assert idx >= 0 and rows.rows[idx].gid == 3 and "main.big" not in rows.collapsed
    # A newer model of the same file keeps the user's folding; its new big groups fold.
    tr2 = with_host(_trace({"main.big": big, "main.small": [[(0, 5, R)]] * FOLD_ABOVE, "main.new": big}))
    rows2 = RowSet(tr2)
    rows2.cycle_order()
    rows2.carry(rows)
    assert rows2.collapsed == {"main.new"} and rows2.order == "running"


def test_another_tools_track_groups_fold_only_when_huge() -> None:
    sp = _spans([(0, 10, State.REGION)])
    tracks = [Track(TrackKind.REGION, i, f"t{i}", "huge", spans=sp) for i in range(FOLD_SECTION_ABOVE + 1)]
    tracks += [Track(TrackKind.REGION, 10**6 + i, f"s{i}", "small", spans=sp) for i in range(FOLD_ABOVE + 1)]
    tr = Trace.bare(base_time=0, duration=100, strings=StringTable(), tracks=tracks, source="perfetto", events=1)
    rows = RowSet(tr)
    assert rows.generic and rows.collapsed == {"huge"} and _names(rows) == ["huge", "small"]
    assert rows.cycle_order() == "id" and _names(rows) == ["huge", "small"]  # their own order, always
    assert rows.activity("small") is None


def test_many_goroutines_group_folded_at_start() -> None:
    rows = RowSet(open_model(MANY).trace)
    big = [g for g, m in rows.groups if len(m) > FOLD_ABOVE]
    assert big == ["main.work.func2"] and rows.collapsed == set(big)
    assert _names(rows)[0] == "main.main"  # the user's code first, by running time
    assert all(is_runtime(g) for g in _names(rows)[3:]) and not any(is_runtime(g) for g in _names(rows)[:3])
    # The runtime rows above the groups (GC, STW, charts, Ps, Ms) stay as they are, in any order.
    top = [r.key for r in rows.rows[: next(i for i, r in enumerate(rows.rows) if r.kind == RowKind.GROUP)]]
    assert top == [r.key for r in rows._go_rows()] and top[0] == ("gc", "GC")
    for _ in range(3):
        rows.cycle_order()
        assert [r.key for r in rows.rows[: len(top)]] == top and rows.rows[len(top)].kind == RowKind.GROUP


def test_group_activity_is_the_sum_over_its_goroutines() -> None:
    tr = open_model(CHANNELS).trace
    rows = RowSet(tr)
    edges = np.linspace(0, tr.duration, 97).astype(np.int64)
    a, b = edges[:-1], edges[1:]
    width = (b - a).astype(np.float64)
    checked = 0
    for name, members in rows.groups:
        act = rows.activity(name)
        assert act is not None
        for counter, states in ((act.running, (R,)), (act.runnable, (Q,)), (act.blocked, (W, State.SYSCALL))):
            naive = np.zeros(len(a), np.int64)
            for i in members:
                sp = tr.tracks[i].spans
                assert sp is not None
                for st in states:
                    naive += sp.time_in_state_many(st, a, b)
            np.testing.assert_allclose(counter.mean_between(a, b) * width, naive, rtol=1e-9, atol=1e-3)
            checked += int(naive.any())
    assert checked >= 3
    head = next(r for r in rows.rows if r.kind == RowKind.GROUP and r.group == "main.main")
    t = tr.duration // 2
    lines = describe(rows, head, t)
    run, ready, blocked = (sum(int(tr.tracks[i].spans.state[tr.tracks[i].spans.index_at(t)] in sts)  # type: ignore[union-attr]
                               for i in dict(rows.groups)["main.main"] if tr.tracks[i].spans.index_at(t) >= 0)  # type: ignore[union-attr]
                           for sts in ((R,), (Q,), (W, State.SYSCALL)))  # fmt: skip
    assert f"{run} running, {ready} runnable, {blocked} blocked" in lines[1]
    assert lines[2] == f"running time in all: {format_duration(rows.running_time('main.main'))}"


def test_header_cells_bar_for_running_shades_for_waiting_without_colour() -> None:
    # Two goroutines over 4 columns of 100 ns: both run in column 0 (2 of 2 Ps: a full bar),
    # one runs a quarter of column 1 with the other runnable; column 2 runnable only; column
    # 3 blocked only.
    tr = _trace({"main.w": [[(0, 125, R), (125, 200, Q), (200, 300, Q), (300, 400, W)],
                            [(0, 100, R), (100, 400, W)]]}, duration=400)  # fmt: skip
    rows = RowSet(tr)
    act = rows.activity("main.w")
    assert act is not None and act.at(250) == (0, 1, 1)
    code = activity_cells(act, np.array([0, 100, 200, 300, 400], np.int64), procs=2)
    plain = "".join(s.text for s in encode(runs_of(code), Palette("none")))
    assert plain == LOWER_EIGHTHS[8] + LOWER_EIGHTHS[1] + "▒░"
    coloured = encode(runs_of(code), Palette("256"))
    assert "".join(s.text for s in coloured) == plain and coloured[1].style is not None
    assert coloured[1].style.bgcolor is not None  # running over the runnable colour


def test_ten_thousand_goroutines_in_one_group_stay_fast() -> None:
    n, k = 10_000, 40  # 400,000 spans in one group: each goroutine runs, blocks, runs, ...
    rng = np.random.default_rng(1)
    cuts = np.sort(rng.integers(1, 10**6, (n, k - 1)), axis=1)
    bounds = np.concatenate([np.zeros((n, 1), np.int64), cuts, np.full((n, 1), 10**6)], axis=1)
    states = np.tile(np.array([R, W], np.uint8), k // 2)
    z = np.zeros(k, np.int32)
    tracks = [
        Track(TrackKind.GOROUTINE, g + 1, f"G{g + 1} main.handle", "main.handle",
              spans=Spans(bounds[g, :-1].copy(), bounds[g, 1:].copy(), states, z, z, np.full(k, -1, np.int64)))
        for g in range(n)
    ]  # fmt: skip
    tr = Trace.bare(base_time=0, duration=10**6, strings=StringTable(), tracks=tracks, source="gotrace", events=1)
    tr.version = 27
    t0 = time.perf_counter()
    rows = RowSet(tr)
    rows.prepare()
    edges = np.linspace(0, tr.duration, 201).astype(np.int64)
    act = rows.activity("main.handle")
    assert act is not None
    activity_cells(act, edges, 8)
    built = time.perf_counter() - t0
    t0 = time.perf_counter()
    for z in range(1, 21):  # 20 other views: binary searches only
        activity_cells(act, edges // z, 8)
    per_view = (time.perf_counter() - t0) / 20
    assert "main.handle" in rows.collapsed and len(rows.rows) < 10
    assert built < 2.0 and per_view < 0.005, (built, per_view)


def test_o_cycles_the_order_and_space_unfolds_a_big_group() -> None:
    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        g = row_index(tl, "▸ main.work.func2")
        assert tl.rows.rows[g].count == 3000
        text = row_text(tl, g)
        assert any(c in text for c in LOWER_EIGHTHS[1:]) and "▒" in text  # its activity, folded
        n = len(tl.rows.rows)
        tl.set_row(g)
        await pilot.press("space")
        assert len(tl.rows.rows) == n + 3000 and tl.rows.rows[g].label.startswith("▾ main.work.func2")
        tl.set_cursor_time(tl.total // 2)
        await pilot.pause()
        run, ready, blocked = tl.rows.activity("main.work.func2").at(tl.cursor_t)
        assert run + ready + blocked > 0
        assert f"{run} running, {ready} runnable, {blocked} blocked" in status(app)
        await pilot.press("space", "o")
        assert "by first goroutine id" in status(app)
        heads = [r.group for r in tl.rows.rows if r.kind == RowKind.GROUP and not r.host]
        first = [min(tl.trace.tracks[i].id for i in m) for _, m in tl.rows.groups]
        assert first == sorted(first) and heads == [g for g, _ in tl.rows.groups]
        assert tl.current_row.key == ("group", "main.work.func2")  # the cursor kept its row
        await pilot.press("o")
        assert "by name" in status(app)
        await pilot.press("o")
        assert "by running time" in status(app) and tl.rows.groups[0][0] == "main.main"
        # Going to a goroutine of the folded group unfolds it.
        gid = tl.trace.tracks[dict(tl.rows.groups)["main.work.func2"][-1]].id
        await pilot.press("ctrl+g", *f"G{gid}", "enter")
        assert tl.current_row.gid == gid

    run_app(body, path=MANY)


def test_unblocker_in_a_folded_group_unfolds_it() -> None:
    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        # The collector (main.work.func1) is woken by the workers (main.work.func2, folded).
        workers = set(dict(tl.rows.groups)["main.work.func2"])
        collector = dict(tl.rows.groups)["main.work.func1"][0]
        flat = tl.trace.tracks[collector].spans.flat
        t = next(
            int(s)
            for s, st in zip(flat.start.tolist(), flat.state.tolist())
            if st == R and (h := tl.flows.cause(collector, int(s))) is not None and h.from_track in workers
        )
        assert "main.work.func2" in tl.rows.collapsed
        tl.go_to_track(TrackKind.GOROUTINE, tl.trace.tracks[collector].id, t)
        await pilot.press("right_square_bracket")
        assert tl.current_row.track in workers and "main.work.func2" not in tl.rows.collapsed

    run_app(body, path=MANY)


def test_next_and_previous_change_on_a_folded_group() -> None:
    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        tl.set_row(row_index(tl, "▸ main.work.func2"))
        act = tl.rows.activity("main.work.func2")
        changes = np.unique(np.concatenate([act.running.ts, act.runnable.ts, act.blocked.ts]))
        t = int(changes[len(changes) // 2])
        tl.set_cursor_time(t)
        await pilot.press("full_stop")
        assert tl.cursor_t == int(changes[len(changes) // 2 + 1])
        await pilot.press("comma", "comma")
        assert tl.cursor_t == int(changes[len(changes) // 2 - 1])

    run_app(body, path=MANY)
