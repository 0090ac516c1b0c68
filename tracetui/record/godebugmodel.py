"""A GODEBUG recording (a prebuilt binary's gctrace/schedtrace lines) as a model.

Every line is placed by its own time since program start, not by when it arrived: gctrace's
`@T` counts from the runtime's start (runtimeInitTime) and schedtrace's `SCHED Tms` from its
first SCHED line. Each origin on CLOCK_MONOTONIC is estimated as the earliest `arrival - T`
(a line arrives after it is printed; gctrace prints at the end of its cycle, so the cycle's
clock fields are taken off too), and never before the child started.

GC: one GC span per cycle, as long as its three clock fields, from `@T` (printed in whole ms:
no earlier than the previous cycle's end), the STW sweep termination and
mark termination as STW spans (Go's kind strings), heap before/after/marked and the goal.
schedtrace: GOMAXPROCS, and HOST counters in the program's section (threads, idle and
spinning threads, idle Ps, runnable goroutines in the global and per-P run queues); with
scheddetail, each P's status and each goroutine's state (up to MAX_G goroutines) as
sampled spans, and goroutine counts per state.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tracetui.gotrace.events import StringTable
from tracetui.model.kinds import CounterTrack, GCTrack, HeapTrack
from tracetui.model.trace import I64, Counter, Spans, State, Trace, Track, TrackKind
from tracetui.record.godebug import RuntimeLog

MAX_G = 200
MB = 1 << 20  # gctrace's "MB" are heap >> 20
STW_SWEEP_TERM = "GC sweep termination"  # Go's stwReason strings
STW_MARK_TERM = "GC mark termination"
# P status -> (state, reason); 4 = dead: no span.
P_STATES = {
    0: (State.IDLE, "idle"),
    1: (State.RUNNING, "running"),
    2: (State.SYSCALL, "syscall"),
    3: (State.STW, "gcstop"),
}
# G status (GC scan bit off) -> (state, reason); 4 = waiting (its wait reason); 6, 11 = dead: no span.
G_STATES = {
    0: (State.IDLE, "idle"),
    1: (State.RUNNABLE, "runnable"),
    2: (State.RUNNING, "running"),
    3: (State.SYSCALL, "syscall"),
    8: (State.WAITING, "copystack"),
    9: (State.RUNNABLE, "preempted"),
    10: (State.WAITING, "leaked"),
}
G_DEAD = (6, 11)
G_WAITING = 4


def _origin(arrival: np.ndarray, since: np.ndarray, not_before: int | None) -> int | None:
    if not arrival.size:
        return None
    t = int((arrival - since).min())
    return max(t, not_before) if not_before is not None else t


def _changes(ts: np.ndarray, value: np.ndarray) -> Counter:
    """A counter of the points where the value changes (and the first)."""
    keep = np.r_[True, value[1:] != value[:-1]] if value.size else np.zeros(0, bool)
    return Counter(ts[keep].astype(I64), value[keep])


def _sequential(at: np.ndarray, took: np.ndarray) -> np.ndarray:
    """Starts of cycles that follow one another: each at its `@T` (printed in whole ms, so
    up to 1 ms early) or when the previous one ended, whichever is later."""
    before = np.r_[0, np.cumsum(took)[:-1]] if took.size else took  # time taken by the earlier cycles
    return before + np.maximum.accumulate(at - before) if at.size else at


def godebug_model(log: RuntimeLog, *, section: str, go_version: str = "", period_ms: int = 1000,
                  start_ns: int | None = None, end_ns: int | None = None) -> Trace:  # fmt: skip
    """The model of a GODEBUG recording. `section` names the host section (`app (pid 42)`),
    `start_ns`/`end_ns` (CLOCK_MONOTONIC) bound the child's run; base_time is the earlier
    of its start and the estimated program start."""
    strings = StringTable()
    sarr, sms = log.np("sched", "ts"), log.np("sched", "ms")
    garr = log.np("gc", "ts")
    at, c1, c2, c3 = (log.np("gc", k) for k in ("at_us", "c1", "c2", "c3"))
    at = at * 1000
    sched0 = _origin(sarr, sms * 1_000_000, start_ns)
    gc0 = _origin(garr, at + c1 + c2 + c3, start_ns)  # (before the cycles' sequential placement)
    known = [t for t in (start_ns, sched0, gc0) if t is not None]
    base = min(known) if known else 0
    sched_t = (sched0 or 0) - base + sms * 1_000_000  # each SCHED line's time
    gstart = (gc0 or 0) - base + at
    order = np.argsort(gstart, kind="stable")
    gstart, c1, c2, c3 = gstart[order], c1[order], c2[order], c3[order]
    gstart = _sequential(gstart, c1 + c2 + c3)
    gend = gstart + c1 + c2 + c3
    last = max(int(sched_t.max(initial=0)), int(gend.max(initial=0)))
    duration = max(last, (end_ns - base) if end_ns is not None else 0)

    n = gstart.size
    gc = Spans(gstart, gend, np.full(n, State.GC, np.uint8), np.zeros(n, np.int32), np.zeros(n, np.int32),
               log.np("gc", "num")[order])  # fmt: skip
    # STW: sweep termination [T, T+c1), mark termination [T+c1+c2, end), interleaved.
    s = np.stack([gstart, np.minimum(gstart + c1 + c2, gend)], 1).ravel()
    e = np.stack([np.minimum(gstart + c1, gend), gend], 1).ravel()
    kinds = np.array([strings.intern(STW_SWEEP_TERM), strings.intern(STW_MARK_TERM)], np.int32)
    stw = Spans(s, np.maximum(e, s), np.full(2 * n, State.STW, np.uint8), np.tile(kinds, n),
                np.zeros(2 * n, np.int32), np.full(2 * n, -1, I64))  # fmt: skip
    # Heap: before at the start, at mark termination, marked at the end; the goal from the
    # previous cycle's end (the runtime's first goal holds from the start).
    heap = np.stack([log.np("gc", k)[order] for k in ("h0", "h1", "h2")], 1).ravel() * MB
    hts = np.stack([gstart, np.minimum(gstart + c1 + c2, gend), gend], 1).ravel()
    heap_alloc = Counter(hts, heap)
    goal_ts = np.r_[0, gend[:-1]] if n else gend
    heap_goal = _changes(goal_ts, log.np("gc", "goal")[order] * MB)
    if sarr.size:
        gomaxprocs = _changes(sched_t, log.np("sched", "gomaxprocs"))
    else:
        gomaxprocs = _changes(gstart, log.np("gc", "procs")[order])

    tracks = [
        Track(TrackKind.GC, GCTrack.MARK, "GC", "GC", spans=gc),
        Track(TrackKind.GC, GCTrack.STW, "STW", "GC", spans=stw),
        Track(TrackKind.HEAP, HeapTrack.IN_USE, "Heap in use", "Heap", counter=heap_alloc),
        Track(TrackKind.HEAP, HeapTrack.GOAL, "Heap goal", "Heap", counter=heap_goal),
        Track(TrackKind.COUNTER, CounterTrack.GOMAXPROCS, "GOMAXPROCS", "Procs", counter=gomaxprocs),
    ]
    host: list[Track] = []

    def counter(name: str, ts: np.ndarray, value: np.ndarray, unit: str = "count") -> None:
        if ts.size:
            host.append(Track(TrackKind.HOST, len(host), name, section, counter=Counter(ts.astype(I64), value),
                              unit=unit))  # fmt: skip

    def spans(name: str, sp: Spans) -> None:
        if len(sp):
            host.append(Track(TrackKind.HOST, len(host), name, section, spans=sp))

    for col, name in (("threads", "Threads"), ("idlethreads", "Idle threads"), ("spinning", "Spinning threads"),
                      ("idleprocs", "Idle Ps"), ("runqueue", "Global run queue")):  # fmt: skip
        counter(name, sched_t, log.np("sched", col))
    # Per-P run queues: on the SCHED line, or (scheddetail) on the P lines.
    qd, qp, qn = log.np("prunq", "dump"), log.np("prunq", "p"), log.np("prunq", "n")
    if not qd.size:
        qd, qp, qn = log.np("pstat", "dump"), log.np("pstat", "p"), log.np("pstat", "n")
    ok = qd >= 0
    qd, qp, qn = qd[ok], qp[ok], qn[ok]
    if qd.size:
        total = log.np("sched", "runqueue") + np.bincount(qd, weights=qn, minlength=sarr.size).astype(I64)
        counter("Runnable goroutines", sched_t, total)
        for p in np.unique(qp).tolist():
            sel = qp == p
            counter(f"P{p} run queue", sched_t[qd[sel]], qn[sel])
    period = period_ms * 1_000_000
    nxt = np.minimum(np.r_[sched_t[1:], sched_t[-1] + period], duration) if sarr.size else sched_t
    pd, pp, pst = log.np("pstat", "dump"), log.np("pstat", "p"), log.np("pstat", "status")
    pstate, preason = _lookup(pst, P_STATES, strings)
    for p in np.unique(pp[pd >= 0]).tolist():
        sel = np.flatnonzero((pp == p) & (pd >= 0) & (pstate > 0))
        spans(f"P{p}", _runs(pd[sel], pstate[sel], preason[sel], sched_t, nxt))
    gd, gid, gst = log.np("gstat", "dump"), log.np("gstat", "g"), log.np("gstat", "status") & ~0x1000
    live = (gd >= 0) & ~np.isin(gst, G_DEAD)
    if live.any():
        _goroutines(log, gd[live], gid[live], gst[live], log.np("gstat", "reason")[live], sched_t, nxt, strings,
                    counter, spans)  # fmt: skip
    trace = Trace.bare(base_time=base, duration=duration, strings=strings, tracks=tracks + host, source="godebug",
                       events=log.lines, go_version=go_version)  # fmt: skip
    trace.gc, trace.stw, trace.heap_alloc, trace.heap_goal, trace.gomaxprocs = (
        gc,
        stw,
        heap_alloc,
        heap_goal,
        gomaxprocs,
    )
    return trace


def _lookup(
    status: np.ndarray, table: dict[int, tuple[State, str]], strings: StringTable
) -> tuple[np.ndarray, np.ndarray]:
    """(state, reason string id) per status code; state 0 for codes without a span."""
    state, reason = np.zeros(status.size, np.uint8), np.zeros(status.size, np.int32)
    for code, (st, name) in table.items():
        sel = status == code
        state[sel], reason[sel] = st, strings.intern(name)
    return state, reason


def _runs(dump: np.ndarray, state: np.ndarray, reason: np.ndarray, sched_t: np.ndarray, nxt: np.ndarray) -> Spans:
    """Runs of one (state, reason) over consecutive dumps (rows in dump order): from the
    first dump's time to the time of the dump after the last (or one period after it)."""
    n = dump.size
    if not n:
        return Spans.empty()
    first = np.flatnonzero(np.r_[True, (state[1:] != state[:-1]) | (reason[1:] != reason[:-1])
                                 | (dump[1:] != dump[:-1] + 1)])  # fmt: skip
    last = np.r_[first[1:] - 1, n - 1]
    k = first.size
    return Spans(sched_t[dump[first]].astype(I64), nxt[dump[last]].astype(I64), state[first], reason[first],
                 np.zeros(k, np.int32), np.full(k, -1, I64))  # fmt: skip


