"""Models of one process, one after another on its clock, joined into one: `concat`.

For trace windows fetched back to back from a running program (net/http/pprof's
`/debug/pprof/trace?seconds=1`, again and again). Each window is a complete trace of its
own: separate trace sessions cannot be joined byte-wise (Go's parser finds the goroutine
statuses inconsistent), but their models join: the times are the process's clock (Go 1.22+
on Linux: the monotonic clock, which `Trace.base_time` is on), and goroutine, P and M ids
are the process's own. So the join is a concatenation, time-shifted by each window's
`base_time`, with string and stack ids remapped into one pair of tables (`share_tables`)
and track indices remapped into the joined track list.

Between two windows nothing was traced: each window's spans end at its end, so a gap
follows on every row (no span), except that a goroutine alive through a gap has a span
over it (its life goes on, so the analyses see one lifetime): in the state it had on both
sides if they agree, else UNDETERMINED (drawn blank). A HOST row ("Not traced",
`mark_gaps`) shows the gaps. Merged by id: goroutine, P, M, region and fixed tracks (a goroutine
seen in several windows is one row), goroutines (created: its first window's, or that
window's start if it was created in a gap; ended: its last window's, or that window's end
if it ended in a gap), tasks (begin from the first window, end from the last). Everything
else (GC and STW ranges, counters, instants, flows, CPU samples) is the windows' in turn,
so counts and time totals are the sums of the parts, bar the goroutines' time over the
gaps (a GC cycle that crosses a gap counts in both windows, as it does in each alone).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np

from tracetui.gotrace.events import StackTable, StringTable
from tracetui.model.kinds import InstantKind, State
from tracetui.model.trace import (
    I64,
    Counter,
    CPUSamples,
    Flows,
    Goroutines,
    Instants,
    Regions,
    Spans,
    Tasks,
    Trace,
    Track,
    TrackKind,
)

GAP_SECTION = "Trace windows"  # the gap row's host section
GAP_NAME = "Not traced"
GAP_REASON = "not traced (between two trace windows)"

_T = TypeVar("_T")


# --- one pair of string and stack tables -----------------------------------------------


def share_tables(trace: Trace, strings: StringTable, stacks: StackTable) -> Trace:
    """The trace with its string and stack ids remapped into `strings` and `stacks` (which
    gain what they lack); the trace itself if it already uses them."""
    if trace.strings is strings and trace.stacks is stacks:
        return trace
    smap = np.array([strings.intern(s) for s in trace.strings.strings], np.int64)
    st = trace.stacks
    fmap = [
        stacks.frame(pc, int(smap[fn]), int(smap[fl]), line)
        for pc, fn, fl, line in zip(st.frame_pc, st.frame_func, st.frame_file, st.frame_line, strict=True)
    ]
    kmap = np.array([stacks.stack(tuple(fmap[f] for f in frames)) for frames in st.stacks], np.int64)
    remap = _Remap(smap, kmap)
    g = trace.goroutines
    goroutines = Goroutines(g.id, g.track, remap.s(g.func), g.created, g.ended, g.creator,
                            remap.k(g.create_stack), remap.k(g.start_stack))  # fmt: skip
    t = trace.tasks
    tasks = Tasks(t.id, t.parent, remap.s(t.name), t.start, t.end, t.begin_g, t.end_g, remap.k(t.begin_stack),
                  remap.k(t.end_stack), t.has_begin, t.has_end, t.lane)  # fmt: skip
    r = trace.regions
    regions = Regions(r.g, r.task, remap.s(r.name), r.start, r.end, r.depth, remap.k(r.stack), r.has_begin,
                      r.has_end)  # fmt: skip
    c = trace.cpu_samples
    tracks = [remap.track(tr) for tr in trace.tracks]
    return _replace(
        trace, strings=strings, stacks=stacks, tracks=tracks, goroutines=goroutines, tasks=tasks, regions=regions,
        gc=remap.spans(trace.gc), stw=remap.spans(trace.stw), assists=remap.spans(trace.assists),
        sweeps=remap.spans(trace.sweeps), logs=remap.instants(trace.logs), labels=remap.instants(trace.labels),
        cpu_samples=CPUSamples(c.ts, c.m, c.p, c.g, remap.k(c.stack)),
    )  # fmt: skip


class _Remap:
    """String and stack id maps applied to columns (objects seen before map to the same result)."""

    def __init__(self, smap: np.ndarray, kmap: np.ndarray) -> None:
        self.smap, self.kmap = smap, kmap
        self.memo: dict[int, object] = {}

    def s(self, ids: np.ndarray) -> np.ndarray:
        return self.smap[ids].astype(ids.dtype) if ids.size else ids

    def k(self, ids: np.ndarray) -> np.ndarray:
        return self.kmap[ids].astype(ids.dtype) if ids.size else ids

    def _once(self, obj: object, make: Callable[[], _T]) -> _T:
        out = self.memo.get(id(obj))
        if out is None:
            out = self.memo[id(obj)] = make()
        return out  # type: ignore[return-value]

    def spans(self, sp: Spans | None) -> Spans | None:
        if sp is None:
            return None
        return self._once(sp, lambda: Spans(sp.start, sp.end, sp.state, self.s(sp.reason), self.k(sp.stack), sp.arg,
                                            sp.depth))  # fmt: skip

    def track(self, tr: Track) -> Track:
        return Track(tr.kind, tr.id, tr.name, tr.group, spans=self.spans(tr.spans), counter=tr.counter,
                     instants=self.instants(tr.instants), unit=tr.unit)  # fmt: skip

    def instants(self, ins: Instants | None) -> Instants | None:
        if ins is None:
            return None

        def make() -> Instants:
            arg = ins.arg
            cat = (ins.kind == InstantKind.LOG) & (arg > 0)  # a log's category: a string id
            if cat.any():
                arg = np.where(cat, self.smap[np.where(cat, arg, 0)], arg)
            return Instants(ins.ts, ins.kind, self.s(ins.string), self.k(ins.stack), ins.track, arg, ins.task)

        return self._once(ins, make)


def _replace(trace: Trace, **kw: object) -> Trace:
    import dataclasses

    return dataclasses.replace(trace, **kw)  # type: ignore[arg-type]


# --- the join --------------------------------------------------------------------------


def concat(traces: Sequence[Trace], mark_gaps: bool = True) -> Trace:
    """The traces (windows of one process, in time order, not overlapping) as one, on the
    first's `base_time`; with `mark_gaps`, a HOST row ("Not traced") shows the time between
    windows. Tables are shared first (`share_tables`) unless the traces already share them."""
    if not traces:
        raise ValueError("concat: no traces")
    first = traces[0]
    if any(t.strings is not first.strings or t.stacks is not first.stacks for t in traces):
        strings, stacks = StringTable(), StackTable()
        traces = [share_tables(t, strings, stacks) for t in traces]
        first = traces[0]
    shifts = [t.base_time - first.base_time for t in traces]
    tracks, tmaps = _tracks(traces, shifts)
    index = {(int(t.kind), int(t.id)): i for i, t in enumerate(tracks)}

    def ids_of(kind: TrackKind) -> tuple[np.ndarray, np.ndarray]:
        rows = [(t.id, i) for i, t in enumerate(tracks) if t.kind == kind]
        return np.array([r[0] for r in rows], I64), np.array([r[1] for r in rows], I64)

    proc_ids, proc_tracks = ids_of(TrackKind.PROC)
    thread_ids, thread_tracks = ids_of(TrackKind.THREAD)
    gaps = gap_spans(traces)
    if mark_gaps and len(gaps):
        hid = 1 + max((t.id for t in tracks if t.kind == TrackKind.HOST), default=-1)
        tracks.append(Track(TrackKind.HOST, hid, GAP_NAME, GAP_SECTION, spans=_gap_row(gaps, first.strings)))
    last = traces[-1]
    out = Trace(
        version=max(t.version for t in traces),
        base_time=first.base_time,
        duration=shifts[-1] + last.duration,
        strings=first.strings,
        stacks=first.stacks,
        tracks=tracks,
        goroutines=_goroutines(traces, shifts, index),
        proc_ids=proc_ids,
        proc_tracks=proc_tracks,
        thread_ids=thread_ids,
        thread_tracks=thread_tracks,
        gc=_cat_spans([t.gc for t in traces], shifts),
        stw=_cat_spans([t.stw for t in traces], shifts),
        assists=_cat_spans([t.assists for t in traces], shifts),
        sweeps=_cat_spans([t.sweeps for t in traces], shifts),
        heap_alloc=_cat_counters([t.heap_alloc for t in traces], shifts),
        heap_goal=_cat_counters([t.heap_goal for t in traces], shifts),
        gomaxprocs=_cat_counters([t.gomaxprocs for t in traces], shifts),
        goroutine_counts=_cat_count_dict([t.goroutine_counts for t in traces], shifts),
        thread_counts=_cat_count_dict([t.thread_counts for t in traces], shifts),
        tasks=_tasks(traces, shifts),
        regions=_regions(traces, shifts),
        logs=_cat_instants([t.logs for t in traces], shifts, tmaps),
        labels=_cat_instants([t.labels for t in traces], shifts, tmaps),
        cpu_samples=_cpu(traces, shifts),
        flows=_flows(traces, shifts, tmaps),
        sync_times=np.concatenate([t.sync_times + s for t, s in zip(traces, shifts, strict=True)]),
        events=sum(t.events for t in traces),
        utilization=_cat_counters([t.utilization for t in traces], shifts),
        utilization_sweep=_cat_counters([t.utilization_sweep for t in traces], shifts),
        error=next((t.error for t in traces if t.error), None),
        source=first.source,
        go_version=next((t.go_version for t in traces if t.go_version), ""),
        injected=np.unique(np.concatenate([t.injected for t in traces])).astype(np.int64),
        host_facts=next((t.host_facts for t in traces if t.host_facts), {}),
    )
    _same_objects(out, tracks)
    return out


def gap_spans(traces: Sequence[Trace]) -> tuple[np.ndarray, np.ndarray]:
    """(start, end) of the time between consecutive windows, relative to the first's base."""
    base = traces[0].base_time if traces else 0
    ends = np.array([t.base_time - base + t.duration for t in traces[:-1]], I64)
    starts = np.array([t.base_time - base for t in traces[1:]], I64)
    keep = starts > ends
    return ends[keep], starts[keep]


