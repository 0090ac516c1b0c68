"""Go event table -> timeline model, vectorised (no Python work per event).

Each event's state transition (resource, from, to, reason, stack) follows Go's
`internal/trace/event.go` (as `tracetui.gotrace.dump` prints it), computed for all rows at
once with lookup tables indexed by event type. Per-resource sequences come from stable
group-by sorts (radix passes on dense ids); spans from neighbouring rows of a group.

Semantics:

* Goroutines: transition i starts a span [t_i, t_{i+1}) in its to-state, with its reason
  and stack (GoBlock's "chan receive" and stack, ...); the last span runs to the trace end;
  a transition to NotExist ends the goroutine (no span after it: a gap).
* GoStatus/ProcStatus events repeating a known state (X->X at each generation start) are
  no transitions: they neither split spans nor change reason/stack (Go never gives a
  resource's first transition from == to). Touching spans that agree on (state, reason,
  stack) for goroutines, (state, arg) for Ps and Ms, are merged.
* A resource first seen as Undetermined->X existed before: as Go's summary.go does, it is
  in X since the preceding Sync, i.e. the start of its generation (Undetermined only occurs
  in the first generation: the trace start). A first transition from any other state
  (never seen in Go's output) gets a span in that from-state from the trace start.
* Ps: IDLE / RUNNING (arg = goroutine, -1 while held by an M with no goroutine) / SYSCALL
  (arg = goroutine in a syscall still holding the P), from proc transitions and goroutine
  transitions into or out of Running with the P in context. Zero-length spans are dropped.
* Ms: see `_threads`. Goroutine counters count from Go's events in time order; thread
  counters from the M spans.
* Ranges (GC mark phase, STW, sweeps, mark assists) pair Begin/Active/End per scope; see
  `_pair_ranges`. Tasks and regions: see `_tasks`, `_regions`.
* Partial traces (`table.error` set): only the `table.valid_events` leading rows are used.
"""

from __future__ import annotations

import heapq

import numpy as np

from tracetui.gotrace import spec as S
from tracetui.gotrace.events import EventTable
from tracetui.model._group import Dense, group_bounds, next_true, stable_order
from tracetui.model.trace import (
    I64,
    Counter,
    CPUSamples,
    FlowKind,
    Flows,
    Goroutines,
    InstantKind,
    Instants,
    Regions,
    Spans,
    State,
    Tasks,
    Trace,
    Track,
    TrackKind,
)

NONE8 = 255

# --- goroutine transitions (event.go StateTransition for ResourceGoroutine) -------------
_IS_G = np.zeros(256, bool)
_GFROM = np.full(256, NONE8, np.uint8)
_GTO = np.full(256, NONE8, np.uint8)
_G_RES_A0 = np.zeros(256, bool)  # resource is a0 (else the ctx goroutine)
_G_REASON = np.zeros(256, bool)  # reason string is a0
_G_STACK_ARG = np.full(256, -1, np.int8)  # transition stack argument

_UND, _NEX, _RBL, _RUN, _WAI, _SYS = (
    S.GoUndetermined, S.GoNotExist, S.GoRunnable, S.GoRunning, S.GoWaiting, S.GoSyscall,
)  # fmt: skip
for _typ, _f, _t, _a0 in (
    (S.EvGoStart, _RBL, _RUN, True),
    (S.EvGoUnblock, _WAI, _RBL, True),
    (S.EvGoSwitch, _WAI, _RBL, True),
    (S.EvGoSwitchDestroy, _WAI, _RBL, True),
    (S.EvGoStop, _RUN, _RBL, False),
    (S.EvGoBlock, _RUN, _WAI, False),
    (S.EvGoSyscallBegin, _RUN, _SYS, False),
    (S.EvGoSyscallEnd, _SYS, _RUN, False),
    (S.EvGoSyscallEndBlocked, _SYS, _RBL, False),
    (S.EvGoCreate, _NEX, _RBL, True),
    (S.EvGoCreateBlocked, _NEX, _WAI, True),
    (S.EvGoCreateSyscall, _NEX, _SYS, True),
    (S.EvGoDestroy, _RUN, _NEX, False),
    (S.EvGoDestroySyscall, _SYS, _NEX, False),
    (S.EvGoStatus, _UND, _UND, True),  # from/to from the smuggled a2
    (S.EvGoStatusStack, _UND, _UND, True),
):
    _IS_G[_typ] = True
    _GFROM[_typ], _GTO[_typ], _G_RES_A0[_typ] = _f, _t, _a0
for _typ in (S.EvGoStop, S.EvGoBlock):
    _G_REASON[_typ] = True
    _G_STACK_ARG[_typ] = 1
_G_STACK_ARG[S.EvGoSyscallBegin] = 1
_G_STACK_ARG[S.EvGoCreate] = 1  # the new goroutine's start stack
_G_STACK_ARG[S.EvGoCreateBlocked] = 1
_G_STACK_ARG[S.EvGoStatusStack] = 3
_GO_STATUS_TO_STATE = np.array([*S.GO_STATUS_TO_STATE, _UND], np.uint8)  # wire status -> GoState
_IS_STATUS = np.zeros(256, bool)
_IS_STATUS[[S.EvGoStatus, S.EvGoStatusStack, S.EvProcStatus]] = True
_UNBLOCKS = np.zeros(256, bool)
_UNBLOCKS[[S.EvGoUnblock, S.EvGoSwitch, S.EvGoSwitchDestroy]] = True

# --- proc transitions (Go ProcState numbering) -------------------------------------------
_IS_P = np.zeros(256, bool)
_IS_P[[S.EvProcStart, S.EvProcStop, S.EvProcSteal, S.EvProcStatus]] = True
_PROC_STATUS_TO_STATE = np.array([*S.PROC_STATUS_TO_STATE, S.ProcUndetermined], np.uint8)

# --- ranges ---------------------------------------------------------------------------
_BEGIN, _ACTIVE, _END = 0, 1, 2


_FLOW_SRC = _UNBLOCKS.copy()
_FLOW_SRC[S.EvGoCreate] = True
# Events that can change an M's state (its P, or a goroutine entering/leaving a syscall).
_M_REL = _IS_P.copy()
_M_REL[
    [S.EvGoSyscallBegin, S.EvGoSyscallEnd, S.EvGoSyscallEndBlocked, S.EvGoCreateSyscall,
     S.EvGoDestroySyscall, S.EvGoStatus, S.EvGoStatusStack]
] = True  # fmt: skip
_NOT_M = np.zeros(256, bool)  # rows whose m is not an M acting
_NOT_M[[S.EvCPUSample, S.EV_SYNC]] = True

_CHUNK = 1 << 20


