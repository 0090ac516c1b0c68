"""`tracetui view A --compare B`: v switches the timeline between the runs (same window),
screens 2-5 show both; checked on a real pair (tests/analysis/diffprog without and with a
mutex held 100 µs: B waits on sync.(*Mutex).Lock far longer) against the analyses and
`go tool trace -pprof=sync`, and on committed traces."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from textual.pilot import Pilot

from tests.conftest import TRACES, go_env
from tests.tui.helpers import status, until_loaded
from tracetui.analysis.blocking import PROFILES, by_stack, samples
from tracetui.analysis.goroutines import goroutine_stats, groups
from tracetui.analysis.histograms import latency_histograms
from tracetui.analysis.mmu import series
from tracetui.analysis.rundiff import FrameDelta, frame_totals, group_times
from tracetui.cli import main
from tracetui.load import open_model
from tracetui.tui.app import TraceApp
from tracetui.tui.screens.compare import (
    CompareGoroutinesScreen,
    CompareHistogramsScreen,
    CompareMMUScreen,
    CompareProfilesScreen,
    CompareScreen,
)
from tracetui.tui.screens.mmu import curve
from tracetui.tui.widgets.flame import FlameGraph, diff_text, signed_duration

PROG = Path(__file__).resolve().parents[1] / "analysis" / "diffprog"
LOCK = "sync.(*Mutex).Lock"
GCSTW_A, GCSTW_B = str(TRACES / "go1.26.6" / "gcstw.trace"), str(TRACES / "go1.27.3" / "gcstw.trace")
SYNC_A, SYNC_B = str(TRACES / "go1.26.6" / "syncprims.trace"), str(TRACES / "go1.27.3" / "syncprims.trace")


@pytest.fixture(scope="module")
def pair(go: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """(fast, slow) traces of diffprog built by the test extra's Go."""
    out = tmp_path_factory.mktemp("compare-pair")
    exe = out / "diffprog"
    subprocess.run([go, "build", "-o", str(exe), "."], cwd=PROG, env=go_env(go), check=True)
    made = []
    for kind in ("fast", "slow"):
        path = out / f"{kind}.trace"
        subprocess.run([str(exe), "-o", str(path), *(["-slow"] if kind == "slow" else [])], check=True, timeout=60)
        made.append(str(path))
    return made[0], made[1]


Body = Callable[[TraceApp, Pilot[Any]], Awaitable[None]]


def run_compare(body: Body, a: str, b: str, size: tuple[int, int] = (120, 40)) -> TraceApp:
    """Run `body(app, pilot)` once both runs are loaded."""

    async def go() -> None:
        app = TraceApp(a, compare=b)
        async with app.run_test(size=size) as pilot:
            await until_both(app, pilot)
            await body(app, pilot)
        holder.append(app)

    holder: list[TraceApp] = []
    asyncio.run(go())
    return holder[0]


async def until_both(app: TraceApp, pilot: Pilot[Any]) -> None:
    await until_loaded(app, pilot)
    for _ in range(1000):
        if app.compare is not None and app.compare.ready:
            await pilot.pause()
            return
        await pilot.pause(0.02)
    raise AssertionError("run B never loaded")


async def screen_of(app: TraceApp, pilot: Pilot[Any], key: str) -> Any:
    """Press `key` and return the compare screen once its figures are in."""
    await pilot.press(key)
    for _ in range(1000):
        await pilot.pause(0.02)
        s = app.screen
        if isinstance(s, CompareScreen) and s.a is not None and s.b is not None:
            await pilot.pause()
            return s
        if isinstance(s, CompareMMUScreen) and s.plot.values_b.size:
            return s
    raise AssertionError(f"screen {key} never appeared")


def test_v_switches_the_timeline_keeping_the_window() -> None:
    async def body(app: TraceApp, pilot: Pilot[Any]) -> None:
        assert app.compare is not None
        tl_a = app.timeline
        assert tl_a is not None and status(app).startswith("run A go1.26.6/gcstw.trace (v: run B)")
        await pilot.press("w", "w", "d")  # zoomed in to a quarter, panned
        t0, span = tl_a.t0, tl_a.span
        await pilot.press("v")
        tl_b = app.timeline
        assert tl_b is not tl_a and tl_b is not None and tl_b.trace is app.compare.b.trace
        assert tl_b.display and not tl_a.display and tl_b.has_focus
        assert status(app).startswith("run B go1.27.3/gcstw.trace (v: run A)")
        assert (tl_b.t0, tl_b.span) == (min(t0, tl_b.total - span), span)  # both start at 0
        await pilot.press("0", "v")  # the whole of B: the whole of A
        assert app.timeline is tl_a and (tl_a.t0, tl_a.span) == (0, tl_a.total)
        assert status(app).startswith("run A ")

    run_compare(body, GCSTW_A, GCSTW_B)