def _gap_row(gaps: tuple[np.ndarray, np.ndarray], strings: StringTable) -> Spans:
    start, end = gaps
    n = start.size
    return Spans(start, end, np.full(n, State.WAITING, np.uint8), np.full(n, strings.intern(GAP_REASON), np.int32),
                 np.zeros(n, np.int32), np.full(n, -1, I64))  # fmt: skip


def _key(t: Track) -> tuple[int, int, str, str]:
    """Tracks that are one row across windows: (kind, id), and for HOST tracks their section and name."""
    if t.kind == TrackKind.HOST:
        return (int(t.kind), 0, t.group, t.name)
    return (int(t.kind), int(t.id), "", "")


def _tracks(traces: Sequence[Trace], shifts: list[int]) -> tuple[list[Track], list[np.ndarray]]:
    """The joined tracks (by kind and id, as a Go model orders them; HOST tracks last, in
    the order first seen) and each window's track index -> joined index."""
    parts: dict[tuple[int, int, str, str], list[tuple[int, Track]]] = {}
    for w, tr in enumerate(traces):
        for t in tr.tracks:
            parts.setdefault(_key(t), []).append((w, t))
    seen = list(parts)
    keys = sorted((k for k in seen if k[0] != TrackKind.HOST), key=lambda k: (k[0], k[1]))
    keys += [k for k in seen if k[0] == TrackKind.HOST]
    at = {k: i for i, k in enumerate(keys)}
    tmaps = [np.array([at[_key(t)] for t in tr.tracks], np.int32) for tr in traces]
    tracks: list[Track] = []
    for k in keys:
        ps = parts[k]
        named = next((t for _, t in ps if t.group), ps[0][1])  # a goroutine's start function, where known
        ws = [w for w, _ in ps]
        sub = [shifts[w] for w in ws]
        base = ps[0][1]
        spans = None
        if base.spans is not None:
            pieces, offs = [t.spans for _, t in ps], sub
            if base.kind == TrackKind.GOROUTINE and len(ps) > 1:
                pieces, offs = _bridged(traces, shifts, base.id, ws, pieces)
            spans = _cat_spans(pieces, offs)
        counter = _cat_counters([t.counter for _, t in ps], sub) if base.counter is not None else None
        instants = (_cat_instants([t.instants for _, t in ps], sub, [tmaps[w] for w in ws])
                    if base.instants is not None else None)  # fmt: skip
        tracks.append(Track(base.kind, base.id, named.name, named.group, spans=spans, counter=counter,
                            instants=instants, unit=base.unit))  # fmt: skip
    return tracks, tmaps


