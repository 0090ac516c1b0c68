"""The timeline's drawing of one row: its label, its cells in a view, the cursor's cell.

A row's cells come from binary searches on its spans and prefix sums (`tracetui.tui.cells`),
never from walking events. Strips and chart lines are cached by view.
"""

from __future__ import annotations

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.cache import LRUCache
from textual.strip import Strip

from tracetui.analysis import cpu as cpu_profile
from tracetui.model.trace import Trace
from tracetui.sanitize import safe_text
from tracetui.tui import cells as C
from tracetui.tui.groups import activity_cells as group_cells
from tracetui.tui.logs import mark_counts
from tracetui.tui.palette import Look, Palette
from tracetui.tui.rows import CHART_STATES, Row, RowKind, RowSet
from tracetui.units import format_bytes


def view_edges(t0: int, span: int, cells: int) -> np.ndarray:
    """The cells' edges of the view [t0, t0 + span) cut into `cells` columns."""
    return t0 + (np.arange(cells + 1, dtype=np.int64) * span) // cells


class RowPainter:
    """Draws the rows of one model (a trace and its row set) with one palette."""

    def __init__(self, trace: Trace, rows: RowSet, palette: Palette) -> None:
        self.trace = trace
        self.rows = rows
        self.palette = palette
        self.strips: LRUCache[tuple[object, ...], tuple[Strip, list[str] | None]] = LRUCache(2048)
        self.charts: LRUCache[tuple[object, ...], tuple[list[np.ndarray], float]] = LRUCache(64)

    @property
    def total(self) -> int:
        return max(int(self.trace.duration), 1)

    # --- label and cursor ----------------------------------------------------------------

    def label(self, row: Row, lw: int, on_cursor: bool, t0: int, span: int, cells: int) -> Strip:
        """The row's label, `lw` wide; a chart's carries its scale in the view."""
        text = row.label
        if row.kind == RowKind.CHART and row.lines == 1:
            scale = self.chart_scale(row, t0, span, cells)
            with_unit = f"{text}{scale}{self.unit_suffix(row)}"
            text = with_unit if len(with_unit) < lw else f"{text[: lw - 8]}{scale}"
        elif row.kind == RowKind.CHART and row.line == row.lines - 1:
            text = self.chart_scale(row, t0, span, cells)
        text = text[: lw - 1].ljust(lw)
        if on_cursor:
            style = Style(reverse=True, bold=True)
        elif row.kind == RowKind.GROUP:
            style = Style(bold=True, italic=True)
        else:
            style = Style(bold=row.gid < 0)
        return Strip([Segment(text, style)], lw)

    def with_cursor(self, body: Strip, col: int, cells: int) -> Strip:
        """The body with the cursor drawn in column `col` (if in view)."""
        if not 0 <= col < cells:
            return body
        parts = body.divide([col, col + 1, cells])
        cell = parts[1] if len(parts) > 1 else Strip.blank(1)
        segs = list(cell)
        text = segs[0].text if segs else " "
        base = segs[0].style if segs and segs[0].style else Style()
        if text.strip() == "":
            text = "│"
            cur = Style(color="white" if self.palette.colour else None, bgcolor=base.bgcolor, bold=True)
        else:
            cur = base + Style(reverse=True)
        return Strip.join([parts[0], Strip([Segment(text, cur)], 1), *parts[2:]])

    # --- cells ---------------------------------------------------------------------------

    def body(self, row: Row, t0: int, span: int, cells: int) -> tuple[Strip, list[str] | None]:
        """The row's cells in the view [t0, t0 + span) (cached), and their span labels."""
        key = (row.key, t0, span, cells)
        hit = self.strips.get(key)
        if hit is not None:
            return hit
        edges = view_edges(t0, span, cells)
        chars: list[str] | None = None
        code: np.ndarray | None
        if row.kind == RowKind.SPANS:
            sr = self.rows.span_row(row)
            assert sr is not None
            code = self._with_logs(row, edges, C.span_cells(sr, edges, self.palette.colour))
            chars = C.label_cells(sr, edges, code)  # labels go around the marks
        elif row.kind == RowKind.MARKS:
            code = self._with_logs(row, edges, np.zeros(cells, np.int64))
        elif row.kind == RowKind.CHART:
            code = self._chart(row, t0, span, edges)[0][row.line]
        elif row.kind == RowKind.SAMPLES:
            code = self._sample_codes(row, edges)
        else:
            code = self._group_codes(row, edges)
        if code is None:  # a host section, another tool's group, or nothing in view: its name
            noun = "host row" if row.host else "track" if self.rows.generic else "goroutine"
            name = safe_text(row.group_name, keep_newlines=False)
            text = f" {row.count} {noun}{'s' if row.count != 1 else ''} · {name}"
            strip = Strip([Segment(text[:cells].ljust(cells), Style(dim=True, italic=True))], cells)
            self.strips[key] = (strip, None)
            return strip, None
        segs = C.encode(C.runs_of(code), self.palette, chars)
        strip = Strip(segs, cells)
        self.strips[key] = (strip, chars)
        return strip, chars

    def _with_logs(self, row: Row, edges: np.ndarray, code: np.ndarray) -> np.ndarray:
        """The row's cells with a mark where it has logs."""
        key = self.rows.log_key(row)
        if key is None:
            return code
        ts = self.rows.logs.times(*key)
        return C.mark_cells(code, mark_counts(ts, edges, int(edges[-1]) >= self.total))

    def _group_codes(self, row: Row, edges: np.ndarray) -> np.ndarray | None:
        """A goroutine group's header: how many of its goroutines run, wait, are blocked."""
        act = None if row.host else self.rows.activity(row.group)
        if act is None:
            return None
        code = group_cells(act, edges, self.rows.procs())
        return code if code.any() else None

    def _sample_codes(self, row: Row, edges: np.ndarray) -> np.ndarray:
        """A CPU sample row's density: samples per column as a share of one CPU (all the
        Ps' CPUs for the row of all samples) at the profiler's rate."""
        ts = self.rows.sample_times(row)
        last = edges.copy()
        if int(last[-1]) >= self.total:  # the trace's last instant is in the last column
            last[-1] += 1
        counts = cpu_profile.column_counts(ts, last)
        idx = self.rows.samples
        cpus = idx.cpus if idx is not None and row.key[1] == "all" else 1
        return C.density_cells(cpu_profile.eighths(counts, edges, cpus), Look.CPU)

    # --- charts --------------------------------------------------------------------------

    def _chart_series(
        self, chart: str, edges: np.ndarray
    ) -> tuple[list[np.ndarray], list[int], np.ndarray | None, float]:
        tr = self.trace
        if chart.startswith("track:"):
            counter = tr.tracks[int(chart.split(":", 1)[1])].counter
            assert counter is not None
            values = C.counter_cells(counter, edges, "mean")
            return [values], [Look.COUNTER], None, float(max(values.max(initial=0), 1))
        if chart == "heap":
            alloc = C.counter_cells(tr.heap_alloc, edges, "max")
            goal = C.counter_cells(tr.heap_goal, edges, "max")
            top = float(max(alloc.max(initial=0), goal.max(initial=0), 1))
            return [alloc], [Look.HEAP], goal, top
        series, looks = [], []
        acc = np.zeros(len(edges) - 1, np.float64)
        for st, look in zip(CHART_STATES, (Look.RUNNING, Look.RUNNABLE, Look.BLOCK_SYNC)):
            c = tr.goroutine_counts.get(st)
            if c is None:
                continue
            acc = acc + C.counter_cells(c, edges, "mean")
            series.append(acc.copy())
            looks.append(int(look))
        top = float(max(acc.max(initial=0), 1))
        return series, looks, None, top

    def _chart(self, row: Row, t0: int, span: int, edges: np.ndarray) -> tuple[list[np.ndarray], float]:
        """The chart's lines of cell codes in this view, and its top (the largest value in
        view: the scale follows the zoom)."""
        key = (row.chart, t0, span, len(edges))
        hit = self.charts.get(key)
        if hit is not None:
            return hit
        series, looks, goal, top = self._chart_series(row.chart, edges)
        scale = 8 * row.lines / top
        tops = [np.round(np.maximum(s, 0) * scale).astype(np.int64) for s in series]
        g = None if goal is None else np.floor(goal * scale).astype(np.int64)
        out = ([C.chart_cells(tops, looks, row.lines, line, g) for line in range(row.lines)], top)
        self.charts[key] = out
        return out

    def unit_suffix(self, row: Row) -> str:
        """A host counter's unit after its scale (bytes are in the scale already)."""
        track = self.rows.track_of(row)
        unit = track.unit if track is not None and row.host else ""
        if unit in ("", "count", "bytes"):
            return ""
        return safe_text(unit if unit.startswith("/") else " " + unit, keep_newlines=False)

    def chart_scale(self, row: Row, t0: int, span: int, cells: int) -> str:
        """The label of the chart's top: its largest value in the view (the same view's, not
        the last one drawn)."""
        top = self._chart(row, t0, span, view_edges(t0, span, cells))[1]
        track = self.rows.track_of(row)
        if row.chart == "heap" or (track is not None and track.unit == "bytes"):
            return f" ≤{format_bytes(int(top))}"
        return f" ≤{top:.4g}"
