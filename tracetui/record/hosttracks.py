"""The process sampler's data as HOST tracks of the model, on the trace's clock.

Per process, a section named after the program (`pingpong (pid 4711)`) with counters (CPU
and run-queue wait in cores, RSS in bytes, timeslices per second) and one span track per
thread holding its sampled states (RUNNING, IDLE = sleeping or idle, WAITING = disk wait,
stopped, ...; reason = the kernel's state name). The sampler reads CLOCK_MONOTONIC, the
clock of Go traces, so times are the samples' minus the trace's `base_time`.
"""

from __future__ import annotations

import numpy as np

from tracetui.gotrace.events import StringTable
from tracetui.model.trace import (
    I64,
    Counter,
    Spans,
    State,
    Trace,
    Track,
    TrackKind,
)
from tracetui.record.sampler import Samples

# The kernel's names of /proc/<pid>/stat state letters, and the model state of each.
STATE_NAMES = {"R": "running", "S": "sleeping", "D": "disk wait", "T": "stopped", "t": "traced", "Z": "zombie",
               "X": "dead", "I": "idle", "P": "parked", "W": "waking", "K": "wakekill"}  # fmt: skip
_STATES = {"R": State.RUNNING, "S": State.IDLE, "I": State.IDLE}  # anything else: WAITING


def section(name: str, pid: int) -> str:
    """The host section of a program: `pingpong (pid 4711)`."""
    return f"{name} (pid {pid})"


def next_host_id(trace: Trace) -> int:
    """A HOST track id above those the trace has."""
    return 1 + max((t.id for t in trace.tracks if t.kind == TrackKind.HOST), default=-1)


def clip_counter(ts: np.ndarray, value: np.ndarray, duration: int | None) -> Counter:
    """A counter of relative points, kept within [0, duration]: the value in effect at 0
    (the last point before it) moves to 0, points after duration are dropped."""
    if duration is not None:
        keep = ts <= duration
        ts, value = ts[keep], value[keep]
    before = np.flatnonzero(ts < 0)
    if before.size:
        k = int(before[-1])
        ts, value = ts[k:].copy(), value[k:]
        ts[0] = 0
    return Counter(np.ascontiguousarray(ts, I64), np.ascontiguousarray(value))


def state_spans(start: np.ndarray, end: np.ndarray, state: np.ndarray, reason: np.ndarray,
                duration: int | None) -> Spans:  # fmt: skip
    """Sampled-state spans clipped to [0, duration] (empty ones dropped)."""
    lo = np.maximum(start, 0)
    hi = end if duration is None else np.minimum(end, duration)
    keep = hi > lo
    n = int(keep.sum())
    return Spans(lo[keep].astype(I64), hi[keep].astype(I64), state[keep].astype(np.uint8),
                 reason[keep].astype(np.int32), np.zeros(n, np.int32), np.full(n, -1, I64))  # fmt: skip


def host_tracks(s: Samples, base_time: int, strings: StringTable, *, duration: int | None = None,
                first_id: int = 0) -> list[Track]:  # fmt: skip
    """The samples as HOST tracks, times relative to base_time (CLOCK_MONOTONIC ns) and
    within [0, duration] when it is given; state names interned in `strings`; track ids
    from first_id on."""
    if len(s) == 0 and not s.pts.size:
        return []
    period = int(1e9 / s.hz)
    letters = [chr(c) for c in range(256)]
    state_of = np.array([int(_STATES.get(c, State.WAITING)) for c in letters], np.uint8)
    reason_of = np.zeros(256, np.int32)
    for c in sorted({chr(c) for c in np.unique(s.state).tolist()}):
        reason_of[ord(c)] = strings.intern(STATE_NAMES.get(c, f"state {c}"))
    out: list[Track] = []

    def add(name: str, group: str, **kw: object) -> None:
        out.append(Track(TrackKind.HOST, first_id + len(out), name, group, **kw))  # type: ignore[arg-type]

    for pid in np.unique(np.r_[s.pid, s.ppid]).tolist():
        group = section(s.process_names.get(pid, "process"), pid)
        prow = np.flatnonzero(s.ppid == pid)
        trow = np.flatnonzero(s.pid == pid)
        for name, unit, ts, val in _process_counters(s, trow, prow):
            add(name, group, counter=clip_counter(ts - base_time, val, duration), unit=unit)
        tids = s.tid[trow]
        for tid in np.unique(tids).tolist():
            rows = trow[tids == tid]  # in time order (the sampler appends)
            ts, st = s.ts[rows] - base_time, s.state[rows]
            change = np.flatnonzero(np.r_[True, st[1:] != st[:-1]])
            end = np.r_[ts[change[1:]], min(int(ts[-1]) + period, s.end_ns - base_time)]
            sp = state_spans(ts[change], np.maximum(end, ts[change]), state_of[st[change]], reason_of[st[change]],
                             duration)  # fmt: skip
            add(f"{s.thread_names.get(tid, 'thread')} (tid {tid})", group, spans=sp)
    return out


def _process_counters(s: Samples, trow: np.ndarray, prow: np.ndarray) -> list[tuple[str, str, np.ndarray, np.ndarray]]:
    """(name, unit, absolute ts, values) of a process's counters. A rate over the interval
    between two samples holds from the first of them."""
    out: list[tuple[str, str, np.ndarray, np.ndarray]] = []
    if trow.size:
        ts, tid = s.ts[trow], s.tid[trow]
        order = np.lexsort((ts, tid))
        first = np.r_[True, tid[order][1:] != tid[order][:-1]]
        ticks, at = np.unique(ts, return_inverse=True)
        if ticks.size >= 2:
            dt = np.diff(ticks).astype(np.float64)
            for name, col, unit, scale in (("CPU", s.cpu_ns, "cores", 1.0), ("Run-queue wait", s.wait_ns, "cores", 1.0),
                                           ("Timeslices", s.slices, "/s", 1e9)):  # fmt: skip
                v = col[trow][order]
                d = np.where(first, 0, np.r_[0, np.diff(v)])
                per_tick = np.bincount(at[order], weights=d.astype(np.float64), minlength=ticks.size)
                out.append((name, unit, ticks[:-1], per_tick[1:] / dt * scale))  # ns per ns = cores
    if prow.size:
        out.append(("RSS", "bytes", s.pts[prow], s.rss[prow].astype(I64)))
    return out


def with_host(trace: Trace, tracks: list[Track]) -> Trace:
    """The trace with the HOST tracks added after its own (indices of existing tracks,
    which flows and instants refer to, are unchanged)."""
    trace.tracks.extend(tracks)
    return trace


def host_model(s: Samples, *, tracks: bool = True) -> Trace:
    """A recording without a Go trace (plain mode): the sampler's tracks alone (or none,
    for the caller to add), source "host", over the sampling span."""
    strings = StringTable()
    base = int(s.start_ns)
    duration = max(int(s.end_ns) - base, 0)
    return Trace.bare(base_time=base, duration=duration, strings=strings, source="host",
                      tracks=host_tracks(s, base, strings, duration=duration) if tracks else [],
                      events=len(s) + int(s.pts.size))  # fmt: skip