def _bridged(
    traces: Sequence[Trace], shifts: list[int], gid: int, ws: list[int], pieces: list[Spans | None]
) -> tuple[list[Spans | None], list[int]]:
    """A goroutine's spans in its windows, with a span over each gap it lived through (alive
    at one window's end, there before the next began), so that its life goes on (the
    analyses see one lifetime, not a new one after each gap): in the state it had on both
    sides if they agree (a wait that goes on through the gap is one wait), else
    UNDETERMINED (it moved on in the gap: the wait before ended there)."""
    out: list[Spans | None] = [pieces[0]]
    sub = [shifts[ws[0]]]
    for k in range(1, len(ws)):
        a, b = ws[k - 1], ws[k]
        pa, pb = pieces[k - 1], pieces[k]
        if b == a + 1 and pa is not None and pb is not None and len(pa) and len(pb):
            ga, gb = traces[a].goroutines, traces[b].goroutines
            ia, ib = ga.index(gid), gb.index(gid)
            lo, hi = shifts[a] + int(pa.end[-1]), shifts[b] + int(pb.start[0])
            if ia >= 0 and ib >= 0 and ga.ended[ia] < 0 and gb.created[ib] < 0 and hi > lo:
                same = pa.state[-1] == pb.state[0] and pa.reason[-1] == pb.reason[0]
                state = int(pb.state[0]) if same else State.UNDETERMINED
                reason = int(pb.reason[0]) if same else traces[0].strings.intern(GAP_REASON)
                out.append(Spans(np.array([lo], I64), np.array([hi], I64), np.array([state], np.uint8),
                                 np.array([reason], pb.reason.dtype), np.array([pa.stack[-1] if same else 0],
                                 pb.stack.dtype), np.array([pa.arg[-1] if same else -1], pb.arg.dtype)))  # fmt: skip
                sub.append(0)
        out.append(pb)
        sub.append(shifts[b])
    return out, sub


