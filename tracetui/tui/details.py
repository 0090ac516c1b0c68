"""The details of what is under the cursor, as plain text lines (sanitised)."""

from __future__ import annotations

import numpy as np

from tracetui.analysis.cpu import PERIOD_NS, RATE_HZ, top_functions
from tracetui.model.kinds import GCTrack
from tracetui.model.trace import State, Trace, TrackKind
from tracetui.sanitize import safe_text
from tracetui.tui.navigate import FlowIndex, flow_label
from tracetui.tui.rows import Row, RowKind, RowSet
from tracetui.tui.timefmt import duration_text, format_duration, format_time
from tracetui.units import format_bytes

_STATE_NAMES = {
    State.RUNNING: "running",
    State.RUNNABLE: "runnable",
    State.WAITING: "blocked",
    State.SYSCALL: "syscall",
    State.IDLE: "idle",
    State.GC: "GC",
    State.STW: "stop-the-world",
    State.SWEEP: "sweep",
    State.MARK_ASSIST: "mark assist",
    State.TASK: "task",
    State.REGION: "region",
}
# How a host row's sampled states are drawn (its reason says more: the kernel's state name,
# or the runtime's wait reason for a GODEBUG goroutine).
_HOST_STATE_NAMES = {State.IDLE: "idle or sleeping", State.WAITING: "waiting"}
MAX_FRAMES = 32
MAX_LOGS = 5  # logs described at once


def format_value(value: float, unit: str) -> str:
    """A counter's value with its unit: `1.2 MiB`, `3.5 cores`, `120/s`, `7`."""
    if unit == "bytes":
        return format_bytes(int(value))
    if unit in ("", "count"):
        return f"{value:.6g}"
    return f"{value:.6g}{unit}" if unit.startswith("/") else f"{value:.6g} {_s(unit)}"


def _s(text: str) -> str:
    return safe_text(text, keep_newlines=False)


def _goroutine_name(trace: Trace, gid: int) -> str:
    t = trace.goroutine_track(gid)
    return _s(t.name) if t is not None else f"G{gid}"


def stack_lines(trace: Trace, stack: int, indent: str = "  ") -> list[str]:
    if stack <= 0 or stack >= len(trace.stacks.stacks):
        return []
    frames = trace.frames(stack)
    out = [f"{indent}{_s(fn)}  {_s(file)}:{line}" for fn, file, line in frames[:MAX_FRAMES]]
    if len(frames) > MAX_FRAMES:
        out.append(f"{indent}... {len(frames) - MAX_FRAMES} more frames")
    return out


def span_at(rows: RowSet, row: Row, t: int) -> tuple[int, int] | None:
    """[start, end) of the span `describe` reports at `t`: the track's span (a goroutine's
    state, whole, not the piece an assist cuts out of it), or the drawn one for a row of
    no track (assists)."""
    track = rows.track_of(row)
    if row.kind == RowKind.SPANS and track is not None and track.spans is not None:
        flat = track.spans.flat
        i = flat.index_at(t)
        return (int(flat.start[i]), int(flat.end[i])) if i >= 0 else None
    sr = rows.span_row(row)
    i = sr.index_at(t) if sr is not None else -1
    return (int(sr.start[i]), int(sr.end[i])) if sr is not None and i >= 0 else None


def log_lines(rows: RowSet, row: Row, cell: tuple[int, int]) -> list[str]:
    """The logs a row shows in the cell [a, b): category, message, goroutine, task, time, stack."""
    key = rows.log_key(row)
    if key is None:
        return []
    lg = rows.logs
    hit = lg.between(*key, *cell)
    tr = rows.trace
    out: list[str] = []
    for i in hit[:MAX_LOGS].tolist():
        cat, msg = lg.text(i)
        first, *more = msg.split("\n")
        out.append(f"log [{cat}] {first}")
        out.extend("    " + m for m in more)
        gid = lg.goroutine(i)
        task = int(lg.task[i])
        where = [f"at {format_time(int(lg.ts[i]), 100)}"]  # to the ns
        if gid >= 0:
            where.append(f"on {_goroutine_name(tr, gid)}")
        if task > 0:
            where.append(f"in task {task}{_task_name(tr, task)}")
        out.append("  " + ", ".join(where))
        stack = stack_lines(tr, int(lg.stack[i]), "    ")
        if stack:
            out.append("  stack:")
            out.extend(stack)
    if hit.size > MAX_LOGS:
        out.append(f"... {hit.size - MAX_LOGS} more logs in this cell (zoom in with w)")
    return out


