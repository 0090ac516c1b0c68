"""Go event table -> timeline model, vectorised (no Python work per event).

Each event's state transition (resource, from, to, reason, stack) follows Go's
`internal/trace/event.go` (as `tracetui.gotrace.dump` prints it), computed with lookup
tables indexed by event type. Per-resource sequences come from stable group-by sorts
(radix passes on dense ids); spans from neighbouring rows of a group.

Memory: goroutine and P spans are built in two streamed passes over chunks of rows
(`_stream`: count per resource, then place each transition straight into its final
resource-major column, a counting sort), so temporaries are chunk-sized (bar a few byte
masks); runs are merged in place. A resource's spans tile its lifetime, so they keep one
time column: a span's end is the next start (`_tile`). Counters derivable from spans are
computed when first read (`Counter.lazy`).

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
* Ms: see `_threads`. Goroutine counters count the goroutine spans in each state (as
  counting Go's transitions in time order would, the trace being consistent), thread
  counters the M spans.
* Ranges (GC mark phase, STW, sweeps, mark assists) pair Begin/Active/End per scope; see
  `_pair_ranges`. Tasks and regions: see `_tasks`, `_regions`.
* Partial traces (`table.error` set): only the `table.valid_events` leading rows are used.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from tracetui.gotrace import spec as S
from tracetui.gotrace.events import STACK_ARGS, EventTable
from tracetui.model._group import (
    Dense,
    Layout,
    Tally,
    chunks,
    compact,
    distinct,
    group_bounds,
    index_dtype,
    interval_lanes,
    next_true,
    shrink,
    stable_order,
)
from tracetui.model.injected import injected_goroutines, injected_stacks
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
from tracetui.model.utilization import DEFAULT, WITH_SWEEP, GCWork, Transitions, mutator_utilization

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
# The event's own stack (Go's Event.Stack(): the first stack it lists), where a span's stack
# comes from: for a create, the creator's; for an unblock, the unblocker's.
_G_EVENT_STACK_ARG = np.full(256, -1, np.int8)
for _typ in np.flatnonzero(_IS_G).tolist():
    if STACK_ARGS.get(_typ):
        _G_EVENT_STACK_ARG[_typ] = STACK_ARGS[_typ][0]
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


def _u2i(a: np.ndarray) -> np.ndarray:
    """uint64 ids/values -> int64 (NoTask etc. become -1)."""
    return a.view(I64)


class _GT:
    """Goroutine transitions of some rows, in row (time) order."""

    __slots__ = ("frm", "gid", "row", "to", "typ")

    def __init__(self, row: np.ndarray, typ: np.ndarray, frm: np.ndarray, to: np.ndarray, gid: np.ndarray) -> None:
        self.row, self.typ, self.frm, self.to, self.gid = row, typ, frm, to, gid

    def take(self, sel: np.ndarray) -> _GT:
        return _GT(self.row[sel], self.typ[sel], self.frm[sel], self.to[sel], self.gid[sel])

    def changes(self) -> _GT:
        """Without the status events repeating a known state (X->X): no transitions."""
        return self.take(self.frm != self.to)


class _PT:
    """Proc transitions (Go ProcState numbering) of some rows, in row order."""

    __slots__ = ("frm", "pid", "row", "syscall", "to", "typ")

    def __init__(
        self, row: np.ndarray, typ: np.ndarray, frm: np.ndarray, to: np.ndarray, pid: np.ndarray, syscall: np.ndarray
    ) -> None:
        self.row, self.typ, self.frm, self.to, self.pid, self.syscall = row, typ, frm, to, pid, syscall

    def take(self, sel: np.ndarray) -> _PT:
        return _PT(self.row[sel], self.typ[sel], self.frm[sel], self.to[sel], self.pid[sel], self.syscall[sel])


class _Table:
    """The valid rows of an EventTable, with helpers (no per-row copies)."""

    def __init__(self, table: EventTable) -> None:
        n = len(table)
        if table.error is not None or 0 < table.valid_events < n:
            n = min(n, table.valid_events)
        self.n = n
        self.chunks = chunks(n)
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
        t = np.take(self.time, rows)
        t -= self.base
        return t

    def sync_before(self, rows: np.ndarray) -> np.ndarray:
        """Row of the last Sync at or before each row (row 0 = trace start)."""
        i = np.searchsorted(self.sync_rows, rows, "right") - 1
        return self.sync_rows[np.maximum(i, 0)]

    def gtrans(self, lo: int = 0, hi: int | None = None) -> _GT:
        """Goroutine transitions of rows [lo, hi) (default: all)."""
        gi = np.flatnonzero(np.take(_IS_G, self.typ[lo:hi]))
        gi += lo
        return self.gtrans_at(gi)

    def gtrans_at(self, gi: np.ndarray) -> _GT:
        """Goroutine transitions at rows `gi` (goroutine transition events only)."""
        gt = np.take(self.typ, gi)
        frm = np.take(_GFROM, gt)
        to = np.take(_GTO, gt)
        st = np.flatnonzero((gt == S.EvGoStatus) | (gt == S.EvGoStatusStack))
        if st.size:
            a2s = self.a[2][gi[st]]
            frm[st] = np.minimum(a2s >> np.uint64(32), 6).astype(np.uint8)
            to[st] = _GO_STATUS_TO_STATE[np.minimum(a2s & np.uint64(0xFFFFFFFF), 5).astype(np.intp)]
        gid = np.where(np.take(_G_RES_A0, gt), _u2i(np.take(self.a[0], gi)), np.take(self.g, gi))
        return _GT(gi, gt, frm, to, gid)

    def ptrans(self, lo: int = 0, hi: int | None = None) -> _PT:
        """Proc transitions of rows [lo, hi) (default: all)."""
        pi = np.flatnonzero(_IS_P[self.typ[lo:hi]])
        pi += lo
        pt = self.typ[pi]
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
        return _PT(pi, pt, pfrom, pto, pid, syscall)


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


def _step_counter(ts: np.ndarray, delta: np.ndarray, initial: int = 0) -> Counter:
    """Counter of initial + cumulative deltas at (sorted) ts, one point per distinct ts,
    starting with `initial` at time 0."""
    nz = np.flatnonzero(delta)
    ts, vals = ts[nz], np.cumsum(delta[nz], dtype=np.int32)
    if initial:
        vals += initial
    if ts.size > 1:
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


# --- span sets: many tracks' spans in shared columns ---------------------------------


class _SpanSet:
    """Spans of many tracks in one set of columns: track k is [lo[k], hi[k]) of `spans`."""

    def __init__(self, spans: Spans, lo: np.ndarray, hi: np.ndarray) -> None:
        self.spans, self.lo, self.hi = spans, lo, hi

    def track(self, k: int) -> Spans:
        return self.spans.take(slice(int(self.lo[k]), int(self.hi[k])))


def _where_eq(col: np.ndarray, value: int) -> np.ndarray:
    """Positions where col == value (expected few), chunk by chunk."""
    parts = [np.flatnonzero(col[lo:hi] == value) + lo for lo, hi in chunks(col.shape[0])]
    return np.concatenate(parts) if parts else np.zeros(0, I64)


def _run_heads(*cols: np.ndarray) -> Callable[[int, int], np.ndarray]:
    """`compact` selector: the first element of each run of equal `cols`, and every
    end slot (cols[0] is the state, NONE8 in slots)."""

    def keep_of(lo: int, hi: int) -> np.ndarray:
        keep = cols[0][lo:hi] == NONE8
        keep[0] |= lo == 0
        s = max(lo, 1)
        for c in cols:
            keep[s - lo :] |= c[s:hi] != c[s - 1 : hi - 1]
        return keep

    return keep_of


def _merge_runs(cols: dict[str, np.ndarray], by: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Group-major columns (a `Layout`, slots with state NONE8) reduced in place to the
    first element of each run of equal `by` columns (by[0] is "state") and the slots."""
    names = list(cols)
    n = compact([cols[k] for k in names], _run_heads(*(cols[k] for k in by)))
    return {k: shrink(cols[k], n) for k in names}


