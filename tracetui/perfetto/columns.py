"""The model's compact columns rebuilt from a file of ours: the shared goroutine span columns,
a P's implicit spans, one boundary array for tiling spans, int32 args; the tasks, string and
stack tables and utilization series from the metadata; handing freed memory back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from perfetto.protos.perfetto.trace import perfetto_trace_pb2 as pb

from tracetui.gotrace.events import StackTable, StringTable
from tracetui.model.spans import NONE8, SpanSet, zeros32
from tracetui.model.trace import I64, Counter, Spans, State, Tasks
from tracetui.perfetto.decode import Fallback


def _libc_trim() -> Callable[[], None]:
    """glibc's malloc_trim(0): hands the heap's free pages back to the system (numpy's
    many mid-sized arrays come from the heap, which keeps what they free); a no-op
    elsewhere."""
    try:
        import ctypes

        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return lambda: None
    trim.argtypes = [ctypes.c_size_t]

    def run() -> None:
        trim(0)

    return run


trim = _libc_trim()
TRIM_EVERY = 32 << 20  # bytes of decoded columns freed between trims


class GoroutineSet:
    """The columns of all goroutine tracks' spans, track after track, each followed by a
    slot row (state NONE8) that starts where its last span ends, so that `end` can be
    `start` shifted by one while every track's spans end where the next starts."""

    def __init__(self, n: int, at: dict[int, slice], lo: np.ndarray, hi: np.ndarray, arg_dtype: type) -> None:
        self.at, self.lo, self.hi = at, lo, hi
        self.bounds = np.zeros(n + 1, I64)
        self.own_end: np.ndarray | None = None  # once a track is not contiguous
        self.state = np.full(n, NONE8, np.uint8)
        self.reason = np.zeros(n, np.int32)
        self.stack = np.zeros(n, np.int32)
        self.arg: np.ndarray = np.full(n, -1, arg_dtype)

    def fill(self, at: slice, start: np.ndarray, end: np.ndarray, state: np.ndarray, reason: np.ndarray,
             stack: np.ndarray | None, arg: np.ndarray) -> Spans:  # fmt: skip
        a, b = at.start, at.stop
        self.bounds[a:b] = start
        if b > a:
            self.bounds[b] = end[-1]  # the slot starts where the track's last span ends
        if self.own_end is None and not np.array_equal(end[:-1], start[1:]):
            self.own_end = self.bounds[1:].copy()
        if self.own_end is not None:
            self.own_end[a:b] = end
        self.state[a:b] = state
        self.reason[a:b] = reason
        if stack is not None:
            self.stack[a:b] = stack
        if self.arg.dtype == np.int32 and arg.size and (int(arg.min()) < -(1 << 31) or int(arg.max()) >= 1 << 31):
            raise Fallback("goroutine span argument over 32 bits")
        self.arg[a:b] = arg
        return self.spans().take(at)

    def spans(self) -> Spans:
        end = self.own_end if self.own_end is not None else self.bounds[1:]
        return Spans(self.bounds[:-1], end, self.state, self.reason, self.stack, self.arg)

    def span_set(self) -> SpanSet:
        return SpanSet(self.spans(), self.lo, self.hi)


def concat(parts: list[Spans]) -> Spans:
    if not parts:
        return Spans.empty()
    return Spans(*(np.concatenate([getattr(p, c) for p in parts]) for c in ("start", "end", "state", "reason",
                                                                        "stack", "arg")))  # fmt: skip


def with_implicit(sp: Spans, extent: list[int]) -> Spans:
    """A P track's spans: the written ones plus RUNNING with no goroutine in every gap of
    its extent that is not a hole."""
    if not extent:
        return sp
    lo, hi, holes = extent[0], extent[1], extent[2:]
    # Gaps: between consecutive written spans, and before the first / after the last.
    ga, gb = np.r_[lo, sp.end], np.r_[sp.start, hi]
    keep = gb > ga
    ga, gb = ga[keep], gb[keep]
    hs, he = np.array(holes[0::2], I64), np.array(holes[1::2], I64)
    g = np.searchsorted(ga, hs, "right") - 1
    inside = (g >= 0) & (he <= gb[np.maximum(g, 0)]) if ga.size else np.zeros(hs.size, bool)
    # Each gap minus the holes inside it: [a, hs1), [he1, hs2), ..., [hek, b), non-empty ones.
    gs = np.sort(np.concatenate([ga, he[inside]]))
    ge = np.sort(np.concatenate([hs[inside], gb]))
    ne = ge > gs
    gs, ge = gs[ne], ge[ne]
    m = gs.size
    if not m:
        return sp
    n = len(sp)
    at_w = np.arange(n) + np.searchsorted(gs, sp.start, "left")  # stable: written first at equal starts
    at_i = np.arange(m) + np.searchsorted(sp.start, gs, "right")
    cols = []
    for c, fill in (("start", gs), ("end", ge), ("state", State.RUNNING), ("reason", 0), ("stack", 0), ("arg", -1)):
        w = getattr(sp, c)
        if c in ("reason", "stack") and not w.any():
            cols.append(zeros32(n + m))
            continue
        out = np.empty(n + m + (c == "start"), w.dtype)
        out[at_w] = w
        out[at_i] = fill
        if c == "start":
            out[n + m] = 0
        if c == "end" and np.array_equal(out[:-1], cols[0][1:-1]):
            cols[0][-1] = out[-1]  # each span ends where the next starts: one array of boundaries
            out = cols[0][1:]
        cols.append(out)
        setattr(sp, c, None)  # frees the written column: the caller's spans are not used after this
    cols[0] = cols[0][:-1]
    return compact(Spans(*cols))


