"""User logs and goroutine labels in the viewer, on real traces: the Log rows and their marks,
the details of a mark, `/` over logs and labels, hostile text, Go's own count of the events."""

from __future__ import annotations

import re
import time
from collections import Counter as Tally
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import TRACES, GoTool
from tests.test_hostile_text import HOSTILE
from tests.tui.helpers import GCSTW, model_loader, row_index, row_text, run_app, status
from tests.tui.test_hostile import DANGEROUS, _terminal_bytes
from tracetui.gotrace.reader import read_trace
from tracetui.model.from_gotrace import build_model
from tracetui.model.trace import Instants, TrackKind
from tracetui.tui.logs import LabelIndex, LogIndex, mark_counts, search
from tracetui.tui.palette import LOG_MARKS
from tracetui.tui.rows import RowKind, RowSet

ANNOTATIONS = TRACES / "go1.27.3" / "annotations.trace"
_LOG = re.compile(r' G=(-?\d+) Log Time=(\d+) Task=(\d+) Category="(.*)" Message="(.*)"$')
_LABEL = re.compile(r' Label Time=\d+ Label="(.*)" Resource=Goroutine\((\d+)\)$')


def _parsed(gotool: GoTool, path: Path) -> list[str]:
    out = gotool.parsed(path)
    assert out.returncode == 0, out.stderr.decode(errors="replace")
    return out.stdout.decode().splitlines()


def _body(row: str, lw: int) -> str:
    return row[lw:]


def _columns(ts: np.ndarray, t0: int, span: int, cells: int) -> set[int]:
    edges = t0 + (np.arange(cells + 1, dtype=np.int64) * span) // cells
    return set((np.searchsorted(edges, ts, "right") - 1).clip(0, cells - 1).tolist())


@pytest.mark.parametrize("path", sorted(TRACES.glob("go1.*/annotations.trace")), ids=lambda p: p.parent.name)
def test_logs_and_categories_match_go_tool_trace(gotool: GoTool, path: Path) -> None:
    lines = _parsed(gotool, path)
    logs = [m.groups() for m in map(_LOG.search, lines) if m]
    assert logs, "the trace has no Log events"
    trace = build_model(read_trace(str(path)))
    idx = LogIndex(trace)
    assert len(idx) == len(logs)
    per_cat = Tally(c for _, _, _, c, _ in logs)
    assert {idx.category_name(k): idx.select("cat", k).size for k in range(len(idx.categories))} == {
        (c or "(no category)"): n for c, n in per_cat.items()
    }
    rows = RowSet(trace)
    marks = [r.label for r in rows.rows if r.kind == RowKind.MARKS]
    assert marks == [f"Log: {c}" for c in sorted(per_cat, key=lambda c: (c == "", c))[:-1]] + ["Log: (no category)"]
    got = [(idx.goroutine(i), int(idx.task[i]), *idx.text(i)) for i in range(len(idx))]
    assert got == [(int(g), int(t), c or "(no category)", m) for g, _, t, c, m in logs]


def test_labels_match_go_tool_trace(gotool: GoTool) -> None:
    """GoLabel events (GC mark worker modes) by goroutine, as Go's parser lists them."""
    labels = [m.groups() for m in map(_LABEL.search, _parsed(gotool, Path(GCSTW))) if m]
    assert labels
    lab = LabelIndex(build_model(read_trace(GCSTW)))
    want = sorted({int(g) for name, g in labels if name == "GC (idle)"})
    assert lab.goroutines("GC \\(idle\\)") == want
    assert lab.goroutines("dedicated|fractional|idle") == sorted({int(g) for _, g in labels})
    assert lab.goroutines("no such label") == []


