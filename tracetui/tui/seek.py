"""Where the cursor goes on one row: the next state change (span edge, log, sample, count
change), the span under a time, the row's longest span. Pure functions of the row set."""

from __future__ import annotations

import numpy as np

from tracetui.tui.palette import Look
from tracetui.tui.rows import Row, RowKind, RowSet


def _next_time(ts: np.ndarray, t: int, forward: bool) -> int | None:
    """The first time in sorted `ts` after t (forward), or the last one before it."""
    i = int(np.searchsorted(ts, t, "right")) if forward else int(np.searchsorted(ts, t, "left")) - 1
    return int(ts[i]) if 0 <= i < len(ts) else None


def boundary(rows: RowSet, row: Row, t: int, forward: bool) -> int | None:
    """The row's next (previous) state change from t, None if there is none."""
    sr = rows.span_row(row)
    if sr is not None:
        return sr.boundaries(t, forward)
    if row.kind == RowKind.MARKS:
        key = rows.log_key(row)
        return _next_time(rows.logs.times(*key) if key is not None else np.zeros(0, np.int64), t, forward)
    if row.kind == RowKind.SAMPLES:
        return _next_time(rows.sample_times(row), t, forward)
    if row.kind == RowKind.CHART:
        counters = rows.chart_counters(row)
    elif row.kind == RowKind.GROUP and (act := rows.activity(row.group)) is not None:
        counters = [act.running, act.runnable, act.blocked]  # a change in a group's counts
    else:
        return None
    found = [x for x in (_next_time(c.ts, t, forward) for c in counters) if x is not None]
    return (min(found) if forward else max(found)) if found else None


def span_at(rows: RowSet, row: Row, t: int) -> tuple[int, int] | None:
    """[start, end) of the row's span at t."""
    sr = rows.span_row(row)
    if sr is None:
        return None
    i = sr.index_at(t)
    if i < 0:
        return None
    return int(sr.start[i]), int(sr.end[i])


def longest_span(rows: RowSet, row: Row) -> tuple[int, int] | None:
    """[start, end) of the row's longest span (idle time aside)."""
    sr = rows.span_row(row)
    if sr is None or not len(sr):
        return None
    dur = np.where((sr.look != Look.NONE) & (sr.look != Look.IDLE), sr.end - sr.start, -1)
    i = int(np.argmax(dur))
    if dur[i] < 0:
        return None
    return int(sr.start[i]), int(sr.end[i])
