"""Goroutine analysis: where each goroutine's time went, grouped by start function, with
the breakdown of `go tool trace`'s goroutine pages (internal/trace/summary.go).

Per goroutine, from its creation (or the start of the generation it was first seen in)
to its exit (or the end of the trace): execution, sched wait (runnable), block time per
reason, syscall execution and syscall block (the part after its P was taken away), the
unknown rest, and the special ranges (GC mark assist, GC incremental sweep). A wait for
"forever" ends the goroutine, as in Go.

A trace made by `tracetui record` has the recorder's own code in it (model/injected.py):
unless asked (`show_injected`), its goroutines are left out, and so is the time another
goroutine spent waiting, runnable or in a syscall at a stack with its frames (G1 in the
recorder's init and exit hook), from the breakdown and the total alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tracetui.analysis.blocking import hidden
from tracetui.analysis.gspans import SpanBatch, batches
from tracetui.model.trace import State, Trace

I64 = np.int64
ASSIST = "GC mark assist"
SWEEP = "GC incremental sweep"


@dataclass
class GoroutineStats:
    """Columns, one row per goroutine (sorted by id), in ns."""

    id: np.ndarray
    name: list[str]  # start function ("" unknown)
    creation: np.ndarray
    end: np.ndarray  # exit time, -1 alive at the end
    total: np.ndarray
    execution: np.ndarray
    sched_wait: np.ndarray
    syscall: np.ndarray
    syscall_block: np.ndarray
    block: dict[str, np.ndarray]  # reason -> ns
    ranges: dict[str, np.ndarray] = field(default_factory=dict)  # GC mark assist / incremental sweep

    def __len__(self) -> int:
        return int(self.id.shape[0])

    @property
    def unknown(self) -> np.ndarray:
        known = self.execution + self.sched_wait + self.syscall + self.syscall_block
        for v in self.block.values():
            known = known + v
        return np.maximum(self.total - known, 0)

    def breakdown(self, i: int) -> dict[str, int]:
        """Go's non-overlapping stats of row i, named as on its goroutine pages."""
        out = {
            "Execution time": int(self.execution[i]),
            "Sched wait time": int(self.sched_wait[i]),
            "Syscall execution time": int(self.syscall[i]),
            "Block time (syscall)": int(self.syscall_block[i]),
            "Unknown time": int(self.unknown[i]),
        }
        for reason, v in self.block.items():
            if v[i]:
                out[f"Block time ({reason})"] = out.get(f"Block time ({reason})", 0) + int(v[i])
        return out


@dataclass(frozen=True)
class Group:
    name: str
    count: int
    execution: int
    total: int
    rows: np.ndarray  # rows of GoroutineStats


def _steal_times(trace: Trace) -> dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Per P track: (start, end, goroutine) of its spans holding a goroutine in a syscall,
    and the time the P went idle right after each (-1: it did not)."""
    out = {}
    for k in trace.proc_tracks.tolist():
        sp = trace.tracks[int(k)].spans
        if sp is None or not len(sp):
            continue
        flat = sp.flat
        sys = np.flatnonzero(flat.state == State.SYSCALL)
        if not sys.size:
            continue
        nxt = np.minimum(sys + 1, len(flat) - 1)
        idle = (sys + 1 < len(flat)) & (flat.state[nxt] == State.IDLE) & (flat.start[nxt] == flat.end[sys])
        steal = np.where(idle, flat.start[nxt], -1)
        out[int(k)] = (flat.start[sys], flat.end[sys], flat.arg[sys].astype(I64), steal)
    return out


def goroutine_stats(trace: Trace, show_injected: bool = False) -> GoroutineStats:
    """Go's GoroutineSummary numbers for every goroutine of the trace (bar the recorder's
    injected ones unless `show_injected`)."""
    g = trace.goroutines
    skip, overlay = hidden(trace, show_injected)
    rows = np.flatnonzero(~np.isin(g.id, skip))
    n = int(rows.size)
    names = [trace.tracks[int(k)].group for k in g.track[rows].tolist()]
    cols = _Columns(n)
    steals = _steal_times(trace)
    strings = trace.strings.strings
    forever = np.array([i for i, s in enumerate(strings) if s == "forever"], I64)
    at = np.full(len(g), -1, I64)  # goroutine row -> stats row
    at[rows] = np.arange(n)
    for b in batches(trace, rows):
        _batch_stats(trace, b, at[b.rows], cols, steals, forever, overlay)
    stats = GoroutineStats(
        g.id[rows].astype(I64), names, cols.creation, cols.end, cols.total, cols.execution,
        cols.sched_wait, cols.syscall, cols.syscall_block, {strings[r]: v for r, v in cols.block.items()},
    )  # fmt: skip
    stats.ranges = _range_times(trace, stats, overlay)
    return stats


class _Columns:
    """The columns of GoroutineStats being filled, batch by batch."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.creation = np.zeros(n, I64)
        self.end = np.full(n, -1, I64)
        self.total, self.execution, self.sched_wait, self.syscall, self.syscall_block = (
            np.zeros(n, I64) for _ in range(5)
        )
        self.block: dict[int, np.ndarray] = {}  # reason string id -> ns