def _u2i(a: np.ndarray) -> np.ndarray:
    """uint64 ids/values -> int64 (NoTask etc. become -1)."""
    return a.view(I64)


class _GT:
    """Goroutine transitions in row (time) order."""

    __slots__ = ("frm", "gid", "row", "to", "typ")

    def __init__(self, row: np.ndarray, typ: np.ndarray, frm: np.ndarray, to: np.ndarray, gid: np.ndarray) -> None:
        self.row, self.typ, self.frm, self.to, self.gid = row, typ, frm, to, gid


class _Table:
    """The valid rows of an EventTable, with helpers (no per-row copies)."""

    def __init__(self, table: EventTable) -> None:
        n = len(table)
        if table.error is not None or 0 < table.valid_events < n:
            n = min(n, table.valid_events)
        self.n = n
        self.typ = table.typ[:n]
        self.m = table.m[:n]
        self.p = table.p[:n]
        self.g = table.g[:n]
        self.a = (table.a0[:n], table.a1[:n], table.a2[:n], table.a3[:n])
        self.time = table.time[:n]
        self.base = int(self.time[0]) if n else 0
        self.T = int(self.time[-1]) - self.base if n else 0
        srow = np.flatnonzero(self.typ == S.EV_SYNC)
        if n and (srow.size == 0 or srow[0] != 0):
            srow = np.concatenate([np.zeros(1, srow.dtype), srow])
        self.sync_rows = srow.astype(I64)

    def ts(self, rows: np.ndarray) -> np.ndarray:
        """Relative times of rows (< n)."""
        return self.time[rows] - self.base

    def sync_before(self, rows: np.ndarray) -> np.ndarray:
        """Row of the last Sync at or before each row (row 0 = trace start)."""
        i = np.searchsorted(self.sync_rows, rows, "right") - 1
        return self.sync_rows[np.maximum(i, 0)]

    def gtrans(self) -> _GT:
        typ = self.typ
        gi = np.flatnonzero(_IS_G[typ])
        gt = typ[gi]
        frm = _GFROM[gt]
        to = _GTO[gt]
        st = np.flatnonzero((gt == S.EvGoStatus) | (gt == S.EvGoStatusStack))
        if st.size:
            a2s = self.a[2][gi[st]]
            frm[st] = np.minimum(a2s >> np.uint64(32), 6).astype(np.uint8)
            to[st] = _GO_STATUS_TO_STATE[np.minimum(a2s & np.uint64(0xFFFFFFFF), 5).astype(np.intp)]
        gid = np.where(_G_RES_A0[gt], _u2i(self.a[0][gi]), self.g[gi])
        return _GT(gi, gt, frm, to, gid)

    def ptrans(self) -> dict[str, np.ndarray]:
        """Proc transitions (Go ProcState numbering), in row order."""
        typ = self.typ
        pi = np.flatnonzero(_IS_P[typ])
        pt = typ[pi]
        a0, a1, a2, a3 = (c[pi] for c in self.a)
        pid = np.where(pt == S.EvProcStop, self.p[pi], _u2i(a0))
        pfrom = np.full(pi.size, S.ProcRunning, np.uint8)
        pto = np.full(pi.size, S.ProcIdle, np.uint8)
        pfrom[pt == S.EvProcStart] = S.ProcIdle
        pto[pt == S.EvProcStart] = S.ProcRunning
        steal = pt == S.EvProcSteal
        pfrom[steal & (a3 == S.ProcSyscallAbandonedW)] = S.ProcIdle
        stat = pt == S.EvProcStatus
        pfrom[stat] = np.minimum(a2[stat], 4).astype(np.uint8)
        pto[stat] = _PROC_STATUS_TO_STATE[np.minimum(a1[stat], 5).astype(np.intp)]
        syscall = stat & (a1 == S.ProcSyscallW)
        return {"row": pi, "typ": pt, "from": pfrom, "to": pto, "pid": pid, "syscall": syscall}


# --- generic pieces -------------------------------------------------------------------


class _Grouped:
    """Events grouped by a dense key (row order within a key), as spans: event k starts a
    span in state[k] lasting until the key's next event, the last one to the trace end."""

    def __init__(self, tb: _Table, counts: np.ndarray, rows: np.ndarray) -> None:
        nk = counts.size
        self.counts = counts
        self.key = np.repeat(np.arange(nk, dtype=np.int32), counts)
        offs = np.zeros(nk + 1, I64)
        np.cumsum(counts, out=offs[1:])
        has = counts > 0
        self.fpos = offs[:-1][has]
        self.lpos = offs[1:][has] - 1
        self.rows = rows
        self.start = tb.ts(rows)

    def extend_first(self, tb: _Table, mask_at_first: np.ndarray) -> None:
        """Start the first span of the selected keys at the preceding Sync."""
        sel = self.fpos[mask_at_first]
        if sel.size:
            self.start[sel] = tb.ts(tb.sync_before(self.rows[sel]))

    def ends(self, tb: _Table) -> np.ndarray:
        end = np.empty_like(self.start)
        end[:-1] = self.start[1:]
        end[self.lpos] = tb.T
        return end

    def first_mask(self) -> np.ndarray:
        first = np.zeros(self.key.size, bool)
        first[self.fpos] = True
        return first


_Sel = np.ndarray | slice


def _runs(first: np.ndarray, live: np.ndarray, *cols: np.ndarray) -> tuple[_Sel, _Sel]:
    """Runs of equal `cols` within a key: selectors of each live run's first element and
    of its last element (index arrays; a boolean mask or a full slice when no run has more
    than one element, so that taking them copies as little as possible)."""
    brk = first.copy()
    for c in cols:
        if c.size > 1:
            brk[1:] |= c[1:] != c[:-1]
    if brk.all():
        if live.all():
            return slice(None), slice(None)
        return live, live
    b = np.flatnonzero(brk)
    nb = np.empty_like(b)
    nb[:-1] = b[1:] - 1
    if b.size:
        nb[-1] = first.size - 1
    lv = live[b]
    if lv.all():
        return b, nb
    return b[lv], nb[lv]


def _zeros32(n: int) -> np.ndarray:
    """A read-only int32 column of n zeros that takes no memory (for reason/stack of
    P and M spans)."""
    return np.broadcast_to(np.zeros(1, np.int32), (n,))


def _offsets(key: np.ndarray, nkeys: int) -> np.ndarray:
    counts = np.bincount(key, minlength=nkeys) if key.size else np.zeros(nkeys, I64)
    offs = np.zeros(nkeys + 1, I64)
    np.cumsum(counts, out=offs[1:])
    return offs