def _tile(cols: dict[str, np.ndarray], dead: np.ndarray) -> _SpanSet:
    """Spans from merged group-major columns, each group's elements followed by its slot
    (state NONE8) whose start is the end of the group's last element: an element's span
    ends where the next element starts. The `dead` elements (sorted positions) are no
    spans. Unless that leaves a gap inside a group, starts and ends share one column."""
    if _dead_at_ends(cols, dead):
        return _shared_ends(_drop(cols, dead))
    return _own_ends(cols, dead)


def _dead_at_ends(cols: dict[str, np.ndarray], dead: np.ndarray) -> bool:
    """Whether each run of dead elements starts or ends its group; if so, one ending a
    group gives its start (the end of the span before it) to the slot."""
    if dead.size == 0:
        return True
    start, state = cols["start"], cols["state"]
    cut = np.flatnonzero(np.diff(dead) != 1)
    first, last = dead[np.r_[0, cut + 1]], dead[np.r_[cut, dead.size - 1]]
    head = (first == 0) | (state[np.maximum(first - 1, 0)] == NONE8)
    tail = state[last + 1] == NONE8
    if not (head | tail).all():
        return False
    start[last[tail] + 1] = start[first[tail]]
    return True


def _drop(cols: dict[str, np.ndarray], pos: np.ndarray) -> dict[str, np.ndarray]:
    """The columns without the elements at `pos`, compacted in place."""
    if pos.size == 0:
        return cols
    keep = np.ones(cols["start"].shape[0], bool)
    keep[pos] = False
    n = compact(list(cols.values()), lambda lo, hi: keep[lo:hi])
    return {k: shrink(v, n) for k, v in cols.items()}


def _shared_ends(cols: dict[str, np.ndarray]) -> _SpanSet:
    """Each span ends where the next element starts: `end` is `start` shifted by one."""
    slots = _where_eq(cols["state"], NONE8)
    m = max(cols["start"].shape[0] - 1, 0)
    cols = {"end": cols["start"][1:], **{k: v[:m] for k, v in cols.items()}}
    return _span_set(cols, np.concatenate([[0], slots[:-1] + 1])[: slots.size].astype(I64), slots)


def _own_ends(cols: dict[str, np.ndarray], dead: np.ndarray) -> _SpanSet:
    """Spans with a column of ends (dead elements left gaps): slots and dead elements go."""
    slots = _where_eq(cols["state"], NONE8)
    counts = np.diff(np.r_[-1, slots]) - 1 - np.diff(np.r_[0, np.searchsorted(dead, slots)])
    end = np.empty_like(cols["start"])
    end[:-1] = cols["start"][1:]
    cols = _drop({"end": end, **cols}, np.union1d(dead, slots))
    hi = np.cumsum(counts)
    return _span_set(cols, hi - counts, hi)


def _span_set(cols: dict[str, np.ndarray], lo: np.ndarray, hi: np.ndarray) -> _SpanSet:
    """A read-only _SpanSet of the columns (reason and stack default to zeros)."""
    for v in cols.values():
        v.flags.writeable = False
    z = _zeros32(cols["start"].shape[0])
    spans = Spans(cols["start"], cols["end"], cols["state"], cols.get("reason", z), cols.get("stack", z), cols["arg"])
    return _SpanSet(spans, lo, hi)