def _batch_stats(
    trace: Trace,
    b: SpanBatch,
    out_rows: np.ndarray,
    cols: _Columns,
    steals: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
    forever: np.ndarray,
    overlay: np.ndarray | None,
) -> None:
    """GoroutineSummary's figures for a batch of goroutines, into `cols` at `out_rows`."""
    sp = b.spans
    st, start, stop = sp.state, sp.start, sp.end
    # A reused id (cgo callbacks on extra Ms): Go's summary is of its last lifetime only.
    head = b.last_life_head
    creation = start[head]
    ended = trace.goroutines.ended[b.rows].astype(I64)
    # A wait "forever" is the goroutine's end: its spans stop there.
    cut = b.offsets[1:].copy()
    if forever.size:
        fw = b.first_where((st == State.WAITING) & np.isin(sp.reason, forever))
        cut = np.where(fw >= 0, fw, cut)
        ended = np.where(fw >= 0, start[np.maximum(fw, 0)], ended)
    idx = np.arange(len(sp))
    valid = (idx < cut[b.owner]) & (idx >= head[b.owner])
    total = np.where(ended >= 0, ended, int(trace.duration)) - creation
    dur = stop - start
    st = np.where(valid, st, np.uint8(255))
    if overlay is not None:  # the recorder's waits and syscalls on these goroutines
        out = valid & (st != State.RUNNING) & overlay[sp.stack]
        if out.any():
            total -= b.per_goroutine(dur, out)
            st = np.where(out, np.uint8(255), st)
    execution = b.per_goroutine(dur, st == State.RUNNING)
    sched_wait = b.per_goroutine(dur, st == State.RUNNABLE)
    w = np.flatnonzero(st == State.WAITING)
    if w.size:
        rw = sp.reason[w].astype(np.intp)
        rs = np.flatnonzero(np.bincount(rw))  # the reasons present, in id order (no sort)
        lut = np.zeros(int(rs[-1]) + 1, np.intp)
        lut[rs] = np.arange(rs.size)
        inv = lut[rw]
        key = inv.astype(I64) * b.rows.size + b.owner[w]
        sums = np.bincount(key, weights=dur[w], minlength=rs.size * b.rows.size).reshape(rs.size, b.rows.size)
        first_owner = np.full(rs.size, b.rows.size, I64)
        np.minimum.at(first_owner, inv, b.owner[w])
        for i in np.lexsort((rs, first_owner)).tolist():  # as met goroutine by goroutine
            cols.block.setdefault(int(rs[i]), np.zeros(cols.n, I64))[out_rows] += sums[i].astype(I64)
    syscall, syscall_block = np.zeros(b.rows.size, I64), np.zeros(b.rows.size, I64)
    sc = np.flatnonzero(st == State.SYSCALL)
    if sc.size:
        s, e, who = start[sc], stop[sc], b.owner[sc]
        gid = trace.goroutines.id[b.rows[who]].astype(I64)
        stolen = np.full(sc.size, -1, I64)
        for ps, pe, pg, steal in steals.values():  # the first P whose syscall span is this one's
            j = np.searchsorted(ps, s, "right") - 1
            jj = np.maximum(j, 0)
            hit = (stolen < 0) & (j >= 0) & (pg[jj] == gid) & (pe[jj] > s) & (steal[jj] >= 0) & (steal[jj] < e)
            stolen[hit] = steal[jj][hit]
        closed = (sc < cut[who] - 1) | (ended[who] >= 0)
        plain = stolen < 0
        split = ~plain & closed
        open_ = ~plain & ~closed  # Go's snapshot of a syscall still open at the end counts it twice
        syscall += np.bincount(who[plain | open_], weights=(e - s)[plain | open_], minlength=b.rows.size).astype(I64)
        syscall += np.bincount(who[split], weights=(stolen - s)[split], minlength=b.rows.size).astype(I64)
        syscall_block += np.bincount(who[split], weights=(e - stolen)[split], minlength=b.rows.size).astype(I64)
        sched_wait += np.bincount(who[open_], weights=(e - stolen)[open_], minlength=b.rows.size).astype(I64)
    cols.creation[out_rows] = creation
    cols.end[out_rows] = ended
    cols.total[out_rows] = total
    cols.execution[out_rows] = execution
    cols.sched_wait[out_rows] = sched_wait
    cols.syscall[out_rows] = syscall
    cols.syscall_block[out_rows] = syscall_block


