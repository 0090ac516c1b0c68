"""The timeline: one Line-API widget drawing every row of the trace against one time axis.

A frame costs O(visible rows x columns x log n): a row's strip comes from
`tracetui.tui.widgets.rowpaint` (cached by view); moving the cursor redraws only the rows it
touches.
"""

from __future__ import annotations

import numpy as np
from textual import events
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tracetui.model.trace import Trace, TrackKind
from tracetui.tui import seek
from tracetui.tui.keymap import TIMELINE_BINDINGS
from tracetui.tui.navigate import FlowIndex, Hop
from tracetui.tui.palette import Palette
from tracetui.tui.rows import Row, RowSet
from tracetui.tui.view import History, Place, clamp, zoomed
from tracetui.tui.widgets.rowpaint import RowPainter, view_edges
from tracetui.tui.widgets.timeline_input import TimelineInput


def label_width(width: int) -> int:
    return 14 if width < 100 else 22 if width < 150 else 28


class Timeline(TimelineInput, ScrollView, can_focus=True):
    """All rows of a trace; the view is [t0, t0 + span) ns, the cursor a (row, time).

    Its keys (`tracetui.tui.keymap`) and mouse are in `TimelineInput`."""

    DEFAULT_CSS = """
    Timeline { scrollbar-size-horizontal: 0; }
    """
    BINDINGS = TIMELINE_BINDINGS  # type: ignore[assignment]

    class Moved(Message):
        """The view, the cursor or the rows changed."""

    class Resized(Message):
        """The timeline's size changed (the label column and the cells with it)."""

    class Note(Message):
        """Something to tell the user in the status line."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def _note(self, text: str) -> None:
        self.post_message(self.Note(text))

    def on_resize(self, _: events.Resize) -> None:
        self.post_message(self.Resized())

    def __init__(self, trace: Trace, palette: Palette, rows: RowSet | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.palette = palette
        self.rows = rows or RowSet(trace)
        self.trace = trace
        self.t0 = 0
        self.span = max(int(trace.duration), 1)
        self.cursor_t = 0
        self.cursor_row = 0
        self.marks: list[int] = []
        self.fitted = True  # the view shows the whole trace (kept so while loading)
        self.live = False  # the trace is still being written: each model is a newer window of it
        self.following = False  # live: the view keeps to the newest data (any navigation stops it)
        self.time_offset = 0  # live: where the model's time 0 lies on the recording's clock (ns)
        self._undo = History()
        self._follow: list[Place] = []
        self._paint = RowPainter(trace, self.rows, palette)
        self._update_size()

    # --- model ---------------------------------------------------------------------------

    @property
    def total(self) -> int:
        return max(int(self.trace.duration), 1)

    def set_trace(self, trace: Trace, rows: RowSet | None = None) -> None:
        """Show a newer model of the same file (it grew while loading); keep the place."""
        key = self.current_row.key if self.rows.rows else None
        old = self.rows
        shift = trace.base_time - self.trace.base_time  # live: how far the window moved on
        self.rows = rows or RowSet(trace)
        self.rows.carry(old)
        self.trace = trace
        self._paint = RowPainter(trace, self.rows, self.palette)  # new caches
        if self.live:
            self._slide(shift)
        elif self.fitted:
            self.t0, self.span = 0, self.total
        if key is not None:
            idx = self.rows.index_of(key)
            if idx >= 0:
                self.cursor_row = idx
        self.cursor_row = min(self.cursor_row, max(len(self.rows.rows) - 1, 0))
        self._update_size()
        self.refresh()
        self.post_message(self.Moved())

    def _slide(self, shift: int) -> None:
        """A newer live window arrived, starting `shift` ns later: keep to the live edge when
        following, else stay on the same moments (as far as they are still in the window)."""
        total = self.total
        if self.following:
            span = total if self.fitted else min(self.span, total)
            self.t0, self.span = total - span, span
            self.cursor_t = total - 1
        else:
            self.span = min(self.span, total)
            self.t0 = min(max(self.t0 - shift, 0), total - self.span)
            self.cursor_t = min(max(self.cursor_t - shift, self.t0), self.t0 + self.span - 1)
            self.marks = [m - shift for m in self.marks if m - shift >= 0]
            self._undo.shift(shift)
        self.fitted = (self.t0, self.span) == (0, total)

    def follow_live(self) -> bool:
        """Keep to the live edge again (the newest data at the right); False if not live."""
        if not self.live:
            return False
        self.following = True
        self.remember()
        self._slide(0)
        self.refresh()
        self.post_message(self.Moved())
        return True

    def _update_size(self) -> None:
        self.virtual_size = Size(0, len(self.rows.rows))

    @property
    def flows(self) -> FlowIndex:
        return self.rows.flows

    @property
    def current_row(self) -> Row:
        return self.rows.rows[self.cursor_row]

    # --- geometry ------------------------------------------------------------------------

    @property
    def label_width(self) -> int:
        return label_width(self.size.width)

    @property
    def cells(self) -> int:
        return max(self.scrollable_content_region.width - self.label_width, 1)

    @property
    def resolution(self) -> float:
        """ns a column of the view covers."""
        return self.span / self.cells

    def edges(self, cells: int | None = None) -> np.ndarray:
        return view_edges(self.t0, self.span, cells or self.cells)

    def column_of(self, t: int) -> int:
        return int((t - self.t0) * self.cells // self.span)

    def time_of_column(self, col: int) -> int:
        """The middle of cell `col`."""
        return int(self.t0 + (2 * col + 1) * self.span // (2 * self.cells))

    def _time_at_x(self, x: int) -> int | None:
        """The time under the screen column x (the middle of its cell), None on the labels."""
        col = x - self.label_width
        if col < 0:
            return None
        return self.time_of_column(min(col, self.cells - 1))

    def cursor_cell(self) -> tuple[int, int]:
        """[a, b) ns of the cell under the cursor."""
        col = min(max(self.column_of(self.cursor_t), 0), self.cells - 1)
        e = self.edges()
        b = int(e[col + 1]) + (1 if col + 1 == self.cells and int(e[-1]) >= self.total else 0)
        return int(e[col]), max(b, int(e[col]) + 1)

    # --- navigation ----------------------------------------------------------------------

    def place(self) -> Place:
        return Place(self.t0, self.span, self.cursor_t, self.current_row.key if self.rows.rows else ())

    def remember(self) -> None:
        """Push the current place on the undo stack (before a navigation step)."""
        self._undo.push(self.place())

    def restore(self, p: Place) -> None:
        idx = self.rows.index_of(p.row_key)
        if idx < 0 and p.row_key[:2] == ("track", int(TrackKind.GOROUTINE)):
            idx = self.rows.reveal(int(p.row_key[2]))  # type: ignore[call-overload]
            self._update_size()
        self.set_view(p.t0, p.span, remember=False)
        self.cursor_t = p.cursor_t
        if idx >= 0:
            self.set_row(idx)
        self.refresh()
        self.post_message(self.Moved())

    def undo(self) -> bool:
        if not self._undo:
            return False
        self.restore(self._undo.pop())
        return True

    def set_view(self, t0: int, span: int, remember: bool = True) -> None:
        """Show [t0, t0 + span), clamped to the trace, in one repaint."""
        total = self.total
        t0, span = clamp(t0, span, total)
        if (t0, span) == (self.t0, self.span):
            return
        if remember:
            self.remember()
        self.t0, self.span = t0, span
        self.fitted = (t0, span) == (0, total)
        self.cursor_t = int(min(max(self.cursor_t, t0), t0 + span - 1))
        self.refresh()
        self.post_message(self.Moved())

    def zoom(self, factor: float) -> None:
        """Zoom around the cursor (factor < 1 zooms in); the cursor keeps its column."""
        self.set_view(*zoomed(self.t0, self.span, self.cursor_t, factor, self.total))

    def zoom_at(self, factor: float, t: int) -> None:
        self.cursor_t = t
        self.zoom(factor)

    def pan(self, fraction: float) -> None:
        shift = int(self.span * fraction)
        self.set_view(self.t0 + shift, self.span)
        self.cursor_t = int(min(max(self.cursor_t + shift, self.t0), self.t0 + self.span - 1))
        self.post_message(self.Moved())

    def fit(self) -> None:
        self.set_view(0, self.total)

    def move_time(self, cells: int) -> None:
        """Move the cursor by `cells` columns, panning when it leaves the view."""
        step = max(self.span // self.cells, 1)
        self.set_cursor_time(self.cursor_t + cells * step)

    def set_cursor_time(self, t: int, remember: bool = False) -> None:
        """Put the cursor at t, panning (not zooming) so that it is visible."""
        t = int(min(max(t, 0), self.total - 1))
        if remember:
            self.remember()
        if t < self.t0:
            self.set_view(t, self.span, remember=False)
        elif t >= self.t0 + self.span:
            self.set_view(t - self.span + 1, self.span, remember=False)
        self.cursor_t = t
        self.refresh_line(self.cursor_row - int(self.scroll_offset.y))
        self.post_message(self.Moved())

    def centre_on(self, t: int) -> None:
        """Cursor at t, the view centred there if t is out of view."""
        if not (self.t0 <= t < self.t0 + self.span):
            self.set_view(t - self.span // 2, self.span, remember=False)
        self.set_cursor_time(t)

    def set_row(self, idx: int) -> None:
        n = len(self.rows.rows)
        if not n:
            return
        idx = int(min(max(idx, 0), n - 1))
        old = self.cursor_row
        self.cursor_row = idx
        top = int(self.scroll_offset.y)
        height = max(self.scrollable_content_region.height, 1)
        if idx < top:
            self.scroll_to(y=idx, animate=False, immediate=True)
        elif idx >= top + height:
            self.scroll_to(y=idx - height + 1, animate=False, immediate=True)
        self.refresh_line(old - int(self.scroll_offset.y))
        self.refresh_line(idx - int(self.scroll_offset.y))
        self.post_message(self.Moved())

    def move_row(self, delta: int) -> None:
        self.set_row(self.cursor_row + delta)

    def page(self, direction: int) -> None:
        self.set_row(self.cursor_row + direction * max(self.scrollable_content_region.height - 1, 1))

    def next_event(self, forward: bool) -> bool:
        """Move the cursor to the next (previous) state change on the current row."""
        t = seek.boundary(self.rows, self.current_row, self.cursor_t, forward)
        if t is None:
            return False
        self.remember()
        self.centre_on(t)
        return True

    def span_under_cursor(self) -> tuple[int, int] | None:
        """[start, end) of the span under the cursor on the current row."""
        return seek.span_at(self.rows, self.current_row, self.cursor_t)

    def cursor_window(self) -> tuple[int, int]:
        """[start, end) the details count over: the marked range A→B if both marks are set,
        else the cursor's column."""
        if len(self.marks) == 2:
            a, b = sorted(self.marks)
            return a, max(b, a + 1)
        return self.cursor_cell()

    def focus_span(self) -> bool:
        """Zoom so that the span under the cursor fills most of the view."""
        sp = self.span_under_cursor()
        if sp is None:
            return False
        self._zoom_to(*sp)
        return True

    def longest_span(self) -> tuple[int, int] | None:
        """Zoom to the longest span on the current row (idle time aside)."""
        sp = seek.longest_span(self.rows, self.current_row)
        if sp is not None:
            self._zoom_to(*sp)
        return sp

    def _zoom_to(self, a: int, b: int) -> None:
        pad = max((b - a) // 10, 1)
        self.set_view(a - pad, b - a + 2 * pad)
        self.cursor_t = int(min(max(a, self.t0), self.t0 + self.span - 1))
        self.refresh()
        self.post_message(self.Moved())

    def go_to_track(self, kind: TrackKind, ident: int, t: int | None = None) -> bool:
        """Put the cursor on the row of a goroutine, P or M (unfolding its group)."""
        if kind == TrackKind.GOROUTINE:
            idx = self.rows.reveal(ident)
            self._update_size()
        elif kind == TrackKind.HOST and ident < 0:  # the first host section's header
            idx = next((i for i, r in enumerate(self.rows.rows) if r.host), -1)
        else:
            idx = self.rows.index_of(("track", int(kind), ident))
        if idx < 0:
            return False
        self.remember()
        self.set_row(idx)
        if t is not None:
            self.centre_on(t)
        self.refresh()
        return True

    def show_span(self, track: int, start: int, end: int) -> None:
        """Put the cursor on a track's row (unfolding its group) and zoom to [start, end)."""
        t = self.trace.tracks[track] if 0 <= track < len(self.trace.tracks) else None
        self.remember()
        if t is not None:
            if t.kind == TrackKind.GC:
                idx = self.rows.index_of(("gc", t.name))
            elif t.kind == TrackKind.GOROUTINE:
                idx = self.rows.reveal(t.id)
                self._update_size()
            else:
                idx = self.rows.index_of(("track", int(t.kind), t.id))
            if idx >= 0:
                self.set_row(idx)
        self._zoom_to(start, max(end, start + 1))

    def follow_cause(self) -> Hop | None:
        """Jump to what unblocked (or created) the goroutine under the cursor."""
        row = self.current_row
        if row.gid < 0:
            return None
        hop = self.flows.cause(row.track, self.cursor_t)
        if hop is None or hop.from_track < 0:
            return None
        src = self.trace.tracks[hop.from_track]
        here = self.place()
        if not self.go_to_track(src.kind, src.id, hop.from_ts):
            return None
        self._follow.append(here)
        return hop

    def follow_back(self) -> bool:
        if not self._follow:
            return False
        self.remember()
        self.restore(self._follow.pop())
        return True

    def toggle_group(self) -> None:
        row = self.current_row
        if not row.group:
            return
        key = ("group", row.group)
        self.rows.toggle(row.group)
        self._after_relayout(key)

    def toggle_injected(self) -> int:
        """Show or hide record's own injected goroutines; how many there are."""
        key = self.current_row.key if self.rows.rows else ()
        self.rows.set_show_injected(not self.rows.show_injected)
        self._after_relayout(key)
        return self.rows.injected_count()

    def toggle_all_groups(self) -> None:
        """Fold every group (the cursor goes to its row's group) or, when all are folded,
        unfold them all."""
        row = self.current_row
        closing = self.rows.any_open()
        self.rows.set_all_collapsed(closing)
        self._after_relayout(("group", row.group) if closing and row.group else row.key)

    def cycle_order(self) -> str:
        """The goroutine groups in the next order; the cursor stays on its row."""
        key = self.current_row.key if self.rows.rows else ()
        order = self.rows.cycle_order()
        self._after_relayout(key)
        return order

    def _after_relayout(self, key: tuple[object, ...]) -> None:
        self._update_size()
        idx = self.rows.index_of(key)
        self._paint.strips.clear()
        self.set_row(idx if idx >= 0 else min(self.cursor_row, len(self.rows.rows) - 1))
        self.refresh()

    def toggle_mark(self) -> list[int]:
        """Marks: the first two presses set A and B, a third starts again."""
        if len(self.marks) >= 2:
            self.marks = []
        self.marks.append(self.cursor_t)
        self.post_message(self.Moved())
        return self.marks

    # --- drawing -------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        idx = y + int(self.scroll_offset.y)
        width = self.scrollable_content_region.width
        lw = self.label_width
        if idx >= len(self.rows.rows) or width <= lw:
            return Strip.blank(width)
        row = self.rows.rows[idx]
        cells = width - lw
        body, _ = self.row_body(row, cells)
        on_cursor = idx == self.cursor_row
        label = self._label(row, lw, on_cursor)
        if on_cursor:
            body = self._paint.with_cursor(body, self.column_of(self.cursor_t), cells)
        return Strip.join([label, body])

    def _label(self, row: Row, lw: int, on_cursor: bool) -> Strip:
        return self._paint.label(row, lw, on_cursor, self.t0, self.span, self.cells)

    def row_body(self, row: Row, cells: int) -> tuple[Strip, list[str] | None]:
        """The row's cells in the current view (cached)."""
        return self._paint.body(row, self.t0, self.span, cells)

    @property
    def _cache(self) -> LRUCache[tuple[object, ...], tuple[Strip, list[str] | None]]:
        """The rows' strips by view (the frame benchmark clears it)."""
        return self._paint.strips

    @property
    def _charts(self) -> LRUCache[tuple[object, ...], tuple[list[np.ndarray], float]]:
        """The charts' lines by view (the frame benchmark clears it)."""
        return self._paint.charts
