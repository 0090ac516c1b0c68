"""Go event table -> timeline model, vectorised (no Python work per event).

Each event's state transition (resource, from, to, reason, stack) follows Go's
`internal/trace/event.go` (as `tracetui.gotrace.dump` prints it), computed for all rows at
once with lookup tables indexed by event type. Per-resource sequences come from stable
group-by sorts (radix passes on dense ids), spans from neighbouring rows in a group.

Semantics worth knowing (all documented on `build_model`):

* A goroutine's spans are [t_i, t_{i+1}) in the state its transition i moved it to, with
  that transition's reason and stack; the last runs to the trace end, and a transition to
  NotExist ends the goroutine (no span, a gap).
* GoStatus/ProcStatus events repeating a known state (X->X at each generation start) are
  not transitions: they neither split spans nor change reason/stack. Consecutive spans that
  still agree on (state, reason, stack, arg) and touch are merged.
* A resource first seen as Undetermined->X existed before the trace: like Go's summary
  (summary.go), it is taken to be in X since the preceding Sync event, i.e. the start of
  its generation (for the first generation: the trace start). A first transition from a
  state other than Undetermined/NotExist gets a span in that state from the trace start.
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
    Flows,
    FlowKind,
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


def _u2i(a: np.ndarray) -> np.ndarray:
    """uint64 ids/values -> int64 (NoTask etc. become -1)."""
    return a.view(I64)


class _Table:
    """The valid rows of an EventTable plus per-row derived columns."""

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
        self.base = int(table.time[0]) if n else 0
        self.t = table.time[:n] - self.base
        self.T = int(self.t[-1]) if n else 0
        self.t_ext = np.append(self.t, self.T)  # row n = the trace end
        srow = np.flatnonzero(self.typ == S.EV_SYNC)
        if n and (srow.size == 0 or srow[0] != 0):
            srow = np.concatenate([[0], srow])
        self.sync_rows = srow
        self.sync_t = self.t[srow]

    def sync_before(self, rows: np.ndarray) -> np.ndarray:
        """Row of the last Sync at or before each row (row 0 = trace start)."""
        i = np.searchsorted(self.sync_rows, rows, "right") - 1
        return self.sync_rows[np.maximum(i, 0)]

    def gtrans(self) -> dict[str, np.ndarray]:
        """Goroutine transitions of all rows, in row (time) order."""
        typ = self.typ
        gi = np.flatnonzero(_IS_G[typ])
        gt = typ[gi]
        gfrom = _GFROM[gt]
        gto = _GTO[gt]
        st = np.flatnonzero((gt == S.EvGoStatus) | (gt == S.EvGoStatusStack))
        if st.size:
            a2s = self.a[2][gi[st]]
            gfrom[st] = np.minimum(a2s >> np.uint64(32), 6).astype(np.uint8)
            gto[st] = _GO_STATUS_TO_STATE[np.minimum(a2s & np.uint64(0xFFFFFFFF), 5).astype(np.intp)]
        gid = np.where(_G_RES_A0[gt], _u2i(self.a[0][gi]), self.g[gi])
        reason = np.zeros(gi.size, np.int32)
        rm = np.flatnonzero(_G_REASON[gt])
        reason[rm] = self.a[0][gi[rm]]
        stack = np.zeros(gi.size, np.int32)
        sa = _G_STACK_ARG[gt]
        for k in range(4):
            sm = np.flatnonzero(sa == k)
            if sm.size:
                stack[sm] = self.a[k][gi[sm]]
        return {"row": gi, "typ": gt, "from": gfrom, "to": gto, "gid": gid, "reason": reason, "stack": stack}

    def ptrans(self) -> dict[str, np.ndarray]:
        """Proc transitions of all rows (Go ProcState numbering), in row order."""
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


def _spans_from_events(
    tb: _Table,
    key_idx: np.ndarray,
    nkeys: int,
    rows: np.ndarray,
    state: np.ndarray,
    reason: np.ndarray | None,
    stack: np.ndarray | None,
    arg: np.ndarray,
    extend: np.ndarray,
    presorted: bool = False,
) -> dict[str, np.ndarray]:
    """Spans of per-key event sequences: event k (in row order within its key) starts a
    span in state[k] that lasts until the key's next event, the last one to the trace end.

    `extend`: events whose span starts at the preceding Sync instead (Undetermined->X).
    Returns columns grouped by key (in dense key order), with start/end rows, unmerged.
    `presorted`: the events are already grouped by key (in row order within a key).
    """
    if presorted:
        order = slice(None)
        key = key_idx
    else:
        order = stable_order(key_idx, nkeys)
        key = key_idx[order]
        rows = rows[order]
    first, last = group_bounds(key)
    srow = rows.copy()
    ext = np.flatnonzero(extend[order] & first)
    srow[ext] = tb.sync_before(rows[ext])
    erow = np.empty_like(rows)
    erow[:-1] = rows[1:]
    erow[last] = tb.n
    out = {
        "key": key,
        "srow": srow,
        "erow": erow,
        "state": state[order],
        "arg": arg[order],
        "reason": np.zeros(rows.size, np.int32) if reason is None else reason[order],
        "stack": np.zeros(rows.size, np.int32) if stack is None else stack[order],
        "evrow": rows,
    }
    return out


def _filter(cols: dict[str, np.ndarray], keep: np.ndarray) -> dict[str, np.ndarray]:
    if keep.all():
        return cols
    return {k: v[keep] for k, v in cols.items()}


def _merge(tb: _Table, cols: dict[str, np.ndarray], nkeys: int) -> tuple[Spans, np.ndarray]:
    """Merge touching spans of a key that agree on state/reason/stack/arg; return the
    Spans (grouped by key, sorted by start within) and the offsets of each key's slice."""
    key, srow, erow = cols["key"], cols["srow"], cols["erow"]
    st, rs, sk, ar = cols["state"], cols["reason"], cols["stack"], cols["arg"]
    n = key.size
    brk = np.ones(n, bool)
    if n > 1:
        brk[1:] = (
            (key[1:] != key[:-1])
            | (st[1:] != st[:-1])
            | (rs[1:] != rs[:-1])
            | (sk[1:] != sk[:-1])
            | (ar[1:] != ar[:-1])
            | (srow[1:] != erow[:-1])
        )
    k = np.flatnonzero(brk)
    run_last = np.empty_like(k)
    run_last[:-1] = k[1:] - 1
    if k.size:
        run_last[-1] = n - 1
    t = tb.t_ext
    spans = Spans(
        start=t[srow[k]],
        end=t[erow[run_last]],
        state=st[k].astype(np.uint8),
        reason=rs[k].astype(np.int32),
        stack=sk[k].astype(np.int32),
        arg=ar[k].astype(I64),
    )
    counts = np.bincount(key[k], minlength=nkeys) if k.size else np.zeros(nkeys, I64)
    offsets = np.zeros(nkeys + 1, I64)
    np.cumsum(counts, out=offsets[1:])
    return spans, offsets