def _cat_spans(parts: Sequence[Spans | None], shifts: Sequence[int]) -> Spans:
    sp = [(p, s) for p, s in zip(parts, shifts, strict=True) if p is not None and len(p)]
    if not sp:
        return Spans.empty(with_depth=any(p is not None and p.depth is not None for p in parts))
    if len(sp) == 1 and sp[0][1] == 0:
        return sp[0][0]
    depth = None
    if all(p.depth is not None for p, _ in sp):
        depth = np.concatenate([p.depth for p, _ in sp])  # type: ignore[misc]
    return Spans(
        np.concatenate([p.start + s for p, s in sp]),
        np.concatenate([p.end + s for p, s in sp]),
        np.concatenate([p.state for p, _ in sp]),
        np.concatenate([p.reason for p, _ in sp]),
        np.concatenate([p.stack for p, _ in sp]),
        np.concatenate([p.arg for p, _ in sp]),
        depth,
    )


def _cat_counters(parts: Sequence[Counter | None], shifts: Sequence[int]) -> Counter:
    """The counters one after another (lazy: the parts' points are read when the join's are)."""
    cs = [(c, s) for c, s in zip(parts, shifts, strict=True) if c is not None]
    if not cs:
        return Counter.empty()

    def compute() -> Counter:
        pts = [(c.points(), s) for c, s in cs]
        return Counter(np.concatenate([ts + s for (ts, _), s in pts]), np.concatenate([v for (_, v), _ in pts]))

    return Counter.lazy(compute)