def _range_times(trace: Trace, stats: GoroutineStats, overlay: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Time of each goroutine in mark assists (its own ranges), stop-the-world pauses it
    started (per kind) and incremental sweeps (the P's ranges, charged to the goroutine
    running on the P when the sweep began)."""
    n = len(stats)
    out: dict[str, np.ndarray] = {}
    a = trace.assists
    if len(a):
        rows = np.searchsorted(stats.id, a.arg)
        ok = (rows < n) & (stats.id[np.minimum(rows, n - 1)] == a.arg)
        ok &= a.start >= stats.creation[np.minimum(rows, n - 1)]  # in its last lifetime
        out[ASSIST] = np.bincount(rows[ok], weights=(a.end - a.start)[ok], minlength=n).astype(I64)
    stw = trace.stw  # the goroutine that stopped the world is in the range
    if len(stw) and n:
        rows = np.searchsorted(stats.id, stw.arg)
        ok = (rows < n) & (stats.id[np.minimum(rows, n - 1)] == stw.arg)
        ok &= stw.start >= stats.creation[np.minimum(rows, n - 1)]  # in its last lifetime
        if overlay is not None:  # the recorder's trace.Start
            ok &= ~overlay[stw.stack]
        for r in np.unique(stw.reason[ok]).tolist():
            sel = ok & (stw.reason == r)
            name = f"stop-the-world ({trace.string(int(r))})"
            out[name] = np.bincount(rows[sel], weights=(stw.end - stw.start)[sel], minlength=n).astype(I64)
    s = trace.sweeps
    if len(s):
        who = np.full(len(s), -1, I64)
        for k, pid in zip(trace.proc_tracks.tolist(), trace.proc_ids.tolist()):
            sel = np.flatnonzero(s.arg == pid)
            sp = trace.tracks[int(k)].spans
            if not sel.size or sp is None or not len(sp):
                continue
            flat = sp.flat
            i = np.searchsorted(flat.start, s.start[sel], "right") - 1
            ok = (i >= 0) & (flat.end[np.maximum(i, 0)] > s.start[sel])
            run = ok & (flat.state[np.maximum(i, 0)] == State.RUNNING)
            who[sel[run]] = flat.arg[np.maximum(i, 0)][run]
        rows = np.searchsorted(stats.id, who)
        ok = (who >= 0) & (rows < n) & (stats.id[np.minimum(rows, n - 1)] == who)
        ok &= s.start >= stats.creation[np.minimum(rows, n - 1)]  # in its last lifetime
        if ok.any():
            out[SWEEP] = np.bincount(rows[ok], weights=(s.end - s.start)[ok], minlength=n).astype(I64)
    return out


def groups(stats: GoroutineStats) -> list[Group]:
    """Goroutines by start function, most execution time first (as go tool trace lists them)."""
    by: dict[str, list[int]] = {}
    for i, name in enumerate(stats.name):
        by.setdefault(name, []).append(i)
    out = []
    for name, rows in by.items():
        r = np.array(rows, I64)
        out.append(Group(name, len(rows), int(stats.execution[r].sum()), int(stats.total[r].sum()), r))
    out.sort(key=lambda grp: -grp.execution)
    return out


def group_table(trace: Trace, show_injected: bool = False) -> list[dict[str, object]]:
    """`summary --json`'s goroutine_groups: per start function, count and the breakdown."""
    stats = goroutine_stats(trace, show_injected)
    out = []
    for grp in groups(stats):
        sums: dict[str, int] = {}
        for i in grp.rows.tolist():
            for k, v in stats.breakdown(i).items():
                sums[k] = sums.get(k, 0) + v
            for k, col in stats.ranges.items():
                sums[k] = sums.get(k, 0) + int(col[i])
        out.append({"name": grp.name, "count": grp.count, "total_ns": grp.total, "breakdown_ns": sums})
    return out