def _arg_dtype(tb: _Table, gids: np.ndarray) -> npt.DTypeLike:
    """int32 for the span args of goroutine, proc and thread tracks (ids of Ps, Ms and
    goroutines) when every id of the trace fits, else int64."""
    lo, hi = -(1 << 31), (1 << 31) - 1
    cols = [c for c in (tb.m, tb.p, tb.g, gids) if c.size]
    ok = all(int(c.min()) >= lo and int(c.max()) <= hi for c in cols)
    return np.int32 if ok else np.int64


class _Chunk:
    """Rows [lo, hi) with their goroutine transitions, read by the streamed builders."""

    __slots__ = ("gt", "hi", "lo", "moves")

    def __init__(self, tb: _Table, lo: int, hi: int) -> None:
        self.lo, self.hi = lo, hi
        self.gt = tb.gtrans(lo, hi)
        self.moves = self.gt.changes()


def _stream(tb: _Table, go: _GoroutineStream, procs: _ProcStream, util: _UtilizationStream) -> None:
    """Two passes over the rows: count per goroutine and P (and pick the transitions the
    utilization needs), then place in their columns."""
    for lo, hi in tb.chunks:
        c = _Chunk(tb, lo, hi)
        go.count(c)
        procs.count(c)
        util.take(c)
    arg_dtype = _arg_dtype(tb, go.tally.dense.ids)
    go.allocate(arg_dtype)
    procs.allocate(arg_dtype)
    for lo, hi in tb.chunks:
        c = _Chunk(tb, lo, hi)
        go.place(c)
        procs.place(c)


# --- goroutines -----------------------------------------------------------------------


class _FlowSrc:
    """Flows found with the goroutine spans, in source row order: source row, target
    goroutine (dense index), target start time, FlowKind."""

    def __init__(self, rows: np.ndarray, key: np.ndarray, to_ts: np.ndarray, kind: np.ndarray) -> None:
        self.rows, self.key, self.to_ts, self.kind = rows, key, to_ts, kind


class _GoroutinesOut:
    def __init__(self, spans: _SpanSet, dense: Dense, table: Goroutines, flows: _FlowSrc) -> None:
        self.spans, self.dense, self.table, self.flows = spans, dense, table, flows


class _GoroutineStream:
    """Goroutine spans streamed into goroutine-major columns (see `_stream`): per
    goroutine its transitions (X->X status repeats excluded) in row order, then `finish`
    merges and tiles them, and derives the goroutine table and the flows."""

    def __init__(self, tb: _Table, id_dtype: npt.DTypeLike, overlay: np.ndarray) -> None:
        self.tb, self.id_dtype = tb, id_dtype
        self.tally = Tally(count=0, first=tb.n)  # first: row of the first transition
        self.nsrc = 0
        # Stacks with frames of record's overlay (None: there are none, as in most traces).
        self.overlay = overlay if overlay.any() else None

    def count(self, c: _Chunk) -> None:
        k = self.tally.index(c.gt.gid)[c.gt.frm != c.gt.to]
        cols = self.tally.cols
        cols["count"] += np.bincount(k, minlength=cols["count"].size)
        np.minimum.at(cols["first"], k, c.moves.row)
        self.nsrc += int(np.count_nonzero(np.take(_FLOW_SRC, c.moves.typ)))

    def allocate(self, arg_dtype: npt.DTypeLike) -> None:
        tb = self.tb
        self.dg = dg = self.tally.dense
        counts, self.first = self.tally.cols["count"], self.tally.cols["first"]
        has = np.flatnonzero(counts)
        self.ffrom = np.full(len(dg), NONE8, np.uint8)
        self.ffrom[has] = tb.gtrans_at(self.first[has]).frm
        # A first transition from a real state: a span in it from the trace start (lead slot).
        self.pro = (self.ffrom != _UND) & (self.ffrom != _NEX) & (self.ffrom < 6)
        self.root_row = np.full(len(dg), tb.n, np.int64)  # row of the first transition with its own stack
        self.lay = Layout(counts, self.pro.astype(I64))
        L, idt = self.lay.size, self.id_dtype
        self.cols: dict[str, np.ndarray] = {
            "state": np.empty(L, np.uint8), "reason": np.empty(L, idt), "stack": np.empty(L, idt),
            "start": np.empty(L, I64), "arg": np.empty(L, arg_dtype),
        }  # fmt: skip
        self.src_pos = np.empty(self.nsrc, index_dtype(L))  # unblock/create transitions
        self.src_row = np.empty(self.nsrc, index_dtype(tb.n))
        self.nsrc = 0  # from now on: how many are placed

    def place(self, c: _Chunk) -> None:
        tb, cols, gt = self.tb, self.cols, c.moves
        pos = self.lay.place(self.dg.index(gt.gid))
        cols["start"][pos] = tb.ts(gt.row)
        cols["state"][pos] = gt.to
        cols["reason"][pos], own = _reason_stack(tb, gt.typ, gt.row, self.id_dtype)
        # A span keeps the stack of the event that began it (as Go's profiles file a sample
        # under); a goroutine is named from its first transition's own stack.
        cols["stack"][pos] = _stack_arg(tb, np.take(_G_EVENT_STACK_ARG, gt.typ), gt.row, self.id_dtype)
        nz = np.flatnonzero(own)
        np.minimum.at(self.root_row, self.dg.index(gt.gid[nz]), gt.row[nz])
        cols["arg"][pos] = _goroutine_arg(tb, gt, cols["arg"].dtype)
        s = np.flatnonzero(np.take(_FLOW_SRC, gt.typ))
        w = self.nsrc
        self.src_pos[w : w + s.size] = pos[s]
        self.src_row[w : w + s.size] = gt.row[s]
        self.nsrc += s.size

    def finish(self, table: EventTable) -> _GoroutinesOut:
        tb, lay, cols = self.tb, self.lay, self.cols
        for name, v in (("start", tb.T), ("state", NONE8), ("reason", 0), ("stack", 0), ("arg", -1)):
            cols[name][lay.end] = v
        gtab = _goroutine_table(tb, self.dg, lay, cols, self.first, self.ffrom)
        _first_spans(tb, lay, cols, self.first, self.ffrom, self.pro)
        flows = _flow_sources(tb, lay, cols, self.src_pos, self.src_row)
        del self.src_pos, self.src_row
        gtab.func = _root_funcs(tb, table, self.root_row)
        if self.overlay is not None:
            _init_goroutine_funcs(tb, table, gtab.func, self.root_row, self.overlay)
        cols = _merge_runs(cols, ("state", "reason", "stack"))
        del self.cols
        st = cols["state"]
        dead = np.union1d(_where_eq(st, _NEX), _where_eq(st, _UND))
        return _GoroutinesOut(_tile(cols, dead), self.dg, gtab, flows)


