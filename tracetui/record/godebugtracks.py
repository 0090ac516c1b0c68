"""GODEBUG schedtrace/gctrace columns as Perfetto tracks (all marked as sampled, except the
GC phases, whose durations are gctrace's own).

GC: per cycle, its STW sweep termination, concurrent mark and STW mark termination, ending
when its line arrived. Scheduler: counters from each SCHED line (threads, idle Ps,
spinning and idle threads, run queues); with scheddetail, each P's status and each
goroutine's state (up to MAX_G goroutines) as slices from one dump to the next, and
goroutine counts per state.
"""

from __future__ import annotations

import numpy as np
from perfetto.protos.perfetto.trace import perfetto_trace_pb2 as pb

from tracetui.record.godebug import RuntimeLog
from tracetui.record.proctracks import BEGIN, END, descriptor, encode_events

COUNTER = 4
MAX_G = 200
P_STATUS = {0: "idle", 1: "running", 2: "syscall", 3: "gcstop", 4: "dead"}
G_STATUS = {0: "idle", 1: "runnable", 2: "running", 3: "syscall", 4: "waiting", 6: "dead", 8: "copystack",
            9: "preempted", 10: "leaked", 11: "dead (extra)"}  # fmt: skip


def _name(b: bytes) -> bytes:
    return b[:120]


class _Out:
    def __init__(self, first_uuid: int) -> None:
        self.parts: list[bytes] = []
        self.uuid = first_uuid

    def track(self, name: str, parent: int | None, rank: int, counter: bool = False) -> int:
        u = self.uuid
        self.uuid += 1
        unit = pb.CounterDescriptor.UNIT_UNSPECIFIED if counter else None
        self.parts.append(descriptor(u, name, parent, counter=unit, rank=rank))
        return u

    def counter(self, name: str, parent: int, rank: int, ts: np.ndarray, value: np.ndarray) -> None:
        if ts.size:
            u = self.track(name, parent, rank, counter=True)
            self.parts.append(encode_events(ts, np.full(ts.size, u), np.full(ts.size, COUNTER),
                                            value=value.astype(np.float64)))  # fmt: skip

    def slices(self, name: str, parent: int, rank: int, start: np.ndarray, end: np.ndarray, label: np.ndarray,
               names: list[bytes]) -> None:  # fmt: skip
        if not start.size:
            return
        u = self.track(name, parent, rank)
        m = start.size
        ts = np.empty(2 * m, np.int64)
        ts[0::2], ts[1::2] = start, end
        typ = np.tile(np.array([BEGIN, END]), m)
        self.parts.append(encode_events(ts, np.full(2 * m, u), typ, name=names, name_idx=np.repeat(label, 2)))


def _sampled_runs(ts: np.ndarray, key: np.ndarray, state: np.ndarray, period: int,
                  dumps: np.ndarray) -> dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]:  # fmt: skip
    """Per key (a P or G id): runs of equal state from one dump to the next (the last to
    the dump after it, or one period)."""
    out = {}
    nxt = np.r_[dumps[1:], dumps[-1] + period] if dumps.size else dumps
    for k in np.unique(key).tolist():
        rows = np.flatnonzero(key == k)
        t, s = ts[rows], state[rows]
        end_of = nxt[np.searchsorted(dumps, t)]
        # A run continues only over consecutive dumps with the same state.
        gap = np.r_[True, (s[1:] != s[:-1]) | (t[1:] != end_of[:-1])]
        first = np.flatnonzero(gap)
        last = np.r_[first[1:] - 1, rows.size - 1]
        out[k] = (t[first], end_of[last], s[first])
    return out


