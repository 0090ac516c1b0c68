"""The small widgets around the timeline: the time ruler, the status line and the legend."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget
from textual.widgets import Static

from tracetui.model.trace import TrackKind
from tracetui.tui.palette import BUSY_FEW, BUSY_MANY, CHART_LOOKS, LEFT_EIGHTHS, LEGEND, Look, Palette, look_name
from tracetui.tui.rows import RowSet
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


def legend_looks(rows: RowSet | None) -> list[Look]:
    """The looks this trace's rows can show, in the legend's order (all of them before a
    model is there)."""
    if rows is None:
        return list(LEGEND)
    tr = rows.trace
    kinds = {t.kind for t in tr.tracks if (t.spans is not None and len(t.spans)) or t.counter is not None}
    can: set[Look] = set()
    if not rows.generic or TrackKind.HOST in kinds:  # Go's rows, or a recording's sampled threads
        can |= set(LEGEND) - CHART_LOOKS - {Look.TASK, Look.REGION, Look.LOG, Look.CPU}
    if any(r.chart == "heap" for r in rows.rows):
        can |= {Look.HEAP, Look.GOAL}
    if TrackKind.TASK in kinds:
        can.add(Look.TASK)
    if TrackKind.REGION in kinds:
        can.add(Look.REGION)
    if any(r.chart.startswith("track:") for r in rows.rows) or (rows.generic and TrackKind.COUNTER in kinds):
        can.add(Look.COUNTER)
    if not rows.generic and len(tr.logs):
        can.add(Look.LOG)
    if not rows.generic and len(tr.cpu_samples):
        can.add(Look.CPU)
    return [k for k in LEGEND if k in can]


class Legend(Widget):
    """The look of each state this trace can show (its colour, or its glyph without colour),
    and the marks inside cells; wrapped over as many lines as the width needs."""

    DEFAULT_CSS = "Legend { height: auto; }"

    def __init__(self, palette: Palette, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.palette = palette
        self.looks: list[Look] = list(LEGEND)

    def set_looks(self, looks: list[Look]) -> None:
        if looks != self.looks:
            self.looks = looks
            self.refresh(layout=True)

    def entries(self, join: str = " ") -> list[Text]:
        """Each look's sample and name (`join` between them), then the marks inside cells."""
        out = []
        for look in self.looks:
            glyph, style = self.palette.swatch(look)
            entry = Text()
            entry.append(glyph, style)
            entry.append(f"{join}{look_name(look)}")
            out.append(entry)
        if self.palette.colour:  # without colour a cell shows the state that fills most of it
            out.append(Text(f"{LEFT_EIGHTHS[4]}{join}one change", Style(dim=True)))
            out.append(Text(f"{BUSY_FEW}{BUSY_MANY}{join}several", Style(dim=True)))
        return out

    def lines(self, width: int) -> list[Text]:
        """The entries packed into lines of `width` cells, as airy as the fewest lines allow:
        two spaces apart, else one, else with each sample against its name."""
        packed = [self._pack(self.entries(join), gap, width) for gap, join in (("  ", " "), (" ", " "), (" ", ""))]
        fewest = min(len(p) for p in packed)
        return next(p for p in packed if len(p) == fewest)

    @staticmethod
    def _pack(entries: list[Text], gap: str, width: int) -> list[Text]:
        lines: list[Text] = []
        line = Text()
        for entry in entries:
            if line.cell_len and line.cell_len + len(gap) + entry.cell_len > width:
                lines.append(line)
                line = Text()
            if line.cell_len:
                line.append(gap)
            line.append_text(entry)
        lines.append(line)
        return lines

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.lines(max(width, 1)))

    def render(self) -> Text:
        out = Text("\n").join(self.lines(max(self.size.width, 1)))
        out.no_wrap, out.overflow = True, "crop"
        return out