def compact(sp: Spans) -> Spans:
    """The same spans in the model's compact columns (as a Go trace's model has them):
    one array of boundaries when each span ends where the next starts, all-zero reason
    and stack taking no memory, int32 args when they fit."""
    n = len(sp)
    start, end = sp.start, sp.end
    if n and not np.shares_memory(start, end) and np.array_equal(end[:-1], start[1:]):
        bounds = np.empty(n + 1, I64)
        bounds[:n] = start
        bounds[n] = end[-1]
        start, end = bounds[:-1], bounds[1:]
    reason = sp.reason if sp.reason.strides == (0,) or sp.reason.any() else zeros32(n)
    stack = sp.stack if sp.stack.strides == (0,) or sp.stack.any() else zeros32(n)
    return Spans(start, end, sp.state, reason, stack, narrow(sp.arg))


def narrow(a: np.ndarray) -> np.ndarray:
    """int32 when the values fit."""
    if a.dtype != np.int32 and (not a.size or (int(a.min()) >= -(1 << 31) and int(a.max()) < 1 << 31)):
        return a.astype(np.int32)
    return a


def task_table(t: dict[str, list[int]]) -> tuple[Tasks, list[Spans]]:
    a = {k: np.array(v, I64) for k, v in t.items()}
    tasks = Tasks(
        id=a["id"], parent=a["parent"], name=a["name"].astype(np.int32), start=a["start"], end=a["end"],
        begin_g=a["begin_g"], end_g=a["end_g"], begin_stack=a["begin_stack"].astype(np.int32),
        end_stack=a["end_stack"].astype(np.int32), has_begin=a["has_begin"].astype(bool),
        has_end=a["has_end"].astype(bool), lane=a["lane"].astype(np.int32),
    )  # fmt: skip
    lanes = []
    for i in range(int(tasks.lane.max()) + 1 if len(tasks) else 0):
        sel = np.flatnonzero(tasks.lane == i)
        lanes.append(Spans(tasks.start[sel], tasks.end[sel], np.full(sel.size, State.TASK, np.uint8),
                           tasks.name[sel], tasks.begin_stack[sel], tasks.id[sel]))  # fmt: skip
    return tasks, lanes


def tables(d: pb.InternedData) -> tuple[StringTable, StackTable]:
    """The string and stack tables from the tables sequence's interned data."""
    byid = {e.iid: e.str.decode("utf-8", "surrogateescape") for e in d.debug_annotation_string_values}
    n = max(byid, default=0)
    strings = StringTable.of([""] + [byid.get(i, "") for i in range(1, n + 1)])
    frames = sorted(d.frames, key=lambda f: f.iid)
    for k, f in enumerate(frames):
        if f.iid != k + 1:
            raise ValueError("frame ids are not dense")
    cs = {c.iid: tuple(fid - 1 for fid in reversed(c.frame_ids)) for c in d.callstacks}
    st = StackTable.of(
        [(f.rel_pc, f.function_name_id, f.source_path_iid, f.line_number) for f in frames],
        [cs.get(sid, ()) for sid in range(1, max(cs, default=0) + 1)],
    )
    return strings, st


def utilization(meta: dict[str, Any], key: str) -> Counter:
    """A mutator utilization series from the metadata (empty in files written before it)."""
    ts, value = meta.get("utilization", {}).get(key, ([], []))
    ts, value = np.array(ts, I64), np.array(value, np.float64)
    if ts.ndim != 1 or ts.shape != value.shape or np.any(np.diff(ts) < 0) or not np.all((value >= 0) & (value <= 1)):
        raise ValueError(f"bad {key} utilization series")
    return Counter(ts, value)
