"""The model of one trace as SQL tables: per table, columns of numpy arrays (no Python object
per event; string columns are object arrays of references into the model's string table).

`SCHEMA` names every table's columns and their DuckDB types, in order; `tables(trace, ...)`
gives each table as parts of columns (without `trace`, the file's name, which the writer adds).
Times are int64 ns from the trace's start. Block events and their delays are the block
profiles' (analysis/blocking.py), so sums equal `tracetui pprof` and `go tool trace -pprof`;
goroutines' times are Go's goroutine summary (analysis/goroutines.py). These and `states`
leave out the goroutines of the code `tracetui record` injects, as the summary does.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator

import numpy as np

from tracetui.analysis.blocking import PROFILES, ProfileKind, samples
from tracetui.analysis.goroutines import goroutine_stats
from tracetui.analysis.gspans import batches
from tracetui.model.kinds import State, TrackKind
from tracetui.model.trace import Spans, Trace

SCHEMA_VERSION = 1  # bump when a table or column changes (kept in the Parquet files and schema.json)

Columns = dict[str, np.ndarray | str]  # a str: that value on every row

# table -> [(column, DuckDB type, description)]; every table also begins with `trace VARCHAR`.
SCHEMA: dict[str, list[tuple[str, str, str]]] = {
    "traces": [
        ("path", "VARCHAR", "the file as given"),
        ("source", "VARCHAR", "gotrace, godebug or perfetto"),
        ("go_version", "VARCHAR", "e.g. 1.27.3, or the trace format's 1.25 (as summary --json)"),
        ("wire_version", "INTEGER", "the Go trace format version (0: not a Go trace)"),
        (
            "start_time",
            "TIMESTAMP WITH TIME ZONE",
            "wall clock at time 0 (a Go 1.25+ trace's clock snapshot; NULL for older ones and Perfetto files)",
        ),
        ("start_unix_ns", "BIGINT", "the same, exact: ns since 1970"),
        ("base_time_ns", "BIGINT", "the trace clock at time 0"),
        ("file_mtime", "TIMESTAMP WITH TIME ZONE", "the file's modification time (wall clock, about its end)"),
        ("duration_ns", "BIGINT", "the last event's time"),
        ("events", "BIGINT", "events the model was built from"),
        ("goroutines", "BIGINT", "goroutines seen"),
        ("procs", "BIGINT", "Ps seen"),
        ("threads", "BIGINT", "Ms seen"),
        ("partial", "VARCHAR", "why the trace was cut short (NULL: whole)"),
    ],
    "goroutines": [
        ("g", "BIGINT", "goroutine id"),
        ("func", "VARCHAR", "start function"),
        ("group_name", "VARCHAR", "the group it is shown in (start function)"),
        ("created_ns", "BIGINT", "creation (or first seen)"),
        ("ended_ns", "BIGINT", "exit (-1: alive at the end)"),
        ("creator", "BIGINT", "creating goroutine (-1: none/unknown)"),
        ("create_stack", "INTEGER", "creator's stack at GoCreate"),
        ("start_stack", "INTEGER", "its start stack"),
        ("total_ns", "BIGINT", "creation to exit or trace end"),
        ("exec_ns", "BIGINT", "running"),
        ("sched_wait_ns", "BIGINT", "runnable"),
        ("syscall_ns", "BIGINT", "syscall execution"),
        ("syscall_block_ns", "BIGINT", "syscall after its P was taken"),
        ("blocked_ns", "BIGINT", "blocked, all reasons (by reason: goroutine_blocked)"),
        ("unknown_ns", "BIGINT", "the rest"),
    ],
    "goroutine_blocked": [
        ("g", "BIGINT", "goroutine id"),
        ("reason", "VARCHAR", "block reason"),
        ("blocked_ns", "BIGINT", "time blocked for it"),
    ],
    "states": [
        ("g", "BIGINT", "goroutine id"),
        ("start_ns", "BIGINT", ""),
        ("end_ns", "BIGINT", ""),
        ("state", "VARCHAR", "running, runnable, waiting, syscall"),
        ("reason", "VARCHAR", "why (block reason, ...)"),
        ("stack", "INTEGER", "stack of the event that began it (0: none)"),
        ("arg", "BIGINT", "running: P; syscall: M; runnable: the goroutine that made it so (-1: none)"),
    ],
    "procs": [
        ("p", "BIGINT", "P id"),
        ("start_ns", "BIGINT", ""),
        ("end_ns", "BIGINT", ""),
        ("state", "VARCHAR", "running, syscall, idle"),
        ("g", "BIGINT", "the goroutine on it (-1: none)"),
    ],
    "threads": [
        ("m", "BIGINT", "M id"),
        ("start_ns", "BIGINT", ""),
        ("end_ns", "BIGINT", ""),
        ("state", "VARCHAR", "running (holding a P), syscall, idle"),
        ("arg", "BIGINT", "running: the P; syscall: the goroutine"),
    ],
    "gc": [
        ("seq", "BIGINT", "GC cycle number"),
        ("start_ns", "BIGINT", "mark phase start"),
        ("end_ns", "BIGINT", ""),
        ("dur_ns", "BIGINT", ""),
    ],
    "stw": [
        ("start_ns", "BIGINT", ""),
        ("end_ns", "BIGINT", ""),
        ("dur_ns", "BIGINT", ""),
        ("kind", "VARCHAR", "e.g. GC mark termination"),
        ("g", "BIGINT", "the goroutine that stopped the world"),
        ("stack", "INTEGER", "its stack"),
    ],
    "blocking": [
        ("g", "BIGINT", "goroutine id"),
        ("start_ns", "BIGINT", ""),
        ("delay_ns", "BIGINT", "time counted (as go tool trace -pprof counts it)"),
        ("state", "VARCHAR", "waiting, syscall or runnable"),
        ("reason", "VARCHAR", "block reason"),
        ("profile", "VARCHAR", "the pprof profile it counts in: net, sync, syscall, sched (NULL: none)"),
        ("stack", "INTEGER", "stack of the event that began it"),
    ],
    "stacks": [
        ("stack", "INTEGER", "stack id"),
        ("pos", "INTEGER", "0: innermost frame"),
        ("frame", "INTEGER", "frame id"),
        ("func", "VARCHAR", ""),
        ("file", "VARCHAR", ""),
        ("line", "BIGINT", ""),
    ],
    "frames": [
        ("frame", "INTEGER", "frame id"),
        ("pc", "UBIGINT", ""),
        ("func", "VARCHAR", ""),
        ("file", "VARCHAR", ""),
        ("line", "BIGINT", ""),
    ],
    "tasks": [
        ("id", "BIGINT", "task id"),
        ("parent", "BIGINT", "-1: none"),
        ("name", "VARCHAR", ""),
        ("start_ns", "BIGINT", ""),
        ("end_ns", "BIGINT", ""),
        ("begin_g", "BIGINT", ""),
        ("end_g", "BIGINT", ""),
        ("begin_stack", "INTEGER", ""),
        ("end_stack", "INTEGER", ""),
        ("has_begin", "BOOLEAN", "false: began before the trace"),
        ("has_end", "BOOLEAN", "false: never ended"),
    ],
    "regions": [
        ("g", "BIGINT", "goroutine id"),
        ("task", "BIGINT", "task id"),
        ("name", "VARCHAR", ""),
        ("start_ns", "BIGINT", ""),
        ("end_ns", "BIGINT", ""),
        ("depth", "INTEGER", "nesting level on the goroutine"),
        ("stack", "INTEGER", ""),
        ("has_begin", "BOOLEAN", ""),
        ("has_end", "BOOLEAN", ""),
    ],
    "logs": [
        ("ts_ns", "BIGINT", ""),
        ("g", "BIGINT", "-1: unknown"),
        ("category", "VARCHAR", ""),
        ("message", "VARCHAR", ""),
        ("task", "BIGINT", ""),
        ("stack", "INTEGER", ""),
    ],
    "cpu_samples": [
        ("ts_ns", "BIGINT", ""),
        ("m", "BIGINT", "-1: none"),
        ("p", "BIGINT", "-1: none"),
        ("g", "BIGINT", "-1: none"),
        ("stack", "INTEGER", ""),
    ],
    "metrics": [
        ("name", "VARCHAR", "Heap in use, Heap goal, GOMAXPROCS, goroutine and thread counts, ..."),
        ("ts_ns", "BIGINT", "the value holds from here to the next point"),
        ("value", "DOUBLE", ""),
    ],
    "host": [
        ("section", "VARCHAR", "Host (system), or the program (pid)"),
        ("name", "VARCHAR", "the row, e.g. Page cache, Minor faults, CPU0"),
        ("unit", "VARCHAR", "bytes, /s, count, MHz, cores, ..."),
        ("ts_ns", "BIGINT", ""),
        ("value", "DOUBLE", ""),
    ],
}

I64 = np.int64
STATE_NAMES = np.array([s.name.lower() for s in sorted(set(State), key=int)], dtype=object)


def _strings(trace: Trace) -> np.ndarray:
    return np.asarray(trace.strings.strings, dtype=object)


def _i64(n: int, fill: int = 0) -> np.ndarray:
    return np.full(n, fill, I64)


def _spans(parts: Iterable[tuple[int, Spans]]) -> tuple[np.ndarray, Spans]:
    """The owner id per span and the spans of several tracks, one after the other."""
    items = [(ident, sp.flat) for ident, sp in parts if sp is not None and len(sp)]
    if not items:
        return np.zeros(0, I64), Spans.empty()
    owner = np.repeat(np.array([i for i, _ in items], I64), [len(sp) for _, sp in items])
    cols = {
        n: np.concatenate([getattr(sp, n) for _, sp in items])
        for n in ("start", "end", "state", "reason", "stack", "arg")
    }
    return owner, Spans(**cols)


def traces_row(trace: Trace, path: str, mtime_s: float, wall_start: int | None) -> Columns:
    one = lambda v, dt=I64: np.array([v], dt)
    return {
        "path": one(path, object),
        "source": one(trace.source, object),
        "go_version": one(
            trace.go_version.removeprefix("go") or (f"1.{trace.version}" if trace.version else None), object
        ),
        "wire_version": one(trace.version, np.int32),
        "start_time": one(wall_start, object),  # Unix ns (the engine converts)
        "start_unix_ns": one(wall_start, object),
        "base_time_ns": one(trace.base_time),
        "file_mtime": one(mtime_s, np.float64),  # the engine converts (to_timestamp)
        "duration_ns": one(trace.duration),
        "events": one(trace.events),
        "goroutines": one(len(trace.goroutines)),
        "procs": one(len(trace.proc_ids)),
        "threads": one(len(trace.thread_ids)),
        "partial": one(trace.error.split("\n")[0] if trace.error else None, object),
    }


def goroutines(trace: Trace) -> tuple[Columns, Columns]:
    """The goroutines table and goroutine_blocked (long form: one row per goroutine and reason)."""
    st = goroutine_stats(trace)
    g = trace.goroutines
    rows = np.searchsorted(g.id, st.id)
    s = _strings(trace)
    blocked = _i64(len(st))
    gs, reasons, ns = [], [], []
    for reason, v in st.block.items():
        blocked += v
        k = np.flatnonzero(v)
        gs.append(st.id[k])
        reasons.append(np.full(k.size, reason, dtype=object))
        ns.append(v[k])
    cols: Columns = {
        "g": st.id,
        "func": s[g.func[rows]],
        "group_name": np.asarray(st.name, dtype=object),
        "created_ns": st.creation,
        "ended_ns": st.end,
        "creator": g.creator[rows],
        "create_stack": g.create_stack[rows],
        "start_stack": g.start_stack[rows],
        "total_ns": st.total,
        "exec_ns": st.execution,
        "sched_wait_ns": st.sched_wait,
        "syscall_ns": st.syscall,
        "syscall_block_ns": st.syscall_block,
        "blocked_ns": blocked,
        "unknown_ns": st.unknown,
    }
    long: Columns = {
        "g": np.concatenate(gs) if gs else _i64(0),
        "reason": np.concatenate(reasons) if reasons else np.zeros(0, object),
        "blocked_ns": np.concatenate(ns) if ns else _i64(0),
    }
    return cols, long


def states(trace: Trace) -> Iterator[Columns]:
    """The goroutines' state intervals (bar record's injected ones), a batch of goroutines at a time."""
    g, s = trace.goroutines, _strings(trace)
    for b in batches(trace, np.flatnonzero(~np.isin(g.id, trace.injected))):
        sp = b.spans
        yield {
            "g": g.id[b.rows][b.owner].astype(I64),
            "start_ns": sp.start,
            "end_ns": sp.end,
            "state": STATE_NAMES[sp.state],
            "reason": s[sp.reason],
            "stack": sp.stack,
            "arg": sp.arg.astype(I64),
        }


def _machine(trace: Trace, ids: np.ndarray, track_rows: np.ndarray) -> tuple[np.ndarray, Spans]:
    return _spans((int(i), trace.tracks[int(k)].spans) for i, k in zip(ids.tolist(), track_rows.tolist()))  # type: ignore[misc]


def procs(trace: Trace) -> Columns:
    owner, sp = _machine(trace, trace.proc_ids, trace.proc_tracks)
    return {"p": owner, "start_ns": sp.start, "end_ns": sp.end, "state": STATE_NAMES[sp.state], "g": sp.arg.astype(I64)}


def threads(trace: Trace) -> Columns:
    owner, sp = _machine(trace, trace.thread_ids, trace.thread_tracks)
    return {
        "m": owner,
        "start_ns": sp.start,
        "end_ns": sp.end,
        "state": STATE_NAMES[sp.state],
        "arg": sp.arg.astype(I64),
    }


def blocking(trace: Trace) -> Iterator[Columns]:
    """Every closed run a block profile counts from (waiting for any reason, syscall,
    runnable), with the profile it counts in."""
    s = _strings(trace)
    every = {
        State.WAITING: ProfileKind("sql:waiting", State.WAITING, lambda r: True, "blocked, any reason"),
        State.SYSCALL: PROFILES["syscall"],
        State.RUNNABLE: PROFILES["sched"],
    }
    for state, kind in every.items():
        sm = samples(trace, kind)
        profile = np.full(len(sm), None, dtype=object)
        if state == State.WAITING:
            for name in ("net", "sync"):
                wants = np.array([PROFILES[name].wants(x) for x in trace.strings.strings], bool)
                profile[wants[sm.reason]] = name
        else:
            profile[:] = kind.name
        yield {
            "g": sm.goroutine.astype(I64),
            "start_ns": sm.start.astype(I64),
            "delay_ns": sm.delay.astype(I64),
            "state": STATE_NAMES[int(state)],
            "reason": s[sm.reason],
            "profile": profile,
            "stack": sm.stack.astype(np.int32),
        }


def stacks(trace: Trace) -> tuple[Columns, Columns]:
    st, s = trace.stacks, _strings(trace)
    func, file = np.array(st.frame_func, I64), np.array(st.frame_file, I64)
    line, pc = np.array(st.frame_line, I64), np.array(st.frame_pc, np.uint64)
    frames: Columns = {
        "frame": np.arange(len(pc), dtype=np.int32),
        "pc": pc,
        "func": s[func],
        "file": s[file],
        "line": line,
    }
    sizes = np.fromiter((len(x) for x in st.stacks), I64, len(st.stacks))
    fid = np.fromiter((f for x in st.stacks for f in x), I64, int(sizes.sum()))
    sid = np.repeat(np.arange(len(sizes), dtype=np.int32), sizes)
    starts = np.repeat(np.cumsum(sizes) - sizes, sizes)
    pos = (np.arange(fid.size) - starts).astype(np.int32)
    f = fid.astype(np.int32)
    rows: Columns = {"stack": sid, "pos": pos, "frame": f, "func": s[func[f]], "file": s[file[f]], "line": line[f]}
    return rows, frames


def _track_ids(trace: Trace, track: np.ndarray) -> np.ndarray:
    """The goroutine id of each track index (-1: none or not a goroutine track)."""
    ids = np.array([t.id if t.kind == TrackKind.GOROUTINE else -1 for t in trace.tracks] + [-1], I64)
    return ids[np.where(track >= 0, track, len(trace.tracks))]


def misc(trace: Trace) -> dict[str, Columns]:
    s = _strings(trace)
    t, r, lg, c = trace.tasks, trace.regions, trace.logs, trace.cpu_samples
    return {
        "gc": {"seq": trace.gc.arg.astype(I64), "start_ns": trace.gc.start, "end_ns": trace.gc.end,
               "dur_ns": trace.gc.end - trace.gc.start},
        "stw": {"start_ns": trace.stw.start, "end_ns": trace.stw.end, "dur_ns": trace.stw.end - trace.stw.start,
                "kind": s[trace.stw.reason], "g": trace.stw.arg.astype(I64), "stack": trace.stw.stack},
        "tasks": {"id": t.id, "parent": t.parent, "name": s[t.name], "start_ns": t.start, "end_ns": t.end,
                  "begin_g": t.begin_g, "end_g": t.end_g, "begin_stack": t.begin_stack, "end_stack": t.end_stack,
                  "has_begin": t.has_begin, "has_end": t.has_end},
        "regions": {"g": r.g, "task": r.task, "name": s[r.name], "start_ns": r.start, "end_ns": r.end,
                    "depth": r.depth, "stack": r.stack, "has_begin": r.has_begin, "has_end": r.has_end},
        "logs": {"ts_ns": lg.ts, "g": _track_ids(trace, lg.track), "category": s[lg.arg.astype(I64)],
                 "message": s[lg.string], "task": lg.task, "stack": lg.stack},
        "cpu_samples": {"ts_ns": c.ts, "m": c.m, "p": c.p, "g": c.g, "stack": c.stack},
    }  # fmt: skip


def counters(trace: Trace, kinds: tuple[TrackKind, ...], host: bool) -> Iterator[Columns]:
    """A counter track at a time: its name (and for host rows section and unit) and points.
    Lazy counters (goroutines and threads per state) are computed one at a time, not kept."""
    for t in trace.tracks:
        if t.kind not in kinds or t.counter is None:
            continue
        ts, v = t.counter.points()
        if not len(ts):
            continue
        cols: Columns = {"section": t.group, "name": t.name, "unit": t.unit} if host else {"name": t.name}
        cols["ts_ns"] = np.asarray(ts, I64)
        cols["value"] = np.asarray(v, np.float64)
        yield cols


def tables(
    trace: Trace, path: str, mtime_s: float, wall_start: int | None = None
) -> Iterator[tuple[str, Iterator[Columns]]]:
    """Every table of SCHEMA for one trace, in SCHEMA's order, each as parts (columns in
    SCHEMA's order, `trace` left out) built only when asked, so that one table at a time
    is held in memory."""
    builders: dict[str, Callable[[], Iterator[Columns]]] = {
        "traces": lambda: iter([traces_row(trace, path, mtime_s, wall_start)]),
        "goroutines": lambda: iter([goroutines(trace)[0]]),
        "goroutine_blocked": lambda: iter([goroutines(trace)[1]]),
        "states": lambda: states(trace),
        "procs": lambda: iter([procs(trace)]),
        "threads": lambda: iter([threads(trace)]),
        "blocking": lambda: blocking(trace),
        "stacks": lambda: iter([stacks(trace)[0]]),
        "frames": lambda: iter([stacks(trace)[1]]),
        **{name: functools.partial(iter, [cols]) for name, cols in misc(trace).items()},
        "metrics": lambda: counters(trace, (TrackKind.HEAP, TrackKind.COUNTER), False),
        "host": lambda: counters(trace, (TrackKind.HOST,), True),
    }
    assert set(builders) == set(SCHEMA)
    for name in SCHEMA:
        yield name, builders[name]()