def _goroutines(log: RuntimeLog, dump: np.ndarray, gid: np.ndarray, status: np.ndarray, why: np.ndarray,
                sched_t: np.ndarray, nxt: np.ndarray, strings: StringTable, counter: Callable[..., None],
                spans: Callable[[str, Spans], None]) -> None:  # fmt: skip
    """scheddetail's goroutines (not dead): counts per state at each dump, and a row per
    goroutine when there are at most MAX_G."""
    state, reason = _lookup(status, G_STATES, strings)
    waiting = status == G_WAITING
    names = {v: strings.intern(k.decode("utf-8", "replace")) for k, v in log.reasons.items()}
    rmap = np.zeros(max(names, default=0) + 1, np.int32)
    for v, sid in names.items():
        rmap[v] = sid
    state[waiting], reason[waiting] = State.WAITING, rmap[why[waiting]]
    other = state == 0  # a status code we do not know: waiting, named by its code
    for code in np.unique(status[other]).tolist():
        sel = other & (status == code)
        state[sel], reason[sel] = State.WAITING, strings.intern(f"status {code}")
    dumps = np.unique(dump)
    at = np.searchsorted(dumps, dump)
    for st, name in ((State.RUNNABLE, "runnable"), (State.RUNNING, "running"), (State.SYSCALL, "syscall"),
                     (State.WAITING, "waiting")):  # fmt: skip
        counter(f"Goroutines {name}", sched_t[dumps], np.bincount(at[state == st], minlength=dumps.size).astype(I64))
    ids = np.unique(gid)
    if ids.size > MAX_G:
        return
    for g in ids.tolist():
        sel = np.flatnonzero(gid == g)
        spans(f"G{g}", _runs(dump[sel], state[sel], reason[sel], sched_t, nxt))