def _reason_stack(tb: _Table, typ: np.ndarray, rows: np.ndarray, dtype: npt.DTypeLike) -> tuple[np.ndarray, np.ndarray]:
    """Reason string and stack of each goroutine transition (its StateTransition's)."""
    reason = np.zeros(rows.size, dtype)
    idx = np.flatnonzero(_G_REASON[typ])
    reason[idx] = tb.a[0][rows[idx]]
    return reason, _stack_arg(tb, _G_STACK_ARG[typ], rows, dtype)


def _stack_arg(tb: _Table, arg: np.ndarray, rows: np.ndarray, dtype: npt.DTypeLike) -> np.ndarray:
    """The stack id in argument `arg[i]` (-1: none) of each row."""
    stack = np.zeros(rows.size, dtype)
    for k in range(4):
        idx = np.flatnonzero(arg == k)
        if idx.size:
            stack[idx] = tb.a[k][rows[idx]]
    return stack


def _goroutine_arg(tb: _Table, gt: _GT, dtype: npt.DTypeLike) -> np.ndarray:
    """Span arg of each transition: RUNNING -> its P, SYSCALL -> its M, made runnable by
    another goroutine -> that goroutine; else -1."""
    arg = np.full(gt.row.size, -1, dtype)
    sel = np.flatnonzero(gt.to == _RUN)
    arg[sel] = tb.p[gt.row[sel]]
    sel = np.flatnonzero(gt.to == _SYS)
    arg[sel] = tb.m[gt.row[sel]]
    sel = np.flatnonzero(_FLOW_SRC[gt.typ])
    gg = tb.g[gt.row[sel]]
    arg[sel] = np.where(gg != gt.gid[sel], gg, -1)
    return arg


def _goroutine_table(
    tb: _Table, dg: Dense, lay: Layout, cols: dict[str, np.ndarray], first: np.ndarray, ffrom: np.ndarray
) -> Goroutines:
    """Creation (from a first transition from NotExist) and end (a last one to NotExist)."""
    ng = len(dg)
    created = np.full(ng, -1, I64)
    creator = np.full(ng, -1, I64)
    create_stack = np.zeros(ng, np.int32)
    start_stack = np.zeros(ng, np.int32)
    ended = np.full(ng, -1, I64)
    k = np.flatnonzero(ffrom == _NEX)
    rows = first[k]
    created[k] = tb.ts(rows)
    creator[k] = tb.g[rows]
    ws = (tb.typ[rows] == S.EvGoCreate) | (tb.typ[rows] == S.EvGoCreateBlocked)
    create_stack[k[ws]] = tb.a[2][rows[ws]]
    start_stack[k[ws]] = tb.a[1][rows[ws]]
    k = np.flatnonzero(lay.end > lay.head)
    last = lay.end[k] - 1
    de = cols["state"][last] == _NEX
    ended[k[de]] = cols["start"][last[de]]
    return Goroutines(
        id=dg.ids, track=np.zeros(ng, I64), func=np.zeros(ng, np.int32), created=created, ended=ended,
        creator=creator, create_stack=create_stack, start_stack=start_stack,
    )  # fmt: skip


def _flow_sources(tb: _Table, lay: Layout, cols: dict[str, np.ndarray], pos: np.ndarray, rows: np.ndarray) -> _FlowSrc:
    """Unblock/create -> the goroutine's next transition, if it starts running. `pos`
    and `rows` (consumed) are the layout positions and rows of the sources."""
    state, start = cols["state"], cols["start"]
    n = compact([pos, rows], lambda lo, hi: state[pos[lo:hi].astype(I64) + 1] == _RUN)
    pos, rows = shrink(pos, n), shrink(rows, n)
    to_ts = np.empty(n, I64)
    key = np.empty(n, index_dtype(lay.nkeys))
    kind = np.full(n, FlowKind.UNBLOCK, np.uint8)
    for lo, hi in chunks(n):
        p = pos[lo:hi].astype(I64)
        key[lo:hi] = lay.group_of(p)
        p += 1
        to_ts[lo:hi] = start[p]
        kind[lo:hi][tb.typ[rows[lo:hi]] == S.EvGoCreate] = FlowKind.CREATE
    return _FlowSrc(rows, key, to_ts, kind)


