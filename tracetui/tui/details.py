"""The details of what is under the cursor, as plain text lines (sanitised)."""

from __future__ import annotations

import numpy as np

from tracetui.model.kinds import GCTrack
from tracetui.model.trace import State, Trace, TrackKind
from tracetui.sanitize import safe_text
from tracetui.tui.navigate import FlowIndex, flow_label
from tracetui.tui.rows import Row, RowKind, RowSet
from tracetui.tui.timefmt import format_duration, format_time
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


def describe(rows: RowSet, row: Row, t: int, flows: FlowIndex | None = None) -> list[str]:
    """Lines describing row `row` at time `t`."""
    tr = rows.trace
    at = f"at {format_time(t, tr.duration)}"
    if row.kind == RowKind.GROUP:
        if row.host:
            return [f"host section {_s(row.group_name)}: {row.count} rows (space to fold or unfold)"]
        noun = "tracks" if rows.generic else "goroutines"
        return [f"group {_s(row.group)}: {row.count} {noun} (space to fold or unfold)"]
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
            out.append(f"  {_goroutine_name(tr, int(a.arg[i]))}  {format_duration(int(a.end[i] - a.start[i]))}")
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
            f"duration {format_duration(end - start)}"
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