def _cat_count_dict(parts: Sequence[dict[State, Counter]], shifts: Sequence[int]) -> dict[State, Counter]:
    return {st: _cat_counters([p.get(st) for p in parts], shifts) for st in parts[0]}


def _cat_instants(parts: Sequence[Instants | None], shifts: Sequence[int], tmaps: Sequence[np.ndarray]) -> Instants:
    ps = [(p, s, m) for p, s, m in zip(parts, shifts, tmaps, strict=True) if p is not None and len(p)]
    if not ps:
        return Instants.empty()
    track = np.concatenate([np.where(p.track >= 0, m[np.maximum(p.track, 0)], -1).astype(np.int32) for p, _, m in ps])
    return Instants(
        np.concatenate([p.ts + s for p, s, _ in ps]),
        np.concatenate([p.kind for p, _, _ in ps]),
        np.concatenate([p.string for p, _, _ in ps]),
        np.concatenate([p.stack for p, _, _ in ps]),
        track,
        np.concatenate([p.arg for p, _, _ in ps]),
        np.concatenate([p.task for p, _, _ in ps]),
    )


def _goroutines(traces: Sequence[Trace], shifts: list[int], index: dict[tuple[int, int], int]) -> Goroutines:
    """One row per goroutine id: its first window's creation, its last window's end."""
    gs = [t.goroutines for t in traces]
    ids = np.concatenate([g.id for g in gs]).astype(I64)
    win = np.concatenate([np.full(len(g), w, I64) for w, g in enumerate(gs)])
    sh = np.array(shifts, I64)
    ends = np.array([s + t.duration for s, t in zip(shifts, traces, strict=True)], I64)
    created = np.concatenate([g.created for g in gs]).astype(I64)
    created = np.where(created >= 0, created + sh[win], np.where(win > 0, sh[win], -1))  # (made in a gap)
    ended = np.concatenate([g.ended for g in gs]).astype(I64)
    ended = np.where(ended >= 0, ended + sh[win], np.where(win < len(traces) - 1, ends[win], -1))  # (ended in a gap)
    uid, first = np.unique(ids, return_index=True)
    last = ids.size - 1 - np.unique(ids[::-1], return_index=True)[1]
    func = np.concatenate([g.func for g in gs])
    f = func[first]
    f = np.where(f != 0, f, func[last])
    track = np.array([index.get((int(TrackKind.GOROUTINE), int(i)), -1) for i in uid.tolist()], I64)
    creator = np.concatenate([g.creator for g in gs])
    cstack = np.concatenate([g.create_stack for g in gs])
    sstack = np.concatenate([g.start_stack for g in gs])
    return Goroutines(uid, track, f, created[first], ended[last], creator[first], cstack[first], sstack[first])