def _root_funcs(tb: _Table, table: EventTable, root_row: np.ndarray) -> np.ndarray:
    """String id of the root frame's function of each goroutine's first transition stack
    (Go's GoroutineSummary.Name); `root_row`: that transition's row (tb.n: none)."""
    func_of = np.zeros(root_row.size, np.int32)
    k = np.flatnonzero(root_row < tb.n)
    if k.size == 0:
        return func_of
    rows = root_row[k]
    stack = _stack_arg(tb, np.take(_G_STACK_ARG, tb.typ[rows]), rows, np.int64)
    usid, inv = np.unique(stack, return_inverse=True)
    st = table.stacks
    root = np.array([st.frame_func[st.stacks[s][-1]] if st.stacks[s] else 0 for s in usid.tolist()], np.int32)
    func_of[k] = root[inv.reshape(-1)]
    return func_of


def _init_goroutine_funcs(
    tb: _Table, table: EventTable, func: np.ndarray, root_row: np.ndarray, overlay: np.ndarray
) -> None:
    """A goroutine first seen in the package init of record's overlay (G1: the trace starts
    there, so its root frame is runtime.doInit1) is named `main.main`, the function it runs
    next and its name in a trace started from main (its next stacks may be a preemption's,
    whose root Go gives as runtime.asyncPreempt)."""
    k = np.flatnonzero(root_row < tb.n)
    rows = root_row[k]
    first = _stack_arg(tb, np.take(_G_STACK_ARG, tb.typ[rows]), rows, np.int64)
    k = k[overlay[first]]
    strings = table.strings.strings
    k = k[[strings[f].startswith("runtime.doInit") for f in func[k].tolist()]]
    if k.size:
        func[k] = table.strings.intern("main.main")


def _first_spans(
    tb: _Table, lay: Layout, cols: dict[str, np.ndarray], first: np.ndarray, ffrom: np.ndarray, pro: np.ndarray
) -> None:
    """Goroutines first seen as Undetermined->X were in X since their generation's start
    (the preceding Sync); one first seen leaving a real state X was in X since the trace
    start (its lead slot: arg as its first transition's row gives it)."""
    k = np.flatnonzero(ffrom == _UND)
    cols["start"][lay.head[k]] = tb.ts(tb.sync_before(first[k]))
    k = np.flatnonzero(pro)
    h, f, r = lay.head[k], ffrom[k], first[k]
    cols["start"][h] = 0
    cols["state"][h] = f
    cols["reason"][h] = 0
    cols["stack"][h] = 0
    cols["arg"][h] = np.where(f == _RUN, tb.p[r], np.where(f == _SYS, tb.m[r], -1))


# --- procs ----------------------------------------------------------------------------


class _PE:
    """Events of Ps in a chunk: proc transitions (X->X statuses excluded) and goroutine
    transitions into or out of Running with a P in context."""

    __slots__ = ("g", "gt", "keys", "pt")

    def __init__(self, tb: _Table, c: _Chunk) -> None:
        pt = tb.ptrans(c.lo, c.hi)
        self.pt = pt.take(~((pt.typ == S.EvProcStatus) & (pt.frm == pt.to)))
        gt = c.gt
        g = np.flatnonzero((gt.frm == _RUN) | (gt.to == _RUN))
        gkey = np.take(tb.p, gt.row[g])
        onp = gkey >= 0
        self.g, self.gt = g[onp], gt
        self.keys = (self.pt.pid, gkey[onp])

    def stream(self) -> tuple[np.ndarray, ...]:
        """(row, key, state after, arg (goroutine), ext (from Undetermined: in that state
        since before the trace)) of each event, in row order."""
        pt, gt, g = self.pt, self.gt, self.g
        pstate = np.where(pt.to == S.ProcRunning, _RUN, np.where(pt.to == S.ProcIdle, State.IDLE, _NEX))
        pstate[pt.syscall] = _SYS
        gto = gt.to[g]
        gstate = np.where(gto == _SYS, _SYS, _RUN)
        garg = np.where((gto == _RUN) | (gto == _SYS), gt.gid[g], -1)
        prow, grow = pt.row, gt.row[g]
        ip = np.searchsorted(grow, prow) + np.arange(prow.size)  # rows are distinct
        ig = np.searchsorted(prow, grow) + np.arange(grow.size)
        n = prow.size + grow.size

        def merged(a: np.ndarray, b: np.ndarray, dtype: npt.DTypeLike) -> np.ndarray:
            out = np.empty(n, dtype)
            out[ip], out[ig] = a, b
            return out

        return (
            merged(prow, grow, I64), merged(*self.keys, I64), merged(pstate, gstate, np.uint8),
            merged(np.full(prow.size, -1, I64), garg, I64),
            merged(pt.frm == S.ProcUndetermined, gt.frm[g] == _UND, bool),
        )  # fmt: skip


