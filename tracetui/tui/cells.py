"""What each terminal cell of a row shows, computed with numpy for a whole row at once.

A row is cut into cells by `edges` (len cells + 1, ns). For a span row each cell gets:
the look at its left edge and at its right edge, the number of state changes inside, and
where the first one falls in eighths; a cell with one change draws a left-eighth block in
two colours, a cell with several a shade over its dominant look. Counter rows become
stacked bar charts in lower-eighth blocks, CPU sample counts density bars (`density_cells`). Every query is a binary search on the row's
arrays or its prefix sums: O(cells x log n), never O(events).

`encode` turns per-cell codes into runs of equal cells (Rich segments), so a frame costs a
Python step per run, not per cell.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from rich.segment import Segment

from tracetui.model.trace import Counter, Spans
from tracetui.tui.palette import BUSY_FEW, BUSY_MANY, LEFT_EIGHTHS, LOG_MARKS, LOWER_EIGHTHS, Look, Palette

I64 = np.int64

# Cell kinds (bits 16.. of a cell code); bits 0-7 = fg look, 8-15 = bg look.
SOLID, EDGE, EDGE_REV, BUSY, TEXT, BAR, BAR_REV, MARK, DENSITY = 0, 1, 2, 3, 4, 5, 6, 7, 8
_KIND_SHIFT = 16
_GLYPH_SHIFT = 20  # bits 20..: glyph index for EDGE/BAR/DENSITY cells, shade for BUSY
# DENSITY cells (a goroutine group's header): a bar of k/8 (k = 1..8) or a shade, in colour or not.
DENSITY_GLYPHS = LOWER_EIGHTHS + BUSY_MANY + BUSY_FEW
DENSITY_RUNNABLE, DENSITY_BLOCKED = len(LOWER_EIGHTHS), len(LOWER_EIGHTHS) + 1


def density_code(fg: np.ndarray | int, bg: np.ndarray | int, glyph: np.ndarray | int) -> np.ndarray:
    """Codes of DENSITY cells: DENSITY_GLYPHS[glyph] in look `fg` over look `bg`."""
    return np.asarray(
        fg | (np.asarray(bg, I64) << 8) | (DENSITY << _KIND_SHIFT) | (np.asarray(glyph, I64) << _GLYPH_SHIFT), I64
    )


@dataclass(eq=False)
class SpanRow:
    """A span track prepared for drawing: its spans with a display look per span."""

    start: np.ndarray
    end: np.ndarray
    look: np.ndarray  # uint8 Look per span
    # Text drawn inside spans where it fits: span indices -> their labels ("" for none).
    labels: Callable[[list[int]], list[str]] | None = None
    _gap_ends: np.ndarray | None = field(default=None, init=False, repr=False)
    _cum: dict[int, np.ndarray] = field(default_factory=dict, init=False, repr=False)
    _present: list[int] | None = field(default=None, init=False, repr=False)

    @classmethod
    def of(cls, spans: Spans, look: np.ndarray) -> SpanRow:
        flat = spans.flat
        return cls(flat.start, flat.end, look)

    def __len__(self) -> int:
        return int(self.start.shape[0])

    @property
    def present(self) -> list[int]:
        """The looks that occur (computed once)."""
        if self._present is None:
            self._present = [int(x) for x in np.unique(self.look).tolist() if x]
        return self._present

    @property
    def gap_ends(self) -> np.ndarray:
        """Ends of spans not followed at once by the next span: the other kind of boundary."""
        if self._gap_ends is None:
            nxt = np.append(self.start[1:], np.iinfo(I64).max)
            self._gap_ends = self.end[self.end != nxt]
        return self._gap_ends

    def cumulative(self, look: int) -> np.ndarray:
        c = self._cum.get(look)
        if c is None:
            d = np.where(self.look == look, self.end - self.start, 0)
            c = np.zeros(len(self) + 1, I64)
            np.cumsum(d, out=c[1:])
            self._cum[look] = c
        return c

    def look_at(self, t: np.ndarray) -> np.ndarray:
        """The look of the span covering each time (NONE in gaps)."""
        i = np.searchsorted(self.start, t, "right") - 1
        ok = (i >= 0) & (self.end[np.maximum(i, 0)] > t) if len(self) else np.zeros(t.shape, bool)
        out = np.zeros(t.shape, np.uint8)
        if len(self):
            out[ok] = self.look[i[ok]]
        return out

    def index_at(self, t: int) -> int:
        i = int(np.searchsorted(self.start, t, "right")) - 1
        return i if i >= 0 and int(self.end[i]) > t else -1

    def time_in(
        self, look: int, t0: np.ndarray, t1: np.ndarray, bounds: tuple[np.ndarray, np.ndarray] | None = None
    ) -> np.ndarray:
        """ns of each [t0, t1) spent in `look`; `bounds` (from `overlapping`) saves the searches."""
        cum = self.cumulative(look)
        n = len(self)
        i0, i1 = bounds if bounds is not None else self.overlapping(t0, t1)
        tot = cum[i1] - cum[i0]
        has = i1 > i0
        first = np.minimum(i0, n - 1)
        last = np.maximum(i1 - 1, 0)
        tot -= np.where(has & (self.look[first] == look), np.maximum(t0 - self.start[first], 0), 0)
        tot -= np.where(has & (self.look[last] == look), np.maximum(self.end[last] - t1, 0), 0)
        return tot

    def overlapping(self, t0: np.ndarray, t1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """[i0, i1): the spans overlapping each [t0, t1)."""
        i0 = np.searchsorted(self.end, t0, "right")
        return i0, np.maximum(np.searchsorted(self.start, t1, "left"), i0)

    def boundaries(self, t: int, forward: bool) -> int | None:
        """The first span boundary after (or before) t, or None."""
        cands = []
        for arr in (self.start, self.gap_ends):
            if not len(arr):
                continue
            if forward:
                i = int(np.searchsorted(arr, t, "right"))
                if i < len(arr):
                    cands.append(int(arr[i]))
            else:
                i = int(np.searchsorted(arr, t, "left")) - 1
                if i >= 0:
                    cands.append(int(arr[i]))
        if not cands:
            return None
        return min(cands) if forward else max(cands)


def span_cells(row: SpanRow, edges: np.ndarray, colour: bool = True) -> np.ndarray:
    """int64 cell codes for one span row (see the module docstring)."""
    cells = len(edges) - 1
    a, b = edges[:-1], edges[1:]
    if len(row) == 0:
        return np.zeros(cells, I64)
    n = len(row)
    # Spans starting at or before each cell's start (ia) and before its end (ib): times are
    # integers, so the span covering b - 1 is the last one starting before b.
    ia = np.searchsorted(row.start, a, "right")
    ib = np.searchsorted(row.start, b, "left")
    # State changes strictly inside each cell: span starts, and ends that open a gap.
    g = row.gap_ends
    g_in = np.searchsorted(g, b, "left") - np.searchsorted(g, a, "right") if len(g) else 0
    changes = (ib - ia) + g_in

    def look_of(i: np.ndarray, t: np.ndarray) -> np.ndarray:
        j = np.maximum(i - 1, 0)
        return np.where((i > 0) & (row.end[j] > t), row.look[j], 0).astype(I64)

    left = look_of(ia, a)
    right = look_of(ib, b - 1)
    code = left | (left << 8)  # SOLID, fg = bg = look
    one = changes == 1
    if one.any():
        # Where the single change falls, in eighths of the cell.
        idx = np.flatnonzero(one)
        aa, bb = a[idx], b[idx]
        si = ia[idx]
        pos_s = np.where(si < n, row.start[np.minimum(si, n - 1)], bb)
        pos_s = np.where(pos_s < bb, pos_s, np.iinfo(I64).max)
        if len(g):
            gi = np.searchsorted(g, aa, "right")
            pos_g = np.where(gi < len(g), g[np.minimum(gi, len(g) - 1)], bb)
            pos_g = np.where(pos_g < bb, pos_g, np.iinfo(I64).max)
            pos = np.minimum(pos_s, pos_g)
        else:
            pos = pos_s
        k = np.clip(((pos - aa) * 8 + (bb - aa) // 2) // np.maximum(bb - aa, 1), 0, 8)
        lf, rt = left[idx], right[idx]
        if colour:
            same = lf == rt
            solid_l, solid_r = lf | (lf << 8), rt | (rt << 8)
            # Idle has no background: at an edge it is drawn like nothing at all.
            lf = np.where(lf == Look.IDLE, 0, lf)
            rt = np.where(rt == Look.IDLE, 0, rt)
            kind = np.where(lf == 0, EDGE_REV, EDGE)
            # EDGE: glyph k/8 in fg = left over bg = right. EDGE_REV (left is empty): the
            # reversed glyph, so the left part shows the terminal's own background.
            fg = np.where(lf == 0, rt, lf)
            bg = np.where(lf == 0, 0, rt)
            c = fg | (bg << 8) | (kind << _KIND_SHIFT) | (k << _GLYPH_SHIFT)
            c = np.where(k == 0, solid_r, c)
            c = np.where(k == 8, solid_l, c)
            c = np.where((lf == 0) & (rt == 0), np.where(k >= 4, solid_l, solid_r), c)  # idle | nothing
            c = np.where(same, solid_l, c)
        else:
            dom = np.where(k >= 4, lf, rt)
            c = dom | (dom << 8)
        code[idx] = c
    many = changes > 1
    if many.any():
        idx = np.flatnonzero(many)
        aa, bb = a[idx], b[idx]
        best = np.full(idx.size, -1, I64)
        best_look = np.zeros(idx.size, I64)
        bounds = row.overlapping(aa, bb)
        for look in row.present:
            t = row.time_in(look, aa, bb, bounds)
            better = t > best
            best = np.where(better, t, best)
            best_look = np.where(better, look, best_look)
        shade = np.where(changes[idx] >= 5, 1, 0)
        if colour:
            c = best_look | (best_look << 8) | (BUSY << _KIND_SHIFT) | (shade << _GLYPH_SHIFT)
        else:
            c = best_look | (best_look << 8)
        code[idx] = c
    return code


def label_cells(row: SpanRow, edges: np.ndarray, code: np.ndarray, min_cells: int = 4) -> list[str] | None:
    """Write span labels into the solid cells a span covers where at least `min_cells` fit;
    those cells become TEXT. A label leaves the span's last cell free, so that labels of
    adjacent spans never run together, and ends in "…" where it is cut. Returns the
    per-cell characters, or None if no label fits."""
    if row.labels is None or len(row) == 0:
        return None
    cells = len(edges) - 1
    i = np.searchsorted(row.start, edges[:-1], "right") - 1
    solid = ((code >> _KIND_SHIFT) == SOLID) & (i >= 0) & ((code & 0xFF) != 0)
    key = np.where(solid, i, -1)
    # Runs of consecutive cells showing the same span, long enough for a label.
    brk = np.flatnonzero(np.diff(key) != 0) + 1
    starts = np.r_[0, brk]
    ends = np.r_[brk, cells]
    wide = (key[starts] >= 0) & (ends - starts >= min_cells)
    if not wide.any():
        return None
    starts, ends = starts[wide].tolist(), ends[wide].tolist()
    texts = row.labels([int(key[s]) for s in starts])
    chars: list[str] | None = None
    for s, e, text in zip(starts, ends, texts):
        if not text:
            continue
        room = e - s - 1  # the last cell parts it from what follows
        if len(text) > room:
            text = text[: room - 1] + "…"
        if chars is None:
            chars = [" "] * cells
        chars[s : s + len(text)] = text
        code[s : s + len(text)] = (code[s : s + len(text)] & 0xFFFF) | (TEXT << _KIND_SHIFT)
    return chars


def chart_cells(
    tops: list[np.ndarray], looks: list[int], lines: int, line: int, goal: np.ndarray | None = None
) -> np.ndarray:
    """Cell codes of one line of a stacked bar chart.

    `tops[s]` is the cumulative height of series s (in eighths of a line, over `lines`
    lines, non-decreasing in s), drawn in `looks[s]`; `line` 0 is the top line. `goal`
    (eighths) draws a line marker where it is above the bars.
    """
    cells = tops[0].shape[0]
    base = (lines - 1 - line) * 8
    bottom = np.zeros(cells, I64)
    nxt = np.full(cells, np.iinfo(I64).max)
    above = np.zeros(cells, I64)
    # Series from the top down, so the lowest series covering `base` wins.
    lower = np.zeros(cells, I64)
    for top, look in zip(tops, looks):
        covers = (lower <= base) & (top > base)
        bottom = np.where(covers, look, bottom)
        nxt = np.where(covers, np.minimum(nxt, top), nxt)
        lower = top
    k = np.clip(nxt - base, 0, 8)
    # The look just above the first boundary inside this cell.
    probe = base + k
    lower = np.zeros(cells, I64)
    for top, look in zip(tops, looks):
        above = np.where((lower <= probe) & (top > probe) & (k < 8), look, above)
        lower = top
    code = bottom | (bottom << 8)
    part = (bottom != 0) & (k < 8)
    c = bottom | (above << 8) | (BAR << _KIND_SHIFT) | (k << _GLYPH_SHIFT)
    code = np.where(part, c, code)
    if goal is not None:
        g = goal - base
        mark = (bottom == 0) & (g >= 0) & (g < 8)
        code = np.where(mark, Look.GOAL | (BAR_REV << _KIND_SHIFT) | (np.clip(g, 0, 7) << _GLYPH_SHIFT), code)
    return code


@dataclass
class Runs:
    """Per-cell codes as runs: start index and code of each run."""

    starts: np.ndarray
    codes: np.ndarray
    cells: int


def runs_of(code: np.ndarray) -> Runs:
    if code.size == 0:
        return Runs(np.zeros(0, I64), np.zeros(0, I64), 0)
    brk = np.flatnonzero(code[1:] != code[:-1]) + 1
    starts = np.r_[0, brk]
    return Runs(starts, code[starts], int(code.size))


_GOAL_GLYPHS = "▁▁▂─────"  # a line marker at eighth 0..7 of the cell


def encode(runs: Runs, palette: Palette, chars: list[str] | None = None) -> list[Segment]:
    """Rich segments for the runs of one row."""
    segs: list[Segment] = []
    starts = runs.starts.tolist()
    ends = starts[1:] + [runs.cells]
    colour = palette.colour
    for s, e, c in zip(starts, ends, runs.codes.tolist()):
        n = e - s
        fg, bg, kind, gi = c & 0xFF, (c >> 8) & 0xFF, (c >> _KIND_SHIFT) & 0xF, c >> _GLYPH_SHIFT
        if kind == SOLID:
            glyph, style = palette.solid(fg)
            segs.append(Segment(glyph * n, style))
        elif kind == EDGE:
            segs.append(Segment(LEFT_EIGHTHS[gi] * n, palette.cell(fg, bg)))
        elif kind == EDGE_REV:
            segs.append(Segment(LEFT_EIGHTHS[gi] * n, palette.cell(fg, 0, True)))
        elif kind == BUSY:
            segs.append(Segment((BUSY_MANY if gi else BUSY_FEW) * n, palette.busy(fg)))
        elif kind == TEXT:
            text = "".join(chars[s:e]) if chars is not None else " " * n
            segs.append(Segment(text, palette.text_on(fg)))
        elif kind == BAR:
            glyph = LOWER_EIGHTHS[gi] if colour else palette.glyph(fg)
            segs.append(Segment(glyph * n, palette.cell(fg, bg)))
        elif kind == BAR_REV:
            glyph = _GOAL_GLYPHS[gi] if colour else palette.glyph(fg)  # without colour: the legend's glyph
            segs.append(Segment(glyph * n, palette.cell(fg, 0)))
        elif kind == MARK:
            segs.append(Segment(LOG_MARKS[gi] * n, palette.mark(fg, bg)))
        elif kind == DENSITY:
            segs.append(Segment(DENSITY_GLYPHS[gi] * n, palette.cell(fg, bg)))
    return segs


def mark_cells(code: np.ndarray, counts: np.ndarray, look: int = Look.LOG) -> np.ndarray:
    """`code` with a mark in `look` over the cell's own colour where `counts` > 0: one glyph
    for one event in the cell, another for several."""
    has = counts > 0
    if not has.any():
        return code
    under = code & 0xFF
    m = look | (under << 8) | (MARK << _KIND_SHIFT) | (np.where(counts > 1, 1, 0) << _GLYPH_SHIFT)
    return np.where(has, m, code)


def density_cells(eighths: np.ndarray, look: int) -> np.ndarray:
    """Cell codes of a density row (CPU samples): a lower-eighth bar of `eighths[i]` (0..8)
    in `look` over the terminal's background."""
    k = np.clip(eighths.astype(I64), 0, 8)
    return np.where(k > 0, density_code(look, 0, k), 0).astype(I64)


def counter_cells(counter: Counter, edges: np.ndarray, how: str = "mean") -> np.ndarray:
    """Per-cell value of a counter: its time-weighted mean or its maximum in each cell."""
    a, b = edges[:-1], edges[1:]
    if len(counter) == 0:
        return np.zeros(len(a), np.float64)
    if how == "max":
        return counter.max_between(a, b).astype(np.float64)
    return counter.mean_between(a, b)
