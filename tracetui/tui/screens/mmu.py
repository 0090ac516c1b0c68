"""Screen 5: the minimum mutator utilization (MMU) curve as a line plot.

x is the window, on a log scale from 1 µs to the trace's length; y is the least share of
the program's Ps that the GC left it in any window of that size (0-100 %). The cursor is a
window: the status line gives its MMU and where the worst such window starts, Enter shows
that window on the timeline, `s` counts sweeping as GC work too.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Static

from tracetui.analysis.mmu import FIRST_WINDOW, mmu, series, worst_window
from tracetui.model import Counter, Trace, TrackKind
from tracetui.model.kinds import GCTrack
from tracetui.tui.screens.analysis import JumpTo
from tracetui.tui.timefmt import format_duration

AXIS = 6  # columns of the y labels ("100% ┤")
_BRAILLE_BITS = np.array([[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]], np.int64)  # [dot row][dot col]


def window_sizes(top: int, columns: int) -> np.ndarray:
    """One window per plot column, log-spaced from 1 µs to `top` (int64 ns)."""
    top = max(int(top), FIRST_WINDOW + 1)
    return np.geomspace(FIRST_WINDOW, top, max(columns, 2)).astype(np.int64)


def curve(u: Counter, windows: np.ndarray) -> np.ndarray:
    """The MMU at each window (float64)."""
    return np.array([mmu(u, int(w)) for w in windows.tolist()], np.float64)


def braille_lines(values: np.ndarray, height: int) -> list[str]:
    """A line through `values` (each in [0, 1], one per text column) drawn with braille
    dots, `height` text rows high (4 dots each), consecutive points joined vertically."""
    cols = values.size
    dots = height * 4
    y = np.rint(np.clip(values, 0.0, 1.0) * (dots - 1)).astype(np.int64)  # dot rows, 0 = bottom
    prev = np.r_[y[:1], y[:-1]]
    lo, hi = np.minimum(prev, y), np.maximum(prev, y)
    d = np.arange(dots)[:, None]  # dot row x column: is the dot on the line?
    on = (d >= lo[None, :]) & (d <= hi[None, :])
    top_down = on[::-1]  # dot rows from the top
    bits = (_BRAILLE_BITS[:, 0] | _BRAILLE_BITS[:, 1])[np.arange(dots) % 4]  # both dot columns
    cells = (top_down * bits[:, None]).reshape(height, 4, cols).sum(axis=1)
    return ["".join(chr(0x2800 + int(v)) if v else " " for v in line) for line in cells.tolist()]


def decade_ticks(windows: np.ndarray) -> list[tuple[int, str]]:
    """(column, label) of the column nearest each power of ten of ns inside the windows."""
    if not windows.size:
        return []
    lw = np.log10(windows.astype(np.float64))
    return [(int(np.argmin(np.abs(lw - e))), format_duration(10**e))
            for e in range(3, 13) if lw[0] - 1e-9 <= e <= lw[-1] + 1e-9]  # fmt: skip


class MMUPlot(Widget):
    """The plot: y axis, the curve in braille, the x axis with decades, the cursor column."""

    DEFAULT_CSS = "MMUPlot { height: 1fr; }"
    cursor: reactive[int] = reactive(-1)

    def __init__(self) -> None:
        super().__init__(id="plot")
        self.windows = np.zeros(0, np.int64)
        self.values = np.zeros(0, np.float64)
        self.message = "Computing the MMU…"
        self._lines: tuple[tuple[int, int] | None, list[str]] = (None, [])

    def set_curve(self, windows: np.ndarray, values: np.ndarray) -> None:
        self.windows, self.values = windows, values
        if self.cursor < 0 or self.cursor >= windows.size:
            self.cursor = int(np.searchsorted(windows, 10**6)) if windows.size else -1  # 1 ms
            self.cursor = min(self.cursor, windows.size - 1)
        self.refresh()

    def plot_columns(self) -> int:
        return max(self.size.width - AXIS - 1, 2)

    def render(self) -> Text:
        height = max(self.size.height - 2, 2)
        out = Text(no_wrap=True, overflow="crop")
        if not self.values.size:
            return Text(self.message)
        key = (id(self.values), height)
        if self._lines[0] != key:
            self._lines = (key, braille_lines(self.values, height))
        lines = self._lines[1]
        for r, line in enumerate(lines):
            frac = 1.0 - r / max(height - 1, 1)
            label = f"{frac:4.0%} ┤" if r in (0, height // 2, height - 1) else "     │"
            out.append(label, style="dim")
            c = self.cursor
            if 0 <= c < len(line):
                out.append(line[:c], style="green")
                out.append(line[c] if line[c] != " " else "│", style="reverse green")
                out.append(line[c + 1 :] + "\n", style="green")
            else:
                out.append(line + "\n", style="green")
        axis = ["─"] * self.values.size
        labels = [" "] * (self.values.size + 12)
        for c, text in decade_ticks(self.windows):
            axis[c] = "┬"
            if all(ch == " " for ch in labels[c : c + len(text) + 1]):
                labels[c : c + len(text)] = list(text)
        out.append("     └" + "".join(axis) + "\n", style="dim")
        out.append("      " + "".join(labels).rstrip(), style="dim")
        return out


class MMUScreenBase(Screen[None]):
    """What the MMU screens share: a title, a plot of curves over window sizes (computed in a
    worker), a status line; ←/→ move the window, `s` counts sweeping too, Esc goes back."""

    PLOT: ClassVar[type[MMUPlot]] = MMUPlot

    def __init__(self) -> None:
        super().__init__()
        self.sweep = False
        self._columns = 0

    def compose(self) -> ComposeResult:
        yield Static("", id="title")
        yield self.PLOT()
        yield Static("", id="status")
        yield Footer(compact=True)

    @property
    def plot(self) -> MMUPlot:
        return self.query_one(self.PLOT)

    def on_mount(self) -> None:
        self._title()
        self.call_after_refresh(self.recompute)

    def on_resize(self) -> None:
        if self.plot.plot_columns() != self._columns:
            self.recompute()

    def _title(self) -> None:
        raise NotImplementedError

    def _status(self) -> None:
        raise NotImplementedError

    def recompute(self) -> None:
        raise NotImplementedError

    def window(self) -> int:
        p = self.plot
        return int(p.windows[p.cursor]) if 0 <= p.cursor < p.windows.size else 0

    def action_move(self, delta: int) -> None:
        p = self.plot
        if not p.windows.size:
            return
        p.cursor = int(min(max(p.cursor + delta, 0), p.windows.size - 1))
        self._status()

    def action_toggle_sweep(self) -> None:
        self.sweep = not self.sweep
        self._title()
        self.recompute()

    def action_back(self) -> None:
        self.app.pop_screen()


def mark_track(trace: Trace) -> int:
    """The index of the trace's GC mark track (-1 if none): where a worst window is shown."""
    return next((i for i, t in enumerate(trace.tracks) if t.kind == TrackKind.GC and t.id == GCTrack.MARK), -1)