class _ProcStream:
    """P spans streamed into P-major columns (see `_stream`) from proc transitions and
    goroutine transitions into/out of Running on a P: IDLE; RUNNING with arg = the
    goroutine on it (-1: held by an M, no goroutine); SYSCALL with arg = the goroutine in
    a syscall holding it."""

    def __init__(self, tb: _Table) -> None:
        self.tb = tb
        self.tally = Tally(count=0)
        self.ext_pos = [np.zeros(0, I64)]  # elements from Undetermined
        self.ext_row = [np.zeros(0, I64)]

    def count(self, c: _Chunk) -> None:
        k = self.tally.index(np.concatenate(_PE(self.tb, c).keys))
        counts = self.tally.cols["count"]
        counts += np.bincount(k, minlength=counts.size)

    def allocate(self, arg_dtype: npt.DTypeLike) -> None:
        self.dp = self.tally.dense
        self.lay = Layout(self.tally.cols["count"], np.zeros(len(self.dp), I64))
        L = self.lay.size
        self.cols = {"state": np.empty(L, np.uint8), "arg": np.empty(L, arg_dtype), "start": np.empty(L, I64)}

    def place(self, c: _Chunk) -> None:
        row, key, state, arg, ext = _PE(self.tb, c).stream()
        pos = self.lay.place(self.dp.index(key))
        self.cols["start"][pos] = self.tb.ts(row)
        self.cols["state"][pos] = state
        self.cols["arg"][pos] = arg
        x = np.flatnonzero(ext)
        self.ext_pos.append(pos[x])
        self.ext_row.append(row[x])

    def finish(self) -> tuple[_SpanSet, Dense]:
        tb, lay, cols = self.tb, self.lay, self.cols
        del self.cols
        for name, v in (("start", tb.T), ("state", NONE8), ("arg", -1)):
            cols[name][lay.end] = v
        _extend_procs(tb, lay, cols["start"], np.concatenate(self.ext_pos), np.concatenate(self.ext_row))
        # Not live: a run whose first element is NotExist or zero-length (dropped).
        start, state, L = cols["start"], cols["state"], lay.size
        nl = np.zeros(L, bool)
        for lo, hi in chunks(L - 1):
            nl[lo:hi] = (state[lo:hi] == _NEX) | (start[lo + 1 : hi + 1] <= start[lo:hi])
        nl[lay.end] = False
        cols["nl"] = nl
        cols = _merge_runs(cols, ("state", "arg"))
        dead = np.flatnonzero(cols.pop("nl"))
        return _tile(cols, dead), self.dp


def _extend_procs(tb: _Table, lay: Layout, start: np.ndarray, pos: np.ndarray, rows: np.ndarray) -> None:
    """Elements from Undetermined (`pos`, `rows`) began at their generation's start: a P's
    first one at the preceding Sync, a goroutine found running on it later in the P's
    sequence there too, but not before the P's previous element."""
    first = pos == lay.head[lay.group_of(pos)]
    start[pos[first]] = tb.ts(tb.sync_before(rows[first]))
    p, r = pos[~first], rows[~first]
    start[p] = np.maximum(tb.ts(tb.sync_before(r)), start[p - 1])


# --- threads --------------------------------------------------------------------------


def _threads(tb: _Table, arg_dtype: npt.DTypeLike) -> tuple[_SpanSet, Dense]:
    """M spans. Between two events of an M its state is what the scheduling context Go
    gives the later one (the context *before* it) says: SYSCALL (arg = goroutine) if that
    event takes its goroutine out of a syscall, else RUNNING (arg = P) while it holds a P,
    SYSCALL with a goroutine but no P, else IDLE. After an M's last event: that event's
    outcome. Only events that can change this (proc transitions, syscall transitions,
    statuses) and each M's first and last event are looked at."""
    typ, m = tb.typ, tb.m

    def acting(lo: int, hi: int) -> np.ndarray:
        """Rows of [lo, hi) whose M is acting."""
        v = np.flatnonzero((m[lo:hi] >= 0) & ~_NOT_M[typ[lo:hi]])
        v += lo
        return v

    dm = Dense(distinct(m[acting(lo, hi)] for lo, hi in tb.chunks))
    nm = len(dm)
    if nm == 0:
        return _SpanSet(Spans.empty(), np.zeros(0, I64), np.zeros(0, I64)), dm
    firsts = np.full(nm, tb.n, I64)
    lasts = np.full(nm, -1, I64)
    rel: list[np.ndarray] = []
    for lo, hi in tb.chunks:
        v = acting(lo, hi)
        k = dm.index(m[v])
        np.minimum.at(firsts, k, v)
        np.maximum.at(lasts, k, v)
        rel.append(v[_M_REL[typ[v]]])
    mrows = np.unique(np.concatenate([*rel, firsts, lasts]))
    del rel
    key = dm.index(m[mrows])
    order = stable_order(key, nm)
    counts = np.bincount(key, minlength=nm)
    G = _Grouped(tb, counts, mrows[order])
    rows = G.rows
    # Goroutine transitions at these rows (their from-state and target).
    isg = _IS_G[typ[rows]]
    gt = tb.gtrans_at(rows[isg])
    gfrom = np.full(rows.size, NONE8, np.uint8)
    gto = np.full(rows.size, NONE8, np.uint8)
    gid = np.full(rows.size, -1, I64)
    gfrom[isg], gto[isg], gid[isg] = gt.frm, gt.to, gt.gid
    pj, gj = tb.p[rows], tb.g[rows]
    bstate = np.where(gfrom == _SYS, _SYS, np.where(pj >= 0, _RUN, np.where(gj >= 0, _SYS, State.IDLE))).astype(
        np.uint8
    )
    barg = np.where(bstate == _SYS, gj, np.where(bstate == _RUN, pj, -1))
    state = np.empty(rows.size, np.uint8)
    arg = np.empty(rows.size, arg_dtype)
    state[:-1], arg[:-1] = bstate[1:], barg[1:]
    for j in G.lpos.tolist():
        state[j], arg[j] = _m_after(tb, int(rows[j]), int(gto[j]), int(gid[j]))
    # An M first seen through a status event from Undetermined existed before the trace.
    fr = rows[G.fpos]
    ft = typ[fr]
    fa2 = tb.a[2][fr]
    und = np.where(ft == S.EvProcStatus, fa2 == S.ProcUndetermined, (fa2 >> np.uint64(32)) == _UND) & _IS_STATUS[ft]
    G.extend_first(tb, und)
    end = G.ends(tb)
    h, rl = _runs(G.first_mask(), np.ones(rows.size, bool), state, arg)
    st = state[h]
    spans = Spans(G.start[h], end[rl], st, _zeros32(st.size), _zeros32(st.size), arg[h])
    offs = _offsets(G.key[h], nm)
    return _SpanSet(spans, offs[:-1], offs[1:]), dm


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


