"""Ranges made of Begin/Active/End events (GC mark phases, STW, mark assists, sweeps), and
user tasks and regions."""

from __future__ import annotations

import numpy as np

from tracetui.gotrace import spec as S
from tracetui.model._group import Dense, group_bounds, next_true, stable_order
from tracetui.model.gosemantics import Rows, u2i
from tracetui.model.spans import interval_lanes
from tracetui.model.trace import I64, Regions, Spans, State, Tasks

_BEGIN, _ACTIVE, _END = 0, 1, 2


def _pair_ranges(
    tb: Rows, rows: np.ndarray, key: np.ndarray, kind: np.ndarray, orphan_ends: bool
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


def range_spans(
    tb: Rows, begin: int, active: int, end: int, key: str | None, state: State, orphan_ends: bool,
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
        k = np.where(kind == _ACTIVE, u2i(tb.a[0][rows]), ctx)
    start, stop, brow, keys = _pair_ranges(tb, rows, k, kind, orphan_ends)
    has = brow >= 0
    bro = np.maximum(brow, 0)
    reason = np.zeros(start.size, np.int32)
    stack = np.zeros(start.size, np.int32)
    if reason_arg >= 0:
        reason = np.where(has, tb.a[reason_arg][bro], 0).astype(np.int32)
    if stack_arg >= 0:
        stack = np.where(has, tb.a[stack_arg][bro], 0).astype(np.int32)
    arg = np.where(has, u2i(tb.a[0][bro]), -1) if arg_is_seq else keys
    return Spans(start, stop, np.full(start.size, state, np.uint8), reason, stack, arg.astype(I64))


def build_tasks(tb: Rows) -> tuple[Tasks, list[Spans]]:
    """User tasks by id: a task without a Begin started before the trace (start 0), one
    without an End runs to the trace end."""
    typ = tb.typ
    br = np.flatnonzero(typ == S.EvUserTaskBegin)
    er = np.flatnonzero(typ == S.EvUserTaskEnd)
    bid, eid = u2i(tb.a[0][br]), u2i(tb.a[0][er])
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
        parent=np.where(hb, u2i(a[1][b0]), u2i(a[2][e0]))[o],
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


def build_regions(tb: Rows, dg: Dense, ended: np.ndarray) -> Regions:
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
        task=u2i(a[0][any_row])[o],
        name=a[1][any_row].astype(np.int32)[o],
        start=start[o],
        end=end[o],
        depth=depth_all[o].astype(np.uint16),
        stack=np.where(hb, a[2][b0], 0).astype(np.int32)[o],
        has_begin=hb[o],
        has_end=he[o],
    )