def test_v_without_compare_says_how() -> None:
    async def body(app: TraceApp, pilot: Pilot[Any]) -> None:
        await until_loaded(app, pilot)
        tl = app.timeline
        await pilot.press("v")
        assert app.timeline is tl and "--compare B" in status(app)
        assert not status(app).startswith("run A")

    async def go() -> None:
        app = TraceApp(GCSTW_A)
        async with app.run_test(size=(120, 40)) as pilot:
            await body(app, pilot)

    asyncio.run(go())


def test_groups_of_both_runs_largest_change_first(pair: tuple[str, str]) -> None:
    fast, slow = (open_model(p).trace for p in pair)

    async def body(app: TraceApp, pilot: Pilot[Any]) -> None:
        screen = await screen_of(app, pilot, "2")
        assert isinstance(screen, CompareGoroutinesScreen)
        sa, sb = goroutine_stats(fast), goroutine_stats(slow)
        ga, gb = {g.name: g for g in groups(sa)}, {g.name: g for g in groups(sb)}
        top = screen.deltas[0]
        # The workers wait on the mutex far longer: their blocked time is the largest change.
        assert top.name in ga and top.name in gb and top.count == (ga[top.name].count, gb[top.name].count) == (4, 4)
        want_a, want_b = group_times(sa, ga[top.name].rows), group_times(sb, gb[top.name].rows)
        blocked = (sum(int(v[ga[top.name].rows].sum()) for v in sa.block.values()),
                   sum(int(v[gb[top.name].rows].sum()) for v in sb.block.values()))  # fmt: skip
        assert top.times["blocked"] == blocked == (want_a["blocked"], want_b["blocked"])
        assert top.change == blocked[1] - blocked[0] > 10**7  # > 10 ms more (400 waits of ~100 µs)
        assert all(abs(d.change) <= abs(top.change) for d in screen.deltas)
        table = screen.query_one("DataTable")
        assert table.row_count == len(set(ga) | set(gb))
        cells = [str(c) for c in table.get_row_at(0)]
        assert cells[0] == top.name and cells[1] == "4→4" and cells[2] == f"blocked {signed_duration(top.change)}"
        line = str(screen.query_one("#row").render())
        assert f"blocked {signed_duration(top.change)}" not in line  # (the line says A → B, then the change)
        assert signed_duration(top.change) in line and top.name in line
        # Enter: the group's longest goroutine of B on B's timeline.
        await pilot.press("enter")
        await pilot.pause()
        assert app.compare is not None and app.compare.shown == "B" and app.timeline is not None
        assert not isinstance(app.screen, CompareScreen) and status(app).startswith("run B slow.trace")
        b = app.timeline.trace
        rows = gb[top.name].rows
        gid = int(sb.id[rows[np.argmax(sb.total[rows])]])
        assert app.timeline.current_row.track == int(b.goroutines.track[b.goroutines.index(gid)])

    run_compare(body, *pair)


def _go_lock_totals(go: str, path: str, tmp: Path) -> tuple[int, int]:
    """(total, through sync.(*Mutex).Lock) of go tool trace -pprof=sync."""
    from tests.analysis.test_blocking import _go_profile, _raw

    _, total, stacks = _raw(go, _go_profile(go, Path(path), "sync"), tmp)
    return total, sum(d for st, d in stacks.items() if any(fn == LOCK for fn, _ in st))