def goroutine_transitions(table: EventTable) -> Transitions:
    """Every goroutine state transition of the table, in order, as Go's
    Event.StateTransition gives them (GoState numbering)."""
    gt = _Table(table).gtrans()
    return Transitions(gt.row, gt.frm, gt.to, gt.gid)


class _UtilizationStream:
    """Collects, during the model's first pass, the goroutine transitions that can move the
    mutator utilization (see model/utilization.py), then replays them."""

    def __init__(self, tb: _Table, table: EventTable) -> None:
        self.tb, self.strings = tb, table.strings.strings
        self.work = GCWork(tb.typ, tb.g, tb.a[0], self.strings)
        self.parts: list[_GT] = []

    def take(self, c: _Chunk) -> None:
        gt = c.gt
        keep = np.flatnonzero(self.work.relevant(gt.gid, gt.row))
        if keep.size:
            self.parts.append(_GT(gt.row[keep], gt.typ[keep], gt.frm[keep], gt.to[keep], gt.gid[keep]))

    def finish(self) -> tuple[Counter, Counter]:
        tb = self.tb
        cat = [np.concatenate([getattr(p, c) for p in self.parts]) if self.parts else np.zeros(0, I64)
               for c in ("row", "frm", "to", "gid")]  # fmt: skip
        trans = Transitions(*cat)
        default, sweep = mutator_utilization(
            tb.time, tb.typ, tb.p, tb.g, tb.a[0], self.strings, self.work, trans, tb.base, (DEFAULT, WITH_SWEEP)
        )
        return Counter(*default), Counter(*sweep)


def build_model(table: EventTable) -> Trace:
    """The timeline model of a Go event table (see the module docstring for semantics).

    Tracks, in order: every P ("P<id>"), every M ("M<id>"), every goroutine ("G<id> <start
    function>", grouped by start function: the root frame of its first transition stack, as
    Go's GoroutineSummary.Name), then GC ("GC" mark phases, "STW"), counters (heap in use,
    heap goal, GOMAXPROCS, goroutines running/runnable/waiting/syscall, threads running/in
    syscall), task lanes, per-goroutine region tracks (nested, with depth), CPU samples.
    In a trace made by `tracetui record`, G1 (first seen in the recorder's init) is named
    main.main, and the recorder's goroutines are listed in `injected` (model/injected.py).
    """
    tb = _Table(table)
    n = tb.n
    tracks: list[Track] = []
    id_dtype = np.int32 if max(len(table.strings), len(table.stacks.stacks)) < 1 << 31 else np.int64
    overlay = injected_stacks(table.stacks, table.strings)
    gstream, pstream = _GoroutineStream(tb, id_dtype, overlay), _ProcStream(tb)
    ustream = _UtilizationStream(tb, table)
    _stream(tb, gstream, pstream, ustream)
    go = gstream.finish(table)
    procs, dp = pstream.finish()
    del gstream, pstream
    dg = go.dense
    ng = len(dg)
    threads, dm = _threads(tb, go.spans.spans.arg.dtype)

    proc_tracks = np.arange(len(dp), dtype=I64)
    for i, pid in enumerate(dp.ids.tolist()):
        tracks.append(Track(TrackKind.PROC, pid, f"P{pid}", "Procs", spans=procs.track(i)))
    thread_tracks = np.arange(len(dm), dtype=I64) + len(tracks)
    for i, mid in enumerate(dm.ids.tolist()):
        tracks.append(Track(TrackKind.THREAD, mid, f"M{mid}", "Threads", spans=threads.track(i)))
    gbase = len(tracks)
    strings = table.strings.strings
    func_of = go.table.func
    for i, gid in enumerate(dg.ids.tolist()):
        fn = strings[func_of[i]] if func_of[i] else ""
        name = f"G{gid} {fn}" if fn else f"G{gid}"
        tracks.append(Track(TrackKind.GOROUTINE, gid, name, fn, spans=go.spans.track(i)))
    goroutines = go.table
    goroutines.track = np.arange(ng, dtype=I64) + gbase

    def track_of_ctx(rows: np.ndarray) -> np.ndarray:
        """Track of the running goroutine at each row, else its P, else its M, else -1."""
        out = np.full(rows.size, -1, np.int32)
        for lo, hi in chunks(rows.size):
            r = rows[lo:hi]
            o = out[lo:hi]
            gg = dg.index(tb.g[r])
            o[gg >= 0] = gg[gg >= 0] + gbase
            todo = o < 0
            pp = dp.index(np.where(todo, tb.p[r], -1))
            o[todo & (pp >= 0)] = proc_tracks[pp[todo & (pp >= 0)]]
            todo = o < 0
            mm = dm.index(np.where(todo, tb.m[r], -1))
            o[todo & (mm >= 0)] = thread_tracks[mm[todo & (mm >= 0)]]
        return out

    flows = _flows(tb, go.flows, gbase, track_of_ctx)
    go_counts = _goroutine_counters(go.spans, goroutines.ended)
    tcounts = _thread_counters(threads.spans, tb.T)
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
    util, util_sweep = ustream.finish()
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

    g = goroutines
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
        utilization=util,
        utilization_sweep=util_sweep,
        error=table.error,
        injected=injected_goroutines(g.id, g.creator, g.create_stack, g.start_stack, overlay),
    )


