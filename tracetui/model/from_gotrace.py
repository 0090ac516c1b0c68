"""Go event table -> timeline model, vectorised (no Python work per event): `build_model`.

Each event's state transition (resource, from, to, reason, stack) follows Go's
`internal/trace/event.go` (as `tracetui.gotrace.dump` prints it), computed with lookup
tables indexed by event type (`gosemantics`). Per-resource sequences come from stable
group-by sorts (radix passes on dense ids); spans from neighbouring rows of a group.
The builders by concern: `goroutines`, `procs` (Ps and Ms), `ranges` (GC, STW, assists,
sweeps, tasks, regions), on the generic span and counter building of `spans`.

Memory: goroutine and P spans are built in two streamed passes over chunks of rows
(`_stream`: count per resource, then place each transition straight into its final
resource-major column, a counting sort), so temporaries are chunk-sized (bar a few byte
masks); runs are merged in place. A resource's spans tile its lifetime, so they keep one
time column: a span's end is the next start (`spans.tile`). Counters derivable from spans
are computed when first read (`Counter.lazy`).

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
* Ms: see `procs.thread_spans`. Goroutine counters count the goroutine spans in each
  state (as counting Go's transitions in time order would, the trace being consistent),
  thread counters the M spans.
* Ranges (GC mark phase, STW, sweeps, mark assists) pair Begin/Active/End per scope; see
  `ranges.range_spans`. Tasks and regions: see `ranges.build_tasks`, `ranges.build_regions`.
* Partial traces (`table.error` set): only the `table.valid_events` leading rows are used.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from tracetui.gotrace import spec as S
from tracetui.gotrace.events import EventTable
from tracetui.model._group import chunks, distinct
from tracetui.model.goroutines import FlowSources, GoroutineStream
from tracetui.model.gosemantics import GT, Chunk, Rows, u2i
from tracetui.model.injected import injected_goroutines, injected_stacks
from tracetui.model.kinds import CounterTrack, GCTrack, HeapTrack
from tracetui.model.procs import ProcStream, thread_spans
from tracetui.model.ranges import build_regions, build_tasks, range_spans
from tracetui.model.spans import flatten_overlaps, goroutine_counters, thread_counters
from tracetui.model.trace import (
    I64,
    Counter,
    CPUSamples,
    Flows,
    InstantKind,
    Instants,
    Spans,
    State,
    Trace,
    Track,
    TrackKind,
)
from tracetui.model.utilization import DEFAULT, WITH_SWEEP, GCWork, Transitions, mutator_utilization


def _arg_dtype(tb: Rows, gids: np.ndarray) -> npt.DTypeLike:
    """int32 for the span args of goroutine, proc and thread tracks (ids of Ps, Ms and
    goroutines) when every id of the trace fits, else int64."""
    lo, hi = -(1 << 31), (1 << 31) - 1
    cols = [c for c in (tb.m, tb.p, tb.g, gids) if c.size]
    ok = all(int(c.min()) >= lo and int(c.max()) <= hi for c in cols)
    return np.int32 if ok else np.int64


def _stream(tb: Rows, go: GoroutineStream, procs: ProcStream, util: _UtilizationStream) -> None:
    """Two passes over the rows: count per goroutine and P (and pick the transitions the
    utilization needs), then place in their columns."""
    for lo, hi in tb.chunks:
        c = Chunk(tb, lo, hi)
        go.count(c)
        procs.count(c)
        util.take(c)
    arg_dtype = _arg_dtype(tb, go.tally.dense.ids)
    go.allocate(arg_dtype)
    procs.allocate(arg_dtype)
    for lo, hi in tb.chunks:
        c = Chunk(tb, lo, hi)
        go.place(c)
        procs.place(c)


# --- the builder ----------------------------------------------------------------------


def goroutine_transitions(table: EventTable) -> Transitions:
    """Every goroutine state transition of the table, in order, as Go's
    Event.StateTransition gives them (GoState numbering)."""
    gt = Rows(table).gtrans()
    return Transitions(gt.row, gt.frm, gt.to, gt.gid)


class _UtilizationStream:
    """Collects, during the model's first pass, the goroutine transitions that can move the
    mutator utilization (see model/utilization.py), then replays them."""

    def __init__(self, tb: Rows, table: EventTable) -> None:
        self.tb, self.strings = tb, table.strings.strings
        self.work = GCWork(tb.typ, tb.g, tb.a[0], self.strings, tb.a[2])  # compiled: reads all transitions
        self.parts: list[GT] = []

    def take(self, c: Chunk) -> None:
        gt = c.gt
        keep = np.flatnonzero(self.work.relevant(gt.gid, gt.row))
        if keep.size:
            self.parts.append(GT(gt.row[keep], gt.typ[keep], gt.frm[keep], gt.to[keep], gt.gid[keep]))

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
    tb = Rows(table)
    n = tb.n
    tracks: list[Track] = []
    id_dtype = np.int32 if max(len(table.strings), len(table.stacks.stacks)) < 1 << 31 else np.int64
    overlay = injected_stacks(table.stacks, table.strings)
    gstream, pstream = GoroutineStream(tb, id_dtype, overlay), ProcStream(tb)
    ustream = _UtilizationStream(tb, table)
    _stream(tb, gstream, pstream, ustream)
    go = gstream.finish(table)
    procs, dp = pstream.finish()
    del gstream, pstream
    dg = go.dense
    ng = len(dg)
    threads, dm = thread_spans(tb, go.spans.spans.arg.dtype)

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
    go_counts = goroutine_counters(go.spans, goroutines.ended)
    tcounts = thread_counters(threads.spans, tb.T)
    del go

    # ---- GC, STW, assists, sweeps -------------------------------------------------------
    gc = range_spans(tb, S.EvGCBegin, S.EvGCActive, S.EvGCEnd, None, State.GC, True, stack_arg=1, arg_is_seq=True)
    stw = range_spans(tb, S.EvSTWBegin, -1, S.EvSTWEnd, "g", State.STW, False, reason_arg=0, stack_arg=1)
    assists = range_spans(
        tb, S.EvGCMarkAssistBegin, S.EvGCMarkAssistActive, S.EvGCMarkAssistEnd, "g", State.MARK_ASSIST, True,
        stack_arg=0,
    )  # fmt: skip
    sweeps = range_spans(tb, S.EvGCSweepBegin, S.EvGCSweepActive, S.EvGCSweepEnd, "p", State.SWEEP, True, stack_arg=0)
    tracks.append(Track(TrackKind.GC, GCTrack.MARK, "GC", "GC", spans=gc))
    tracks.append(Track(TrackKind.GC, GCTrack.STW, "STW", "GC", spans=flatten_overlaps(stw)))

    # ---- counters -----------------------------------------------------------------------
    heap_alloc = _metric(tb, S.EvHeapAlloc)
    heap_goal = _metric(tb, S.EvHeapGoal)
    gomaxprocs = _metric(tb, S.EvProcsChange)
    tracks.append(Track(TrackKind.HEAP, HeapTrack.IN_USE, "Heap in use", "Heap", counter=heap_alloc))
    tracks.append(Track(TrackKind.HEAP, HeapTrack.GOAL, "Heap goal", "Heap", counter=heap_goal))
    tracks.append(Track(TrackKind.COUNTER, CounterTrack.GOMAXPROCS, "GOMAXPROCS", "Procs", counter=gomaxprocs))
    for i, (st, c) in enumerate(go_counts.items()):
        tracks.append(
            Track(
                TrackKind.COUNTER, CounterTrack.GOROUTINES + i, f"Goroutines {st.name.lower()}", "Goroutines", counter=c
            )
        )
    for i, (st, c) in enumerate(tcounts.items()):
        label = "running" if st == State.RUNNING else "in syscall"
        tracks.append(Track(TrackKind.COUNTER, CounterTrack.THREADS + i, f"Threads {label}", "Threads", counter=c))

    # ---- tasks, regions, logs, labels, CPU samples --------------------------------------
    tasks, lanes = build_tasks(tb)
    for i, lane in enumerate(lanes):
        tracks.append(Track(TrackKind.TASK, i, "Tasks" if i == 0 else f"Tasks ({i + 1})", "Tasks", spans=lane))
    regions = build_regions(tb, dg, goroutines.ended)
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


def _flows(tb: Rows, fs: FlowSources, gbase: int, track_of_ctx: Callable[[np.ndarray], np.ndarray]) -> Flows:
    """Unblock -> the goroutine's next start; create -> its first start; by source time."""
    n = fs.rows.size
    from_ts = np.empty(n, I64)
    for lo, hi in chunks(n):
        from_ts[lo:hi] = tb.ts(fs.rows[lo:hi])
    to_track = fs.key.astype(np.int32, copy=False)
    to_track += gbase
    return Flows(from_track=track_of_ctx(fs.rows), from_ts=from_ts, to_track=to_track, to_ts=fs.to_ts, kind=fs.kind)


