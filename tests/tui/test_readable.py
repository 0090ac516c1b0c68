"""Readable everywhere: chart scales that follow the zoom, one duration text for a span,
every legend entry and the histogram bars at 80x24, the Go version as the trace knows it."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console
from textual.widgets import Static

from tests.conftest import TRACES
from tests.tui.helpers import GCSTW, row_index, run_app, status
from tracetui.cli import main
from tracetui.load import open_model
from tracetui.model.trace import Counter, TrackKind
from tracetui.perfetto.writer import write_trace
from tracetui.record.options import RecordOptions
from tracetui.record.session import Session
from tracetui.tui.palette import Look, Palette, look_name
from tracetui.tui.screens.analysis import HistogramsScreen
from tracetui.tui.timefmt import duration_text, format_duration
from tracetui.tui.widgets.panels import Legend, legend_looks
from tracetui.units import format_bytes

ANNOTATIONS = str(TRACES / "go1.27.3" / "annotations.trace")


def _max_in(c: Counter, t0: int, t1: int) -> int:
    """The largest value a step counter takes in [t0, t1) (the one in force at t0 included)."""
    ts, v = np.asarray(c.ts), np.asarray(c.value)
    i = max(int(np.searchsorted(ts, t0, "right")) - 1, 0)
    j = int(np.searchsorted(ts, t1, "left"))
    return int(v[i : max(j, i + 1)].max())


def test_the_heap_scale_follows_the_zoom() -> None:
    """The heap chart's label is the largest heap (or goal) in view: zoomed where the heap
    is small it is small, back at the whole trace it is the whole trace's again."""

    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        tr = tl.trace
        heap = row_index(tl, "Heap")
        scale_row = heap + 1

        def label() -> str:
            tl.refresh()
            return tl._label(tl.rows.rows[scale_row], tl.label_width, False).text.strip()

        def expected(t0: int, t1: int) -> str:
            return f"≤{format_bytes(max(_max_in(tr.heap_alloc, t0, t1), _max_in(tr.heap_goal, t0, t1)))}"

        whole = expected(0, tr.duration)
        assert label() == whole
        # Where the heap is smallest: the first 1/50 of the trace.
        span = tr.duration // 50
        tl.set_view(0, span)
        await pilot.pause()
        small = expected(0, span)
        assert small != whole and label() == small
        await pilot.press("0")  # fit: drawn before, so its chart comes from the cache
        assert label() == whole
        tl.set_view(0, span)
        assert label() == small

    run_app(body, GCSTW)


def test_a_duration_is_as_precise_as_a_column() -> None:
    assert duration_text(12_345_678) == format_duration(12_345_678) == "12.3 ms"
    assert duration_text(12_345_678, 100_000) == "12.3 ms"  # a column of 0.1 ms: three digits do
    assert duration_text(12_345_678, 1_000) == "12.346 ms"
    assert duration_text(2_500_000_000, 10_000_000) == "2.50 s"
    rng = np.random.default_rng(7)
    for resolution in (1.0, 37.0, 1_000.0, 250_000.0, 3e7):
        a = rng.integers(1, 10**10, 500)
        b = a + np.ceil(resolution).astype(np.int64) * rng.integers(1, 4, 500)  # a column or more apart
        for x, y in zip(a.tolist(), b.tolist()):
            assert duration_text(x, resolution) != duration_text(y, resolution), (x, y, resolution)


def _details_duration(app) -> str:  # type: ignore[no-untyped-def]
    text = str(app.query_one("#details-text", Static).render())
    m = re.search(r"duration (\S+ \S+)", text)
    assert m, text
    return m.group(1)


