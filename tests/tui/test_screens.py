"""Pilot tests of the analysis screens: 2 goroutines, 3 block profiles, 4 histograms, and
their jumps to the timeline."""

from __future__ import annotations

import numpy as np

from tests.tui.helpers import CHANNELS, run_app
from tracetui.analysis.blocking import PROFILES, by_stack, samples
from tracetui.analysis.goroutines import goroutine_stats, groups
from tracetui.analysis.histograms import latency_histograms, occurrences
from tracetui.model.trace import State
from tracetui.tui.screens.analysis import AnalysisScreen, GoroutinesScreen, HistogramsScreen, ProfilesScreen


async def _ready(app, pilot) -> AnalysisScreen:  # type: ignore[no-untyped-def]
    for _ in range(200):
        await pilot.pause(0.02)
        if isinstance(app.screen, AnalysisScreen) and app.screen.analysis is not None:
            await pilot.pause()
            return app.screen
    raise AssertionError("the analysis never finished")


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
