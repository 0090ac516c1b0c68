"""CPU profile samples in the viewer: the density rows (all, per P, per goroutine), their
details, `,`/`.` between samples, and screen 3's cpu profile; none of it without samples."""

from __future__ import annotations

from collections import Counter

import numpy as np

from tests.conftest import TRACES
from tests.tui.helpers import CHANNELS, row_text, run_app
from tests.tui.test_screens import _ready
from tracetui.analysis.blocking import by_stack
from tracetui.analysis.cpu import column_counts, cpu_samples
from tracetui.tui.palette import LOWER_EIGHTHS, Look, Palette
from tracetui.tui.rows import RowKind
from tracetui.tui.screens.analysis import ProfilesScreen
from tracetui.tui.widgets.panels import Legend, legend_looks

CPU = str(TRACES / "go1.27.3" / "cpuprofile.trace")
BARS = set(LOWER_EIGHTHS[1:])


def test_density_rows_under_ps_and_goroutines() -> None:
    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        cs = tl.trace.cpu_samples
        rows = tl.rows.rows
        keys = [r.key for r in rows if r.kind == RowKind.SAMPLES]
        assert keys[0] == ("cpu", "all", -1)
        assert {k[2] for k in keys if k[1] == "p"} == set(cs.p[cs.p >= 0].tolist()) == {0, 1}
        assert {k[2] for k in keys if k[1] == "g"} == set(cs.g[cs.g >= 0].tolist())
        for k in keys:  # each under its P's or goroutine's row
            i = tl.rows.index_of(k)
            if k[1] == "p":
                assert rows[i - 1].label == f"P{k[2]}" and rows[i].label == "  cpu"
            elif k[1] == "g":
                above = rows[i - 2] if rows[i - 1].label.strip() == "regions" else rows[i - 1]
                assert above.gid == k[2] and rows[i].label == "   cpu"
        # The row of all samples: a bar exactly in the columns that hold samples.
        i = tl.rows.index_of(("cpu", "all", -1))
        body_text = row_text(tl, i)[tl.label_width :]
        counts = column_counts(np.sort(cs.ts), tl.edges())
        assert [c in BARS for c in body_text] == (counts > 0).tolist()
        assert counts.sum() == len(cs) == 19
        # Details: the samples in the cursor's column and their function.
        tl.set_row(i)
        first = int(np.sort(cs.ts)[0])
        tl.set_cursor_time(first)
        await pilot.press("enter")
        await pilot.pause()
        text = str(app.query_one("#details-text").render())
        a, b = tl.cursor_window()  # the cursor's column (the details may have narrowed the view)
        assert a <= first < b
        n = int(((cs.ts >= a) & (cs.ts < b)).sum())
        assert f"CPU samples (all): {n} from" in text and "19 in the whole trace" in text
        assert "main.fib" in text or "runtime" in text
        # . goes to the next sample on the row.
        await pilot.press("full_stop")
        assert tl.cursor_t == int(np.sort(cs.ts)[1])
        # 3 on a P's cpu row: the cpu profile of that P.
        tl.set_row(tl.rows.index_of(("cpu", "p", 1)))
        await pilot.press("3")
        screen = await _ready(app, pilot)
        assert isinstance(screen, ProfilesScreen) and screen.kind == "cpu"
        assert len(screen.profile()) == int((cs.p == 1).sum()) > 0
        title = str(screen.query_one("#title").render())
        assert f"CPU samples of P1: {int((cs.p == 1).sum())}," in title
        leaves: Counter[tuple[str, str, int]] = Counter()  # the tree's first level: innermost (func, file, line)
        for st in by_stack(cpu_samples(tl.trace, proc=1)):
            leaves[tl.trace.frames(st.stack)[0]] += st.count
        (fn, _, _), n = leaves.most_common(1)[0]
        assert f"{n}×  {fn}" in str(screen.query_one("Tree").root.children[0].label)
        await pilot.press("r")
        assert screen.kind == "sync"  # after cpu, round again

    run_app(body, path=CPU, size=(140, 60))


def test_screen_3_cycles_to_cpu_only_with_samples() -> None:
    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        has = len(tl.trace.cpu_samples) > 0
        assert any(r.kind == RowKind.SAMPLES for r in tl.rows.rows) == has
        # The legend names the CPU look (its glyph without colour) where the trace has samples.
        assert (Look.CPU in legend_looks(tl.rows)) == has
        legend = str(app.query_one(Legend).render())
        assert (f"{Palette('none').glyph(Look.CPU)}CPUsamples" in legend.replace(" ", "")) == has, legend
        await pilot.press("3")
        screen = await _ready(app, pilot)
        assert isinstance(screen, ProfilesScreen) and screen.kind == "sync"
        seen = {screen.kind}
        for _ in range(len(screen.kinds)):
            await pilot.press("r")
            seen.add(screen.kind)
        assert ("cpu" in seen) == has
        if has:
            while screen.kind != "cpu":
                await pilot.press("r")
            assert len(screen.profile()) == len(tl.trace.cpu_samples)
            assert "CPU samples: 19, about 190 ms" in str(screen.query_one("#title").render())

    run_app(body, path=CPU, size=(140, 40), color_system="none")
    run_app(body, path=CHANNELS, size=(140, 40), color_system="none")


def test_a_folded_group_has_its_goroutines_samples() -> None:
    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        cs = tl.trace.cpu_samples
        name = "main.work.func2"
        gids = tl.rows.group_gids(name)
        assert len(gids) == 3
        want = np.isin(cs.g, gids)
        assert ("cpu", "grp", name) not in [r.key for r in tl.rows.rows]  # unfolded: a row per goroutine
        tl.set_row(tl.rows.index_of(("group", name)))
        await pilot.press("space")
        i = tl.rows.index_of(("cpu", "grp", name))
        assert i == tl.rows.index_of(("group", name)) + 1
        row = tl.rows.rows[i]
        assert sorted(tl.rows.sample_rows(row).tolist()) == np.flatnonzero(want).tolist()
        assert np.all(np.diff(tl.rows.sample_times(row)) >= 0)
        assert any(c in BARS for c in row_text(tl, i)[tl.label_width :])
        tl.set_row(i)
        await pilot.press("3")
        screen = await _ready(app, pilot)
        assert isinstance(screen, ProfilesScreen) and screen.kind == "cpu"
        assert len(screen.profile()) == int(want.sum()) > 0
        assert f"CPU samples of group {name}: {int(want.sum())}," in str(screen.query_one("#title").render())

    run_app(body, path=CPU, size=(140, 60))