def _tasks(traces: Sequence[Trace], shifts: list[int]) -> Tasks:
    """The windows' tasks, one row per id: its first row's begin, its last row's end."""
    ts = [t.tasks for t in traces]
    sh = np.concatenate([np.full(len(t), s, I64) for t, s in zip(ts, shifts, strict=True)])

    def col(name: str) -> np.ndarray:
        return np.concatenate([getattr(t, name) for t in ts])

    ids = col("id")
    if not ids.size:
        return traces[0].tasks
    _, first = np.unique(ids, return_index=True)
    last = ids.size - 1 - np.unique(ids[::-1], return_index=True)[1]
    order = np.argsort(first, kind="stable")
    a, b = first[order], last[order]
    start, end = col("start") + sh, col("end") + sh
    return Tasks(ids[a], col("parent")[a], col("name")[a], start[a], end[b], col("begin_g")[a], col("end_g")[b],
                 col("begin_stack")[a], col("end_stack")[b], col("has_begin")[a], col("has_end")[b],
                 col("lane")[a])  # fmt: skip


def _regions(traces: Sequence[Trace], shifts: list[int]) -> Regions:
    rs = [(t.regions, s) for t, s in zip(traces, shifts, strict=True) if len(t.regions)]
    if not rs:
        return traces[0].regions

    def col(name: str, shift: bool = False) -> np.ndarray:
        return np.concatenate([getattr(r, name) + (s if shift else 0) for r, s in rs])

    g, start, depth = col("g"), col("start", True), col("depth")
    o = np.lexsort((depth, start, g))
    return Regions(g[o], col("task")[o], col("name")[o], start[o], col("end", True)[o], depth[o], col("stack")[o],
                   col("has_begin")[o], col("has_end")[o])  # fmt: skip


def _cpu(traces: Sequence[Trace], shifts: list[int]) -> CPUSamples:
    cs = [(t.cpu_samples, s) for t, s in zip(traces, shifts, strict=True) if len(t.cpu_samples)]
    if not cs:
        return CPUSamples.empty()
    return CPUSamples(*(np.concatenate([getattr(c, f) + (s if f == "ts" else 0) for c, s in cs])
                        for f in ("ts", "m", "p", "g", "stack")))  # fmt: skip


def _flows(traces: Sequence[Trace], shifts: list[int], tmaps: list[np.ndarray]) -> Flows:
    fs = [(t.flows, s, m) for t, s, m in zip(traces, shifts, tmaps, strict=True) if len(t.flows)]
    if not fs:
        return Flows.empty()

    def track(col: np.ndarray, m: np.ndarray) -> np.ndarray:
        return np.where(col >= 0, m[np.maximum(col, 0)], -1).astype(np.int32)

    return Flows(
        np.concatenate([track(f.from_track, m) for f, _, m in fs]),
        np.concatenate([f.from_ts + s for f, s, _ in fs]),
        np.concatenate([track(f.to_track, m) for f, _, m in fs]),
        np.concatenate([f.to_ts + s for f, s, _ in fs]),
        np.concatenate([f.kind for f, _, _ in fs]),
    )


def _same_objects(out: Trace, tracks: list[Track]) -> None:
    """The fixed tracks show the trace's own GC ranges and counters (one object each, as a
    built model has)."""
    from tracetui.model.kinds import CounterTrack, GCTrack, HeapTrack, counted_by

    for t in tracks:
        if t.kind == TrackKind.GC and t.id == GCTrack.MARK:
            t.spans = out.gc
        elif t.kind == TrackKind.HEAP:
            t.counter = out.heap_alloc if t.id == HeapTrack.IN_USE else out.heap_goal
        elif t.kind == TrackKind.COUNTER and t.id == CounterTrack.GOMAXPROCS:
            t.counter = out.gomaxprocs
        elif t.kind == TrackKind.COUNTER and (c := counted_by(t.id)) is not None:
            counts = out.goroutine_counts if c[0] == TrackKind.GOROUTINE else out.thread_counts
            if c[1] in counts:
                t.counter = counts[c[1]]
