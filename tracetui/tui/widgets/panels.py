"""The small widgets around the timeline: the time ruler, the status line and the legend."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.widget import Widget
from textual.widgets import Static

from tracetui.tui.palette import LEGEND, Palette, look_name
from tracetui.tui.timefmt import format_offset, format_time, tick_step
from tracetui.tui.widgets.timeline import Timeline


class Ruler(Widget):
    """Two lines above the rows: tick labels (offsets from the first tick, whose time is in
    the label column) and tick marks with the cursor (▼) and the marks (A, B)."""

    DEFAULT_CSS = "Ruler { height: 2; }"

    def __init__(self, timeline: Timeline | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.timeline = timeline

    def render(self) -> Text:
        tl = self.timeline
        if tl is None:
            return Text("")
        lw = tl.label_width
        cells = max(self.size.width - lw, 1)
        t0, span = tl.t0, tl.span
        step = tick_step(span, cells)
        first = -(-t0 // step) * step
        top = [" "] * cells
        marks = ["─"] * cells
        k = first
        while k < t0 + span:
            col = int((k - t0) * cells // span)
            if 0 <= col < cells:
                marks[col] = "┬"
                text = "+" + format_offset(k - first, step) if k != first else "0"
                if col + len(text) <= cells and all(c == " " for c in top[col : col + len(text) + 1]):
                    top[col : col + len(text)] = text
            k += step
        for name, t in zip("AB", tl.marks):
            col = int((t - t0) * cells // span)
            if 0 <= col < cells:
                marks[col] = name
        ccol = int((tl.cursor_t - t0) * cells // span)
        if 0 <= ccol < cells:
            marks[ccol] = "▼"
        head = format_time(first + tl.time_offset, span)[: lw - 1].ljust(lw)
        out = Text(no_wrap=True, overflow="crop")
        out.append(head, Style(bold=True))
        out.append("".join(top))
        out.append("\n")
        out.append(f"step {format_offset(step, step)}"[: lw - 1].ljust(lw), Style(dim=True))
        line = "".join(marks)
        out.append(line, Style(dim=True))
        for i, ch in enumerate(line):
            if ch in "▼AB":
                out.stylize(Style(bold=True, dim=False), len(out) - cells + i, len(out) - cells + i + 1)
        return out


class StatusLine(Static):
    """One line: where the cursor is and what is under it, marks, search, loading."""

    DEFAULT_CSS = "StatusLine { height: 1; background: $boost; }"


class Legend(Static):
    """One line: the look of each state."""

    DEFAULT_CSS = "Legend { height: 1; }"

    def __init__(self, palette: Palette, **kwargs: object) -> None:
        super().__init__(self.legend_text(palette), markup=False, **kwargs)  # type: ignore[arg-type]

    @staticmethod
    def legend_text(palette: Palette) -> Text:
        out = Text(no_wrap=True, overflow="crop")
        for look in LEGEND:
            glyph, style = palette.swatch(look)
            out.append(glyph, style)
            out.append(f" {look_name(look)} ")
        out.append(" ▌ one change  ░▒ several", Style(dim=True))
        return out
