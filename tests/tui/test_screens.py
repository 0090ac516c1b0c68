"""Pilot tests of the analysis screens: 2 goroutines, 3 block profiles, 4 histograms, and
their jumps to the timeline."""

from __future__ import annotations

import itertools

import numpy as np

from tests.tui.helpers import CHANNELS, run_app
from tracetui.analysis.blocking import PROFILES, by_stack, samples
from tracetui.analysis.goroutines import goroutine_stats, groups
from tracetui.analysis.histograms import latency_histograms, occurrences
from tracetui.model.trace import State
from tracetui.tui.screens.analysis import AnalysisScreen, GoroutinesScreen, HistogramsScreen, ProfilesScreen


async def _until(app, pilot, ready, what: str):  # type: ignore[no-untyped-def]
    """The app's screen, once `ready(screen)` holds (a thread computes it)."""
    for _ in range(200):
        await pilot.pause(0.02)
        if ready(app.screen):
            await pilot.pause()
            return app.screen
    raise AssertionError(f"{what} never appeared")


async def _ready(app, pilot) -> AnalysisScreen:  # type: ignore[no-untyped-def]
    return await _until(app, pilot, lambda s: isinstance(s, AnalysisScreen) and s.analysis is not None, "the analysis")


def test_p99_scheduler_latency_to_the_goroutine_in_three_keys() -> None:
    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        await pilot.press("4")
        screen = await _ready(app, pilot)
        assert isinstance(screen, HistogramsScreen) and screen.hist_name == "sched_latency"
        await pilot.press("p", "enter")
        # Where Go's numbers say: the longest wait in the bucket that holds the p99.
        h = latency_histograms(tl.trace)["sched_latency"]
        lo, hi, _ = next(b for b in h.buckets if b[0] <= h.p99_ns < b[1])
        occ = occurrences(tl.trace)["sched_latency"]
        i = int(occ.in_bucket(lo, hi)[0])
        assert not isinstance(app.screen, AnalysisScreen)
        assert tl.current_row.track == int(occ.track[i])
        sp = tl.trace.tracks[tl.current_row.track].spans.flat
        k = sp.index_at(tl.cursor_t)
        assert int(sp.state[k]) == State.RUNNABLE and tl.cursor_t == int(occ.start[i])
        assert tl.t0 <= int(occ.start[i]) and int(occ.start[i] + occ.duration[i]) <= tl.t0 + tl.span

    run_app(body, path=CHANNELS, size=(140, 40))


def test_goroutine_groups_then_a_goroutine_on_the_timeline() -> None:
    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        await pilot.press("2")
        screen = await _ready(app, pilot)
        assert isinstance(screen, GoroutinesScreen)
        table = screen.query_one("DataTable")
        expected = groups(goroutine_stats(tl.trace))
        assert table.row_count == len(expected)
        first = str(table.get_row_at(0)[0])
        assert first == max(expected, key=lambda g: g.execution).name
        await pilot.press("enter")
        assert screen.group is not None and table.row_count == screen.group.count
        gid = int(str(table.get_row_at(0)[0]).removeprefix("G"))
        await pilot.press("enter")
        assert not isinstance(app.screen, AnalysisScreen) and tl.current_row.gid == gid
        await pilot.press("2")
        screen = await _ready(app, pilot)
        await pilot.press("enter", "escape")
        assert screen.group is None
        await pilot.press("s")
        assert screen.sort_by == 1
        await pilot.press("1")
        assert not isinstance(app.screen, AnalysisScreen)

    run_app(body, path=CHANNELS, size=(140, 40))


def test_profiles_tree_and_the_longest_wait() -> None:
    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        await pilot.press("3")
        screen = await _ready(app, pilot)
        assert isinstance(screen, ProfilesScreen) and screen.kind == "sync"
        s = samples(tl.trace, PROFILES["sync"])
        top = by_stack(s)[0]
        leaf = tl.trace.frames(top.stack)[0][0]
        tree = screen.query_one("Tree")
        assert leaf in str(tree.root.children[0].label)
        await pilot.press("enter")
        sel = np.flatnonzero(s.stack == top.stack)
        i = int(sel[np.argmax(s.delay[sel])])
        assert tl.current_row.gid == int(s.goroutine[i]) and tl.cursor_t == int(s.start[i])
        await pilot.press("3")
        screen = await _ready(app, pilot)
        await pilot.press("r")
        assert screen.kind == "net"
        await pilot.press("escape")
        assert not isinstance(app.screen, AnalysisScreen)

    run_app(body, path=CHANNELS, size=(140, 40))


def test_flame_graph_widths_follow_the_delay() -> None:
    from tracetui.load import open_model
    from tracetui.tui.widgets.flame import build_flame, layout

    trace = open_model(str(CHANNELS)).trace
    s = samples(trace, PROFILES["sync"])
    root = build_flame(trace, s, "sync")
    assert root.delay == s.total and root.count == len(s)
    for node in root.children:  # a frame's delay is what flows through it to its callees (or stops there)
        assert node.delay >= sum(c.delay for c in node.children)
    rows = layout(root, 200)
    assert rows[0] == [(0, 200, root)]
    for row in rows[1:]:
        assert all(a < b for a, b, _ in row) and all(b1 <= a2 for (_, b1, _), (a2, _, _) in itertools.pairwise(row))
    heavy = root.children[0]
    ((a, b, _),) = [r for r in rows[1] if r[2] is heavy]
    assert abs((b - a) - 200 * heavy.delay / root.delay) <= 1