def test_differential_flame_graph_against_go_tool_trace(pair: tuple[str, str], go: str, tmp_path: Path) -> None:
    go_a, go_b = (_go_lock_totals(go, p, tmp_path) for p in pair)
    assert go_b[1] > 2 * go_a[1]  # the injected slowdown

    async def body(app: TraceApp, pilot: Pilot[Any]) -> None:
        screen = await screen_of(app, pilot, "3")
        assert isinstance(screen, CompareProfilesScreen) and screen.kind == "sync" and screen.mode == "diff"
        flame = screen.query_one(FlameGraph)
        root = flame.root
        assert root is not None and root.diff is not None
        assert (root.diff.a, root.diff.b) == (go_a[0], go_b[0])  # the profiles' totals, as Go's
        # The mutex frame: its A, B and B - A are Go's.
        assert frame_totals(root.diff, LOCK) == (go_a[1], go_b[1])
        lock = next(n for n in _nodes(root) if n.func == LOCK)
        assert lock.diff is not None and lock.diff.delta == lock.diff.b - lock.diff.a > 0
        assert lock.delay == max(lock.diff.a, lock.diff.b)  # as wide as the larger side
        flame.selected = lock
        await pilot.pause()
        shot = app.export_screenshot()
        assert diff_text(lock.diff).replace(" ", "&#160;") in shot and "+" + LOCK[:8] in shot.replace("&#160;", " ")
        # v: A alone, B alone, the difference again.
        await pilot.press("v")
        assert screen.mode == "A" and flame.root is not None and flame.root.delay == go_a[0] and flame.root.diff is None
        await pilot.press("v")
        assert screen.mode == "B" and flame.root is not None and flame.root.delay == go_b[0]
        await pilot.press("v")
        assert screen.mode == "diff" and flame.root is not None and flame.root.diff is not None
        # Enter on the mutex frame: B's longest wait through it, on B's timeline.
        lock = next(n for n in _nodes(flame.root) if n.func == LOCK)
        flame.selected = lock
        await pilot.press("enter")
        await pilot.pause()
        assert app.compare is not None and app.compare.shown == "B" and app.timeline is not None
        assert app.timeline.trace is app.compare.b.trace and status(app).startswith("run B ")
        s = samples(app.timeline.trace, PROFILES["sync"])
        longest = int(s.delay[s.stack == lock.stack].max())
        assert app.timeline.span >= longest

    run_compare(body, *pair)


def _nodes(root: Any) -> list[Any]:
    out, todo = [], [root]
    while todo:
        n = todo.pop()
        out.append(n)
        todo.extend(n.children)
    return out


def test_profile_diff_matches_per_stack_sums(pair: tuple[str, str]) -> None:
    """The tree's A and B of a frame are the delays of the stacks through it (by function)."""
    from tracetui.analysis.rundiff import profile_diff

    ta, tb = (open_model(p).trace for p in pair)
    sa, sb = samples(ta, PROFILES["sync"]), samples(tb, PROFILES["sync"])
    root: FrameDelta = profile_diff(ta, sa, tb, sb, "sync")

    def through(trace: Any, s: Any) -> int:
        return sum(st.delay for st in by_stack(s) if any(fn == LOCK for fn, _, _ in trace.frames(st.stack)))

    assert frame_totals(root, LOCK) == (through(ta, sa), through(tb, sb))
    assert (root.a, root.b, root.a_count, root.b_count) == (sa.total, sb.total, len(sa), len(sb))
    for n in root.walk():  # a frame holds at least its children
        assert n.a >= sum(c.a for c in n.children) and n.b >= sum(c.b for c in n.children)


def test_histograms_of_both_runs() -> None:
    ha, hb = (latency_histograms(open_model(p).trace)["sched_latency"] for p in (SYNC_A, SYNC_B))

    async def body(app: TraceApp, pilot: Pilot[Any]) -> None:
        from tracetui.tui.timefmt import format_duration

        screen = await screen_of(app, pilot, "4")
        assert isinstance(screen, CompareHistogramsScreen) and screen.hist_name == "sched_latency"
        text = str(screen.query_one("#bars").render())
        p99 = next(line for line in text.splitlines() if line.startswith("p99 "))
        assert p99.split()[1:5] == [*format_duration(ha.p99_ns).split(), *format_duration(hb.p99_ns).split()]
        assert signed_duration(hb.p99_ns - ha.p99_ns) in p99
        events = next(line for line in text.splitlines() if line.startswith("events"))
        assert events.split()[1:3] == [f"{ha.count:,}", f"{hb.count:,}"]
        for lo, _, c in ha.buckets:  # each bucket's A count on its line
            assert any(line.strip().startswith(f"{format_duration(lo)}–") and f" A {c:>1}" in line.replace("  ", " ")
                       for line in text.splitlines())  # fmt: skip

    run_compare(body, SYNC_A, SYNC_B)