def _flows(tb: _Table, fs: _FlowSrc, gbase: int, track_of_ctx: Callable[[np.ndarray], np.ndarray]) -> Flows:
    """Unblock -> the goroutine's next start; create -> its first start; by source time."""
    n = fs.rows.size
    from_ts = np.empty(n, I64)
    for lo, hi in chunks(n):
        from_ts[lo:hi] = tb.ts(fs.rows[lo:hi])
    to_track = fs.key.astype(np.int32, copy=False)
    to_track += gbase
    return Flows(from_track=track_of_ctx(fs.rows), from_ts=from_ts, to_track=to_track, to_ts=fs.to_ts, kind=fs.kind)


def _goroutine_counters(gs: _SpanSet, ended: np.ndarray) -> dict[State, Counter]:
    """Goroutines running, runnable, waiting, in syscall over time: computed from their
    spans when first read."""
    sp = gs.spans
    # A goroutine's last span counts until it ends, or (still alive) past the trace end.
    open_end = np.zeros(len(sp), bool)
    k = np.flatnonzero((gs.hi > gs.lo) & (ended < 0))
    open_end[gs.hi[k] - 1] = True

    def counter(st: State) -> Callable[[], Counter]:
        return lambda: _state_counter(sp, open_end, st)

    return {st: Counter.lazy(counter(st)) for st in (State.RUNNING, State.RUNNABLE, State.WAITING, State.SYSCALL)}


def _state_counter(sp: Spans, open_end: np.ndarray, st: State) -> Counter:
    """How many spans are in state `st` over time (+1 at a start, -1 at an end unless
    `open_end`): a point at 0, then one per time where the count changes."""
    sel = np.flatnonzero(sp.state == st)
    ends = sel[~open_end[sel]]
    ns = sel.size
    key = np.empty(ns + ends.size, I64)  # time << 1 | is_start, sorted
    np.take(sp.start, sel, out=key[:ns], mode="clip")
    np.take(sp.end, ends, out=key[ns:], mode="clip")
    del sel, ends
    key <<= 1
    key[:ns] |= 1
    key.sort()
    d = key.astype(np.int8)
    d &= 1
    d *= 2
    d -= 1
    count = np.cumsum(d, dtype=np.int32)
    del d
    key >>= 1
    last = np.ones(key.size, bool)  # the last key of each time
    np.not_equal(key[1:], key[:-1], out=last[:-1])
    t, v = key[last], count[last]
    del key, count, last
    changed = np.empty(v.size, bool)
    changed[:1] = v[:1] != 0
    np.not_equal(v[1:], v[:-1], out=changed[1:])
    changed &= t > 0
    v0 = int(v[0]) if t.size and t[0] == 0 else 0
    return Counter(np.concatenate([[0], t[changed]]).astype(I64), np.concatenate([[v0], v[changed]]).astype(np.int32))


def _thread_counters(sp: Spans, T: int) -> dict[State, Counter]:
    """Threads running (holding a P) and in a syscall over time, computed when first read."""

    def counter(st: State) -> Callable[[], Counter]:
        def compute() -> Counter:
            if len(sp) == 0:
                return Counter.empty(np.int32)
            s = sp.state == st
            return _overlap_counter(sp.start[s], sp.end[s], T)

        return compute

    return {st: Counter.lazy(counter(st)) for st in (State.RUNNING, State.SYSCALL)}


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
    tb: _Table, typ: int, kind: InstantKind, track_of_ctx: Callable[[np.ndarray], np.ndarray], string_arg: int,
    stack_arg: int = -1, arg_arg: int = -1, task_arg: int = -1,
) -> Instants:  # fmt: skip
    rows = np.flatnonzero(tb.typ == typ)
    k = rows.size

    def col(i: int, dtype: npt.DTypeLike, fill: int) -> np.ndarray:
        return np.full(k, fill, dtype) if i < 0 else _u2i(tb.a[i][rows]).astype(dtype)

    return Instants(
        ts=tb.ts(rows),
        kind=np.full(k, kind, np.uint8),
        string=col(string_arg, np.int32, 0),
        stack=col(stack_arg, np.int32, 0),
        track=track_of_ctx(rows),
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
    lane = interval_lanes(start[o], end[o], np.int32)
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
    goroutines = distinct(tb.gtrans(lo, hi).gid for lo, hi in tb.chunks)
    pids = distinct(tb.ptrans(lo, hi).pid for lo, hi in tb.chunks)
    mids = distinct(tb.m[lo:hi][tb.m[lo:hi] != -1] for lo, hi in tb.chunks)
    stw = _range_spans(tb, S.EvSTWBegin, -1, S.EvSTWEnd, "g", State.STW, False)
    dur = stw.end - stw.start
    procs = _u2i(tb.a[0][typ == S.EvProcsChange])
    return {
        "events": n,
        "goroutines": int(goroutines.size),
        "procs": int(pids.size),
        "threads": int(mids.size),
        "gc_cycles": int(np.count_nonzero(typ == S.EvGCBegin)),
        "stw": {"count": int(dur.size), "total_ns": int(dur.sum()), "max_ns": int(dur.max()) if dur.size else 0},
        "duration_ns": tb.T,
        "gomaxprocs": {"last": int(procs[-1]) if procs.size else 0, "max": int(procs.max()) if procs.size else 0},
        "go_version": f"1.{table.version}",
    }