def _count_counter(tb: _Table, srow: np.ndarray, erow: np.ndarray) -> Counter:
    """How many of the spans [srow, erow) are open over time (a step counter)."""
    n = tb.n
    if srow.size == 0:
        return Counter.empty(np.int32)
    d = np.bincount(srow, minlength=n + 1)
    d -= np.bincount(erow, minlength=n + 1)
    nz = np.flatnonzero(d[:n])
    vals = np.cumsum(d[nz]).astype(np.int32)
    return Counter(tb.t[nz], vals)


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
    start = tb.t[srow]
    end = np.where(ci_ok, tb.t_ext[np.where(ci_ok, rows[np.minimum(ci, rows.size - 1)], tb.n)], tb.T)
    brow = np.where(kind[si] == _BEGIN, rows[si], -1)
    keys = dk.ids[gk[si]]
    if orphan_ends:
        oi = np.flatnonzero((kind == _END) & ~open_before)
        if oi.size:
            start = np.concatenate([start, tb.t[tb.sync_before(rows[oi])]])
            end = np.concatenate([end, tb.t[rows[oi]]])
            brow = np.concatenate([brow, np.full(oi.size, -1, I64)])
            keys = np.concatenate([keys, dk.ids[gk[oi]]])
    o = np.argsort(start, kind="stable")
    return start[o], end[o], brow[o].astype(I64), keys[o]


