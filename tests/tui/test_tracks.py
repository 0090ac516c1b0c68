"""Rows beyond the scheduler: user tasks and regions of a Go trace, and the tracks of
another tool's Perfetto file."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import TRACES
from tests.perfetto.test_perfetto_read import _foreign
from tests.tui.helpers import row_index, row_text, run_app, status
from tracetui.model.trace import TrackKind
from tracetui.tui.rows import RowKind

ANNOTATIONS = str(TRACES / "go1.27.3" / "annotations.trace")


def test_tasks_and_regions_are_rows_with_their_names() -> None:
    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        tasks = [r for r in tl.rows.rows if r.label.startswith("Tasks")]
        lanes = [t for t in tl.trace.tracks if t.kind == TrackKind.TASK]
        assert len(tasks) == len(lanes) >= 1
        names = {tl.trace.string(int(n)) for n in tl.trace.tasks.name}
        drawn = " ".join(row_text(tl, tl.rows.rows.index(r)) for r in tasks)
        assert any(n in drawn for n in names if n)
        # Each goroutine with regions has a regions row right below it.
        for t in tl.trace.tracks:
            if t.kind == TrackKind.REGION:
                g = tl.rows.index_of(tl.rows.goroutine_key(t.id))
                assert tl.rows.rows[g + 1].label.strip() == "regions"
        g5 = row_index(tl, "G5 ")
        tl.set_row(g5 + 1)
        await pilot.press("x", "enter")
        text = str(app.query_one("#details-text").render())
        assert "region (" in text

    run_app(body, path=ANNOTATIONS, size=(140, 50))


def test_another_tools_perfetto_file_shows_its_tracks(tmp_path: Path) -> None:
    f = tmp_path / "other.pftrace"
    f.write_bytes(_foreign())

    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        labels = [r.label.strip() for r in tl.rows.rows]
        assert not any(lab.startswith(("P0", "GC", "Heap")) for lab in labels)
        assert any(lab.startswith("▾ server") for lab in labels)
        worker = row_index(tl, "worker")
        assert "request" in row_text(tl, worker)
        q = next(i for i, r in enumerate(tl.rows.rows) if r.kind == RowKind.CHART)
        assert tl.rows.rows[q].label.strip() == "queue depth"
        assert "≤4" in row_text(tl, q)  # the chart's scale: its largest value in view
        tl.set_row(worker)
        await pilot.press("enter")
        assert "region (request)" in str(app.query_one("#details-text").render())
        tl.set_row(q)
        await pilot.press("full_stop")
        assert tl.cursor_t == 500  # the counter's next change
        assert "queue depth" in status(app)

    run_app(body, path=str(f), size=(120, 30))


def test_screen_5_of_another_tools_file_says_it_has_no_utilization(tmp_path: Path) -> None:
    from tracetui.tui.screens.mmu import MMUPlot, MMUScreen

    f = tmp_path / "other.pftrace"
    f.write_bytes(_foreign())

    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        await pilot.press("5")
        await pilot.pause(0.2)
        assert isinstance(app.screen, MMUScreen)
        assert "No utilization data" in app.screen.query_one(MMUPlot).render().plain
        await pilot.press("right", "enter", "s")  # nothing to move or show: no error
        await pilot.pause(0.1)
        assert isinstance(app.screen, MMUScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, MMUScreen)

    run_app(body, path=str(f), size=(120, 30))
