"""What the cells of a row show: hand-made spans with known answers, and the real trace's
rows against the model's own time-in-state sums."""

from __future__ import annotations

import numpy as np
import pytest

from tests.tui.helpers import GCSTW
from tracetui.load import open_model
from tracetui.model.trace import Counter, State, TrackKind
from tracetui.tui import cells as C
from tracetui.tui.palette import (
    BUSY_FEW,
    BUSY_MANY,
    LEFT_EIGHTHS,
    LEGEND,
    LOWER_EIGHTHS,
    PLACES,
    Look,
    Palette,
)
from tracetui.tui.rows import RowKind, RowSet

R, W = Look.RUNNING, Look.BLOCK_SYNC


def _row(*spans: tuple[int, int, int]) -> C.SpanRow:
    a = np.array(spans, np.int64).reshape(-1, 3)
    return C.SpanRow(a[:, 0].copy(), a[:, 1].copy(), a[:, 2].astype(np.uint8))


def _edges(cells: int, width: int) -> np.ndarray:
    return np.arange(cells + 1, dtype=np.int64) * width


def _kind(code: np.ndarray) -> np.ndarray:
    return (code >> 16) & 0xF


def test_solid_cells_and_gaps() -> None:
    row = _row((0, 400, R), (400, 800, W))  # cells of 100 ns: 4 running, 4 blocked, 2 nothing
    code = C.span_cells(row, _edges(10, 100))
    assert (code[:4] & 0xFF).tolist() == [R] * 4
    assert (code[4:8] & 0xFF).tolist() == [W] * 4
    assert code[8:].tolist() == [0, 0]
    assert (_kind(code) == C.SOLID).all()


@pytest.mark.parametrize("at, eighths", [(125, 2), (150, 4), (190, 7), (101, 0), (199, 8)])
def test_one_change_is_drawn_where_it_falls(at: int, eighths: int) -> None:
    row = _row((0, at, R), (at, 1000, W))
    code = C.span_cells(row, _edges(10, 100))
    cell = int(code[1])
    if eighths in (0, 8):  # the change is at the cell's edge: solid
        assert _kind(code)[1] == C.SOLID
        assert cell & 0xFF == (W if eighths == 0 else R)
        return
    assert _kind(code)[1] == C.EDGE
    assert cell >> 20 == eighths
    assert (cell & 0xFF, (cell >> 8) & 0xFF) == (R, W)  # left colour, right colour
    segs = C.encode(C.runs_of(code), Palette("256"))
    assert LEFT_EIGHTHS[eighths] in "".join(s.text for s in segs)


def test_a_span_starting_mid_cell_after_nothing_uses_the_reversed_glyph() -> None:
    row = _row((150, 1000, R))
    code = C.span_cells(row, _edges(10, 100))
    assert _kind(code)[1] == C.EDGE_REV and code[1] >> 20 == 4
    segs = C.encode(C.runs_of(code), Palette("256"))
    rev = [s for s in segs if s.text == LEFT_EIGHTHS[4]]
    assert rev and rev[0].style.reverse


def test_busy_cells_show_the_dominant_state() -> None:
    # Cell 0: running 70 ns, blocked 30 ns in 6 pieces; cell 1: one state.
    spans = [(0, 40, R), (40, 45, W), (45, 60, R), (60, 70, W), (70, 85, R), (85, 100, W), (100, 200, W)]
    code = C.span_cells(_row(*spans), _edges(2, 100))
    assert _kind(code)[0] == C.BUSY and code[0] & 0xFF == R and code[0] >> 20 == 1  # >= 5 changes: dense
    assert _kind(code)[1] == C.SOLID and code[1] & 0xFF == W