def _metric(tb: Rows, typ: int) -> Counter:
    rows = np.flatnonzero(tb.typ == typ)
    return Counter(tb.ts(rows), u2i(tb.a[0][rows]).copy())


def _instants(
    tb: Rows, typ: int, kind: InstantKind, track_of_ctx: Callable[[np.ndarray], np.ndarray], string_arg: int,
    stack_arg: int = -1, arg_arg: int = -1, task_arg: int = -1,
) -> Instants:  # fmt: skip
    rows = np.flatnonzero(tb.typ == typ)
    k = rows.size

    def col(i: int, dtype: npt.DTypeLike, fill: int) -> np.ndarray:
        return np.full(k, fill, dtype) if i < 0 else u2i(tb.a[i][rows]).astype(dtype)

    return Instants(
        ts=tb.ts(rows),
        kind=np.full(k, kind, np.uint8),
        string=col(string_arg, np.int32, 0),
        stack=col(stack_arg, np.int32, 0),
        track=track_of_ctx(rows),
        arg=col(arg_arg, I64, -1),
        task=col(task_arg, I64, -1),
    )


def _cpu_samples(tb: Rows) -> CPUSamples:
    rows = np.flatnonzero(tb.typ == S.EvCPUSample)
    return CPUSamples(tb.ts(rows), tb.m[rows], tb.p[rows], tb.g[rows], tb.a[0][rows].astype(np.int32))


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
    tb = Rows(table)
    n = tb.n
    typ = tb.typ
    goroutines = distinct(tb.gtrans(lo, hi).gid for lo, hi in tb.chunks)
    pids = distinct(tb.ptrans(lo, hi).pid for lo, hi in tb.chunks)
    mids = distinct(tb.m[lo:hi][tb.m[lo:hi] != -1] for lo, hi in tb.chunks)
    stw = range_spans(tb, S.EvSTWBegin, -1, S.EvSTWEnd, "g", State.STW, False)
    dur = stw.end - stw.start
    procs = u2i(tb.a[0][typ == S.EvProcsChange])
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