def _range_spans(
    tb: _Table, begin: int, active: int, end: int, key: np.ndarray | None, state: State, orphan_ends: bool,
    reason_arg: int = -1, stack_arg: int = -1, arg_is_seq: bool = False,
) -> Spans:  # fmt: skip
    typ = tb.typ
    rows = np.flatnonzero((typ == begin) | (typ == end) | ((typ == active) if active >= 0 else False))
    if rows.size == 0:
        return Spans.empty()
    rt = typ[rows]
    kind = np.where(rt == begin, _BEGIN, np.where(rt == end, _END, _ACTIVE)).astype(np.uint8)
    k = np.zeros(rows.size, I64) if key is None else key[rows] if key.shape[0] == tb.n else key
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

    # ---- goroutines -------------------------------------------------------------------
    gt = tb.gtrans()
    dg = Dense(gt["gid"])
    ng = len(dg)
    gidx = dg.inverse
    order = stable_order(gidx, ng)
    G = {k: v[order] for k, v in gt.items()}
    G["key"] = gidx[order]
    gfirst, glast = group_bounds(G["key"])

    # Start function: root frame of the first transition stack (summary.go).
    func_of = _root_funcs(table, G["key"], G["stack"], ng)
    created, creator, create_stack, start_stack, ended = _creation(tb, G, gfirst, glast, ng)

    # Drop status events that repeat the known state (X->X at generation starts).
    keep = gfirst | (G["from"] != G["to"])
    K = _filter(G, keep)
    kfirst, _ = group_bounds(K["key"])
    rows = K["row"]
    state = K["to"].copy()
    p, m, g = tb.p[rows], tb.m[rows], tb.g[rows]
    arg = np.full(rows.size, -1, I64)
    run, sys, rbl = state == _RUN, state == _SYS, state == _RBL
    arg[run] = p[run]
    arg[sys] = m[sys]
    rbl &= g != K["gid"]
    arg[rbl] = g[rbl]
    spans_cols = _spans_from_events(
        tb, K["key"], ng, rows, state, K["reason"], K["stack"], arg, K["from"] == _UND, presorted=True
    )
    pro = np.flatnonzero(kfirst & (K["from"] != _UND) & (K["from"] != _NEX) & (K["from"] < 6))
    if pro.size:
        spans_cols = _insert_prologues(tb, spans_cols, pro, K["from"][pro])
    live = (spans_cols["state"] != _NEX) & (spans_cols["state"] != _UND)
    spans_cols = _filter(spans_cols, live)
    gcounts = {
        st: _count_counter(tb, spans_cols["srow"][spans_cols["state"] == st], spans_cols["erow"][spans_cols["state"] == st])
        for st in (State.RUNNING, State.RUNNABLE, State.WAITING, State.SYSCALL)
    }
    gspans, goff = _merge(tb, spans_cols, ng)

    # ---- flows (unblock/create -> next start) -------------------------------------------
    # Filled in after the track indices are known (below).

    # ---- procs --------------------------------------------------------------------------
    pt = tb.ptrans()
    pspans, poff, dp = _proc_spans(tb, pt, gt)
    # ---- threads ------------------------------------------------------------------------
    tspans, toff, dm, tcounts = _thread_spans(tb, gt)

    # ---- tracks -------------------------------------------------------------------------
    proc_tracks = np.arange(len(dp), dtype=I64)
    for i, pid in enumerate(dp.ids.tolist()):
        tracks.append(Track(TrackKind.PROC, pid, f"P{pid}", "Procs", spans=pspans.take(slice(poff[i], poff[i + 1]))))
    thread_tracks = np.arange(len(dm), dtype=I64) + len(tracks)
    for i, mid in enumerate(dm.ids.tolist()):
        tracks.append(Track(TrackKind.THREAD, mid, f"M{mid}", "Threads", spans=tspans.take(slice(toff[i], toff[i + 1]))))
    gbase = len(tracks)
    strings = table.strings.strings
    for i, gid in enumerate(dg.ids.tolist()):
        fn = strings[func_of[i]] if func_of[i] else ""
        name = f"G{gid} {fn}" if fn else f"G{gid}"
        tracks.append(Track(TrackKind.GOROUTINE, gid, name, fn, spans=gspans.take(slice(goff[i], goff[i + 1]))))
    goroutines = Goroutines(
        id=dg.ids,
        track=np.arange(ng, dtype=I64) + gbase,
        func=func_of,
        created=created,
        ended=ended,
        creator=creator,
        create_stack=create_stack,
        start_stack=start_stack,
    )

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

    flows = _flows(tb, K, gbase, track_of_ctx)

    # ---- GC, STW, assists, sweeps -------------------------------------------------------
    gc = _range_spans(tb, S.EvGCBegin, S.EvGCActive, S.EvGCEnd, None, State.GC, True, stack_arg=1, arg_is_seq=True)
    stw = _range_spans(tb, S.EvSTWBegin, -1, S.EvSTWEnd, tb.g, State.STW, False, reason_arg=0, stack_arg=1)
    akey = np.where(tb.typ == S.EvGCMarkAssistActive, _u2i(tb.a[0]), tb.g)
    assists = _range_spans(
        tb, S.EvGCMarkAssistBegin, S.EvGCMarkAssistActive, S.EvGCMarkAssistEnd, akey, State.MARK_ASSIST, True, stack_arg=0
    )
    skey = np.where(tb.typ == S.EvGCSweepActive, _u2i(tb.a[0]), tb.p)
    sweeps = _range_spans(
        tb, S.EvGCSweepBegin, S.EvGCSweepActive, S.EvGCSweepEnd, skey, State.SWEEP, True, stack_arg=0
    )
    tracks.append(Track(TrackKind.GC, 0, "GC", "GC", spans=gc))
    tracks.append(Track(TrackKind.GC, 1, "STW", "GC", spans=_flatten_overlaps(stw)))

    # ---- counters -----------------------------------------------------------------------
    heap_alloc = _metric(tb, S.EvHeapAlloc)
    heap_goal = _metric(tb, S.EvHeapGoal)
    gomaxprocs = _metric(tb, S.EvProcsChange)
    tracks.append(Track(TrackKind.HEAP, 0, "Heap in use", "Heap", counter=heap_alloc))
    tracks.append(Track(TrackKind.HEAP, 1, "Heap goal", "Heap", counter=heap_goal))
    tracks.append(Track(TrackKind.COUNTER, 0, "GOMAXPROCS", "Procs", counter=gomaxprocs))
    for i, (st, c) in enumerate(gcounts.items()):
        tracks.append(Track(TrackKind.COUNTER, 1 + i, f"Goroutines {st.name.lower()}", "Goroutines", counter=c))
    for i, (st, c) in enumerate(tcounts.items()):
        label = "running" if st == State.RUNNING else "in syscall"
        tracks.append(Track(TrackKind.COUNTER, 5 + i, f"Threads {label}", "Threads", counter=c))

    # ---- tasks, regions, logs, labels, CPU samples --------------------------------------
    tasks, lanes = _tasks(tb)
    for i, lane in enumerate(lanes):
        tracks.append(Track(TrackKind.TASK, i, "Tasks" if i == 0 else f"Tasks ({i + 1})", "Tasks", spans=lane))
    regions = _regions(tb, dg, ended)
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
        goroutine_counts=gcounts,
        thread_counts=tcounts,
        tasks=tasks,
        regions=regions,
        logs=logs,
        labels=labels,
        cpu_samples=cpu,
        flows=flows,
        sync_times=tb.t[tb.sync_rows] if n else np.zeros(0, I64),
        events=n,
        error=table.error,
    )


