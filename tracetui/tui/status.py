"""The status line's words: what is under the cursor, the live recording's indicator."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from tracetui.tui.details import describe, span_at
from tracetui.tui.rows import RowKind
from tracetui.tui.timefmt import duration_text, format_duration, format_time
from tracetui.tui.widgets.timeline import Timeline
from tracetui.units import count_text

if TYPE_CHECKING:
    from tracetui.live.loader import LiveStatus


def live_text(live: LiveStatus, stopping: bool = False) -> str:
    """The LIVE indicator: `● LIVE 12.3 s  38.2 k ev/s  13 G  GC 4  sched p99 17.7µs`."""
    head = "■ ENDED" if live.ended else "◼ STOPPING" if stopping else "● LIVE"
    parts = [f"{head} {format_duration(int(live.elapsed_s * 1e9))}", f"{count_text(int(live.events_per_s))} ev/s"]  # fmt: skip
    if live.goroutines:  # (a GODEBUG recording has no goroutine table)
        parts.append(f"{live.goroutines} G")
    parts.append(f"GC {live.gc_cycles}")
    if live.sched_p99_ns:
        parts.append(f"sched p99 {format_duration(live.sched_p99_ns)}")
    if live.gaps:  # between pprof windows: not traced (the "Not traced" row shows where)
        parts.append(f"{live.gaps} gap{'s' if live.gaps != 1 else ''} ({format_duration(live.gap_ns)} not traced)")
    if live.skipped:
        parts.append(f"skipping ahead: {live.skipped} {live.pieces} not drawn")
    return "  ".join(parts)


def cursor_parts(tl: Timeline) -> list[str]:
    """The status line's first parts: the row and time under the cursor, what is there (a
    span, a group's counts, CPU samples, a host counter's value, a log), the view, the marks."""
    row = tl.current_row
    parts = [row.label.strip() or row.chart, format_time(tl.cursor_t + tl.time_offset, tl.span)]
    sp = span_at(tl.rows, row, tl.cursor_t)
    if sp is not None:  # the span the details pane describes, its duration printed alike
        lines = describe(tl.rows, row, tl.cursor_t)
        what = lines[0].split(": ", 1)[1] if lines and ": " in lines[0] else ""
        parts.append(f"{what} {duration_text(sp[1] - sp[0], tl.resolution)}".strip())
    elif row.kind == RowKind.GROUP and not row.host:  # a goroutine group: its counts at the cursor
        lines = describe(tl.rows, row, tl.cursor_t)
        if len(lines) > 1:
            parts.append(lines[1].split(": ", 1)[1])
    elif row.kind == RowKind.SAMPLES:  # CPU samples in the cursor's column (or A→B)
        a, b = tl.cursor_window()
        ts = tl.rows.sample_times(row)
        n = int(np.searchsorted(ts, b, "left") - np.searchsorted(ts, a, "left"))
        parts.append(f"{n} CPU sample{'s' if n != 1 else ''}" + (" A→B" if len(tl.marks) == 2 else ""))
    elif row.kind == RowKind.CHART and row.host:  # a host counter: its value with its unit
        lines = describe(tl.rows, row, tl.cursor_t)
        if lines and ": " in lines[0]:
            parts.append(lines[0].rsplit(": ", 1)[1])
    key = tl.rows.log_key(row)
    if key is not None:  # the log(s) in the cursor's cell
        hit = tl.rows.logs.between(*key, *tl.cursor_cell())
        if hit.size:
            cat, msg = tl.rows.logs.text(int(hit[0]))
            more = f" (+{hit.size - 1})" if hit.size > 1 else ""
            parts.append(f"log [{cat}] {msg.splitlines()[0] if msg else ''}{more}")
    parts.append(f"view {format_duration(tl.span)}")
    if len(tl.marks) == 2:
        parts.append(f"A→B {format_duration(abs(tl.marks[1] - tl.marks[0]))}")
    elif len(tl.marks) == 1:
        parts.append(f"A {format_time(tl.marks[0], tl.span)} (m: set B)")
    return parts