def _task_name(trace: Trace, task: int) -> str:
    k = np.flatnonzero(trace.tasks.id == task)
    return f" ({_s(trace.string(int(trace.tasks.name[k[0]])))})" if k.size else ""


def label_lines(rows: RowSet, track: int, t: int) -> list[str]:
    """A goroutine's labels (GoLabel: the runtime's GC worker modes): the one in force at t
    and how many times each was set."""
    ts, ids = rows.labels.of_track(track)
    if not len(ts):
        return []
    tr = rows.trace
    i = int(np.searchsorted(ts, t, "right")) - 1
    out = []
    if i >= 0:
        out.append(f"  label {_s(tr.string(int(ids[i])))!r} since {format_time(int(ts[i]), tr.duration)}")
    u, n = np.unique(ids, return_counts=True)
    out.append("  labels: " + ", ".join(f"{_s(tr.string(int(a)))} ×{int(c)}" for a, c in zip(u, n)))
    return out


def describe(
    rows: RowSet,
    row: Row,
    t: int,
    flows: FlowIndex | None = None,
    cell: tuple[int, int] | None = None,
    resolution: float | None = None,
) -> list[str]:
    """Lines describing row `row` at time `t`; `cell` ([a, b) ns, the cursor's cell) adds the
    logs drawn there first; durations as precise as a column of the view (`resolution` ns)
    needs (see `duration_text`). A CPU sample row counts its samples in `cell` (the app
    passes the marked range A→B instead when both marks are set)."""
    if row.kind == RowKind.SAMPLES:
        return describe_samples(rows, row, cell or (t, t + 1))
    logs = log_lines(rows, row, cell) if cell is not None else []
    if row.kind == RowKind.MARKS:
        if logs:
            return logs
        n = rows.logs.times(*rows.log_key(row) or ("cat", -1)).size
        return [f"{row.label}: {n} logs; none in this cell (, and . go to the previous and next)"]
    lines = _describe(rows, row, t, flows, resolution)
    return [*logs, *([""] if logs and lines else []), *lines]


