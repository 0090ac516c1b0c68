"""Minimum mutator utilization (MMU), as go tool trace's /mmu computes it.

The utilization is internal/trace's MutatorUtilizationV2 (one series for the whole
program, not per P), replayed over the ordered event table: it moves with the events' own
P and goroutine (GoLabel of background mark workers, mark-assist and sweep ranges, GC
stop-the-world ranges, the transitions of goroutines doing GC work), which the model's
spans do not keep one for one. Then, for a window w, the MMU is the minimum over all
windows [t, t + w] inside the trace of the mean utilization: the utilization is a step
function, so the mean is piecewise linear in t and its minimum is where an edge of the
window meets a step; computed from a prefix integral, exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tracetui.gotrace import spec as S
from tracetui.gotrace.events import EventTable
from tracetui.model.from_gotrace import goroutine_transitions

I64 = np.int64
_EXECUTING = (S.GoRunning, S.GoSyscall)
_EVENTS = (
    S.EV_SYNC, S.EvProcsChange, S.EvSTWBegin, S.EvSTWEnd, S.EvGCSweepBegin, S.EvGCSweepActive, S.EvGCSweepEnd,
    S.EvGCMarkAssistBegin, S.EvGCMarkAssistActive, S.EvGCMarkAssistEnd, S.EvGoLabel,
)  # fmt: skip
DEFAULT = frozenset({"stw", "background", "assist"})  # go tool trace's default


@dataclass(eq=False)
class Utilization:
    """A step function: `util[i]` holds from `ts[i]` to `ts[i+1]` (absolute ns)."""

    ts: np.ndarray
    util: np.ndarray

    def __post_init__(self) -> None:
        acc = np.zeros(self.ts.size, np.float64)
        if self.ts.size > 1:
            np.cumsum(self.util[:-1] * np.diff(self.ts).astype(np.float64), out=acc[1:])
        self._integral = acc

    def _area(self, t: np.ndarray) -> np.ndarray:
        i = np.clip(np.searchsorted(self.ts, t, "right") - 1, 0, max(self.ts.size - 1, 0))
        return self._integral[i] + self.util[i] * (t - self.ts[i]).astype(np.float64)

    def mmu(self, window: int) -> float:
        """The minimum mean utilization over the windows of `window` ns inside the trace."""
        if self.ts.size < 2:
            return 1.0
        t0, t1 = int(self.ts[0]), int(self.ts[-1])
        window = max(min(int(window), t1 - t0), 1)
        starts = np.concatenate([self.ts, self.ts - window, [t0, t1 - window]])
        starts = starts[(starts >= t0) & (starts <= t1 - window)]
        return float(max(((self._area(starts + window) - self._area(starts)) / window).min(), 0.0))


def utilization(table: EventTable, flags: frozenset[str] = DEFAULT) -> Utilization:
    """MutatorUtilizationV2 without per-P series; flags among stw, background, assist, sweep."""
    n = table.valid_events if table.error else len(table)
    typ = table.typ[:n]
    trows, tfrom, tto, tgid = goroutine_transitions(table)
    keep = trows < n
    transitions = dict(zip(trows[keep].tolist(), zip(tfrom[keep].tolist(), tto[keep].tolist(), tgid[keep].tolist())))
    rows = np.union1d(np.flatnonzero(np.isin(typ, _EVENTS)), trows[keep])
    strings = table.strings.strings
    time, a0, procs_of, gs_of = table.time, table.a0, table.p, table.g
    out_t: list[int] = []
    out_u: list[float] = []
    ps: list[int] = []  # per P: how many GC activities it has
    in_gc: set[int] = set()
    bg_mark: set[int] = set()
    states: dict[int, int] = {}
    stw_kind: dict[int, str] = {}
    stw = n_sync = 0
    stw_on, bg_on, assist_on, sweep_on = ("stw" in flags, "background" in flags, "assist" in flags, "sweep" in flags)

    def add(t: int, u: float) -> None:
        if out_u:
            if u == out_u[-1]:
                return
            if t == out_t[-1]:
                out_u[-1] = min(u, out_u[-1])  # the lowest at one time stamp
                return
        out_t.append(t)
        out_u.append(u)

    for r in rows.tolist():
        ty, t, p, g = int(typ[r]), int(time[r]), int(procs_of[r]), int(gs_of[r])
        if ty == S.EV_SYNC:
            n_sync = int(a0[r])
        elif ty == S.EvProcsChange:
            want = int(a0[r])
            del ps[want:]
            while len(ps) < want:
                if not out_t:
                    out_t.append(t)
                    out_u.append(1.0)
                ps.append(0)
        if not ps:
            continue  # nothing to measure before GOMAXPROCS is known
        if ty == S.EvGCMarkAssistActive or ty == S.EvGCSweepActive:
            assist = ty == S.EvGCMarkAssistActive
            wanted = (assist and assist_on) or (not assist and sweep_on)
            # Active since before the trace started (first generation only): take it out of
            # the earlier points; an assist counts only if its goroutine is executing.
            if n_sync <= 1 and wanted and (not assist or states.get(g) in _EXECUTING):
                out_u[:] = [max(u - 1.0 / len(ps), 0.0) for u in out_u]
                if 0 <= p < len(ps):
                    ps[p] += 1
                if assist:
                    in_gc.add(int(a0[r]))
        elif ty == S.EvSTWBegin:
            stw_kind[g] = strings[int(a0[r])]
            stw += stw_on and "GC" in stw_kind[g]
        elif ty == S.EvSTWEnd:
            stw -= stw_on and "GC" in stw_kind.pop(g, "")
        elif ty in (S.EvGCSweepBegin, S.EvGCSweepEnd):
            if sweep_on and 0 <= p < len(ps):
                ps[p] += 1 if ty == S.EvGCSweepBegin else -1
        elif ty in (S.EvGCMarkAssistBegin, S.EvGCMarkAssistEnd):
            if assist_on:
                if 0 <= p < len(ps):
                    ps[p] += 1 if ty == S.EvGCMarkAssistBegin else -1
                (in_gc.add if ty == S.EvGCMarkAssistBegin else in_gc.discard)(g)
        elif ty == S.EvGoLabel:
            label = strings[int(a0[r])]
            if bg_on and label.startswith("GC ") and label != "GC (idle)":
                bg_mark.add(g)
                if 0 <= p < len(ps):
                    ps[p] += 1
        if r in transitions:
            old, new, gid = transitions[r]
            if (gid in in_gc or gid in bg_mark) and 0 <= p < len(ps):
                if old not in _EXECUTING and new in _EXECUTING:
                    ps[p] += 1
                elif old in _EXECUTING and new not in _EXECUTING:
                    ps[p] -= 1
            states[gid] = new
        busy = len(ps) if stw > 0 else sum(1 for c in ps if c > 0)
        add(t, 1.0 - busy / len(ps))
    if n:
        add(int(time[n - 1]), 0.0)  # the end of the trace, as Go marks it
    return Utilization(np.array(out_t, I64), np.array(out_u, np.float64))


def mmu_curve(u: Utilization, points: int = 50) -> list[tuple[int, float]]:
    """[(window ns, MMU)] on a log scale from 1 µs to the trace's length."""
    if u.ts.size < 2:
        return []
    top = max(int(u.ts[-1] - u.ts[0]), 1000)
    windows = np.unique(np.geomspace(1000, top, points).astype(I64))
    return [(int(w), u.mmu(int(w))) for w in windows.tolist()]
