"""P and M timelines: P spans streamed into P-major columns from proc transitions and
goroutine transitions on a P; M spans from the scheduling context of each M's events."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from tracetui.gotrace import spec as S
from tracetui.gotrace.transitions import IS_G
from tracetui.model._group import Dense, Layout, Tally, chunks, distinct, stable_order
from tracetui.model.gosemantics import IS_STATUS, M_REL, NEX, NOT_M, RUN, SYS, UND, Chunk, Rows
from tracetui.model.spans import NONE8, SpanSet, merge_runs, offsets, runs, tile, zeros32
from tracetui.model.trace import I64, Spans, State

# --- procs ----------------------------------------------------------------------------


class _PE:
    """Events of Ps in a chunk: proc transitions (X->X statuses excluded) and goroutine
    transitions into or out of Running with a P in context."""

    __slots__ = ("g", "gt", "keys", "pt")

    def __init__(self, tb: Rows, c: Chunk) -> None:
        pt = tb.ptrans(c.lo, c.hi)
        self.pt = pt.take(~((pt.typ == S.EvProcStatus) & (pt.frm == pt.to)))
        gt = c.gt
        g = np.flatnonzero((gt.frm == RUN) | (gt.to == RUN))
        gkey = np.take(tb.p, gt.row[g])
        onp = gkey >= 0
        self.g, self.gt = g[onp], gt
        self.keys = (self.pt.pid, gkey[onp])

    def stream(self) -> tuple[np.ndarray, ...]:
        """(row, key, state after, arg (goroutine), ext (from Undetermined: in that state
        since before the trace)) of each event, in row order."""
        pt, gt, g = self.pt, self.gt, self.g
        pstate = np.where(pt.to == S.ProcRunning, RUN, np.where(pt.to == S.ProcIdle, State.IDLE, NEX))
        pstate[pt.syscall] = SYS
        gto = gt.to[g]
        gstate = np.where(gto == SYS, SYS, RUN)
        garg = np.where((gto == RUN) | (gto == SYS), gt.gid[g], -1)
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
            merged(pt.frm == S.ProcUndetermined, gt.frm[g] == UND, bool),
        )  # fmt: skip


class ProcStream:
    """P spans streamed into P-major columns (see `from_gotrace._stream`) from proc transitions and
    goroutine transitions into/out of Running on a P: IDLE; RUNNING with arg = the
    goroutine on it (-1: held by an M, no goroutine); SYSCALL with arg = the goroutine in
    a syscall holding it."""

    def __init__(self, tb: Rows) -> None:
        self.tb = tb
        self.tally = Tally(count=0)
        self.ext_pos = [np.zeros(0, I64)]  # elements from Undetermined
        self.ext_row = [np.zeros(0, I64)]

    def count(self, c: Chunk) -> None:
        k = self.tally.index(np.concatenate(_PE(self.tb, c).keys))
        counts = self.tally.cols["count"]
        counts += np.bincount(k, minlength=counts.size)

    def allocate(self, arg_dtype: npt.DTypeLike) -> None:
        self.dp = self.tally.dense
        self.lay = Layout(self.tally.cols["count"], np.zeros(len(self.dp), I64))
        L = self.lay.size
        self.cols = {"state": np.empty(L, np.uint8), "arg": np.empty(L, arg_dtype), "start": np.empty(L, I64)}

    def place(self, c: Chunk) -> None:
        row, key, state, arg, ext = _PE(self.tb, c).stream()
        pos = self.lay.place(self.dp.index(key))
        self.cols["start"][pos] = self.tb.ts(row)
        self.cols["state"][pos] = state
        self.cols["arg"][pos] = arg
        x = np.flatnonzero(ext)
        self.ext_pos.append(pos[x])
        self.ext_row.append(row[x])

    def finish(self) -> tuple[SpanSet, Dense]:
        tb, lay, cols = self.tb, self.lay, self.cols
        del self.cols
        for name, v in (("start", tb.T), ("state", NONE8), ("arg", -1)):
            cols[name][lay.end] = v
        _extend_procs(tb, lay, cols["start"], np.concatenate(self.ext_pos), np.concatenate(self.ext_row))
        # Not live: a run whose first element is NotExist or zero-length (dropped).
        start, state, L = cols["start"], cols["state"], lay.size
        nl = np.zeros(L, bool)
        for lo, hi in chunks(L - 1):
            nl[lo:hi] = (state[lo:hi] == NEX) | (start[lo + 1 : hi + 1] <= start[lo:hi])
        nl[lay.end] = False
        cols["nl"] = nl
        cols = merge_runs(cols, ("state", "arg"))
        dead = np.flatnonzero(cols.pop("nl"))
        return tile(cols, dead), self.dp


def _extend_procs(tb: Rows, lay: Layout, start: np.ndarray, pos: np.ndarray, rows: np.ndarray) -> None:
    """Elements from Undetermined (`pos`, `rows`) began at their generation's start: a P's
    first one at the preceding Sync, a goroutine found running on it later in the P's
    sequence there too, but not before the P's previous element."""
    first = pos == lay.head[lay.group_of(pos)]
    start[pos[first]] = tb.ts(tb.sync_before(rows[first]))
    p, r = pos[~first], rows[~first]
    start[p] = np.maximum(tb.ts(tb.sync_before(r)), start[p - 1])


