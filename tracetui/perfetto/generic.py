"""Slices paired as trace processor pairs them, and another tool's TrackEvent file as generic
tracks: a slice track (nested spans, `reason` = the slice name) or counter track per
Perfetto track."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tracetui.errors import TraceFormatError
from tracetui.model.trace import I64, Counter, Spans, State, Trace, Track, TrackKind
from tracetui.perfetto import layout as L
from tracetui.perfetto.collect import Events, values

# ---- slices: trace processor's pairing ---------------------------------------------------------


@dataclass
class Slices:
    """Slices of all tracks: begin (event index), end (event index, -1: never ended),
    depth; grouped by track in time order."""

    track: np.ndarray
    begin: np.ndarray
    end: np.ndarray
    depth: np.ndarray


def pair(ev: Events) -> tuple[Slices, np.ndarray]:
    """Slices from BEGIN/END/INSTANT events (instants as 0-length slices, end = begin),
    and the order of all events (by track, then timestamp, then file order)."""
    track, ts, typ = ev.np("track"), ev.np("ts"), ev.np("typ")
    o = np.lexsort((np.arange(ts.size), ts, track))
    tr, ty = track[o], typ[o]
    sl = np.flatnonzero((ty == L.BEGIN) | (ty == L.END) | (ty == L.INSTANT))
    tr, ty, oi = tr[sl], ty[sl], o[sl]
    step = np.where(ty == L.BEGIN, 1, np.where(ty == L.END, -1, 0)).astype(np.int64)
    # Depth per track, floored at 0 (an END with nothing open is ignored): d = c - min(0, prefix min c).
    first = np.r_[True, tr[1:] != tr[:-1]] if tr.size else np.zeros(0, bool)
    grp = np.cumsum(first) - 1
    c = np.cumsum(step)
    base = (c - step)[first][grp] if tr.size else c
    c = c - base
    pm = _group_prefix_min(np.minimum(c, 0), grp)
    d = c - pm
    prev = np.where(first, 0, np.r_[0, d[:-1]]) if tr.size else d
    ignored = (ty == L.END) & (d == prev)
    level = np.where(ty == L.BEGIN, d - 1, np.where(ty == L.END, d, d))
    keep = ~ignored
    tr, ty, oi, level = tr[keep], ty[keep], oi[keep], level[keep]
    # A BEGIN at level k pairs with the next END at level k on its track.
    o2 = np.lexsort((np.arange(tr.size), level, tr))
    t2, y2, l2, i2 = tr[o2], ty[o2], level[o2], oi[o2]
    is_b = y2 == L.BEGIN
    nxt_end = np.r_[(y2[1:] == L.END) & (t2[1:] == t2[:-1]) & (l2[1:] == l2[:-1]), False]
    b = np.flatnonzero(is_b)
    paired = nxt_end[b]
    end = np.full(b.size, -1, np.int64)
    end[paired] = i2[b[paired] + 1]
    inst = np.flatnonzero(y2 == L.INSTANT)
    begin = np.concatenate([i2[b], i2[inst]])
    endall = np.concatenate([end, i2[inst]])
    depth = np.concatenate([l2[b], l2[inst]])
    trk = np.concatenate([t2[b], t2[inst]])
    order = np.lexsort((begin, ts[begin], trk))
    return Slices(trk[order], begin[order], endall[order], depth[order].astype(np.int64)), o


def _group_prefix_min(x: np.ndarray, grp: np.ndarray) -> np.ndarray:
    """Prefix minimum of x within each run of equal (non-decreasing) `grp`: each group is
    shifted below every earlier one, so one global accumulate does it."""
    if x.size == 0:
        return x
    span = int(x.max() - x.min()) + 1
    return np.minimum.accumulate(x - grp * span) + grp * span


# ---- other files: generic tracks ----------------------------------------------------------------


def read_generic(ev: Events, path: str | None) -> Trace:
    """Other TrackEvent files: a slice track per Perfetto track with slices, a counter
    track per counter track (names from the descriptors)."""
    if len(ev) == 0:
        raise TraceFormatError("Perfetto trace without TrackEvent events (tracetui opens TrackEvent traces only)",
                               path=path)  # fmt: skip
    ts = ev.np("ts")
    base = int(ts.min())
    rel = ts - base
    sl, _ = pair(ev)
    typ, track = ev.np("typ"), ev.np("track")
    names = np.frombuffer(ev.name_text, np.int64) if len(ev.name_text) else np.zeros(0, np.int64)
    T = int(rel.max())
    tracks: list[Track] = []
    uuids = sorted(set(np.unique(track).tolist()))

    def label(u: int) -> tuple[str, str]:
        d = ev.descs.get(u)
        name = d.name if d and d.name else f"track {u}"
        parent = ev.descs.get(d.parent) if d else None
        return name, parent.name if parent else ""

    bounds = np.searchsorted(sl.track, np.array(uuids + [np.iinfo(np.int64).max]))
    cnt_all = np.flatnonzero(typ == L.COUNTER)  # by track, time, file order
    cnt_all = cnt_all[np.lexsort((cnt_all, rel[cnt_all], track[cnt_all]))]
    cnt_bounds = np.searchsorted(track[cnt_all], np.array(uuids + [np.iinfo(np.int64).max]))
    for k, u in enumerate(uuids):
        name, group = label(u)
        cnt = cnt_all[cnt_bounds[k] : cnt_bounds[k + 1]]
        if cnt.size:
            tracks.append(Track(TrackKind.COUNTER, k, name, group, counter=Counter(rel[cnt].copy(), values(ev, cnt))))
            continue
        j = np.arange(bounds[k], bounds[k + 1])
        if not j.size:
            continue
        b, e = sl.begin[j], sl.end[j]
        end = np.where(e >= 0, rel[np.maximum(e, 0)], T)
        n = j.size
        sp = Spans(rel[b].copy(), end, np.full(n, State.REGION, np.uint8), names[b].astype(np.int32),
                   np.zeros(n, np.int32), np.full(n, -1, I64), sl.depth[j].astype(np.uint16))  # fmt: skip
        tracks.append(Track(TrackKind.REGION, k, name, group, spans=sp))
    return Trace.bare(base_time=base, duration=T, strings=ev.strings, tracks=tracks, source="perfetto",
                      events=len(ev))  # fmt: skip