def test_status_and_details_print_one_duration() -> None:
    """The status line and the details pane print the same duration for the span under the
    cursor, at the whole trace and zoomed in (where it has more digits); also inside a mark
    assist, which cuts the drawn goroutine span but not the state span both describe."""

    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        tr = tl.trace
        a = tr.assists
        k = int(np.argmax(a.end - a.start))
        gid, t = int(a.arg[k]), int((a.start[k] + a.end[k]) // 2)
        assert tl.go_to_track(TrackKind.GOROUTINE, gid, t)
        await pilot.press("enter")
        await pilot.pause()
        flat = tr.goroutine_track(gid).spans.flat
        i = flat.index_at(tl.cursor_t)
        texts = []
        for zoom in ("", "wwwwwwww"):
            await pilot.press(*zoom)
            await pilot.pause()
            dur = _details_duration(app)
            assert dur == duration_text(int(flat.end[i] - flat.start[i]), tl.span / tl.cells)
            assert f" {dur}" in status(app), (dur, status(app))
            texts.append(dur)
        assert len(texts[1]) > len(texts[0])  # more digits where a column is finer

    run_app(body, GCSTW)


def screen_lines(app) -> list[str]:  # type: ignore[no-untyped-def]
    """The screen as lines of plain text (what export_screenshot draws, without the SVG)."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True, legacy_windows=False)
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text().splitlines()


@pytest.mark.parametrize("system", ["256", "16", "none"])
@pytest.mark.parametrize("path", [GCSTW, ANNOTATIONS], ids=["gcstw", "annotations"])
def test_the_whole_legend_shows_at_80x24(system: str, path: str) -> None:
    """Every look the trace can show is in the legend (its glyph without colour), above the
    footer, at 80 columns, in two lines (three with tasks, regions and logs); with the marks
    of partial and busy cells in colour; and no look the trace cannot show."""

    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        lines = screen_lines(app)
        assert len(lines) == 24
        legend = app.query_one(Legend)
        looks = legend_looks(tl.rows)
        assert {Look.RUNNING, Look.IDLE, Look.STW, Look.HEAP, Look.GOAL} <= set(looks)
        extra = {Look.TASK, Look.REGION, Look.LOG}
        assert (extra <= set(looks)) == (path == ANNOTATIONS) and (extra & set(looks) == set()) == (path == GCSTW)
        shown = lines[legend.region.y : legend.region.bottom]
        assert legend.region.bottom <= 23 and 2 <= len(shown) <= (2 if path == GCSTW else 3)  # the footer below
        text = "\n".join(shown)
        pal = Palette(system)
        for look in looks:
            name = look_name(look)
            assert f"{pal.glyph(look)} {name}" in text if system == "none" else name in text, (look.name, text)
        assert ("one change" in text and "several" in text) == (system != "none")

    run_app(body, path, size=(80, 24), color_system=system)


def test_histogram_bars_fit_80x24() -> None:
    """Screen 4 at 80x24: each bucket on one screen line (range, count and bar), all of them."""

    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        await pilot.press("4")
        for _ in range(200):
            await pilot.pause(0.02)
            if isinstance(app.screen, HistogramsScreen) and app.screen.analysis is not None:
                break
        await pilot.pause(0.1)
        screen = app.screen
        assert isinstance(screen, HistogramsScreen)
        h = screen.hist()
        assert h is not None and len(h.buckets) > 10
        lines = screen_lines(app)
        for lo, hi, c in h.buckets:
            where = [s for s in lines if f"{format_duration(lo)}–{format_duration(hi)}" in s]
            assert len(where) == 1, (lo, hi, lines)
            rest = where[0].split(f"{format_duration(lo)}–{format_duration(hi)}", 1)[1]
            assert rest.split()[0] == f"{c:,}" and "█" in rest

    run_app(body, GCSTW, size=(80, 24))


def test_a_raw_trace_says_its_format_not_a_release(capfd: pytest.CaptureFixture[str]) -> None:
    """A Go 1.27 trace carries format 26, as Go 1.26's: the status line and the summary say
    `Go 1.26+`, never a release the trace cannot know."""

    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        assert tl.trace.version == 26 and not tl.trace.go_version
        assert status(app).endswith("│ Go 1.26+ trace"), status(app)

    run_app(body, GCSTW, size=(200, 30))
    assert main(["summary", GCSTW]) == 0
    out = capfd.readouterr().out
    assert "Go 1.26+ trace format (the trace does not say which release)" in out and "go1.26" not in out


def test_a_known_release_is_shown_exactly(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """A recording knows what built the program (record puts it in the model, and its
    Perfetto file keeps it): the status line and the summary show that release."""
    trace = open_model(GCSTW).trace
    session = Session(RecordOptions(["prog"], sample=False), go_version="go1.27.3")
    assert session._extra(trace) == [] and trace.go_version == "go1.27.3"
    out = tmp_path / "rec.pftrace"
    write_trace(trace, str(out))

    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        assert status(app).endswith("│ go1.27.3"), status(app)

    run_app(body, str(out), size=(200, 30))
    assert main(["summary", str(out)]) == 0
    text = capfd.readouterr().out
    assert "go1.27.3 (the binary's build info)" in text and "trace format" not in text