def _root_funcs(table: EventTable, key: np.ndarray, stack: np.ndarray, ng: int) -> np.ndarray:
    """String id of the root frame's function of each goroutine's first transition stack."""
    func_of = np.zeros(ng, np.int32)
    pos = np.flatnonzero(stack != 0)
    if pos.size == 0:
        return func_of
    grp = key[pos]
    firsts = pos[np.r_[True, grp[1:] != grp[:-1]]]
    sids = stack[firsts]
    usid, inv = np.unique(sids, return_inverse=True)
    st = table.stacks
    root = np.array(
        [st.frame_func[st.stacks[s][-1]] if st.stacks[s] else 0 for s in usid.tolist()], np.int32
    )
    func_of[key[firsts]] = root[inv.reshape(-1)]
    return func_of


def _creation(
    tb: _Table, G: dict[str, np.ndarray], gfirst: np.ndarray, glast: np.ndarray, ng: int
) -> tuple[np.ndarray, ...]:
    created = np.full(ng, -1, I64)
    creator = np.full(ng, -1, I64)
    create_stack = np.zeros(ng, np.int32)
    start_stack = np.zeros(ng, np.int32)
    ended = np.full(ng, -1, I64)
    typ = G["typ"]
    cr = np.flatnonzero(gfirst & (G["from"] == _NEX))
    rows = G["row"][cr]
    k = G["key"][cr]
    created[k] = tb.t[rows]
    creator[k] = tb.g[rows]
    withstack = (typ[cr] == S.EvGoCreate) | (typ[cr] == S.EvGoCreateBlocked)
    create_stack[k[withstack]] = tb.a[2][rows[withstack]]
    start_stack[k[withstack]] = tb.a[1][rows[withstack]]
    de = np.flatnonzero(glast & (G["to"] == _NEX))
    ended[G["key"][de]] = tb.t[G["row"][de]]
    return created, creator, create_stack, start_stack, ended