class _Grouped:
    """Events grouped by a dense key (row order within a key), as spans: event k starts a
    span in state[k] lasting until the key's next event, the last one to the trace end."""

    def __init__(self, tb: Rows, counts: np.ndarray, rows: np.ndarray) -> None:
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

    def extend_first(self, tb: Rows, mask_at_first: np.ndarray) -> None:
        """Start the first span of the selected keys at the preceding Sync."""
        sel = self.fpos[mask_at_first]
        if sel.size:
            self.start[sel] = tb.ts(tb.sync_before(self.rows[sel]))

    def ends(self, tb: Rows) -> np.ndarray:
        end = np.empty_like(self.start)
        end[:-1] = self.start[1:]
        end[self.lpos] = tb.T
        return end

    def first_mask(self) -> np.ndarray:
        first = np.zeros(self.key.size, bool)
        first[self.fpos] = True
        return first


# --- threads --------------------------------------------------------------------------


def thread_spans(tb: Rows, arg_dtype: npt.DTypeLike) -> tuple[SpanSet, Dense]:
    """M spans. Between two events of an M its state is what the scheduling context Go
    gives the later one (the context *before* it) says: SYSCALL (arg = goroutine) if that
    event takes its goroutine out of a syscall, else RUNNING (arg = P) while it holds a P,
    SYSCALL with a goroutine but no P, else IDLE. After an M's last event: that event's
    outcome. Only events that can change this (proc transitions, syscall transitions,
    statuses) and each M's first and last event are looked at."""
    typ, m = tb.typ, tb.m

    def acting(lo: int, hi: int) -> np.ndarray:
        """Rows of [lo, hi) whose M is acting."""
        v = np.flatnonzero((m[lo:hi] >= 0) & ~NOT_M[typ[lo:hi]])
        v += lo
        return v

    dm = Dense(distinct(m[acting(lo, hi)] for lo, hi in tb.chunks))
    nm = len(dm)
    if nm == 0:
        return SpanSet(Spans.empty(), np.zeros(0, I64), np.zeros(0, I64)), dm
    firsts = np.full(nm, tb.n, I64)
    lasts = np.full(nm, -1, I64)
    rel: list[np.ndarray] = []
    for lo, hi in tb.chunks:
        v = acting(lo, hi)
        k = dm.index(m[v])
        np.minimum.at(firsts, k, v)
        np.maximum.at(lasts, k, v)
        rel.append(v[M_REL[typ[v]]])
    mrows = np.unique(np.concatenate([*rel, firsts, lasts]))
    del rel
    key = dm.index(m[mrows])
    order = stable_order(key, nm)
    counts = np.bincount(key, minlength=nm)
    G = _Grouped(tb, counts, mrows[order])
    rows = G.rows
    # Goroutine transitions at these rows (their from-state and target).
    isg = IS_G[typ[rows]]
    gt = tb.gtrans_at(rows[isg])
    gfrom = np.full(rows.size, NONE8, np.uint8)
    gto = np.full(rows.size, NONE8, np.uint8)
    gid = np.full(rows.size, -1, I64)
    gfrom[isg], gto[isg], gid[isg] = gt.frm, gt.to, gt.gid
    pj, gj = tb.p[rows], tb.g[rows]
    bstate = np.where(gfrom == SYS, SYS, np.where(pj >= 0, RUN, np.where(gj >= 0, SYS, State.IDLE))).astype(np.uint8)
    barg = np.where(bstate == SYS, gj, np.where(bstate == RUN, pj, -1))
    state = np.empty(rows.size, np.uint8)
    arg = np.empty(rows.size, arg_dtype)
    state[:-1], arg[:-1] = bstate[1:], barg[1:]
    for j in G.lpos.tolist():
        state[j], arg[j] = _m_after(tb, int(rows[j]), int(gto[j]), int(gid[j]))
    # An M first seen through a status event from Undetermined existed before the trace.
    fr = rows[G.fpos]
    ft = typ[fr]
    fa2 = tb.a[2][fr]
    und = np.where(ft == S.EvProcStatus, fa2 == S.ProcUndetermined, (fa2 >> np.uint64(32)) == UND) & IS_STATUS[ft]
    G.extend_first(tb, und)
    end = G.ends(tb)
    h, rl = runs(G.first_mask(), np.ones(rows.size, bool), state, arg)
    st = state[h]
    spans = Spans(G.start[h], end[rl], st, zeros32(st.size), zeros32(st.size), arg[h])
    offs = offsets(G.key[h], nm)
    return SpanSet(spans, offs[:-1], offs[1:]), dm


def _m_after(tb: Rows, r: int, gto: int, gid: int) -> tuple[int, int]:
    """(state, arg) of an M after its event at row r (its last one)."""
    typ = int(tb.typ[r])
    p, g = int(tb.p[r]), int(tb.g[r])
    a0 = int(tb.a[0][r])
    a1 = int(tb.a[1][r])
    if gto == SYS:
        return SYS, gid
    if typ == S.EvProcStart:
        p = a0
    elif typ == S.EvProcStop:
        p = -1
    elif typ == S.EvProcStatus and a1 in (S.ProcRunningW, S.ProcSyscallW):
        p = a0
    if gto == RUN:
        g = gid
    elif gto != NONE8 and gid == g:
        g = -1
    if p >= 0:
        return RUN, p
    if g >= 0:
        return SYS, g
    return State.IDLE, -1
