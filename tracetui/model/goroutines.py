"""Goroutine timelines: spans streamed into goroutine-major columns, the goroutine table
(creation, end, start function) and the flows (unblock/create -> start)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from tracetui.gotrace import spec as S
from tracetui.gotrace.events import EventTable
from tracetui.gotrace.transitions import G_REASON_ARG, G_STACK_ARG
from tracetui.model._group import Dense, Layout, Tally, chunks, compact, index_dtype, shrink
from tracetui.model.gosemantics import (
    FLOW_SRC,
    G_EVENT_STACK_ARG,
    GT,
    NEX,
    RUN,
    SYS,
    UND,
    Chunk,
    Rows,
)
from tracetui.model.spans import NONE8, SpanSet, merge_runs, tile, where_eq
from tracetui.model.trace import I64, FlowKind, Goroutines

# --- goroutines -----------------------------------------------------------------------


class FlowSources:
    """Flows found with the goroutine spans, in source row order: source row, target
    goroutine (dense index), target start time, FlowKind."""

    def __init__(self, rows: np.ndarray, key: np.ndarray, to_ts: np.ndarray, kind: np.ndarray) -> None:
        self.rows, self.key, self.to_ts, self.kind = rows, key, to_ts, kind


class GoroutinesOut:
    def __init__(self, spans: SpanSet, dense: Dense, table: Goroutines, flows: FlowSources) -> None:
        self.spans, self.dense, self.table, self.flows = spans, dense, table, flows


class GoroutineStream:
    """Goroutine spans streamed into goroutine-major columns (see `from_gotrace._stream`): per
    goroutine its transitions (X->X status repeats excluded) in row order, then `finish`
    merges and tiles them, and derives the goroutine table and the flows."""

    def __init__(self, tb: Rows, id_dtype: npt.DTypeLike, overlay: np.ndarray) -> None:
        self.tb, self.id_dtype = tb, id_dtype
        self.tally = Tally(count=0, first=tb.n)  # first: row of the first transition
        self.nsrc = 0
        # Stacks with frames of record's overlay (None: there are none, as in most traces).
        self.overlay = overlay if overlay.any() else None

    def count(self, c: Chunk) -> None:
        k = self.tally.index(c.gt.gid)[c.gt.frm != c.gt.to]
        cols = self.tally.cols
        cols["count"] += np.bincount(k, minlength=cols["count"].size)
        np.minimum.at(cols["first"], k, c.moves.row)
        self.nsrc += int(np.count_nonzero(np.take(FLOW_SRC, c.moves.typ)))

    def allocate(self, arg_dtype: npt.DTypeLike) -> None:
        tb = self.tb
        self.dg = dg = self.tally.dense
        counts, self.first = self.tally.cols["count"], self.tally.cols["first"]
        has = np.flatnonzero(counts)
        self.ffrom = np.full(len(dg), NONE8, np.uint8)
        self.ffrom[has] = tb.gtrans_at(self.first[has]).frm
        # A first transition from a real state: a span in it from the trace start (lead slot).
        self.pro = (self.ffrom != UND) & (self.ffrom != NEX) & (self.ffrom < 6)
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

    def place(self, c: Chunk) -> None:
        tb, cols, gt = self.tb, self.cols, c.moves
        pos = self.lay.place(self.dg.index(gt.gid))
        cols["start"][pos] = tb.ts(gt.row)
        cols["state"][pos] = gt.to
        cols["reason"][pos], own = _reason_stack(tb, gt.typ, gt.row, self.id_dtype)
        # A span keeps the stack of the event that began it (as Go's profiles file a sample
        # under); a goroutine is named from its first transition's own stack.
        cols["stack"][pos] = _stack_arg(tb, np.take(G_EVENT_STACK_ARG, gt.typ), gt.row, self.id_dtype)
        nz = np.flatnonzero(own)
        np.minimum.at(self.root_row, self.dg.index(gt.gid[nz]), gt.row[nz])
        cols["arg"][pos] = _goroutine_arg(tb, gt, cols["arg"].dtype)
        s = np.flatnonzero(np.take(FLOW_SRC, gt.typ))
        w = self.nsrc
        self.src_pos[w : w + s.size] = pos[s]
        self.src_row[w : w + s.size] = gt.row[s]
        self.nsrc += s.size

    def finish(self, table: EventTable) -> GoroutinesOut:
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
        cols = merge_runs(cols, ("state", "reason", "stack"))
        del self.cols
        st = cols["state"]
        dead = np.union1d(where_eq(st, NEX), where_eq(st, UND))
        return GoroutinesOut(tile(cols, dead), self.dg, gtab, flows)


def _reason_stack(tb: Rows, typ: np.ndarray, rows: np.ndarray, dtype: npt.DTypeLike) -> tuple[np.ndarray, np.ndarray]:
    """Reason string and stack of each goroutine transition (its StateTransition's)."""
    return _stack_arg(tb, G_REASON_ARG[typ], rows, dtype), _stack_arg(tb, G_STACK_ARG[typ], rows, dtype)


def _stack_arg(tb: Rows, arg: np.ndarray, rows: np.ndarray, dtype: npt.DTypeLike) -> np.ndarray:
    """The id (stack or string) in argument `arg[i]` (-1: none, 0) of each row."""
    stack = np.zeros(rows.size, dtype)
    for k in range(4):
        idx = np.flatnonzero(arg == k)
        if idx.size:
            stack[idx] = tb.a[k][rows[idx]]
    return stack


def _goroutine_arg(tb: Rows, gt: GT, dtype: npt.DTypeLike) -> np.ndarray:
    """Span arg of each transition: RUNNING -> its P, SYSCALL -> its M, made runnable by
    another goroutine -> that goroutine; else -1."""
    arg = np.full(gt.row.size, -1, dtype)
    sel = np.flatnonzero(gt.to == RUN)
    arg[sel] = tb.p[gt.row[sel]]
    sel = np.flatnonzero(gt.to == SYS)
    arg[sel] = tb.m[gt.row[sel]]
    sel = np.flatnonzero(FLOW_SRC[gt.typ])
    gg = tb.g[gt.row[sel]]
    arg[sel] = np.where(gg != gt.gid[sel], gg, -1)
    return arg


def _goroutine_table(
    tb: Rows, dg: Dense, lay: Layout, cols: dict[str, np.ndarray], first: np.ndarray, ffrom: np.ndarray
) -> Goroutines:
    """Creation (from a first transition from NotExist) and end (a last one to NotExist)."""
    ng = len(dg)
    created = np.full(ng, -1, I64)
    creator = np.full(ng, -1, I64)
    create_stack = np.zeros(ng, np.int32)
    start_stack = np.zeros(ng, np.int32)
    ended = np.full(ng, -1, I64)
    k = np.flatnonzero(ffrom == NEX)
    rows = first[k]
    created[k] = tb.ts(rows)
    creator[k] = tb.g[rows]
    ws = (tb.typ[rows] == S.EvGoCreate) | (tb.typ[rows] == S.EvGoCreateBlocked)
    create_stack[k[ws]] = tb.a[2][rows[ws]]
    start_stack[k[ws]] = tb.a[1][rows[ws]]
    k = np.flatnonzero(lay.end > lay.head)
    last = lay.end[k] - 1
    de = cols["state"][last] == NEX
    ended[k[de]] = cols["start"][last[de]]
    return Goroutines(
        id=dg.ids, track=np.zeros(ng, I64), func=np.zeros(ng, np.int32), created=created, ended=ended,
        creator=creator, create_stack=create_stack, start_stack=start_stack,
    )  # fmt: skip


def _flow_sources(tb: Rows, lay: Layout, cols: dict[str, np.ndarray], pos: np.ndarray, rows: np.ndarray) -> FlowSources:
    """Unblock/create -> the goroutine's next transition, if it starts running. `pos`
    and `rows` (consumed) are the layout positions and rows of the sources."""
    state, start = cols["state"], cols["start"]
    n = compact([pos, rows], lambda lo, hi: state[pos[lo:hi].astype(I64) + 1] == RUN)
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
    return FlowSources(rows, key, to_ts, kind)


def _root_funcs(tb: Rows, table: EventTable, root_row: np.ndarray) -> np.ndarray:
    """String id of the root frame's function of each goroutine's first transition stack
    (Go's GoroutineSummary.Name); `root_row`: that transition's row (tb.n: none)."""
    func_of = np.zeros(root_row.size, np.int32)
    k = np.flatnonzero(root_row < tb.n)
    if k.size == 0:
        return func_of
    rows = root_row[k]
    stack = _stack_arg(tb, np.take(G_STACK_ARG, tb.typ[rows]), rows, np.int64)
    usid, inv = np.unique(stack, return_inverse=True)
    st = table.stacks
    root = np.array([st.frame_func[st.stacks[s][-1]] if st.stacks[s] else 0 for s in usid.tolist()], np.int32)
    func_of[k] = root[inv.reshape(-1)]
    return func_of


def _init_goroutine_funcs(
    tb: Rows, table: EventTable, func: np.ndarray, root_row: np.ndarray, overlay: np.ndarray
) -> None:
    """A goroutine first seen in the package init of record's overlay (G1: the trace starts
    there, so its root frame is runtime.doInit1) is named `main.main`, the function it runs
    next and its name in a trace started from main (its next stacks may be a preemption's,
    whose root Go gives as runtime.asyncPreempt)."""
    k = np.flatnonzero(root_row < tb.n)
    rows = root_row[k]
    first = _stack_arg(tb, np.take(G_STACK_ARG, tb.typ[rows]), rows, np.int64)
    k = k[overlay[first]]
    strings = table.strings.strings
    k = k[[strings[f].startswith("runtime.doInit") for f in func[k].tolist()]]
    if k.size:
        func[k] = table.strings.intern("main.main")


def _first_spans(
    tb: Rows, lay: Layout, cols: dict[str, np.ndarray], first: np.ndarray, ffrom: np.ndarray, pro: np.ndarray
) -> None:
    """Goroutines first seen as Undetermined->X were in X since their generation's start
    (the preceding Sync); one first seen leaving a real state X was in X since the trace
    start (its lead slot: arg as its first transition's row gives it)."""
    k = np.flatnonzero(ffrom == UND)
    cols["start"][lay.head[k]] = tb.ts(tb.sync_before(first[k]))
    k = np.flatnonzero(pro)
    h, f, r = lay.head[k], ffrom[k], first[k]
    cols["start"][h] = 0
    cols["state"][h] = f
    cols["reason"][h] = 0
    cols["stack"][h] = 0
    cols["arg"][h] = np.where(f == RUN, tb.p[r], np.where(f == SYS, tb.m[r], -1))
