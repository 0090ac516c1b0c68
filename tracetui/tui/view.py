"""The timeline's view as plain numbers: the time window's clamping and zooming, and the
places that undo goes back to. No Textual here."""

from __future__ import annotations

from dataclasses import dataclass

MIN_SPAN = 1000  # ns: the deepest zoom (a few ns per cell)
UNDO_DEPTH = 256


@dataclass(frozen=True)
class Place:
    """A navigation state (for undo): the view, the cursor time and the row."""

    t0: int
    span: int
    cursor_t: int
    row_key: tuple[object, ...]


class History:
    """The undo stack of places: the same place is not pushed twice in a row, and the oldest
    fall off past UNDO_DEPTH."""

    def __init__(self) -> None:
        self.places: list[Place] = []

    def __bool__(self) -> bool:
        return bool(self.places)

    def push(self, p: Place) -> None:
        if not self.places or self.places[-1] != p:
            self.places.append(p)
            del self.places[:-UNDO_DEPTH]

    def pop(self) -> Place:
        return self.places.pop()

    def shift(self, ns: int) -> None:
        """Live: the window starts `ns` later; places that fell out of it are dropped."""
        moved = [Place(p.t0 - ns, p.span, p.cursor_t - ns, p.row_key) for p in self.places]
        self.places = [p for p in moved if p.t0 >= 0]


def clamp(t0: int, span: int, total: int) -> tuple[int, int]:
    """[t0, t0 + span) kept inside [0, total), no narrower than MIN_SPAN (or the trace)."""
    span = int(min(max(span, min(MIN_SPAN, total)), total))
    return int(min(max(t0, 0), total - span)), span


def zoomed(t0: int, span: int, around: int, factor: float, total: int) -> tuple[int, int]:
    """The window zoomed by `factor` (< 1 zooms in) with `around` keeping its column."""
    new = max(int(span * factor), 1)
    if factor < 1 and new == span:
        new -= 1
    if factor > 1 and new >= total * 0.999:
        new = total  # whole again, not a nanosecond short of it after rounding
    return around - int((around - t0) * new / span), new