def _describe(rows: RowSet, row: Row, t: int, flows: FlowIndex | None, resolution: float | None) -> list[str]:
    tr = rows.trace
    at = f"at {format_time(t, tr.duration)}"
    if row.kind == RowKind.GROUP:
        if row.host:
            return [f"host section {_s(row.group_name)}: {row.count} rows (space to fold or unfold)"]
        noun = "tracks" if rows.generic else "goroutines"
        out = [f"group {_s(row.group)}: {row.count} {noun} (space to fold or unfold)"]
        act = rows.activity(row.group)
        if act is not None:
            run, ready, blocked = act.at(t)
            out.append(f"{at}: {run} running, {ready} runnable, {blocked} blocked")
            out.append(f"running time in all: {format_duration(rows.running_time(row.group))}")
        return out
    if row.kind == RowKind.CHART:
        if row.chart.startswith("track:"):
            counter = rows.chart_counters(row)[0]
            value = counter.value_at(t) if len(counter) else 0
            track = rows.track_of(row)
            unit = track.unit if track is not None else ""
            out = [f"{_s(row.label.strip())} {at}: {format_value(float(value), unit)}"]
            if row.host:
                out.append(
                    f"  host counter of {_s(row.group_name)}"
                    + (f", in {_s(unit)}" if unit not in ("", "count") else "")
                )
            return out
        if row.chart == "heap":
            alloc = int(tr.heap_alloc.value_at(t)) if len(tr.heap_alloc) else 0
            goal = int(tr.heap_goal.value_at(t)) if len(tr.heap_goal) else 0
            return [f"Heap {at}", f"  in use {format_bytes(alloc)}, goal {format_bytes(goal)}"]
        parts = []
        for gstate, c in tr.goroutine_counts.items():
            parts.append(f"{_STATE_NAMES.get(gstate, gstate.name.lower())} {int(c.value_at(t)) if len(c) else 0}")
        return [f"Goroutines {at}", "  " + ", ".join(parts)]
    if row.key == ("assists",):
        a = tr.assists
        hit = np.flatnonzero((a.start <= t) & (a.end > t)) if len(a) else np.zeros(0, np.int64)
        if not hit.size:
            return [f"Assists {at}: none"]
        out = [f"Mark assists {at}: {hit.size}"]
        for i in hit[:8].tolist():
            out.append(
                f"  {_goroutine_name(tr, int(a.arg[i]))}  {duration_text(int(a.end[i] - a.start[i]), resolution)}"
            )
        return out
    track = rows.track_of(row)
    if track is None or track.spans is None:
        return []
    flat = track.spans.flat
    i = flat.index_at(t)
    head = _s(track.name)
    if i < 0:
        return [f"{head} {at}: nothing (not alive or no data)"]
    st = int(flat.state[i])
    start, end = int(flat.start[i]), int(flat.end[i])
    reason = tr.string(int(flat.reason[i])) if int(flat.reason[i]) else ""
    arg = int(flat.arg[i])
    names = {**_STATE_NAMES, **_HOST_STATE_NAMES} if track.kind == TrackKind.HOST else _STATE_NAMES
    state = names.get(State(st), str(st)) if st in State._value2member_map_ else str(st)
    if track.kind == TrackKind.GC and track.id == GCTrack.STW:
        state = "stop-the-world"
    what = state + (f" ({_s(reason)})" if reason else "")
    if track.kind == TrackKind.HOST and reason:
        what = _s(reason)  # the kernel's state name ("disk sleep"), or the runtime's wait reason
    lines = [
        f"{head}: {what}",
        (
            f"  from {format_time(start, tr.duration)} to {format_time(end, tr.duration)}, "
            f"duration {duration_text(end - start, resolution)}"
        ),
    ]
    if track.kind == TrackKind.GOROUTINE:
        g = tr.goroutines.index(track.id)
        if st == State.RUNNING and arg >= 0:
            lines.append(f"  on P{arg}")
        if st == State.RUNNABLE and arg >= 0 and arg != track.id:
            lines.append(f"  made runnable by {_goroutine_name(tr, arg)}")
        if flows is not None:
            hop = flows.cause(rows.trace.track_index(TrackKind.GOROUTINE, track.id), t)
            if hop is not None:
                src = tr.tracks[hop.from_track].name if hop.from_track >= 0 else "?"
                lines.append(
                    f"  {flow_label(hop.kind)} by {_s(src)} at {format_time(hop.from_ts, tr.duration)} "
                    f"(press ] to go there)"
                )
        if g >= 0 and int(tr.goroutines.created[g]) >= 0:
            lines.append(f"  created at {format_time(int(tr.goroutines.created[g]), tr.duration)}")
        lines.extend(label_lines(rows, row.track, t))
    elif track.kind in (TrackKind.PROC, TrackKind.THREAD) and arg >= 0:
        if track.kind == TrackKind.PROC and st in (State.RUNNING, State.SYSCALL):
            lines.append(f"  goroutine {_goroutine_name(tr, arg)}")
        elif track.kind == TrackKind.THREAD and st == State.RUNNING:
            lines.append(f"  holding P{arg}")
        elif track.kind == TrackKind.THREAD and st == State.SYSCALL:
            lines.append(f"  goroutine {_goroutine_name(tr, arg)}")
    elif track.kind == TrackKind.GC and track.id == GCTrack.MARK and arg >= 0:
        lines.append(f"  GC cycle {arg}")
    elif track.kind == TrackKind.HOST:
        lines.append(f"  sampled state ({state}) in {_s(track.group)}")
    stack = stack_lines(tr, int(flat.stack[i]))
    if stack:
        # A runnable span's stack is the event's that made it runnable: the unblocker's or creator's.
        lines.append(
            "  made runnable at:" if track.kind == TrackKind.GOROUTINE and st == State.RUNNABLE else "  stack:"
        )
        lines.extend("  " + s for s in stack)
    return lines


def describe_samples(rows: RowSet, row: Row, window: tuple[int, int]) -> list[str]:
    """A CPU sample row over [start, end): how many samples, about how much CPU time, and
    the functions they were in."""
    tr = rows.trace
    a, b = window
    sel = rows.sample_rows(row)
    ts = rows.sample_times(row)
    inside = sel[np.searchsorted(ts, a, "left") : np.searchsorted(ts, b, "left")]
    _, who, ident = row.key
    if who == "p":
        whose = f"P{ident}"
    elif who == "g":
        whose = _goroutine_name(tr, int(ident))  # type: ignore[call-overload]
    elif who == "grp":
        whose = f"group {_s(str(ident))}"
    else:
        whose = "all"
    n = len(inside)
    span = f"{format_time(a, tr.duration)} to {format_time(b, tr.duration)} ({format_duration(b - a)})"
    out = [
        f"CPU samples ({whose}): {n:,} from {span}, about {format_duration(n * PERIOD_NS)} of CPU at {RATE_HZ} Hz",
        f"  {len(sel):,} in the whole trace; m marks a range to count over it",
    ]
    if n:
        out.append("  top functions (samples):")
        out.extend(f"  {c:>7,}  {_s(fn)}" for fn, c in top_functions(tr, inside))
    return out
