"""Generic span and counter building: the public API every reader of the model uses.

* `SpanSet`: the spans of many tracks in one set of columns (track k is [lo[k], hi[k])).
* Group-major columns (each group's elements, then an end slot whose state is `NONE8`)
  reduced to runs (`merge_runs`) and tiled into spans, each ending where the next starts
  (`tile`); `runs` and `offsets` for grouped rows; `zeros32`, a column of zeros that takes
  no memory (reason and stack of P and M spans).
* Counters: `step_counter` (cumulative deltas), `overlap_counter` (open intervals),
  `goroutine_counters`, `thread_counters` (spans per state, computed when first read).
* `flatten_overlaps` (ranges of several goroutines on one track), `interval_lanes`
  (overlapping intervals on the fewest lanes).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable

import numpy as np

from tracetui.model._group import chunks, compact, shrink
from tracetui.model.kinds import GOROUTINE_STATES, THREAD_STATES
from tracetui.model.trace import I64, Counter, Spans, State

NONE8 = 255  # no state: the end slot of a group (and no transition in Go's tables)


_Sel = np.ndarray | slice


def runs(first: np.ndarray, live: np.ndarray, *cols: np.ndarray) -> tuple[_Sel, _Sel]:
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


def zeros32(n: int) -> np.ndarray:
    """A read-only int32 column of n zeros that takes no memory (for reason/stack of
    P and M spans)."""
    return np.broadcast_to(np.zeros(1, np.int32), (n,))


def offsets(key: np.ndarray, nkeys: int) -> np.ndarray:
    counts = np.bincount(key, minlength=nkeys) if key.size else np.zeros(nkeys, I64)
    offs = np.zeros(nkeys + 1, I64)
    np.cumsum(counts, out=offs[1:])
    return offs


def step_counter(ts: np.ndarray, delta: np.ndarray, initial: int = 0) -> Counter:
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


def overlap_counter(start: np.ndarray, end: np.ndarray, T: int) -> Counter:
    """How many of the intervals [start, end) are open over time (ends at T not shown)."""
    keep_end = end < T
    ts = np.concatenate([start, end[keep_end]])
    d = np.concatenate([np.ones(start.size, np.int8), np.full(int(keep_end.sum()), -1, np.int8)])
    o = np.argsort(ts, kind="stable")
    return step_counter(ts[o], d[o])


# --- span sets: many tracks' spans in shared columns ---------------------------------


class SpanSet:
    """Spans of many tracks in one set of columns: track k is [lo[k], hi[k]) of `spans`."""

    def __init__(self, spans: Spans, lo: np.ndarray, hi: np.ndarray) -> None:
        self.spans, self.lo, self.hi = spans, lo, hi

    def track(self, k: int) -> Spans:
        return self.spans.take(slice(int(self.lo[k]), int(self.hi[k])))


def where_eq(col: np.ndarray, value: int) -> np.ndarray:
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


def merge_runs(cols: dict[str, np.ndarray], by: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Group-major columns (a `Layout`, slots with state NONE8) reduced in place to the
    first element of each run of equal `by` columns (by[0] is "state") and the slots."""
    names = list(cols)
    n = compact([cols[k] for k in names], _run_heads(*(cols[k] for k in by)))
    return {k: shrink(cols[k], n) for k in names}


def tile(cols: dict[str, np.ndarray], dead: np.ndarray) -> SpanSet:
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


def _shared_ends(cols: dict[str, np.ndarray]) -> SpanSet:
    """Each span ends where the next element starts: `end` is `start` shifted by one."""
    slots = where_eq(cols["state"], NONE8)
    m = max(cols["start"].shape[0] - 1, 0)
    cols = {"end": cols["start"][1:], **{k: v[:m] for k, v in cols.items()}}
    return _span_set(cols, np.concatenate([[0], slots[:-1] + 1])[: slots.size].astype(I64), slots)


def _own_ends(cols: dict[str, np.ndarray], dead: np.ndarray) -> SpanSet:
    """Spans with a column of ends (dead elements left gaps): slots and dead elements go."""
    slots = where_eq(cols["state"], NONE8)
    counts = np.diff(np.r_[-1, slots]) - 1 - np.diff(np.r_[0, np.searchsorted(dead, slots)])
    end = np.empty_like(cols["start"])
    end[:-1] = cols["start"][1:]
    cols = _drop({"end": end, **cols}, np.union1d(dead, slots))
    hi = np.cumsum(counts)
    return _span_set(cols, hi - counts, hi)


def _span_set(cols: dict[str, np.ndarray], lo: np.ndarray, hi: np.ndarray) -> SpanSet:
    """A read-only SpanSet of the columns (reason and stack default to zeros)."""
    for v in cols.values():
        v.flags.writeable = False
    z = zeros32(cols["start"].shape[0])
    spans = Spans(cols["start"], cols["end"], cols["state"], cols.get("reason", z), cols.get("stack", z), cols["arg"])
    return SpanSet(spans, lo, hi)


def goroutine_counters(gs: SpanSet, ended: np.ndarray) -> dict[State, Counter]:
    """Goroutines running, runnable, waiting, in syscall over time: computed from their
    spans when first read."""
    sp = gs.spans
    # A goroutine's last span counts until it ends, or (still alive) past the trace end.
    open_end = np.zeros(len(sp), bool)
    k = np.flatnonzero((gs.hi > gs.lo) & (ended < 0))
    open_end[gs.hi[k] - 1] = True

    def counter(st: State) -> Callable[[], Counter]:
        return lambda: state_counter(sp, open_end, st)

    return {st: Counter.lazy(counter(st)) for st in GOROUTINE_STATES}


def state_counter(sp: Spans, open_end: np.ndarray, st: State) -> Counter:
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
    # Runs of sorted times (goroutine by goroutine): timsort merges them, 1.7x faster than quicksort.
    key.sort(kind="stable")
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


def thread_counters(sp: Spans, T: int) -> dict[State, Counter]:
    """Threads running (holding a P) and in a syscall over time, computed when first read."""

    def counter(st: State) -> Callable[[], Counter]:
        def compute() -> Counter:
            if len(sp) == 0:
                return Counter.empty(np.int32)
            s = sp.state == st
            return overlap_counter(sp.start[s], sp.end[s], T)

        return compute

    return {st: Counter.lazy(counter(st)) for st in THREAD_STATES}


def flatten_overlaps(sp: Spans) -> Spans:
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


def interval_lanes(start: np.ndarray, end: np.ndarray, dtype: type = np.int64) -> np.ndarray:
    """Greedy interval partitioning in order: the lowest free lane of each interval. With
    intervals sorted by start, merging the lanes by (start, lane) restores their order."""
    lane: np.ndarray = np.zeros(start.size, dtype)
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