def encode_runtime(log: RuntimeLog, period_ms: int, first_uuid: int = 16) -> tuple[bytes, int]:
    """(packets, the next free uuid)."""
    o = _Out(first_uuid)
    root = o.track(f"Go runtime (GODEBUG: schedtrace every {period_ms} ms, gctrace)", None, 0)
    period = period_ms * 1_000_000
    # GC cycles: three phases ending at the line's arrival.
    end = log.np("gc", "ts")
    if end.size:
        c1, c2, c3 = log.np("gc", "c1"), log.np("gc", "c2"), log.np("gc", "c3")
        start = end - (c1 + c2 + c3)
        s = np.stack([start, start + c1, end - c3], 1).ravel()
        e = np.stack([start + c1, end - c3, end], 1).ravel()
        lab = np.tile(np.arange(3), end.size)
        o.slices("GC (gctrace)", root, 0, s, np.maximum(e, s), lab,
                 [b"STW sweep termination", b"concurrent mark", b"STW mark termination"])  # fmt: skip
        hts = np.stack([start, end - c3, end], 1).ravel()
        heap = np.stack([log.np("gc", "h0"), log.np("gc", "h1"), log.np("gc", "h2")], 1).ravel()
        order = np.argsort(hts, kind="stable")
        o.counter("Heap (gctrace, MB)", root, 1, hts[order], heap[order])
        o.counter("Heap goal (gctrace, MB)", root, 2, start, log.np("gc", "goal"))
    ts = log.np("sched", "ts")
    for rank, (col, label) in enumerate((("threads", "Threads (sampled)"), ("idleprocs", "Idle Ps (sampled)"),
                                         ("spinning", "Spinning threads (sampled)"),
                                         ("idlethreads", "Idle threads (sampled)"),
                                         ("runqueue", "Global run queue (sampled)"))):  # fmt: skip
        o.counter(label, root, 10 + rank, ts, log.np("sched", col))
    pts, pp, pn = log.np("prunq", "ts"), log.np("prunq", "p"), log.np("prunq", "n")
    if not pts.size:  # scheddetail: the P lines carry the run queues
        pts, pp, pn = log.np("pstat", "ts"), log.np("pstat", "p"), log.np("pstat", "n")
    for p in np.unique(pp).tolist():
        sel = pp == p
        o.counter(f"P{p} run queue (sampled)", root, 20 + p, pts[sel], pn[sel])
    dumps = np.unique(log.np("pstat", "ts"))
    if dumps.size:
        names = [f"P {P_STATUS.get(k, f'status {k}')} (sampled)".encode() for k in range(5)]
        runs = _sampled_runs(log.np("pstat", "ts"), log.np("pstat", "p"), log.np("pstat", "status"), period, dumps)
        for p, (s, e, st) in runs.items():
            o.slices(f"P{p} (sampled)", root, 100 + p, s, e, np.minimum(st, 4), names)
    gts, gid, gst = log.np("gstat", "ts"), log.np("gstat", "g"), log.np("gstat", "status")
    if gts.size:
        _goroutines(o, root, log, gts, gid, gst, period)
    return b"".join(o.parts), o.uuid


def _goroutines(o: _Out, root: int, log: RuntimeLog, gts: np.ndarray, gid: np.ndarray, gst: np.ndarray,
                period: int) -> None:  # fmt: skip
    base = gst & ~0x1000  # the GC scan bit
    dumps = np.unique(gts)
    at = np.searchsorted(dumps, gts)
    for rank, (code, label) in enumerate(((1, "runnable"), (2, "running"), (3, "syscall"), (4, "waiting"))):
        o.counter(f"Goroutines {label} (sampled)", root, 50 + rank, dumps,
                  np.bincount(at[base == code], minlength=dumps.size))  # fmt: skip
    live = base != 6
    if np.unique(gid[live]).size > MAX_G:
        return
    reasons = {v: k for k, v in log.reasons.items()}
    # A label per (status, reason): waiting goroutines show why.
    key = base * 4096 + np.where(base == 4, log.np("gstat", "reason"), 0)
    uniq, lab = np.unique(key, return_inverse=True)
    names = []
    for k in uniq.tolist():
        st, r = divmod(k, 4096)
        text = G_STATUS.get(st, f"status {st}") + (f": {reasons[r].decode('utf-8', 'replace')}" if r else "")
        names.append(_name(text.encode()))
    runs = _sampled_runs(gts[live], gid[live], lab[live], period, dumps)
    for rank, (g, (s, e, st)) in enumerate(sorted(runs.items())):
        o.slices(f"G{g} (sampled)", root, 1000 + rank, s, e, st, names)
