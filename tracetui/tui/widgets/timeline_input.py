"""The timeline's input: its key actions (bound in `tracetui.tui.keymap`) and the mouse.

Each action calls one navigation method of the timeline and, when that could not be done,
tells the user why in the status line. `Timeline` mixes this in; `Navigable` is what the
input asks of it.
"""

from __future__ import annotations

from typing import Protocol

from textual import events
from textual.geometry import Offset

from tracetui.model.trace import Trace
from tracetui.sanitize import safe_text
from tracetui.tui.groups import order_text
from tracetui.tui.navigate import Hop, flow_label
from tracetui.tui.rows import Row, RowSet

# Keys that leave a live view following: the follow keys themselves and those that do not navigate.
_KEEP_FOLLOWING = frozenset(
    {"F", "end", "q", "ctrl+c", "escape", "question_mark", "f1", "enter", "1", "2", "3", "4", "5"}
)


class Navigable(Protocol):
    """The timeline as its input sees it (see `tracetui.tui.widgets.timeline.Timeline`)."""

    trace: Trace
    rows: RowSet
    live: bool
    following: bool
    cursor_t: int

    @property
    def current_row(self) -> Row: ...
    @property
    def label_width(self) -> int: ...
    @property
    def scroll_offset(self) -> Offset: ...
    def _note(self, text: str) -> None: ...
    def _time_at_x(self, x: int) -> int | None: ...
    def zoom(self, factor: float) -> None: ...
    def zoom_at(self, factor: float, t: int) -> None: ...
    def pan(self, fraction: float) -> None: ...
    def fit(self) -> None: ...
    def move_time(self, cells: int) -> None: ...
    def set_cursor_time(self, t: int, remember: bool = False) -> None: ...
    def set_row(self, idx: int) -> None: ...
    def move_row(self, delta: int) -> None: ...
    def page(self, direction: int) -> None: ...
    def follow_live(self) -> bool: ...
    def focus_span(self) -> bool: ...
    def longest_span(self) -> tuple[int, int] | None: ...
    def next_event(self, forward: bool) -> bool: ...
    def follow_cause(self) -> Hop | None: ...
    def follow_back(self) -> bool: ...
    def toggle_mark(self) -> list[int]: ...
    def toggle_group(self) -> None: ...
    def toggle_injected(self) -> int: ...
    def toggle_all_groups(self) -> None: ...
    def cycle_order(self) -> str: ...
    def undo(self) -> bool: ...
    def action_follow_live(self) -> None: ...


class TimelineInput:
    """Keys and mouse of the timeline (a mixin of `Timeline`)."""

    # --- keys ----------------------------------------------------------------------------

    def on_key(self: Navigable, event: events.Key) -> None:
        """Live: a navigation key stops following the live edge (F or End resumes it)."""
        if self.following and event.key not in _KEEP_FOLLOWING:
            self.following = False

    def action_zoom(self: Navigable, factor: float) -> None:
        self.zoom(factor)

    def action_pan(self: Navigable, fraction: float) -> None:
        self.pan(fraction)

    def action_move_time(self: Navigable, cells: int) -> None:
        self.move_time(cells)

    def action_move_row(self: Navigable, delta: int) -> None:
        self.move_row(delta)

    def action_page(self: Navigable, direction: int) -> None:
        self.page(direction)

    def action_first_row(self: Navigable) -> None:
        self.set_row(0)

    def action_last_row(self: Navigable) -> None:
        if self.live and not self.following:  # live: End goes to the newest data and follows it
            self.action_follow_live()
            return
        self.set_row(len(self.rows.rows) - 1)

    def action_follow_live(self: Navigable) -> None:
        if self.follow_live():
            self._note("following the live edge (any navigation key stops it)")
        else:
            self._note("F follows the live edge of `tracetui record --live`: this trace is not live")

    def action_fit(self: Navigable) -> None:
        self.fit()

    def action_focus_span(self: Navigable) -> None:
        if not self.focus_span():
            self._note("no span under the cursor")

    def action_longest(self: Navigable) -> None:
        if self.longest_span() is None:
            self._note("no span on this row")

    def action_next_event(self: Navigable, forward: bool) -> None:
        if not self.next_event(forward):
            self._note("no more events on this row")

    def action_follow(self: Navigable) -> None:
        row = self.current_row
        if row.gid < 0:
            self._note("] follows a goroutine row: put the cursor on a G row")
            return
        hop = self.follow_cause()
        if hop is None:
            self._note(f"nothing unblocked {row.label.strip()} here (no causal edge into this span)")
            return
        src = self.trace.tracks[hop.from_track].name
        self._note(
            f"{row.label.strip()} was {flow_label(hop.kind)} by {safe_text(src, keep_newlines=False)}; [ goes back"
        )

    def action_follow_back(self: Navigable) -> None:
        if not self.follow_back():
            self._note("nothing to go back to ([ returns from ])")

    def action_mark(self: Navigable) -> None:
        self.toggle_mark()

    def action_toggle_group(self: Navigable) -> None:
        if not self.current_row.group:
            self._note("Space folds a goroutine group or host section: put the cursor on one of its rows")
            return
        self.toggle_group()

    def action_toggle_injected(self: Navigable) -> None:
        n = self.toggle_injected()
        shown = self.rows.show_injected
        if not n:
            self._note("no goroutines of record's own code in this trace")
        elif shown:
            self._note(f"showing {n} goroutine{'s' if n != 1 else ''} of record's own code (i hides them)")
        else:
            self._note(f"hid {n} goroutine{'s' if n != 1 else ''} of record's own code (i shows them)")

    def action_toggle_all_groups(self: Navigable) -> None:
        self.toggle_all_groups()

    def action_cycle_order(self: Navigable) -> None:
        if self.rows.generic:
            self._note("the order key sorts goroutine groups: this file has none")
            return
        self._note(f"goroutine groups {order_text(self.cycle_order())} (o: next order)")

    def action_undo(self: Navigable) -> None:
        if not self.undo():
            self._note("nothing to undo")

    # --- mouse ---------------------------------------------------------------------------

    def on_click(self: Navigable, event: events.Click) -> None:
        self.following = False
        idx = event.y + int(self.scroll_offset.y)
        if 0 <= idx < len(self.rows.rows):
            self.set_row(idx)
        t = self._time_at_x(event.x)
        if t is not None:
            self.set_cursor_time(t)

    def _on_mouse_scroll_up(self: Navigable, event: events.MouseScrollUp) -> None:
        event.stop()
        self.following = False
        self.zoom_at(0.8, self._time_at_x(event.x) or self.cursor_t)

    def _on_mouse_scroll_down(self: Navigable, event: events.MouseScrollDown) -> None:
        event.stop()
        self.following = False
        self.zoom_at(1.25, self._time_at_x(event.x) or self.cursor_t)