def test_log_rows_marks_details_and_search() -> None:
    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        lg = tl.rows.logs
        lw, cells = tl.label_width, tl.cells
        # The "rows" category: a mark in exactly the columns of its logs, nothing elsewhere.
        k = lg.categories.index("rows")
        r = row_index(tl, "Log: rows")
        body_text = _body(row_text(tl, r), lw)
        want = _columns(lg.times("cat", k), tl.t0, tl.span, cells)
        assert {i for i, ch in enumerate(body_text) if ch in LOG_MARKS} == want
        # G1's row carries its own logs' marks over its spans.
        g1 = tl.rows.index_of(tl.rows.goroutine_key(1))
        ts1 = lg.ts[[i for i in range(len(lg)) if lg.goroutine(i) == 1]]
        g1_text = _body(row_text(tl, g1), lw)
        assert {i for i, ch in enumerate(g1_text) if ch in LOG_MARKS} == _columns(ts1, tl.t0, tl.span, cells)
        # On the "request" row: `.` goes to the first log; Enter shows it in full.
        tl.set_row(row_index(tl, "Log: request"))
        await pilot.press("full_stop", "enter")
        first = int(lg.select("cat", lg.categories.index("request"))[0])
        assert tl.cursor_t == int(lg.ts[first])
        details = str(app.query_one("#details-text").render())
        assert "log [request] id=0" in details
        assert "on G1 main.main" in details and "in task 2 (request)" in details
        assert "main.handle" in details  # the stack
        assert "log [request] id=0" in status(app)
        await pilot.press("escape")
        # `/` finds logs: the cursor goes to each one's goroutine row and time; n to the next.
        await pilot.press("slash", *"log:rows", "enter")
        hits = lg.search("rows")
        assert len(app.log_matches) == hits.size == 10
        assert tl.current_row.gid == lg.goroutine(int(hits[0])) and tl.cursor_t == int(lg.ts[hits[0]])
        await pilot.press("n")
        assert tl.current_row.gid == lg.goroutine(int(hits[1])) and tl.cursor_t == int(lg.ts[hits[1]])
        assert f"match 2/{hits.size}" in status(app)
        # A plain search finds the message text too (here no goroutine matches).
        await pilot.press("slash", *"rendered", "enter")
        assert not app.matches and len(app.log_matches) == 5
        await pilot.press("slash", *"nosuchthing", "enter")
        assert "no goroutine or log matches" in status(app)
        # pprof.Do labels are not in the execution trace: `label:` says so.
        assert not len(tl.trace.labels)
        await pilot.press("slash", *"label:shard=0", "enter")
        assert "pprof labels are not in execution traces" in app.note
        # A task lane marks the logs of the tasks drawn on it.
        lane = row_index(tl, "Tasks (3)")
        lane_id = tl.trace.tracks[tl.rows.rows[lane].track].id
        in_lane = np.isin(lg.task, tl.trace.tasks.id[tl.trace.tasks.lane == lane_id])
        assert in_lane.any()
        lane_text = _body(row_text(tl, lane), lw)
        want = _columns(lg.ts[in_lane], tl.t0, tl.span, cells)
        assert {i for i, ch in enumerate(lane_text) if ch in LOG_MARKS} == want
        assert "◆request" in _body(row_text(tl, row_index(tl, "Tasks (2)")), lw)  # labels go around marks

    run_app(body, path=str(ANNOTATIONS), size=(140, 50))


def test_label_search_and_details() -> None:
    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        want = tl.rows.labels.goroutines("GC \\(idle\\)")
        assert want
        await pilot.press("slash", *"label:GC (idle)", "enter")
        assert app.matches == want and not len(app.log_matches)
        assert tl.current_row.gid == want[0]
        ts, _ = tl.rows.labels.of_track(tl.current_row.track)
        tl.centre_on(int(ts[-1]))
        await pilot.press("enter")
        details = str(app.query_one("#details-text").render())
        assert "  label 'GC (" in details and "labels: " in details and "GC (idle) ×" in details

    run_app(body, size=(140, 50))