def test_mmu_curves_of_both_runs() -> None:
    async def body(app: TraceApp, pilot: Pilot[Any]) -> None:
        assert app.compare is not None and app.compare.a.trace is not None and app.compare.b.trace is not None
        screen = await screen_of(app, pilot, "5")
        plot = screen.plot
        assert np.array_equal(plot.values, curve(series(app.compare.a.trace), plot.windows))
        assert np.array_equal(plot.values_b, curve(series(app.compare.b.trace), plot.windows))
        assert plot.windows[-1] >= max(app.compare.a.trace.duration, app.compare.b.trace.duration) - 1
        line = str(screen.query_one("#status").render())
        a, b = plot.values[plot.cursor], plot.values_b[plot.cursor]
        assert f"A {a:.1%}" in line and f"B {b:.1%}" in line and f"({(b - a) * 100:+.1f} pt)" in line
        await pilot.press("right")
        assert f"A {plot.values[plot.cursor]:.1%}" in str(screen.query_one("#status").render())

    run_compare(body, GCSTW_A, GCSTW_B)


def test_a_bad_b_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "b.trace"
    bad.write_bytes(b"go 1.99 trace\x00\x00\x00" + bytes(range(256)) * 8)  # not a version we read

    async def go() -> TraceApp:
        app = TraceApp(GCSTW_A, compare=str(bad))
        async with app.run_test(size=(80, 24)) as pilot:
            for _ in range(500):
                await pilot.pause(0.02)
                if app.return_code is not None:
                    break
        return app

    app = asyncio.run(go())
    assert app.return_code == 2  # (the message: as for A's errors)
    assert "b.trace" in " ".join(capsys.readouterr().err.split())
    # The CLI checks B before the screen opens: one line, exit 2.
    assert main(["view", GCSTW_A, "--compare", str(tmp_path / "missing.trace")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "missing.trace" in err[0]
    (tmp_path / "text.trace").write_text("hello\n")
    assert main(["view", GCSTW_A, "--compare", str(tmp_path / "text.trace")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "text.trace" in err[0]


@pytest.mark.slow
def test_a_pair_of_recordings(go: str, tmp_path: Path) -> None:
    """The front door: two `tracetui record` runs (.pftrace) of diffprog, compared."""
    import sys

    from tests.record.conftest import record_env

    out = []
    for kind in ("before", "after"):
        path = tmp_path / f"{kind}.pftrace"
        argv = [sys.executable, "-m", "tracetui", "record", "--no-view", "-o", str(path), "--", "go", "run", ".",
                "-o", "", *(["-slow"] if kind == "after" else [])]  # fmt: skip
        done = subprocess.run(argv, cwd=PROG, env=record_env(go), capture_output=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr.decode(errors="replace")
        out.append(str(path))
    totals = [samples(open_model(p).trace, PROFILES["sync"]).total for p in out]

    async def body(app: TraceApp, pilot: Pilot[Any]) -> None:
        assert status(app).startswith("run A before.pftrace")
        await pilot.press("v")
        assert status(app).startswith("run B after.pftrace") and app.timeline is not None
        assert any(r.host for r in app.timeline.rows.rows)  # a recording's host section
        screen = await screen_of(app, pilot, "3")
        root = screen.query_one(FlameGraph).root
        assert root is not None and root.diff is not None and (root.diff.a, root.diff.b) == tuple(totals)
        assert totals[1] > totals[0]

    run_compare(body, *out)


def test_while_b_loads_v_and_2_to_5_say_so() -> None:
    import threading

    from tracetui.load import LoadStep

    go_on = threading.Event()
    b = open_model(GCSTW_B).trace

    def slow_b(path: str, cancelled: Callable[[], bool]) -> Any:
        while not go_on.wait(0.02):
            if cancelled():
                return
        yield LoadStep(1.0, b.events, b, done=True)

    async def go() -> None:
        app = TraceApp(GCSTW_A, compare=GCSTW_B, compare_loader=slow_b)
        async with app.run_test(size=(120, 40)) as pilot:
            await until_loaded(app, pilot)
            tl = app.timeline
            assert status(app).startswith("run A go1.26.6/gcstw.trace (run B loading")
            await pilot.press("v")
            assert app.timeline is tl and "run B is still loading" in status(app)
            await pilot.press("2")
            assert app.screen is app.screen_stack[0] and "screens 2-5 compare once it is loaded" in status(app)
            go_on.set()
            await until_both(app, pilot)
            assert app.compare is not None and app.compare.b.trace is b
            await pilot.press("v")
            assert app.timeline is not tl and app.timeline is not None and app.timeline.trace is b

    asyncio.run(go())