def _insert_prologues(
    tb: _Table, cols: dict[str, np.ndarray], pos: np.ndarray, from_state: np.ndarray
) -> dict[str, np.ndarray]:
    """Spans [trace start, first transition) in the from-state, for resources whose first
    transition says they existed before (from != Undetermined/NotExist)."""
    srow = np.zeros(pos.size, I64)
    vals = {
        "key": cols["key"][pos],
        "srow": srow,
        "erow": cols["srow"][pos],
        "state": from_state.astype(cols["state"].dtype),
        "arg": np.full(pos.size, -1, I64),
        "reason": np.zeros(pos.size, np.int32),
        "stack": np.zeros(pos.size, np.int32),
        "evrow": cols["evrow"][pos],
    }
    return {k: np.insert(v, pos, vals[k]) for k, v in cols.items()}


def _proc_spans(tb: _Table, pt: dict[str, np.ndarray], gt: dict[str, np.ndarray]) -> tuple[Spans, np.ndarray, Dense]:
    """P spans from proc transitions and goroutine transitions into/out of Running on a P."""
    # Proc transitions, minus status events repeating the known state.
    keep = ~((pt["typ"] == S.EvProcStatus) & (pt["from"] == pt["to"]))
    prow = pt["row"][keep]
    pstate = np.where(pt["to"][keep] == S.ProcRunning, _RUN, np.where(pt["to"][keep] == S.ProcIdle, State.IDLE, _NEX))
    pstate = np.where(pt["syscall"][keep], _SYS, pstate).astype(np.uint8)
    pext = pt["from"][keep] == S.ProcUndetermined
    pkey = pt["pid"][keep]
    # Goroutine transitions with a P in context: that P runs / stops running the goroutine.
    gsel = np.flatnonzero((tb.p[gt["row"]] >= 0) & ((gt["from"] == _RUN) | (gt["to"] == _RUN)))
    grow = gt["row"][gsel]
    gto = gt["to"][gsel]
    gid = gt["gid"][gsel]
    gstate = np.where(gto == _SYS, _SYS, _RUN).astype(np.uint8)
    garg = np.where((gto == _RUN) | (gto == _SYS), gid, -1)
    gkey = tb.p[grow]
    # Merge the two row-ordered lists in O(n): mark rows, read them back in row order.
    rows, src = _merge_rows(tb.n, prow, grow)
    key = np.empty(rows.size, I64)
    state = np.empty(rows.size, np.uint8)
    arg = np.empty(rows.size, I64)
    ext = np.zeros(rows.size, bool)
    isp = src == 0
    key[isp], state[isp], arg[isp], ext[isp] = pkey, pstate, -1, pext
    key[~isp], state[~isp], arg[~isp] = gkey, gstate, garg
    dp = Dense(key)
    cols = _spans_from_events(tb, dp.inverse, len(dp), rows, state, None, None, arg, ext)
    cols = _filter(cols, cols["state"] != _NEX)
    spans, off = _merge(tb, cols, len(dp))
    return spans, off, dp


