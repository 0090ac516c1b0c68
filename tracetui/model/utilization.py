"""Mutator utilization: the share of the program's Ps not taken by the GC, over time.

This is internal/trace's MutatorUtilizationV2 without per-P series (go tool trace's /mmu
uses the one series), replayed over the ordered event table: it moves with the events' own
P and goroutine (GoLabel of background mark workers, mark-assist and sweep ranges, GC
stop-the-world ranges, the transitions of goroutines doing GC work), which the model's
spans do not keep one for one, so the model carries the result (a float step function).

Only the GC events and the transitions of goroutines doing GC work at that moment can move
the series, so the replay walks those (chosen with numpy by `GCWork` during the model's
one pass over the rows), not every event. The compiled kernel `tracetui.model._kutil`
(_kutil.c) runs the replay in one pass over the numpy columns, every set of flags at once;
given the a2 column (`GCWork(..., a2)`) it reads each goroutine transition there itself, so
none is chosen or kept. `_replay` is the same loop in Python, with identical results, when
the kernel is missing or TRACETUI_PURE_PYTHON is set.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from tracetui.gotrace import kernel
from tracetui.gotrace import spec as S
from tracetui.gotrace.transitions import G_FROM, G_PACKED, G_RES_A0, G_TO, IS_G
from tracetui.model.gosemantics import GO_STATUS_TO_STATE

I64 = np.int64
FLAGS = ("stw", "background", "assist", "sweep")
DEFAULT = frozenset({"stw", "background", "assist"})  # go tool trace's default
WITH_SWEEP = DEFAULT | {"sweep"}
_EXECUTING = (S.GoRunning, S.GoSyscall)
_EVENTS = (
    S.EV_SYNC, S.EvProcsChange, S.EvSTWBegin, S.EvSTWEnd, S.EvGCSweepBegin, S.EvGCSweepActive, S.EvGCSweepEnd,
    S.EvGCMarkAssistBegin, S.EvGCMarkAssistActive, S.EvGCMarkAssistEnd, S.EvGoLabel,
)  # fmt: skip
_IS_EVENT = np.zeros(256, bool)
_IS_EVENT[list(_EVENTS)] = True
KERNEL = "tracetui.model._kutil"
_KIND = np.zeros(256, np.uint8)  # the kernel's event kinds (_kutil.c: K_*, in _EVENTS' order)
_KIND[list(_EVENTS)] = np.arange(1, len(_EVENTS) + 1)
_EXEC = np.zeros(256, np.uint8)
_EXEC[list(_EXECUTING)] = 1
# The goroutine transition rule as the kernel reads it (_kutil.c: G_*), as Rows.gtrans_at does.
_GTAB = np.concatenate([a.astype(np.uint8) for a in (IS_G, G_FROM, G_TO, G_PACKED, G_RES_A0, GO_STATUS_TO_STATE)])
_MAX_SETS = 4  # sets of flags the kernel replays in one pass (_kutil.c: MAX_SETS)
_LUT_MAX = 1 << 22  # the kernel looks goroutines up in a table of at most this many ids


class Transitions(NamedTuple):
    """Goroutine state transitions of a table, in order: row, from, to, goroutine."""

    row: np.ndarray
    frm: np.ndarray
    to: np.ndarray
    gid: np.ndarray


def _label_ids(strings: Sequence[str]) -> np.ndarray:
    """String ids of the labels of background mark workers ("GC ..." but not "GC (idle)")."""
    ids = [i for i, s in enumerate(strings) if s.startswith("GC ") and s != "GC (idle)"]
    return np.array(ids, I64)


class GCWork:
    """Which goroutine transitions can move the series, found before the model's pass over
    the rows: those of mark workers (goroutines labelled "GC ..."), of a goroutine inside
    a mark assist (after its begin or active event, before its next assist event), and of
    the goroutines of assist-active events (whose state at that event counts). A superset
    is harmless (the replay ignores transitions of goroutines doing no GC work).
    Given the a2 column, with the compiled kernel, none: the kernel reads every transition
    from the columns itself (`a2` is then set), so nothing need be collected."""

    def __init__(
        self, typ: np.ndarray, g: np.ndarray, a0: np.ndarray, strings: Sequence[str], a2: np.ndarray | None = None
    ) -> None:
        self.kernel = kernel.module(KERNEL)
        self.a2 = a2 if self.kernel is not None else None
        lab = np.flatnonzero(typ == S.EvGoLabel)
        workers = g[lab[np.isin(a0[lab].astype(I64), _label_ids(strings))]]
        arows = np.flatnonzero(np.isin(typ, (S.EvGCMarkAssistBegin, S.EvGCMarkAssistActive, S.EvGCMarkAssistEnd)))
        atyp = typ[arows]
        active = atyp == S.EvGCMarkAssistActive
        agid = np.where(active, a0[arows].astype(I64), g[arows])
        self.active_rows = arows[active]
        self.active_g = g[self.active_rows]
        self.tracked = np.unique(self.active_g.astype(I64))  # whose state the active events need
        self._all = np.unique(np.concatenate([workers, self.active_g]).astype(I64))
        self._assisting, dense = np.unique(agid, return_inverse=True)  # dense: small keys, no overflow
        self._span = typ.size + 1
        order = np.lexsort((arows, dense))
        self._akey = dense[order].astype(I64) * self._span + arows[order]  # by goroutine, then row
        self._aopen = atyp[order] != S.EvGCMarkAssistEnd
        self._lut = self._lookup()
        if self._lut is not None:  # the kernel's form: assist events by goroutine
            self._astart = np.searchsorted(dense[order], np.arange(self._assisting.size + 1)).astype(I64)
            self._arow = arows[order].astype(I64)
            self._aopen8 = self._aopen.view(np.uint8)

    def _lookup(self) -> tuple[int, np.ndarray] | None:
        """(lo, lut) for the kernel: lut[gid - lo] is -2 for the goroutines of `_all`, the
        index in `_assisting` for the others there, -1 else; None if ids are too far apart."""
        ids = np.concatenate([self._all, self._assisting])
        if not ids.size:
            return None
        lo, hi = int(ids.min()), int(ids.max())
        if hi - lo >= _LUT_MAX:
            return None
        lut = np.full(hi - lo + 1, -1, np.int32)
        lut[self._assisting - lo] = np.arange(self._assisting.size, dtype=np.int32)
        lut[self._all - lo] = -2
        return lo, lut

    @staticmethod
    def _index(sorted_ids: np.ndarray, gid: np.ndarray) -> np.ndarray:
        """Index of each gid in `sorted_ids`, -1 if not there."""
        if not sorted_ids.size:
            return np.full(gid.shape, -1, I64)
        i = np.minimum(np.searchsorted(sorted_ids, gid), sorted_ids.size - 1)
        return np.where(sorted_ids[i] == gid, i, -1)

    def relevant(self, gid: np.ndarray, row: np.ndarray) -> np.ndarray:
        """bool per transition (goroutine, row): may it move the series?"""
        k = self.kernel
        if self.a2 is not None:
            return np.zeros(gid.shape, bool)  # the kernel reads them all from the columns
        if self._lut is None:
            if not (self._all.size or self._assisting.size):
                return np.zeros(gid.shape, bool)
        elif k is not None:
            out = np.empty(gid.shape, bool)
            lo, lut = self._lut
            k.relevant(np.ascontiguousarray(gid, I64), np.ascontiguousarray(row, I64), out.view(np.uint8), lut, lo,
                       self._astart, self._arow, self._aopen8)  # fmt: skip
            return out
        gid = gid.astype(I64)
        out = self._index(self._all, gid) >= 0
        dense = self._index(self._assisting, gid)
        cand = np.flatnonzero(dense >= 0)
        if cand.size:
            key = dense[cand]
            last = np.searchsorted(self._akey, key * self._span + row[cand], "right") - 1
            k = np.maximum(last, 0)
            out[cand[(last >= 0) & (self._akey[k] // self._span == key) & self._aopen[k]]] = True
        return out

    def executing(self, trans: Transitions) -> np.ndarray:
        """bool per assist-active event (`active_rows`): is its goroutine executing there
        (the state its last transition before that row left it in)? `trans` holds at least
        those goroutines' transitions, in order."""
        rows = self.active_rows
        if not rows.size:
            return np.zeros(0, bool)
        ids = np.unique(self.active_g.astype(I64))
        g = self._index(ids, self.active_g.astype(I64))  # dense keys: no overflow
        tg = self._index(ids, trans.gid.astype(I64))
        sub = np.flatnonzero(tg >= 0)
        if not sub.size:
            return np.zeros(rows.size, bool)
        tkey = tg[sub] * self._span + trans.row[sub]
        order = np.argsort(tkey, kind="stable")
        tkey = tkey[order]
        last = np.searchsorted(tkey, g * self._span + rows, "left") - 1  # strictly before the row
        k = np.maximum(last, 0)
        return (last >= 0) & (tkey[k] // self._span == g) & np.isin(trans.to[sub[order]][k], _EXECUTING)


def _ids(c: np.ndarray, narrow: type = np.int32, wide: type = I64) -> type:
    """The kernel's dtype for a column: the narrow one if it is (as the table's may be), else wide."""
    return narrow if c.dtype == narrow else wide


def _uids(c: np.ndarray) -> type:
    return _ids(c, np.uint32, np.uint64)


def _flag_bits(flags: frozenset[str]) -> int:
    return sum(1 << i for i, f in enumerate(FLAGS) if f in flags)


def mutator_utilization(
    time: np.ndarray,
    typ: np.ndarray,
    p: np.ndarray,
    g: np.ndarray,
    a0: np.ndarray,
    strings: Sequence[str],
    work: GCWork,
    trans: Transitions,
    base: int,
    flag_sets: Sequence[frozenset[str]] = (DEFAULT,),
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per set of flags, (ts relative to `base`, utilization in [0, 1]) of events [0,
    len(typ)); flags among stw, background, assist, sweep say what the program cannot use.
    `trans`: the transitions `work.relevant` chose, in order (none if `work.a2` is set).
    Compiled, or Python per GC event and per chosen transition (not per event)."""
    n = typ.size
    k = work.kernel
    if k is not None:
        label = np.array([s.startswith("GC ") and s != "GC (idle)" for s in strings], np.uint8)
        stw = np.array(["GC" in s for s in strings], np.uint8)
        a2 = np.zeros(0, np.uint64) if work.a2 is None else work.a2
        typed = ((time, I64), (typ, np.uint8), (p, _ids(p)), (g, _ids(g)), (a0, _uids(a0)), (a2, _uids(a2)),
                 (trans.row, I64), (trans.frm, np.uint8), (trans.to, np.uint8), (trans.gid, I64),
                 (work.tracked, I64), (_KIND, np.uint8), (_EXEC, np.uint8), (_GTAB, np.uint8))  # fmt: skip
        cols: list[np.ndarray] = [np.ascontiguousarray(c, d) for c, d in typed]
        out = []
        for i in range(0, len(flag_sets), _MAX_SETS):  # one pass per _MAX_SETS sets of flags
            bits = np.array([_flag_bits(f) for f in flag_sets[i : i + _MAX_SETS]], np.uint8)
            flat = k.replay(*cols, label, stw, bits, n > 0)
            out += [
                (np.frombuffer(ts, I64) - base, np.frombuffer(u, np.float64)) for ts, u in zip(flat[::2], flat[1::2])
            ]
        return out
    executing = work.executing(trans)
    transitions = dict(zip(trans.row.tolist(), zip(trans.frm.tolist(), trans.to.tolist(), trans.gid.tolist())))
    executing_at = dict(zip(work.active_rows.tolist(), executing.tolist()))
    mask = np.take(_IS_EVENT, typ)
    mask[trans.row] = True
    rows = np.flatnonzero(mask)
    del mask
    events = list(zip(typ[rows].tolist(), time[rows].tolist(), p[rows].tolist(), g[rows].tolist(),
                      a0[rows].tolist(), rows.tolist()))  # fmt: skip
    end = int(time[n - 1]) if n else None
    out = []
    for flags in flag_sets:
        ts, util = _replay(events, transitions, executing_at, strings, flags, end)
        out.append((np.array(ts, I64) - base, np.array(util, np.float64)))
    return out


def _replay(
    events: list[tuple[int, int, int, int, int, int]],
    transitions: dict[int, tuple[int, int, int]],
    executing_at: dict[int, bool],
    strings: Sequence[str],
    flags: frozenset[str],
    end: int | None,
) -> tuple[list[int], list[float]]:
    """MutatorUtilizationV2's loop over the chosen events: (time, utilization) steps."""
    out_t: list[int] = []
    out_u: list[float] = []
    ps: list[int] = []  # per P: how many GC activities it has
    in_gc: set[int] = set()
    bg_mark: set[int] = set()
    stw_kind: dict[int, str] = {}
    procs_t: list[int] = []  # GOMAXPROCS changes: time, value
    procs_n: list[int] = []
    stw = n_sync = 0
    stw_on, bg_on, assist_on, sweep_on = (f in flags for f in FLAGS)

    def add(t: int, u: float) -> None:
        if out_u:
            if u == out_u[-1]:
                return
            if t == out_t[-1]:
                out_u[-1] = min(u, out_u[-1])  # the lowest at one time stamp
                return
        out_t.append(t)
        out_u.append(u)

    for ty, t, pp, gg, arg, r in events:
        if ty == S.EV_SYNC:
            n_sync = arg
        elif ty == S.EvProcsChange:
            del ps[arg:]
            while len(ps) < arg:
                if not out_t:
                    out_t.append(t)
                    out_u.append(1.0)
                ps.append(0)
            if not procs_n or procs_n[-1] != arg:
                procs_t.append(t)
                procs_n.append(arg)
        if not ps:
            continue  # nothing to measure before GOMAXPROCS is known
        on_p = 0 <= pp < len(ps)
        if ty == S.EvGCMarkAssistActive or ty == S.EvGCSweepActive:
            assist = ty == S.EvGCMarkAssistActive
            wanted = (assist and assist_on) or (not assist and sweep_on)
            if n_sync <= 1 and wanted:
                # Active since before the trace started (first generation only): take it
                # out of the earlier points (an assist only if its goroutine is executing),
                # 1/GOMAXPROCS as it was at each; then it acts as a begin.
                if not assist or executing_at[r]:
                    for i, pt in enumerate(out_t):
                        k = max(bisect_left(procs_t, pt) - 1, 0)  # the last change before pt
                        out_u[i] = max(out_u[i] - 1.0 / procs_n[k], 0.0)
                if on_p:
                    ps[pp] += 1
                if assist:
                    in_gc.add(arg)
        elif ty == S.EvSTWBegin:
            stw_kind[gg] = strings[arg]
            stw += stw_on and "GC" in stw_kind[gg]
        elif ty == S.EvSTWEnd:
            stw -= stw_on and "GC" in stw_kind.pop(gg, "")
        elif ty == S.EvGCSweepBegin or ty == S.EvGCSweepEnd:
            if sweep_on and on_p:
                ps[pp] += 1 if ty == S.EvGCSweepBegin else -1
        elif ty == S.EvGCMarkAssistBegin or ty == S.EvGCMarkAssistEnd:
            if assist_on:
                if on_p:
                    ps[pp] += 1 if ty == S.EvGCMarkAssistBegin else -1
                (in_gc.add if ty == S.EvGCMarkAssistBegin else in_gc.discard)(gg)
        elif ty == S.EvGoLabel:
            label = strings[arg]
            if bg_on and label.startswith("GC ") and label != "GC (idle)":
                bg_mark.add(gg)
                if on_p:
                    ps[pp] += 1
        tr = transitions.get(r)
        if tr is not None:
            old, new, gid = tr
            if (gid in in_gc or gid in bg_mark) and on_p:
                if old not in _EXECUTING and new in _EXECUTING:
                    ps[pp] += 1
                elif old in _EXECUTING and new not in _EXECUTING:
                    ps[pp] -= 1
        busy = len(ps) if stw > 0 else sum(1 for c in ps if c > 0)
        add(t, 1.0 - busy / len(ps))
    if end is not None:
        add(end, 0.0)  # the end of the trace, as Go marks it
    return out_t, out_u