class MMUScreen(MMUScreenBase):
    """The MMU curve of the current model (go tool trace's default definition; `s` adds
    sweeping); ←/→ move the window, Enter shows the worst window on the timeline."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left,h", "move(-1)", "Smaller window", id="mmu-left"),
        Binding("right,l", "move(1)", "Larger window", id="mmu-right"),
        Binding("H,shift+left", "move(-10)", "Far smaller", id="mmu-far-left", show=False),
        Binding("L,shift+right", "move(10)", "Far larger", id="mmu-far-right", show=False),
        Binding("s", "toggle_sweep", "Sweep", id="mmu-sweep"),
        Binding("enter", "show_worst", "Worst window", id="mmu-show"),
        Binding("escape", "back", "Back", id="mmu-back"),
    ]
    DEFAULT_CSS = "MMUScreen #title, MMUScreen #status { height: 1; padding: 0 1; }"

    def __init__(self, trace: Trace) -> None:
        super().__init__()
        self.trace = trace

    def series(self) -> Counter:
        return series(self.trace, self.sweep)

    def _title(self) -> None:
        what = "STW, background mark workers, mark assists and sweeping" if self.sweep else (
            "STW, background mark workers and mark assists")  # fmt: skip
        self.query_one("#title", Static).update(
            Text(f"Minimum mutator utilization (not available to the program: {what})", style="bold")
        )

    def recompute(self) -> None:
        self._columns = self.plot.plot_columns()
        u = self.series()
        if len(u) < 2:
            self.plot.message = "No utilization data: not a Go trace, or no GOMAXPROCS event in it."
            self.plot.refresh()
            return
        self._compute(u, window_sizes(self.trace.duration, self._columns), self.sweep)

    @work(thread=True, exclusive=True, group="mmu")
    def _compute(self, u: Counter, windows: np.ndarray, sweep: bool) -> None:
        values = curve(u, windows)
        self.app.call_from_thread(self._ready, windows, values, sweep)

    def _ready(self, windows: np.ndarray, values: np.ndarray, sweep: bool) -> None:
        if sweep != self.sweep:
            return
        self.plot.set_curve(windows, values)
        self._status()

    def _status(self) -> None:
        p = self.plot
        w = self.window()
        if not w:
            return
        at, _ = worst_window(self.series(), w)
        text = (f"window {format_duration(w)}: MMU {p.values[p.cursor]:.1%}; the worst starts at "
                f"{format_duration(at)}  (←/→ window, s sweep, Enter show it)")  # fmt: skip
        self.query_one("#status", Static).update(Text(text))

    def update_trace(self, trace: Trace) -> None:
        """A live view's newer model: the curve recomputed in the worker, the window kept."""
        if trace is not self.trace:
            self.trace = trace
            self.recompute()

    def action_show_worst(self) -> None:
        w = self.window()
        if not w:
            return
        at, _ = worst_window(self.series(), w)
        self.app.post_message(JumpTo(mark_track(self.trace), at, at + w))