def _step_counter(ts: np.ndarray, delta: np.ndarray, initial: int = 0, distinct_ts: bool = False) -> Counter:
    """Counter of initial + cumulative deltas at (sorted) ts, one point per distinct ts,
    starting with `initial` at time 0."""
    nz = np.flatnonzero(delta)
    ts, vals = ts[nz], np.cumsum(delta[nz], dtype=np.int32)
    if initial:
        vals += initial
    if ts.size > 1 and not distinct_ts:
        last = np.ones(ts.size, bool)
        last[:-1] = ts[1:] != ts[:-1]
        ts, vals = ts[last], vals[last]
    return Counter(np.concatenate([np.zeros(1, I64), ts]), np.concatenate([np.array([initial], np.int32), vals]))


def _overlap_counter(start: np.ndarray, end: np.ndarray, T: int) -> Counter:
    """How many of the intervals [start, end) are open over time (ends at T not shown)."""
    keep_end = end < T
    ts = np.concatenate([start, end[keep_end]])
    d = np.concatenate([np.ones(start.size, np.int8), np.full(int(keep_end.sum()), -1, np.int8)])
    o = np.argsort(ts, kind="stable")
    return _step_counter(ts[o], d[o])


def _pair_ranges(
    tb: _Table, rows: np.ndarray, key: np.ndarray, kind: np.ndarray, orphan_ends: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pair Begin/Active/End events per key (rows in time order).

    A range opens at a Begin (or an Active while closed: it was already running when the
    generation began, so it starts at the preceding Sync) and closes at the next End of its
    key; one never closed runs to the trace end. An End without an open range is ignored,
    or (orphan_ends) taken as a range from the preceding Sync.
    Returns (start_time, end_time, begin_row (-1 if none), key), sorted by start.
    """
    if rows.size == 0:
        z = np.zeros(0, I64)
        return z, z, z, z
    dk = Dense(key)
    order = stable_order(dk.inverse, len(dk))
    rows, kind, gk = rows[order], kind[order], dk.inverse[order]
    first, _ = group_bounds(gk)
    open_after = kind != _END
    open_before = np.zeros(rows.size, bool)
    open_before[1:] = open_after[:-1]
    open_before[first] = False
    is_start = open_after & ~open_before
    closing = (kind == _END) & open_before
    nxt = next_true(closing)
    si = np.flatnonzero(is_start)
    ci = nxt[si]
    ci_ok = ci < rows.size
    ci_ok[ci_ok] = gk[ci[ci_ok]] == gk[si[ci_ok]]
    srow = np.where(kind[si] == _ACTIVE, tb.sync_before(rows[si]), rows[si])
    start = tb.ts(srow)
    end = np.where(ci_ok, tb.ts(rows[np.minimum(ci, rows.size - 1)]), tb.T)
    brow = np.where(kind[si] == _BEGIN, rows[si], -1)
    keys = dk.ids[gk[si]]
    if orphan_ends:
        oi = np.flatnonzero((kind == _END) & ~open_before)
        if oi.size:
            start = np.concatenate([start, tb.ts(tb.sync_before(rows[oi]))])
            end = np.concatenate([end, tb.ts(rows[oi])])
            brow = np.concatenate([brow, np.full(oi.size, -1, I64)])
            keys = np.concatenate([keys, dk.ids[gk[oi]]])
    o = np.argsort(start, kind="stable")
    return start[o], end[o], brow[o].astype(I64), keys[o]


def _range_spans(
    tb: _Table, begin: int, active: int, end: int, key: str | None, state: State, orphan_ends: bool,
    reason_arg: int = -1, stack_arg: int = -1, arg_is_seq: bool = False,
) -> Spans:  # fmt: skip
    """Spans of Begin/Active/End ranges. `key`: "g" (ctx goroutine, or a0 of Active),
    "p" (ctx P, or a0 of Active), or None (one global range)."""
    typ = tb.typ
    mask = (typ == begin) | (typ == end)
    if active >= 0:
        mask |= typ == active
    rows = np.flatnonzero(mask)
    if rows.size == 0:
        return Spans.empty()
    rt = typ[rows]
    kind = np.where(rt == begin, _BEGIN, np.where(rt == end, _END, _ACTIVE)).astype(np.uint8)
    if key is None:
        k = np.zeros(rows.size, I64)
    else:
        ctx = (tb.g if key == "g" else tb.p)[rows]
        k = np.where(kind == _ACTIVE, _u2i(tb.a[0][rows]), ctx)
    start, stop, brow, keys = _pair_ranges(tb, rows, k, kind, orphan_ends)
    has = brow >= 0
    bro = np.maximum(brow, 0)
    reason = np.zeros(start.size, np.int32)
    stack = np.zeros(start.size, np.int32)
    if reason_arg >= 0:
        reason = np.where(has, tb.a[reason_arg][bro], 0).astype(np.int32)
    if stack_arg >= 0:
        stack = np.where(has, tb.a[stack_arg][bro], 0).astype(np.int32)
    arg = np.where(has, _u2i(tb.a[0][bro]), -1) if arg_is_seq else keys
    return Spans(start, stop, np.full(start.size, state, np.uint8), reason, stack, arg.astype(I64))


# --- goroutines -----------------------------------------------------------------------


class _GoroutinesOut:
    spans: Spans
    offsets: np.ndarray
    dense: Dense
    table: Goroutines
    counts: dict[State, Counter]
    flow_rows: np.ndarray  # source row of each flow (unsorted)
    flow_key: np.ndarray  # dense goroutine of the target
    flow_to_ts: np.ndarray
    flow_kind: np.ndarray


def _goroutines(tb: _Table, gt: _GT, table: EventTable) -> _GoroutinesOut:
    out = _GoroutinesOut()
    dg = Dense(gt.gid)
    ng = len(dg)
    inv = dg.inverse
    # Status events repeating the known state (X->X at generation starts) are no transition
    # (Go never gives a goroutine's first transition from == to): sort them last, cut them.
    drop = np.flatnonzero(gt.frm == gt.to)
    counts = np.bincount(inv, minlength=ng)
    if drop.size:
        counts -= np.bincount(inv[drop], minlength=ng)
        inv[drop] = ng
    order = stable_order(inv, ng + 1)[: inv.size - drop.size]
    del inv
    dg.inverse = np.zeros(0, I64)  # free it: dg lives on for id lookups
    offs = np.zeros(ng + 1, I64)
    np.cumsum(counts, out=offs[1:])
    ffrom = gt.frm[order[offs[:-1][counts > 0]]]
    pro = (ffrom != _UND) & (ffrom != _NEX) & (ffrom < 6)

    # Goroutines by state over time, in row order (Undetermined->X counts from the start).
    und = gt.frm == _UND
    out.counts = {}
    ts_all = tb.ts(gt.row)
    for st in (State.RUNNING, State.RUNNABLE, State.WAITING, State.SYSCALL):
        tos = gt.to == st
        init = int(np.count_nonzero(tos & und)) + int(np.count_nonzero(ffrom[pro] == st))
        d = (tos & ~und).view(np.int8) - (gt.frm == st).view(np.int8)
        out.counts[st] = _step_counter(ts_all, d, init, distinct_ts=True)
        del tos, d
    del ts_all, und

    G = _Grouped(tb, counts, gt.row[order])
    typ = gt.typ[order]
    state = gt.to[order]
    del order
    rows = G.rows
    reason, stack = _reason_stack(tb, typ, rows)
    func_of = _root_funcs(table, G.key, stack, ng)
    gtab = _creation(tb, dg, G, typ, state, ffrom)
    G.extend_first(tb, ffrom == _UND)

    if pro.any():  # first transition from a real state: a span in it from the trace start
        pos = G.fpos[pro]
        G.rows = rows = np.insert(rows, pos, rows[pos])
        G.start = np.insert(G.start, pos, 0)
        G.key = np.insert(G.key, pos, G.key[pos])
        typ = np.insert(typ, pos, NONE8)
        state = np.insert(state, pos, ffrom[pro])
        reason = np.insert(reason, pos, 0)
        stack = np.insert(stack, pos, 0)
        counts = np.bincount(G.key, minlength=ng)
        G = _regroup(G, counts)

    # Flows: unblock/create -> the goroutine's next transition, if it starts running.
    src = np.flatnonzero(_FLOW_SRC[typ])
    nxt = src + 1
    ok = nxt < typ.size
    src, nxt = src[ok], nxt[ok]
    ok = (G.key[nxt] == G.key[src]) & (state[nxt] == _RUN)
    src, nxt = src[ok], nxt[ok]
    out.flow_rows = rows[src]
    out.flow_key = G.key[src]
    out.flow_to_ts = G.start[nxt]
    out.flow_kind = np.where(typ[src] == S.EvGoCreate, FlowKind.CREATE, FlowKind.UNBLOCK).astype(np.uint8)
    del src, nxt, ok

    end = G.ends(tb)
    live = (state != _NEX) & (state != _UND)
    k, rl = _runs(G.first_mask(), live, state, reason, stack)
    del live
    key = G.key[k]
    rk = rows[k]
    sstate = state[k]
    fsrc = _FLOW_SRC[typ[k]]
    del typ, state, rows
    arg = np.full(rk.size, -1, I64)
    sel = np.flatnonzero(sstate == _RUN)
    arg[sel] = tb.p[rk[sel]]
    sel = np.flatnonzero(sstate == _SYS)
    arg[sel] = tb.m[rk[sel]]
    sel = np.flatnonzero(fsrc)  # made runnable by another goroutine
    gg = tb.g[rk[sel]]
    arg[sel] = np.where(gg != dg.ids[key[sel]], gg, -1)
    del rk, sel, gg, fsrc
    out.spans = Spans(G.start[k], end[rl], sstate, reason[k], stack[k], arg)
    out.offsets = _offsets(key, ng)
    gtab.func = func_of
    out.table = gtab
    out.dense = dg
    return out


def _regroup(G: _Grouped, counts: np.ndarray) -> _Grouped:
    offs = np.zeros(counts.size + 1, I64)
    np.cumsum(counts, out=offs[1:])
    has = counts > 0
    G.counts = counts
    G.fpos = offs[:-1][has]
    G.lpos = offs[1:][has] - 1
    return G


def _reason_stack(tb: _Table, typ: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    reason = np.zeros(rows.size, np.int32)
    idx = np.flatnonzero(_G_REASON[typ])
    reason[idx] = tb.a[0][rows[idx]]
    stack = np.zeros(rows.size, np.int32)
    sa = _G_STACK_ARG[typ]
    for k in range(4):
        idx = np.flatnonzero(sa == k)
        if idx.size:
            stack[idx] = tb.a[k][rows[idx]]
    return reason, stack


def _root_funcs(table: EventTable, key: np.ndarray, stack: np.ndarray, ng: int) -> np.ndarray:
    """String id of the root frame's function of each goroutine's first transition stack
    (Go's GoroutineSummary.Name)."""
    func_of = np.zeros(ng, np.int32)
    pos = np.flatnonzero(stack != 0)
    if pos.size == 0:
        return func_of
    grp = key[pos]
    firsts = pos[np.r_[True, grp[1:] != grp[:-1]]]
    sids = stack[firsts]
    usid, inv = np.unique(sids, return_inverse=True)
    st = table.stacks
    root = np.array([st.frame_func[st.stacks[s][-1]] if st.stacks[s] else 0 for s in usid.tolist()], np.int32)
    func_of[key[firsts]] = root[inv.reshape(-1)]
    return func_of


def _creation(tb: _Table, dg: Dense, G: _Grouped, typ: np.ndarray, state: np.ndarray, ffrom: np.ndarray) -> Goroutines:
    ng = len(dg)
    created = np.full(ng, -1, I64)
    creator = np.full(ng, -1, I64)
    create_stack = np.zeros(ng, np.int32)
    start_stack = np.zeros(ng, np.int32)
    ended = np.full(ng, -1, I64)
    cr = G.fpos[ffrom == _NEX]
    rows = G.rows[cr]
    k = G.key[cr]
    created[k] = G.start[cr]
    creator[k] = tb.g[rows]
    ws = (typ[cr] == S.EvGoCreate) | (typ[cr] == S.EvGoCreateBlocked)
    create_stack[k[ws]] = tb.a[2][rows[ws]]
    start_stack[k[ws]] = tb.a[1][rows[ws]]
    de = G.lpos[state[G.lpos] == _NEX]
    ended[G.key[de]] = G.start[de]
    return Goroutines(
        id=dg.ids, track=np.zeros(ng, I64), func=np.zeros(ng, np.int32), created=created, ended=ended,
        creator=creator, create_stack=create_stack, start_stack=start_stack,
    )  # fmt: skip


# --- procs ----------------------------------------------------------------------------


def _procs(tb: _Table, gt: _GT) -> tuple[Spans, np.ndarray, Dense]:
    """P spans from proc transitions and goroutine transitions into/out of Running on a P:
    IDLE; RUNNING with arg = the goroutine on it (-1: held by an M, no goroutine);
    SYSCALL with arg = the goroutine in a syscall holding it."""
    pt = tb.ptrans()
    keep = ~((pt["typ"] == S.EvProcStatus) & (pt["from"] == pt["to"]))
    prow = pt["row"][keep]
    pto = pt["to"][keep]
    pstate = np.where(pto == S.ProcRunning, _RUN, np.where(pto == S.ProcIdle, State.IDLE, _NEX))
    pstate = np.where(pt["syscall"][keep], _SYS, pstate).astype(np.uint8)
    pext = pt["from"][keep] == S.ProcUndetermined
    pkey = pt["pid"][keep]

    sel = np.flatnonzero((gt.frm == _RUN) | (gt.to == _RUN))
    pg = tb.p[gt.row[sel]]
    onp = pg >= 0
    sel = sel[onp]
    gkey = pg[onp]
    del pg, onp
    grow = gt.row[sel]
    gto = gt.to[sel]
    gstate = np.where(gto == _SYS, _SYS, _RUN).astype(np.uint8)
    garg = np.where((gto == _RUN) | (gto == _SYS), gt.gid[sel], -1)
    gext = gt.frm[sel] == _UND  # running on this P since before the trace
    del sel, gto
    ins = np.searchsorted(grow, prow)
    rows = np.insert(grow, ins, prow)
    key = np.insert(gkey, ins, pkey)
    state = np.insert(gstate, ins, pstate)
    arg = np.insert(garg, ins, -1)
    ext = np.insert(gext, ins, pext)
    del grow, gkey, gstate, garg, gext
    dp = Dense(key)
    order = stable_order(dp.inverse, len(dp))
    counts = np.bincount(dp.inverse, minlength=len(dp))
    dp.inverse = np.zeros(0, I64)
    G = _Grouped(tb, counts, rows[order])
    state = state[order]
    arg = arg[order]
    ext = ext[order]
    del order
    first = G.first_mask()
    G.extend_first(tb, ext[G.fpos])
    # A goroutine found running on a P at the start of the trace ran there since then too
    # (as its own row says): move its start back over the P's own status span.
    xg = np.flatnonzero(ext & ~first)
    if xg.size:
        G.start[xg] = np.maximum(tb.ts(tb.sync_before(G.rows[xg])), G.start[xg - 1])
    end = G.ends(tb)
    k, rl = _runs(first, (state != _NEX) & (end > G.start), state, arg)
    st = state[k]
    spans = Spans(G.start[k], end[rl], st, _zeros32(st.size), _zeros32(st.size), arg[k])
    return spans, _offsets(G.key[k], len(dp)), dp


# --- threads --------------------------------------------------------------------------


def _threads(tb: _Table, gt: _GT) -> tuple[Spans, np.ndarray, Dense, dict[State, Counter]]:
    """M spans. Between two events of an M its state is what the scheduling context Go
    gives the later one (the context *before* it) says: SYSCALL (arg = goroutine) if that
    event takes its goroutine out of a syscall, else RUNNING (arg = P) while it holds a P,
    SYSCALL with a goroutine but no P, else IDLE. After an M's last event: that event's
    outcome. Only events that can change this (proc transitions, syscall transitions,
    statuses) and each M's first and last event are looked at."""
    n = tb.n
    typ = tb.typ
    m = tb.m
    # Dense ids of the Ms, their first and last rows (chunked to bound memory).
    present_ids: list[np.ndarray] = []
    for lo in range(0, n, _CHUNK):
        mm = m[lo : lo + _CHUNK]
        v = (mm >= 0) & ~_NOT_M[typ[lo : lo + _CHUNK]]
        present_ids.append(np.unique(mm[v]) if v.any() else np.zeros(0, I64))
    ids = np.unique(np.concatenate(present_ids)) if present_ids else np.zeros(0, I64)
    dm = Dense(ids)
    nm = len(dm)
    empty = {State.RUNNING: Counter.empty(np.int32), State.SYSCALL: Counter.empty(np.int32)}
    if nm == 0:
        return Spans.empty(), np.zeros(1, I64), dm, empty
    firsts = np.full(nm, n, I64)
    lasts = np.full(nm, -1, I64)
    sel = np.zeros(n, bool)
    for lo in range(0, n, _CHUNK):
        mm = m[lo : lo + _CHUNK]
        tt = typ[lo : lo + _CHUNK]
        v = np.flatnonzero((mm >= 0) & ~_NOT_M[tt])
        k = dm.index(mm[v])
        np.minimum.at(firsts, k, v + lo)
        np.maximum.at(lasts, k, v + lo)
        sel[lo + v[_M_REL[tt[v]]]] = True
    sel[firsts] = True
    sel[lasts] = True
    mrows = np.flatnonzero(sel)
    del sel
    key = dm.index(m[mrows])
    order = stable_order(key, nm)
    counts = np.bincount(key, minlength=nm)
    G = _Grouped(tb, counts, mrows[order])
    rows = G.rows
    # Goroutine transitions at these rows (their from-state and target).
    gpos = np.searchsorted(gt.row, rows)
    gpc = np.minimum(gpos, max(gt.row.size - 1, 0))
    isg = (gpos < gt.row.size) & (gt.row[gpc] == rows) if gt.row.size else np.zeros(rows.size, bool)
    gfrom = np.where(isg, gt.frm[gpc] if gt.row.size else 0, NONE8)
    pj, gj = tb.p[rows], tb.g[rows]
    bstate = np.where(gfrom == _SYS, _SYS, np.where(pj >= 0, _RUN, np.where(gj >= 0, _SYS, State.IDLE))).astype(
        np.uint8
    )
    barg = np.where(bstate == _SYS, gj, np.where(bstate == _RUN, pj, -1))
    state = np.empty(rows.size, np.uint8)
    arg = np.empty(rows.size, I64)
    state[:-1], arg[:-1] = bstate[1:], barg[1:]
    for j in G.lpos.tolist():
        r = int(rows[j])
        ok = bool(isg[j])
        state[j], arg[j] = _m_after(tb, r, int(gt.to[gpc[j]]) if ok else NONE8, int(gt.gid[gpc[j]]) if ok else -1)
    # An M first seen through a status event from Undetermined existed before the trace.
    fr = rows[G.fpos]
    ft = typ[fr]
    fa2 = tb.a[2][fr]
    und = np.where(ft == S.EvProcStatus, fa2 == S.ProcUndetermined, (fa2 >> np.uint64(32)) == _UND) & _IS_STATUS[ft]
    G.extend_first(tb, und)
    end = G.ends(tb)
    k, rl = _runs(G.first_mask(), np.ones(rows.size, bool), state, arg)
    st = state[k]
    spans = Spans(G.start[k], end[rl], st, _zeros32(st.size), _zeros32(st.size), arg[k])
    tcounts = {}
    for st in (State.RUNNING, State.SYSCALL):
        s = spans.state == st
        tcounts[st] = _overlap_counter(spans.start[s], spans.end[s], tb.T)
    return spans, _offsets(G.key[k], nm), dm, tcounts


def _m_after(tb: _Table, r: int, gto: int, gid: int) -> tuple[int, int]:
    """(state, arg) of an M after its event at row r (its last one)."""
    typ = int(tb.typ[r])
    p, g = int(tb.p[r]), int(tb.g[r])
    a0 = int(tb.a[0][r])
    a1 = int(tb.a[1][r])
    if gto == _SYS:
        return _SYS, gid
    if typ == S.EvProcStart:
        p = a0
    elif typ == S.EvProcStop:
        p = -1
    elif typ == S.EvProcStatus and a1 in (S.ProcRunningW, S.ProcSyscallW):
        p = a0
    if gto == _RUN:
        g = gid
    elif gto != NONE8 and gid == g:
        g = -1
    if p >= 0:
        return _RUN, p
    if g >= 0:
        return _SYS, g
    return State.IDLE, -1


# --- the builder ----------------------------------------------------------------------


def build_model(table: EventTable) -> Trace:
    """The timeline model of a Go event table (see the module docstring for semantics).

    Tracks, in order: every P ("P<id>"), every M ("M<id>"), every goroutine ("G<id> <start
    function>", grouped by start function: the root frame of its first transition stack, as
    Go's GoroutineSummary.Name), then GC ("GC" mark phases, "STW"), counters (heap in use,
    heap goal, GOMAXPROCS, goroutines running/runnable/waiting/syscall, threads running/in
    syscall), task lanes, per-goroutine region tracks (nested, with depth), CPU samples.
    """
    tb = _Table(table)
    n = tb.n
    tracks: list[Track] = []
    gt = tb.gtrans()
    go = _goroutines(tb, gt, table)
    pspans, poff, dp = _procs(tb, gt)
    tspans, toff, dm, tcounts = _threads(tb, gt)
    del gt
    dg = go.dense
    ng = len(dg)

    proc_tracks = np.arange(len(dp), dtype=I64)
    for i, pid in enumerate(dp.ids.tolist()):
        tracks.append(Track(TrackKind.PROC, pid, f"P{pid}", "Procs", spans=pspans.take(slice(poff[i], poff[i + 1]))))
    thread_tracks = np.arange(len(dm), dtype=I64) + len(tracks)
    for i, mid in enumerate(dm.ids.tolist()):
        tracks.append(
            Track(TrackKind.THREAD, mid, f"M{mid}", "Threads", spans=tspans.take(slice(toff[i], toff[i + 1])))
        )
    gbase = len(tracks)
    strings = table.strings.strings
    func_of = go.table.func
    goff = go.offsets
    gspans = go.spans
    for i, gid in enumerate(dg.ids.tolist()):
        fn = strings[func_of[i]] if func_of[i] else ""
        name = f"G{gid} {fn}" if fn else f"G{gid}"
        tracks.append(Track(TrackKind.GOROUTINE, gid, name, fn, spans=gspans.take(slice(goff[i], goff[i + 1]))))
    goroutines = go.table
    goroutines.track = np.arange(ng, dtype=I64) + gbase

    def track_of_ctx(rows: np.ndarray) -> np.ndarray:
        """Track of the running goroutine at each row, else its P, else its M, else -1."""
        out = np.full(rows.size, -1, I64)
        gg = dg.index(tb.g[rows])
        out[gg >= 0] = gg[gg >= 0] + gbase
        todo = out < 0
        pp = dp.index(np.where(todo, tb.p[rows], -1))
        out[todo & (pp >= 0)] = proc_tracks[pp[todo & (pp >= 0)]]
        todo = out < 0
        mm = dm.index(np.where(todo, tb.m[rows], -1))
        out[todo & (mm >= 0)] = thread_tracks[mm[todo & (mm >= 0)]]
        return out

    flows = _flows(tb, go, gbase, track_of_ctx)
    go_counts = go.counts
    del go

    # ---- GC, STW, assists, sweeps -------------------------------------------------------
    gc = _range_spans(tb, S.EvGCBegin, S.EvGCActive, S.EvGCEnd, None, State.GC, True, stack_arg=1, arg_is_seq=True)
    stw = _range_spans(tb, S.EvSTWBegin, -1, S.EvSTWEnd, "g", State.STW, False, reason_arg=0, stack_arg=1)
    assists = _range_spans(
        tb, S.EvGCMarkAssistBegin, S.EvGCMarkAssistActive, S.EvGCMarkAssistEnd, "g", State.MARK_ASSIST, True,
        stack_arg=0,
    )  # fmt: skip
    sweeps = _range_spans(tb, S.EvGCSweepBegin, S.EvGCSweepActive, S.EvGCSweepEnd, "p", State.SWEEP, True, stack_arg=0)
    tracks.append(Track(TrackKind.GC, 0, "GC", "GC", spans=gc))
    tracks.append(Track(TrackKind.GC, 1, "STW", "GC", spans=_flatten_overlaps(stw)))

    # ---- counters -----------------------------------------------------------------------
    heap_alloc = _metric(tb, S.EvHeapAlloc)
    heap_goal = _metric(tb, S.EvHeapGoal)
    gomaxprocs = _metric(tb, S.EvProcsChange)
    tracks.append(Track(TrackKind.HEAP, 0, "Heap in use", "Heap", counter=heap_alloc))
    tracks.append(Track(TrackKind.HEAP, 1, "Heap goal", "Heap", counter=heap_goal))
    tracks.append(Track(TrackKind.COUNTER, 0, "GOMAXPROCS", "Procs", counter=gomaxprocs))
    for i, (st, c) in enumerate(go_counts.items()):
        tracks.append(Track(TrackKind.COUNTER, 1 + i, f"Goroutines {st.name.lower()}", "Goroutines", counter=c))
    for i, (st, c) in enumerate(tcounts.items()):
        label = "running" if st == State.RUNNING else "in syscall"
        tracks.append(Track(TrackKind.COUNTER, 5 + i, f"Threads {label}", "Threads", counter=c))

    # ---- tasks, regions, logs, labels, CPU samples --------------------------------------
    tasks, lanes = _tasks(tb)
    for i, lane in enumerate(lanes):
        tracks.append(Track(TrackKind.TASK, i, "Tasks" if i == 0 else f"Tasks ({i + 1})", "Tasks", spans=lane))
    regions = _regions(tb, dg, goroutines.ended)
    if len(regions):
        ridx = dg.index(regions.g)
        bounds = np.flatnonzero(np.r_[True, regions.g[1:] != regions.g[:-1], True])
        rspans = Spans(
            regions.start, regions.end, np.full(len(regions), State.REGION, np.uint8), regions.name,
            regions.stack, regions.task, regions.depth,
        )  # fmt: skip
        for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
            gid = int(regions.g[a])
            grp = tracks[gbase + ridx[a]].group if ridx[a] >= 0 else ""
            tracks.append(Track(TrackKind.REGION, gid, f"G{gid} regions", grp, spans=rspans.take(slice(a, b))))
    logs = _instants(tb, S.EvUserLog, InstantKind.LOG, track_of_ctx, string_arg=2, stack_arg=3, arg_arg=1, task_arg=0)
    labels = _instants(tb, S.EvGoLabel, InstantKind.LABEL, track_of_ctx, string_arg=0)
    cpu = _cpu_samples(tb)
    if len(cpu):
        gtr = dg.index(cpu.g)
        inst = Instants(
            ts=cpu.ts,
            kind=np.full(len(cpu), InstantKind.CPU_SAMPLE, np.uint8),
            string=np.zeros(len(cpu), np.int32),
            stack=cpu.stack,
            track=np.where(gtr >= 0, gtr + gbase, -1).astype(np.int32),
            arg=cpu.g,
            task=np.full(len(cpu), -1, I64),
        )
        tracks.append(Track(TrackKind.CPU, 0, "CPU samples", "CPU", instants=inst))

    return Trace(
        version=table.version,
        base_time=tb.base,
        duration=tb.T,
        strings=table.strings,
        stacks=table.stacks,
        tracks=tracks,
        goroutines=goroutines,
        proc_ids=dp.ids,
        proc_tracks=proc_tracks,
        thread_ids=dm.ids,
        thread_tracks=thread_tracks,
        gc=gc,
        stw=stw,
        assists=assists,
        sweeps=sweeps,
        heap_alloc=heap_alloc,
        heap_goal=heap_goal,
        gomaxprocs=gomaxprocs,
        goroutine_counts=go_counts,
        thread_counts=tcounts,
        tasks=tasks,
        regions=regions,
        logs=logs,
        labels=labels,
        cpu_samples=cpu,
        flows=flows,
        sync_times=tb.ts(tb.sync_rows) if n else np.zeros(0, I64),
        events=n,
        error=table.error,
    )


def _flows(tb: _Table, go: _GoroutinesOut, gbase: int, track_of_ctx) -> Flows:  # type: ignore[no-untyped-def]
    """Unblock -> the goroutine's next start; create -> its first start; by source time."""
    rows = go.flow_rows
    if rows.size == 0:
        return Flows.empty()
    # Sort by source row in O(n): source rows are distinct.
    slot = np.full(tb.n, -1, np.int32)
    slot[rows] = np.arange(rows.size, dtype=np.int32)
    o = slot[slot >= 0]
    del slot
    rows = rows[o]
    return Flows(
        from_track=track_of_ctx(rows).astype(np.int32),
        from_ts=tb.ts(rows),
        to_track=(go.flow_key[o] + gbase).astype(np.int32),
        to_ts=go.flow_to_ts[o],
        kind=go.flow_kind[o],
    )


def _flatten_overlaps(sp: Spans) -> Spans:
    """Clip spans so none overlaps an earlier one (STW ranges of different goroutines should
    not overlap, but a track must not)."""
    if len(sp) < 2:
        return sp
    prev_end = np.maximum.accumulate(sp.end)
    start = sp.start.copy()
    start[1:] = np.maximum(start[1:], prev_end[:-1])
    keep = start < sp.end
    keep[0] = True
    return Spans(start, sp.end.copy(), sp.state, sp.reason, sp.stack, sp.arg).take(np.flatnonzero(keep))


def _metric(tb: _Table, typ: int) -> Counter:
    rows = np.flatnonzero(tb.typ == typ)
    return Counter(tb.ts(rows), _u2i(tb.a[0][rows]).copy())


def _instants(
    tb: _Table, typ: int, kind: InstantKind, track_of_ctx, string_arg: int, stack_arg: int = -1,  # type: ignore[no-untyped-def]
    arg_arg: int = -1, task_arg: int = -1,
) -> Instants:  # fmt: skip
    rows = np.flatnonzero(tb.typ == typ)
    k = rows.size

    def col(i: int, dtype: type, fill: int) -> np.ndarray:
        return np.full(k, fill, dtype) if i < 0 else _u2i(tb.a[i][rows]).astype(dtype)

    return Instants(
        ts=tb.ts(rows),
        kind=np.full(k, kind, np.uint8),
        string=col(string_arg, np.int32, 0),
        stack=col(stack_arg, np.int32, 0),
        track=track_of_ctx(rows).astype(np.int32),
        arg=col(arg_arg, I64, -1),
        task=col(task_arg, I64, -1),
    )


def _cpu_samples(tb: _Table) -> CPUSamples:
    rows = np.flatnonzero(tb.typ == S.EvCPUSample)
    return CPUSamples(tb.ts(rows), tb.m[rows], tb.p[rows], tb.g[rows], tb.a[0][rows].astype(np.int32))


def _tasks(tb: _Table) -> tuple[Tasks, list[Spans]]:
    """User tasks by id: a task without a Begin started before the trace (start 0), one
    without an End runs to the trace end."""
    typ = tb.typ
    br = np.flatnonzero(typ == S.EvUserTaskBegin)
    er = np.flatnonzero(typ == S.EvUserTaskEnd)
    bid, eid = _u2i(tb.a[0][br]), _u2i(tb.a[0][er])
    d = Dense(np.concatenate([bid, eid]))
    k = len(d)
    brow = np.full(k, -1, I64)
    erow = np.full(k, -1, I64)
    brow[d.index(bid)[::-1]] = br[::-1]  # the first Begin of an id wins
    erow[d.index(eid)] = er  # the last End wins
    hb, he = brow >= 0, erow >= 0
    b0, e0 = np.maximum(brow, 0), np.maximum(erow, 0)
    a = tb.a
    start = np.where(hb, tb.ts(b0) if tb.n else 0, 0)
    end = np.maximum(np.where(he, tb.ts(e0) if tb.n else 0, tb.T), start)
    o = np.argsort(start, kind="stable")
    lane = _lanes(start[o], end[o])
    tasks = Tasks(
        id=d.ids[o],
        parent=np.where(hb, _u2i(a[1][b0]), _u2i(a[2][e0]))[o],
        name=np.where(hb, a[2][b0], a[3][e0]).astype(np.int32)[o],
        start=start[o],
        end=end[o],
        begin_g=np.where(hb, tb.g[b0], -1)[o],
        end_g=np.where(he, tb.g[e0], -1)[o],
        begin_stack=np.where(hb, a[3][b0], 0).astype(np.int32)[o],
        end_stack=np.where(he, a[1][e0], 0).astype(np.int32)[o],
        has_begin=hb[o],
        has_end=he[o],
        lane=lane,
    )
    lanes = []
    for i in range(int(lane.max()) + 1 if lane.size else 0):
        sel = np.flatnonzero(lane == i)
        lanes.append(
            Spans(
                tasks.start[sel],
                tasks.end[sel],
                np.full(sel.size, State.TASK, np.uint8),
                tasks.name[sel],
                tasks.begin_stack[sel],
                tasks.id[sel],
            )
        )
    return tasks, lanes


def _lanes(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Greedy interval partitioning (by start): the lowest free lane for each interval."""
    lane = np.zeros(start.size, np.int32)
    free: list[int] = []
    busy: list[tuple[int, int]] = []  # (end, lane)
    nlanes = 0
    for i, (s, e) in enumerate(zip(start.tolist(), end.tolist())):
        while busy and busy[0][0] <= s:
            heapq.heappush(free, heapq.heappop(busy)[1])
        if free:
            ln = heapq.heappop(free)
        else:
            ln = nlanes
            nlanes += 1
        lane[i] = ln
        heapq.heappush(busy, (e, ln))
    return lane


def _regions(tb: _Table, dg: Dense, ended: np.ndarray) -> Regions:
    """Pair region begin/end per goroutine by nesting (Go enforces stack discipline).

    A region whose Begin precedes the trace starts at 0; one never ended ends when its
    goroutine ends, else at the trace end."""
    typ = tb.typ
    rows = np.flatnonzero((typ == S.EvUserRegionBegin) | (typ == S.EvUserRegionEnd))
    if rows.size == 0:
        z = np.zeros(0, I64)
        zi = np.zeros(0, np.int32)
        return Regions(z, z, zi, z, z, np.zeros(0, np.uint16), zi, np.zeros(0, bool), np.zeros(0, bool))
    dr = Dense(tb.g[rows])
    order = stable_order(dr.inverse, len(dr))
    rows, gk = rows[order], dr.inverse[order]
    isb = typ[rows] == S.EvUserRegionBegin
    delta = np.where(isb, 1, -1).astype(I64)
    first, _ = group_bounds(gk)
    fpos = np.flatnonzero(first)
    cs = np.cumsum(delta)
    grp = np.cumsum(first) - 1
    rel = cs - (cs[fpos] - delta[fpos])[grp]  # nesting level after each event, from the group start
    offset = -np.minimum(np.minimum.reduceat(rel, fpos), 0)
    level = rel + offset[grp]
    depth = np.where(isb, level - 1, level)
    # Within (goroutine, depth) events alternate Begin, End (bar a leading End, trailing Begin).
    o2 = np.lexsort((np.arange(rows.size), depth, gk))
    rows2, isb2, d2, g2 = rows[o2], isb[o2], depth[o2], gk[o2]
    same_next = np.zeros(rows.size, bool)
    same_next[:-1] = (g2[1:] == g2[:-1]) & (d2[1:] == d2[:-1])
    nxt_end = np.zeros(rows.size, bool)
    nxt_end[:-1] = ~isb2[1:]
    pair_b = np.flatnonzero(isb2 & same_next & nxt_end)
    matched = np.zeros(rows.size, bool)
    matched[pair_b] = True
    matched[pair_b + 1] = True
    lone_b = np.flatnonzero(isb2 & ~matched)
    lone_e = np.flatnonzero(~isb2 & ~matched)
    a = tb.a
    gend = ended[np.maximum(dg.index(tb.g[rows2]), 0)]
    neg = np.full(lone_e.size, -1, I64)
    begin_rows = np.concatenate([rows2[pair_b], rows2[lone_b], neg])
    end_rows = np.concatenate([rows2[pair_b + 1], np.full(lone_b.size, -1, I64), rows2[lone_e]])
    depth_all = np.concatenate([d2[pair_b], d2[lone_b], d2[lone_e]])
    lone_end = np.concatenate([gend[pair_b], gend[lone_b], gend[lone_e]])
    any_row = np.where(begin_rows >= 0, begin_rows, end_rows)
    hb, he = begin_rows >= 0, end_rows >= 0
    b0, e0 = np.maximum(begin_rows, 0), np.maximum(end_rows, 0)
    start = np.where(hb, tb.ts(b0), 0)
    end = np.where(he, tb.ts(e0), np.where(lone_end >= start, lone_end, tb.T))
    out_g = tb.g[any_row]
    o = np.lexsort((depth_all, start, out_g))
    return Regions(
        g=out_g[o],
        task=_u2i(a[0][any_row])[o],
        name=a[1][any_row].astype(np.int32)[o],
        start=start[o],
        end=end[o],
        depth=depth_all[o].astype(np.uint16),
        stack=np.where(hb, a[2][b0], 0).astype(np.int32)[o],
        has_begin=hb[o],
        has_end=he[o],
    )


# --- stats ----------------------------------------------------------------------------


def stats(table: EventTable) -> dict[str, object]:
    """Counts as Go's parser sees the trace (its valid part), for summaries and tests:
    events, goroutines (distinct goroutine resources of state transitions), procs
    (distinct proc resources), threads (distinct M != -1 over all events), gc_cycles
    (GCBegin events), stw {count, total_ns, max_ns}, duration_ns, gomaxprocs {last, max},
    go_version ("1.<wire version>").

    STW ranges pair STWBegin/STWEnd on the same goroutine; an STWEnd without a Begin is
    ignored and a Begin never ended counts up to the trace end.
    """
    tb = _Table(table)
    n = tb.n
    typ = tb.typ
    gt = tb.gtrans()
    pt = tb.ptrans()
    mids = np.zeros(0, I64)
    for lo in range(0, n, _CHUNK):  # distinct M ids, chunked
        mm = tb.m[lo : lo + _CHUNK]
        mids = np.union1d(mids, np.unique(mm[mm != -1]))
    stw = _range_spans(tb, S.EvSTWBegin, -1, S.EvSTWEnd, "g", State.STW, False)
    dur = stw.end - stw.start
    procs = _u2i(tb.a[0][typ == S.EvProcsChange])
    return {
        "events": n,
        "goroutines": len(Dense(gt.gid)),
        "procs": len(Dense(pt["pid"])),
        "threads": int(mids.size),
        "gc_cycles": int(np.count_nonzero(typ == S.EvGCBegin)),
        "stw": {"count": int(dur.size), "total_ns": int(dur.sum()), "max_ns": int(dur.max()) if dur.size else 0},
        "duration_ns": tb.T,
        "gomaxprocs": {"last": int(procs[-1]) if procs.size else 0, "max": int(procs.max()) if procs.size else 0},
        "go_version": f"1.{table.version}",
    }