def _merge_rows(n: int, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Union of two disjoint ascending row lists, ascending, with the source (0=a, 1=b)."""
    mark = np.zeros(n, np.int8)
    mark[a] = 1
    mark[b] = 2
    rows = np.flatnonzero(mark)
    return rows, (mark[rows] - 1).astype(np.int8)


def _thread_spans(tb: _Table, gt: dict[str, np.ndarray]) -> tuple[Spans, np.ndarray, Dense, dict[State, Counter]]:
    """M spans: between two events of an M, its state is the scheduling context Go gives
    the later one (the context *before* it): in a syscall if that event takes its goroutine
    out of Syscall, else RUNNING (arg = P) while it holds a P, SYSCALL (arg = goroutine)
    with a goroutine but no P, else IDLE. After an M's last event: that event's outcome."""
    typ = tb.typ
    mi = np.flatnonzero((tb.m >= 0) & (typ != S.EvCPUSample) & (typ != S.EV_SYNC))
    dm = Dense(tb.m[mi])
    if mi.size == 0:
        return Spans.empty(), np.zeros(1, I64), dm, {State.RUNNING: Counter.empty(np.int32), State.SYSCALL: Counter.empty(np.int32)}
    order = stable_order(dm.inverse, len(dm))
    rows = mi[order]
    key = dm.inverse[order]
    first, last = group_bounds(key)
    sysfrom = np.zeros(tb.n, bool)
    sysfrom[gt["row"][gt["from"] == _SYS]] = True
    pj, gj = tb.p[rows], tb.g[rows]
    bstate = np.where(sysfrom[rows], _SYS, np.where(pj >= 0, _RUN, np.where(gj >= 0, _SYS, State.IDLE))).astype(np.uint8)
    barg = np.where(bstate == _SYS, gj, np.where(bstate == _RUN, pj, -1))
    state = np.empty(rows.size, np.uint8)
    arg = np.empty(rows.size, I64)
    state[:-1], arg[:-1] = bstate[1:], barg[1:]
    # After each M's last event: decide from the event itself (few: one per M).
    li = np.flatnonzero(last)
    lrows = rows[li]
    gpos = np.searchsorted(gt["row"], lrows)
    gpos_ok = (gpos < gt["row"].size) & (gt["row"][np.minimum(gpos, gt["row"].size - 1)] == lrows)
    for j, r, gp, ok in zip(li.tolist(), lrows.tolist(), gpos.tolist(), gpos_ok.tolist()):
        state[j], arg[j] = _m_after(tb, r, gt["to"][gp] if ok else NONE8, int(gt["gid"][gp]) if ok else -1)
    # An M first seen through a status event existed before: extend from the last Sync.
    rt = typ[rows]
    und = np.zeros(rows.size, bool)
    isst = _IS_STATUS[rt]
    a2 = tb.a[2][rows]
    und[isst & (rt == S.EvProcStatus)] = a2[isst & (rt == S.EvProcStatus)] == S.ProcUndetermined
    gs = isst & (rt != S.EvProcStatus)
    und[gs] = (a2[gs] >> np.uint64(32)) == _UND
    cols = _spans_from_events(tb, key, len(dm), rows, state, None, None, arg, und, presorted=True)
    counts = {
        st: _count_counter(tb, cols["srow"][cols["state"] == st], cols["erow"][cols["state"] == st])
        for st in (State.RUNNING, State.SYSCALL)
    }
    spans, off = _merge(tb, cols, len(dm))
    return spans, off, dm, counts


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


def _flows(tb: _Table, K: dict[str, np.ndarray], gbase: int, track_of_ctx) -> Flows:  # type: ignore[no-untyped-def]
    """Unblock -> the goroutine's next start; create -> its first start."""
    n = K["row"].size
    if n == 0:
        return Flows.empty()
    is_run = K["to"] == _RUN
    nxt = next_true(is_run)
    src = np.flatnonzero(_UNBLOCKS[K["typ"]] | (K["typ"] == S.EvGoCreate))
    j = nxt[src]
    ok = j < n
    ok[ok] = K["key"][j[ok]] == K["key"][src[ok]]
    src, j = src[ok], j[ok]
    rows = K["row"][src]
    o = np.argsort(rows, kind="stable")
    src, j, rows = src[o], j[o], rows[o]
    return Flows(
        from_track=track_of_ctx(rows).astype(np.int32),
        from_ts=tb.t[rows],
        to_track=(K["key"][src] + gbase).astype(np.int32),
        to_ts=tb.t[K["row"][j]],
        kind=np.where(K["typ"][src] == S.EvGoCreate, FlowKind.CREATE, FlowKind.UNBLOCK).astype(np.uint8),
    )


def _flatten_overlaps(sp: Spans) -> Spans:
    """Clip spans so none overlaps the previous one (for a track; STW ranges of different
    goroutines cannot really overlap, but be safe)."""
    if len(sp) < 2:
        return sp
    prev_end = np.maximum.accumulate(sp.end)
    start = sp.start.copy()
    start[1:] = np.maximum(start[1:], prev_end[:-1])
    keep = start < sp.end
    keep[0] = True
    out = Spans(start, sp.end.copy(), sp.state, sp.reason, sp.stack, sp.arg).take(np.flatnonzero(keep))
    return out


def _metric(tb: _Table, typ: int) -> Counter:
    rows = np.flatnonzero(tb.typ == typ)
    return Counter(tb.t[rows], _u2i(tb.a[0][rows]).copy())


def _instants(
    tb: _Table, typ: int, kind: InstantKind, track_of_ctx, string_arg: int, stack_arg: int = -1,  # type: ignore[no-untyped-def]
    arg_arg: int = -1, task_arg: int = -1,
) -> Instants:  # fmt: skip
    rows = np.flatnonzero(tb.typ == typ)
    k = rows.size

    def col(i: int, dtype: type, fill: int) -> np.ndarray:
        return np.full(k, fill, dtype) if i < 0 else _u2i(tb.a[i][rows]).astype(dtype)

    return Instants(
        ts=tb.t[rows],
        kind=np.full(k, kind, np.uint8),
        string=col(string_arg, np.int32, 0),
        stack=col(stack_arg, np.int32, 0),
        track=track_of_ctx(rows).astype(np.int32),
        arg=col(arg_arg, I64, -1),
        task=col(task_arg, I64, -1),
    )


def _cpu_samples(tb: _Table) -> CPUSamples:
    rows = np.flatnonzero(tb.typ == S.EvCPUSample)
    return CPUSamples(tb.t[rows], tb.m[rows], tb.p[rows], tb.g[rows], tb.a[0][rows].astype(np.int32))


def _tasks(tb: _Table) -> tuple[Tasks, list[Spans]]:
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
    parent = np.where(hb, _u2i(a[1][b0]), _u2i(a[2][e0]))
    name = np.where(hb, a[2][b0], a[3][e0]).astype(np.int32)
    start = np.where(hb, tb.t_ext[b0], 0)
    end = np.where(he, tb.t_ext[e0], tb.T)
    end = np.maximum(end, start)
    o = np.argsort(start, kind="stable")
    lane = _lanes(start[o], end[o])
    tasks = Tasks(
        id=d.ids[o],
        parent=parent[o],
        name=name[o],
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
                tasks.start[sel], tasks.end[sel], np.full(sel.size, State.TASK, np.uint8), tasks.name[sel],
                tasks.begin_stack[sel], tasks.id[sel],
            )  # fmt: skip
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
    """Pair region begin/end per goroutine by nesting (Go requires stack discipline)."""
    typ = tb.typ
    rows = np.flatnonzero((typ == S.EvUserRegionBegin) | (typ == S.EvUserRegionEnd))
    if rows.size == 0:
        z = np.zeros(0, I64)
        zi = np.zeros(0, np.int32)
        return Regions(z, z, zi, z, z, np.zeros(0, np.uint16), zi, np.zeros(0, bool), np.zeros(0, bool))
    g = tb.g[rows]
    dr = Dense(g)
    order = stable_order(dr.inverse, len(dr))
    rows, gk = rows[order], dr.inverse[order]
    isb = typ[rows] == S.EvUserRegionBegin
    delta = np.where(isb, 1, -1).astype(I64)
    first, _ = group_bounds(gk)
    fpos = np.flatnonzero(first)
    cs = np.cumsum(delta)
    grp = np.cumsum(first) - 1
    rel = cs - (cs[fpos] - delta[fpos])[grp]  # level after each event, relative to group start
    offset = -np.minimum(np.minimum.reduceat(rel, fpos), 0)
    level = rel + offset[grp]
    depth = np.where(isb, level - 1, level)
    # Within (goroutine, depth) the events alternate Begin, End (bar a leading End/trailing Begin).
    o2 = np.lexsort((np.arange(rows.size), depth, gk))
    rows2, isb2, d2, g2 = rows[o2], isb[o2], depth[o2], gk[o2]
    same_next = np.zeros(rows.size, bool)
    same_next[:-1] = (g2[1:] == g2[:-1]) & (d2[1:] == d2[:-1])
    pair_b = np.flatnonzero(isb2 & same_next & np.r_[~isb2[1:], False])
    matched_end = np.zeros(rows.size, bool)
    matched_end[pair_b + 1] = True
    paired_b = np.zeros(rows.size, bool)
    paired_b[pair_b] = True
    lone_b = np.flatnonzero(isb2 & ~paired_b)
    lone_e = np.flatnonzero(~isb2 & ~matched_end)
    a = tb.a
    gid = tb.g
    gend = ended[np.maximum(dg.index(gid[rows2]), 0)]
    begin_rows = np.concatenate([rows2[pair_b], rows2[lone_b], np.full(lone_e.size, -1, I64)])
    end_rows = np.concatenate([rows2[pair_b + 1], np.full(lone_b.size, -1, I64), rows2[lone_e]])
    depth_all = np.concatenate([d2[pair_b], d2[lone_b], d2[lone_e]])
    any_row = np.where(begin_rows >= 0, begin_rows, end_rows)
    hb, he = begin_rows >= 0, end_rows >= 0
    b0, e0 = np.maximum(begin_rows, 0), np.maximum(end_rows, 0)
    start = np.where(hb, tb.t_ext[b0], 0)
    lone_end = np.concatenate([gend[pair_b], gend[lone_b], gend[lone_e]])
    end = np.where(he, tb.t_ext[e0], np.where(lone_end >= start, lone_end, tb.T))
    out_g = gid[any_row]
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
    """Counts as Go's parser sees the trace (its valid part), for summaries and tests.

    `stw` pairs STWBegin/STWEnd per goroutine; an STWEnd without a Begin is ignored and a
    Begin never ended counts up to the trace end.
    """
    tb = _Table(table)
    n = tb.n
    typ = tb.typ
    gt = tb.gtrans()
    pt = tb.ptrans()
    m = tb.m
    stw = _range_spans(tb, S.EvSTWBegin, -1, S.EvSTWEnd, tb.g, State.STW, False)
    dur = stw.end - stw.start
    procs = _u2i(tb.a[0][typ == S.EvProcsChange])
    return {
        "events": n,
        "goroutines": int(np.unique(gt["gid"]).size),
        "procs": int(np.unique(pt["pid"]).size),
        "threads": int(np.unique(m[m != -1]).size),
        "gc_cycles": int(np.count_nonzero(typ == S.EvGCBegin)),
        "stw": {
            "count": int(dur.size),
            "total_ns": int(dur.sum()),
            "max_ns": int(dur.max()) if dur.size else 0,
        },
        "duration_ns": tb.T,
        "gomaxprocs": {
            "last": int(procs[-1]) if procs.size else 0,
            "max": int(procs.max()) if procs.size else 0,
        },
        "go_version": f"1.{table.version}",
    }
