"""The timeline: one Line-API widget drawing every row (P, M, goroutine) of the model.

A frame costs O(visible rows x columns x log n): each row's cells come from the spans'
prefix sums (`Spans.occupancy`), never from walking events.
"""

from __future__ import annotations

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.cache import LRUCache
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tracetui.model.trace import State, Trace, Track, TrackKind
from tracetui.sanitize import safe_text
from tracetui.tui.palette import BUSY_GLYPH, Palette

LABEL_WIDTH = 22
_STATES = (
    State.RUNNING,
    State.RUNNABLE,
    State.WAITING,
    State.SYSCALL,
    State.IDLE,
    State.GC,
    State.STW,
    State.SWEEP,
    State.MARK_ASSIST,
)
_ROW_KINDS = (TrackKind.GC, TrackKind.PROC, TrackKind.THREAD, TrackKind.GOROUTINE)


def timeline_rows(trace: Trace) -> list[Track]:
    """The rows shown, in order: GC, Ps, Ms, then goroutines (the model's order)."""
    rows = [t for t in trace.tracks if t.kind in _ROW_KINDS and t.spans is not None]
    order = {k: i for i, k in enumerate(_ROW_KINDS)}
    return sorted(rows, key=lambda t: order[t.kind])


class Timeline(ScrollView, can_focus=True):
    """All rows of the trace against one time axis (t0, span) in nanoseconds."""

    cursor_row: reactive[int] = reactive(0, repaint=False)

    def __init__(self, trace: Trace, palette: Palette, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.trace = trace
        self.palette = palette
        self.rows = timeline_rows(trace)
        self.t0 = 0
        self.span = max(int(trace.duration), 1)
        self._cache: LRUCache[tuple[int, int, int, int], Strip] = LRUCache(4096)
        self.virtual_size = Size(0, len(self.rows))

    # --- view ------------------------------------------------------------------------

    def set_view(self, t0: int, span: int) -> None:
        """Show [t0, t0 + span), clamped to the trace."""
        total = max(int(self.trace.duration), 1)
        span = int(min(max(span, 1000), total))
        t0 = int(min(max(t0, 0), total - span))
        if (t0, span) != (self.t0, self.span):
            self.t0, self.span = t0, span
            self.refresh()

    def zoom(self, factor: float) -> None:
        """Zoom around the centre of the view (factor < 1 zooms in)."""
        centre = self.t0 + self.span // 2
        span = int(self.span * factor)
        self.set_view(centre - span // 2, span)

    def pan(self, fraction: float) -> None:
        self.set_view(self.t0 + int(self.span * fraction), self.span)

    def fit(self) -> None:
        self.set_view(0, max(int(self.trace.duration), 1))

    def watch_cursor_row(self, old: int, new: int) -> None:
        self.refresh_line(old - int(self.scroll_offset.y))
        self.refresh_line(new - int(self.scroll_offset.y))
        self.scroll_to_region_row(new)

    def scroll_to_region_row(self, row: int) -> None:
        top = int(self.scroll_offset.y)
        height = self.scrollable_content_region.height
        if row < top:
            self.scroll_to(y=row, animate=False)
        elif row >= top + height:
            self.scroll_to(y=row - height + 1, animate=False)

    def move_cursor(self, delta: int) -> None:
        if self.rows:
            self.cursor_row = int(min(max(self.cursor_row + delta, 0), len(self.rows) - 1))

    # --- drawing ---------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        row = y + int(self.scroll_offset.y)
        width = self.scrollable_content_region.width
        if row >= len(self.rows) or width <= LABEL_WIDTH:
            return Strip.blank(width)
        cells = width - LABEL_WIDTH
        key = (row, self.t0, self.span, cells)
        body = self._cache.get(key)
        if body is None:
            body = self._row_strip(self.rows[row], cells)
            self._cache[key] = body
        label_style = Style(reverse=True) if row == self.cursor_row else Style(bold=True)
        label = safe_text(self.rows[row].name, keep_newlines=False)[: LABEL_WIDTH - 1].ljust(LABEL_WIDTH)
        return Strip.join([Strip([Segment(label, label_style)], LABEL_WIDTH), body])

    def _row_strip(self, track: Track, cells: int) -> Strip:
        spans = track.spans
        assert spans is not None
        edges = self.t0 + (np.arange(cells + 1, dtype=np.int64) * self.span) // cells
        occ = spans.occupancy(edges, _STATES)
        covered = occ.sum(axis=0)
        dominant = np.asarray(_STATES, dtype=np.int64)[occ.argmax(axis=0)]
        starts = spans.flat.start
        changes = np.diff(np.searchsorted(starts, edges, side="right"))
        code = np.where(covered == 0, -1, dominant)
        code = np.where((changes > 1) & (covered > 0), -2, code)
        segments: list[Segment] = []
        run_start = 0
        for i in range(1, cells + 1):
            if i == cells or code[i] != code[run_start]:
                n = i - run_start
                c = int(code[run_start])
                if c == -1:
                    segments.append(Segment(" " * n))
                elif c == -2:
                    segments.append(Segment(BUSY_GLYPH * n, self.palette.busy()))
                else:
                    glyph, style = self.palette.look(c)
                    segments.append(Segment(glyph * n, style))
                run_start = i
        return Strip(segments, cells)