def test_flame_graph_keys_and_the_longest_wait_through_a_frame() -> None:
    from tracetui.tui.widgets.flame import FlameGraph

    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        await pilot.press("3")
        screen = await _ready(app, pilot)
        await pilot.press("f")
        flame = screen.query_one(FlameGraph)
        assert flame.display and flame.has_focus and not screen.query_one("Tree").display
        root = flame.root
        assert flame.selected is root.children[0]
        # down: the heaviest callee; up: back; right: the next frame on the row.
        await pilot.press("down")
        assert flame.selected is root.children[0].children[0]
        await pilot.press("up", "right")
        assert flame.selected is root.children[1]
        await pilot.press("left")
        assert flame.selected is root.children[0]
        await pilot.press("right")
        # z zooms: the frame fills the width; z again zooms out.
        await pilot.press("z")
        assert flame.top is root.children[1] and flame._rows[0][0][:2] == (0, flame.size.width)
        await pilot.press("z")
        assert flame.top is root
        await pilot.press("z", "backspace")
        assert flame.top is root  # Enter: the longest wait of the heaviest stack through the frame, on the timeline.
        node = flame.selected
        s = samples(tl.trace, PROFILES["sync"])
        sel = np.flatnonzero(s.stack == node.stack)
        i = int(sel[np.argmax(s.delay[sel])])
        await pilot.press("enter")
        assert not isinstance(app.screen, AnalysisScreen)
        assert tl.current_row.gid == int(s.goroutine[i]) and tl.cursor_t == int(s.start[i])
        # f again: back to the tree.
        await pilot.press("3")
        screen = await _ready(app, pilot)
        await pilot.press("f", "f")
        assert screen.query_one("Tree").display and not screen.query_one(FlameGraph).display

    run_app(body, path=CHANNELS, size=(140, 40))


async def _mmu_ready(app, pilot):  # type: ignore[no-untyped-def]
    from tracetui.tui.screens.mmu import MMUPlot, MMUScreen

    return await _until(app, pilot, lambda s: isinstance(s, MMUScreen) and s.query_one(MMUPlot).values.size, "the MMU")


def test_mmu_screen_window_under_the_cursor_and_the_worst_window() -> None:
    from tracetui.analysis.mmu import mmu, series, worst_window
    from tracetui.model import TrackKind
    from tracetui.tui.screens.mmu import MMUScreen

    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        await pilot.press("5")
        screen = await _mmu_ready(app, pilot)
        plot = screen.plot
        # One window per plot column, 1 µs to the trace's length, each point Go's MMU.
        assert plot.windows[0] == 1000 and abs(int(plot.windows[-1]) - tl.trace.duration) <= 1
        assert plot.windows.size == plot.size.width - 7
        u = series(tl.trace)
        for c in (0, plot.windows.size // 2, plot.windows.size - 1):
            assert plot.values[c] == mmu(u, int(plot.windows[c]))
        # The cursor starts at 1 ms; → and L move it, the status names the window.
        start = plot.cursor
        assert plot.windows[start] >= 10**6 > plot.windows[start - 1]
        await pilot.press("right", "L", "left")
        assert plot.cursor == start + 10
        await pilot.press("H", "shift+right", "h", "l")
        assert plot.cursor == start + 10
        w = int(plot.windows[plot.cursor])
        status = str(screen.query_one("#status").render())
        assert f"MMU {mmu(u, w):.1%}" in status
        text = plot.render().plain
        assert "100% ┤" in text and "1 ms" in text and "10 ms" in text
        assert "Minimum mutator utilization" in str(screen.query_one("#title").render())
        # s: sweeping counts too (the curve can only go down), s again: back.
        await pilot.press("s")
        screen = await _mmu_ready(app, pilot)
        assert screen.sweep and np.all(screen.plot.values <= np.array([mmu(u, int(x)) for x in plot.windows]) + 1e-12)
        await pilot.press("s")
        await _mmu_ready(app, pilot)
        await pilot.pause(0.2)
        assert not screen.sweep
        # Enter: the worst window of that size on the timeline, on the GC row.
        w = int(screen.plot.windows[screen.plot.cursor])
        at, _ = worst_window(u, w)
        await pilot.press("enter")
        assert not isinstance(app.screen, MMUScreen)
        assert tl.trace.tracks[tl.current_row.track].kind == TrackKind.GC
        assert tl.t0 <= at and at + w <= tl.t0 + tl.span
        # Esc goes back from the screen; 1 also does.
        await pilot.press("5")
        await _mmu_ready(app, pilot)
        await pilot.press("escape")
        assert not isinstance(app.screen, MMUScreen)
        await pilot.press("5")
        await _mmu_ready(app, pilot)
        await pilot.press("1")
        assert not isinstance(app.screen, MMUScreen)

    run_app(body, size=(140, 40))


def test_mmu_screen_of_a_trace_without_gc_is_flat_at_100() -> None:
    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        await pilot.press("5")
        screen = await _mmu_ready(app, pilot)
        assert np.all(screen.plot.values == 1.0)

    run_app(body, path=CHANNELS, size=(100, 30))