def test_without_colour_states_differ_by_glyph() -> None:
    pal = Palette("none")
    row = _row((0, 430, R), (430, 1000, W))
    code = C.span_cells(row, _edges(10, 100), colour=False)
    text = "".join(s.text for s in C.encode(C.runs_of(code), pal))
    assert text == pal.glyph(R) * 4 + pal.glyph(W) * 6  # the change at 4.3 cells: the larger part
    assert all(s.style is None or not s.style.color for s in C.encode(C.runs_of(code), pal))


def test_every_look_has_a_place() -> None:
    placed = {k for looks in PLACES.values() for k in looks}
    assert placed == set(Look)
    assert set(LEGEND) == set(Look) - {Look.NONE}  # the legend can name every look


@pytest.mark.parametrize("system", ["truecolor", "256", "16", "none"])
def test_looks_that_meet_look_different(system: str) -> None:
    """Within each place (span rows, each chart) no two looks are drawn alike (character,
    colour and background): in colour, a background of its own (or a coloured glyph);
    without, a glyph of its own. Checked over every look, so new looks are too."""
    pal = Palette(system)
    for place, looks in PLACES.items():
        drawn: dict[tuple[str, object, object], Look] = {}
        for look in looks:
            glyph, style = pal.solid(look)
            key = (glyph, style.color, style.bgcolor)
            assert key not in drawn, f"{system}, {place}: {look.name} is drawn as {drawn[key].name}"
            drawn[key] = look


def test_glyphs_mean_one_thing() -> None:
    """Each look's glyph is its own, and no partial-cell or busy mark is a look's glyph."""
    pal = Palette("none")
    glyphs = [pal.glyph(k) for k in Look]
    assert len(set(glyphs)) == len(glyphs)
    marks = set(LEFT_EIGHTHS[1:8]) | set(LOWER_EIGHTHS[1:8]) | {BUSY_FEW, BUSY_MANY}
    assert not marks & set(glyphs), marks & set(glyphs)
    assert len({BUSY_FEW, BUSY_MANY}) == 2


def test_idle_differs_from_nothing_in_colour() -> None:
    row = _row((0, 500, Look.IDLE))
    pal = Palette("16")
    text = "".join(s.text for s in C.encode(C.runs_of(C.span_cells(row, _edges(10, 100))), pal))
    assert text == pal.glyph(Look.IDLE) * 5 + " " * 5


def test_labels_are_written_where_they_fit() -> None:
    row = _row((0, 1000, R), (1000, 1200, W))
    row.labels = lambda idx: ["G7 main.worker" if i == 0 else "" for i in idx]
    edges = _edges(12, 100)
    code = C.span_cells(row, edges)
    chars = C.label_cells(row, edges, code)
    assert chars is not None and "".join(chars[:9]) == "G7 main.…"  # cut, and the span's last cell free
    assert (_kind(code)[:9] == C.TEXT).all() and (_kind(code)[9:] == C.SOLID).all()


@pytest.mark.parametrize("system", ["256", "16", "none"])
def test_labels_of_adjacent_spans_never_run_together(system: str) -> None:
    """Two spans side by side, both labelled (a P running G1 then G2 at once): a cell
    without text between the labels, in every colour system."""
    row = _row((0, 600, R), (600, 1400, R), (1400, 1800, R))
    names = {0: "G1 main.worker", 1: "G2 fmt", 2: "G3 main.x"}
    row.labels = lambda idx: [names[i] for i in idx]
    edges = _edges(18, 100)
    pal = Palette(system)
    code = C.span_cells(row, edges, pal.colour)
    chars = C.label_cells(row, edges, code)
    assert chars is not None
    text = "".join(chars)
    assert text.startswith("G1 m…") and "G2 fmt" in text and "G3…" in text  # cut with "…" where they must be
    drawn = "".join(s.text for s in C.encode(C.runs_of(code), pal, chars))
    for a, b in (("m…", "G2"), ("fmt", "G3")):  # the first label ends, a free cell, the next begins
        gap = drawn[drawn.index(a) + len(a) : drawn.index(b)]
        assert len(gap) >= 1 and not any(c.isalnum() or c in "…" for c in gap), (drawn, gap)
    assert (_kind(code)[[5, 13, 17]] != C.TEXT).all()  # the last cell of each span has no text


