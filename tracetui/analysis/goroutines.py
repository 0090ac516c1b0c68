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
    strings = trace.strings.strings
    end_of_trace = int(trace.duration)
    creation = np.zeros(n, I64)
    end = np.full(n, -1, I64)
    total, ex, sw, sc, sb = (np.zeros(n, I64) for _ in range(5))
    block: dict[str, np.ndarray] = {}
    steals = _steal_times(trace)
    names = []
    forever = {i for i, s in enumerate(strings) if s == "forever"}
    for row, grow in enumerate(rows.tolist()):
        track = trace.tracks[int(g.track[grow])]
        names.append(track.group)
        sp = track.spans.flat if track.spans is not None else None
        if sp is None or not len(sp):
            continue
        gid = int(g.id[grow])
        st, start, stop, reason = sp.state, sp.start, sp.end, sp.reason
        creation[row] = int(start[0])
        ended = int(g.ended[grow])
        # A wait "forever" is the goroutine's end.
        fw = np.flatnonzero((st == State.WAITING) & np.isin(reason, list(forever))) if forever else np.zeros(0, I64)
        last = len(sp)
        if fw.size:
            last = int(fw[0])
            ended = int(start[last])
        st, start, stop, reason = st[:last], start[:last], stop[:last], reason[:last]
        end[row] = ended
        total[row] = (ended if ended >= 0 else end_of_trace) - creation[row]
        dur = stop - start
        if overlay is not None:  # the recorder's waits and syscalls on this goroutine
            out = (st != State.RUNNING) & overlay[sp.stack[:last]]
            if out.any():
                total[row] -= int(dur[out].sum())
                st = np.where(out, np.uint8(255), st)
        ex[row] = int(dur[st == State.RUNNING].sum())
        sw[row] = int(dur[st == State.RUNNABLE].sum())
        w = np.flatnonzero(st == State.WAITING)
        if w.size:
            rs, inv = np.unique(reason[w], return_inverse=True)
            sums = np.bincount(inv, weights=dur[w], minlength=rs.size)
            for r, v in zip(rs.tolist(), sums.tolist()):
                block.setdefault(strings[int(r)], np.zeros(n, I64))[row] += int(v)
        for i in np.flatnonzero(st == State.SYSCALL).tolist():
            s, e = int(start[i]), int(stop[i])
            stolen = -1
            for ps, pe, pg, steal in steals.values():
                j = int(np.searchsorted(ps, s, "right")) - 1
                if j >= 0 and int(pg[j]) == gid and int(pe[j]) > s and 0 <= int(steal[j]) < e:
                    stolen = int(steal[j])
                    break
            closed = i < len(st) - 1 or ended >= 0
            if stolen < 0:
                sc[row] += e - s
            elif closed:
                sc[row] += stolen - s
                sb[row] += e - stolen
            else:  # Go's snapshot of a syscall still open at the end counts it twice
                sc[row] += e - s
                sw[row] += e - stolen
    stats = GoroutineStats(g.id[rows].astype(I64), names, creation, end, total, ex, sw, sc, sb, block)
    stats.ranges = _range_times(trace, stats, overlay)
    return stats


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
        out[ASSIST] = np.bincount(rows[ok], weights=(a.end - a.start)[ok], minlength=n).astype(I64)
    stw = trace.stw  # the goroutine that stopped the world is in the range
    if len(stw) and n:
        rows = np.searchsorted(stats.id, stw.arg)
        ok = (rows < n) & (stats.id[np.minimum(rows, n - 1)] == stw.arg)
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