def test_hostile_log_text_reaches_the_terminal_escaped() -> None:
    table = read_trace(str(ANNOTATIONS))
    s = table.strings.strings
    for i, x in enumerate(s):
        if x in ("request", "id=0"):
            s[i] = HOSTILE + x
    trace = build_model(table)

    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        r = next(i for i, row in enumerate(tl.rows.rows) if row.kind == RowKind.MARKS and "pwned" in row.label)
        tl.set_row(r)
        await pilot.press("full_stop", "enter")
        assert "id=0" in str(app.query_one("#details-text").render())
        out = _terminal_bytes(app)
        for bad in DANGEROUS:
            assert bad not in out, f"{bad!r} reached the terminal"
        assert "\\x1b]0;pwned" in out and "[bold red]boom" in out  # shown, escaped, not markup
        await pilot.press("escape", "slash", *"pwned", "enter")
        assert len(app.log_matches) >= 1
        assert not any(bad in _terminal_bytes(app) for bad in DANGEROUS)

    run_app(body, path=str(ANNOTATIONS), size=(160, 48), loader=model_loader(trace))


def test_logs_survive_perfetto_export(tmp_path: Path) -> None:
    from tracetui.perfetto.reader import read_model
    from tracetui.perfetto.writer import write_trace

    trace = build_model(read_trace(str(ANNOTATIONS)))
    out = tmp_path / "a.pftrace"
    write_trace(trace, str(out))
    back = read_model(str(out))
    a, b = LogIndex(trace), LogIndex(back)
    assert len(b) == len(a) and b.categories == a.categories
    assert [b.text(i) for i in range(len(b))] == [a.text(i) for i in range(len(a))]
    assert [b.goroutine(i) for i in range(len(b))] == [a.goroutine(i) for i in range(len(a))]
    assert [r.label for r in RowSet(back).rows if r.kind == RowKind.MARKS] == [
        r.label for r in RowSet(trace).rows if r.kind == RowKind.MARKS
    ]


def test_many_logs_are_columnar_and_fast() -> None:
    """100k logs on one goroutine: the index and a frame's marks cost milliseconds."""
    trace = build_model(read_trace(str(ANNOTATIONS)))
    n = 100_000
    g1 = trace.track_index(TrackKind.GOROUTINE, 1)
    cat = trace.strings.intern("bulk")
    rng = np.random.default_rng(1)
    ts = np.sort(rng.integers(0, trace.duration, n)).astype(np.int64)
    trace.logs = Instants(
        ts, np.zeros(n, np.uint8), np.full(n, cat, np.int32), np.zeros(n, np.int32), np.full(n, g1, np.int32),
        np.full(n, cat, np.int64), np.full(n, -1, np.int64),
    )  # fmt: skip
    t = time.perf_counter()
    idx = LogIndex(trace)
    times = idx.times("track", g1)
    edges = (np.arange(201, dtype=np.int64) * trace.duration) // 200
    counts = mark_counts(times, edges, True)
    took = time.perf_counter() - t
    assert counts.sum() == n and np.array_equal(counts, np.histogram(ts, edges)[0])
    assert took < 0.5, f"{took:.3f} s"
    assert search(trace, idx, LabelIndex(trace), "log:bulk")[1].size == n


def test_mark_cells_draw_one_or_several_over_the_spans_colour() -> None:
    from tracetui.tui import cells as C
    from tracetui.tui.palette import Look, Palette

    code = np.array([Look.RUNNING | (Look.RUNNING << 8)] * 3 + [0], np.int64)
    marked = C.mark_cells(code, np.array([0, 1, 2, 1]))
    assert marked[0] == code[0]
    for pal in (Palette("256"), Palette("none")):
        text = "".join(s.text for s in C.encode(C.runs_of(marked), pal))
        assert text[1:] == LOG_MARKS[0] + LOG_MARKS[1] + LOG_MARKS[0]  # NO_COLOR reads too
    pal = Palette("256")
    segs = C.encode(C.runs_of(marked), pal)
    assert segs[1].style == pal.cell(Look.LOG, Look.RUNNING)  # over a span: its colour on the span's
    clash = C.encode(C.runs_of(C.mark_cells(code * 0 + (Look.SYSCALL | Look.SYSCALL << 8), np.ones(4))), pal)
    assert clash[0].style == pal.text_on(Look.SYSCALL)  # not pink on magenta: the text colour there
    assert segs[-1].style is not None and segs[-1].style.bgcolor is None  # on an empty cell: the log colour
    assert segs[-1].style.color is not None and segs[-1].style.color.name == "color(206)"