def test_chart_cells_stack_series_in_eighths() -> None:
    # Two lines (16 eighths). Cell 0: series 1 up to 5, series 2 up to 12; cell 1: empty.
    tops = [np.array([5, 0]), np.array([12, 0])]
    bottom = C.chart_cells(tops, [Look.RUNNING, Look.RUNNABLE], 2, 1)
    top = C.chart_cells(tops, [Look.RUNNING, Look.RUNNABLE], 2, 0)
    # Bottom line: running to 5/8, runnable above it.
    assert _kind(bottom)[0] == C.BAR and bottom[0] >> 20 == 5
    assert (bottom[0] & 0xFF, (bottom[0] >> 8) & 0xFF) == (Look.RUNNING, Look.RUNNABLE)
    # Top line: runnable from 8 to 12 = 4/8 of the cell, nothing above.
    assert _kind(top)[0] == C.BAR and top[0] >> 20 == 4 and (top[0] >> 8) & 0xFF == 0
    assert bottom[1] == 0 and top[1] == 0


def test_counter_mean_and_max_between() -> None:
    c = Counter(np.array([0, 10, 20], np.int64), np.array([1, 5, 3], np.int64))
    mean = c.mean_between(np.array([0, 5, 20]), np.array([10, 15, 30]))
    assert mean.tolist() == [1.0, 3.0, 3.0]
    assert c.max_between(np.array([0, 12]), np.array([11, 30])).tolist() == [5, 5]


def test_real_rows_agree_with_the_model() -> None:
    """On a real trace, a fully running cell of a goroutine row is one the model says was
    running the whole cell; an empty cell is one where the goroutine did not exist."""
    trace = open_model(GCSTW).trace
    rows = RowSet(trace)
    cells = 300
    edges = np.linspace(0, trace.duration, cells + 1).astype(np.int64)
    checked = 0
    for row in rows.rows:
        if row.kind != RowKind.SPANS or row.gid < 0:
            continue
        spans = trace.tracks[row.track].spans
        code = C.span_cells(rows.span_row(row), edges)
        solid_run = (_kind(code) == C.SOLID) & ((code & 0xFF) == Look.RUNNING)
        width = np.diff(edges)
        run_time = spans.time_in_state_many(State.RUNNING, edges[:-1], edges[1:])
        assist = rows.assists_of(row.gid)
        if assist is None:  # assists repaint running time
            # Solid: running all the cell but for a change within 1/16 of its edge (rounding).
            assert (run_time[solid_run] >= width[solid_run] - width[solid_run] // 16).all()
        alive = sum(spans.time_in_state_many(s, edges[:-1], edges[1:]) for s in (2, 3, 4, 5))
        assert (code[alive == 0] == 0).all()
        assert (alive[code == 0] <= width[code == 0] // 16).all()  # at most a rounding of 1/16 cell
        checked += 1
    assert checked == sum(1 for t in trace.tracks if t.kind == TrackKind.GOROUTINE)


def test_without_colour_charts_draw_the_legend_glyphs() -> None:
    """Bars and the goal line draw each series' own glyph (no eighth blocks that could be
    read as another look)."""
    tops = [np.array([3, 12, 0])]
    goal = np.array([14, 13, 1])
    pal = Palette("none")
    drawn = ""
    for line in (0, 1):
        code = C.chart_cells(tops, [Look.HEAP], 2, line, goal)
        drawn += "".join(s.text for s in C.encode(C.runs_of(code), pal))
    assert set(drawn) <= {pal.glyph(Look.HEAP), pal.glyph(Look.GOAL), " "}
    assert pal.glyph(Look.HEAP) in drawn and pal.glyph(Look.GOAL) in drawn
