"""The process sampler's data as HOST tracks of the model, on the trace's clock.

Per process, a section named after the program (`pingpong (pid 4711)`) with counters (CPU
and run-queue wait in cores, RSS in bytes, timeslices per second; minor and major faults
and bytes read from and written to disk, counted since the process began as /proc counts
them; migrations and context switches of its threads per second) and one span track per
thread holding its sampled states (RUNNING, IDLE = sleeping or idle, WAITING = disk wait,
stopped, ...; reason = the kernel's state name). Before them, a "Host (system)" section:
the page cache, dirty and writeback bytes, each CPU's MHz, NUMA hits and misses since the
recording began. Names are model/hostnames.py's. The sampler reads CLOCK_MONOTONIC, the
clock of Go traces, so times are the samples' minus the trace's `base_time`.
"""

from __future__ import annotations

import numpy as np

from tracetui.gotrace.events import StringTable
from tracetui.model import hostnames as H
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
    if len(s) == 0 and not s.pts.size and not s.yts.size:
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

    for name, unit, ts, val in _system_counters(s):
        add(name, H.SYSTEM, counter=clip_counter(ts - base_time, val, duration), unit=unit)
    for pid in np.unique(np.r_[s.pid, s.ppid]).tolist():
        group = section(s.process_names.get(pid, "process"), pid)
        prow = np.flatnonzero(s.ppid == pid)
        trow = np.flatnonzero(s.pid == pid)
        counters = _process_counters(s, trow, prow) + _sched_counters(s, pid) + _node_counters(s, trow)
        for name, unit, ts, val in counters:
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
        for name, col, unit in ((H.MINOR_FAULTS, s.minflt, "count"), (H.MAJOR_FAULTS, s.majflt, "count"),
                                (H.DISK_READ, s.read_bytes, "bytes"), (H.DISK_WRITE, s.write_bytes, "bytes")):  # fmt: skip
            if col.size == s.pts.size:
                keep = prow[col[prow] >= 0]  # -1: /proc/PID/io was not readable
                if keep.size:
                    out.append((name, unit, s.pts[keep], col[keep].astype(I64)))
    return out


Series = list[tuple[str, str, np.ndarray, np.ndarray]]  # (name, unit, absolute ts, values)


def _rates(ts: np.ndarray, key: np.ndarray, cols: list[np.ndarray]) -> list[np.ndarray]:
    """Per tick, the rate (/s) of each column's increase summed over the keys (threads), a
    key's first sample counting 0; the rate over [tick i, tick i+1) holds from tick i, and
    the last tick has 0 (so rate x time sums to the count). The ticks first."""
    order = np.lexsort((ts, key))
    first = np.r_[True, key[order][1:] != key[order][:-1]]
    ticks, at = np.unique(ts, return_inverse=True)
    dt = np.diff(ticks).astype(np.float64)
    out = [ticks]
    for col in cols:
        v = col[order]
        d = np.where(first, 0, np.r_[0, np.diff(v)])
        per_tick = np.bincount(at[order], weights=d.astype(np.float64), minlength=ticks.size)
        out.append(np.r_[per_tick[1:] / dt * 1e9, 0.0])
    return out


def _sched_counters(s: Samples, pid: int) -> Series:
    """Migrations and context switches of a process's threads per second (their `sched`)."""
    rows = np.flatnonzero(s.spid == pid)
    if np.unique(s.sts[rows]).size < 2:
        return []
    ticks, *rates = _rates(s.sts[rows], s.stid[rows], [s.migrations[rows], s.switches[rows], s.involuntary[rows]])
    return [(name, "/s", ticks, r) for name, r in zip((H.MIGRATIONS, H.SWITCHES, H.INVOLUNTARY), rates, strict=True)]


def _node_counters(s: Samples, trow: np.ndarray) -> Series:
    """On a host with several NUMA nodes: per node, how many of the process's sampled
    threads last ran on one of its CPUs, per tick."""
    nodes = s.facts.get("numa_nodes") or {}
    if len(nodes) < 2 or s.last_cpu.size != s.ts.size or not trow.size:
        return []
    node_of = np.full(max(max(c, default=0) for c in nodes.values()) + 2, -1, I64)
    for node, cpus in nodes.items():
        node_of[np.asarray(cpus, I64)] = int(node)
    cpu = s.last_cpu[trow]
    node = node_of[np.where((cpu >= 0) & (cpu < node_of.size - 1), cpu, node_of.size - 1)]
    ticks, at = np.unique(s.ts[trow], return_inverse=True)
    return [(f"{H.THREADS_ON_NODE}{n}", "count", ticks, np.bincount(at, weights=node == int(n), minlength=ticks.size)
             .astype(I64)) for n in sorted(nodes, key=int)]  # fmt: skip


def _system_counters(s: Samples) -> Series:
    """The system-wide series: page cache, dirty and writeback bytes, NUMA page allocations
    since the first sample, each CPU's MHz (or their min, mean and max above 16 CPUs)."""
    out: Series = []
    if s.yts.size:
        for name, col in ((H.PAGE_CACHE, s.cached), (H.DIRTY, s.dirty), (H.WRITEBACK, s.writeback)):
            if (col >= 0).all():
                out.append((name, "bytes", s.yts, col.astype(I64)))
        for name, col in ((H.NUMA_HIT, s.numa_hit), (H.NUMA_MISS, s.numa_miss), (H.NUMA_FOREIGN, s.numa_foreign)):
            if (col >= 0).all():
                out.append((name, "pages", s.yts, (col - col[0]).astype(I64)))
    if s.mts.size and s.mhz.ndim == 2 and s.mhz.shape[1]:
        m = s.mhz.astype(np.float64)
        if m.shape[1] <= 16:
            out += [(H.cpu_frequency(c), H.MHZ_UNIT, s.mts, m[:, c].copy()) for c in range(m.shape[1])]
        else:
            out += [(H.cpu_frequency(k), H.MHZ_UNIT, s.mts, f(m, axis=1)) for k, f in
                    (("min", np.min), ("mean", np.mean), ("max", np.max))]  # fmt: skip
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
    model = Trace.bare(base_time=base, duration=duration, strings=strings, source="host",
                       tracks=host_tracks(s, base, strings, duration=duration) if tracks else [],
                       events=len(s) + int(s.pts.size))  # fmt: skip
    model.host_facts = dict(s.facts)
    return model
