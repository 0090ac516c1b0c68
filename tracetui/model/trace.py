"""The timeline model: tracks of spans, counters and instants, plus flows, as numpy columns.

Everything is columnar: one numpy array per field, never a Python object per event.
Times are int64 nanoseconds from the trace start (`Trace.base_time` is the absolute time
of 0). String ids index `Trace.strings` (0 = ""), stack ids index `Trace.stacks` (0 = no
stack); both tables are the reader's, shared by reference.

Spans on a track are sorted by start and do not overlap, except on tracks with a `depth`
column (user regions nest; depth 0 is the outermost level, which never overlaps). For
rendering at any zoom, a `Spans` keeps per-state prefix sums of time (built lazily, one
array per state asked for): "how much of [t0, t1) was in state X" is two binary searches.

Memory: the spans of all goroutine (and of all P, and all M) tracks are read-only views
into one set of columns, where a track's `end` is usually its `start` shifted by one (its
spans tile its lifetime). Their `arg` is int32 (int64 if a trace's ids do not fit), as
are string and stack ids. Counters derivable from spans (goroutines and threads per state)
are computed on first use.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tracetui.gotrace.events import StackTable, StringTable
from tracetui.model.kinds import N_STATES, FlowKind, InstantKind, State, TrackKind

__all__ = [
    "I64", "N_STATES", "CPUSamples", "Counter", "FlowKind", "Flows", "Goroutines", "InstantKind", "Instants",
    "Regions", "Spans", "State", "Tasks", "Trace", "Track", "TrackKind",
]  # fmt: skip

I64 = np.int64


@dataclass(eq=False)
class Spans:
    """Parallel arrays: [start, end) in `state`, with `reason` (string id), `stack`
    (stack id: the stack of the event that began the span, Go's Event.Stack(); for a
    goroutine made runnable, the unblocker's or creator's) and `arg` (meaning per track
    kind; -1 = none), sorted by start.

    Without `depth` the spans do not overlap (so `end` is sorted too). With `depth`
    (uint16 nesting level), prefix-sum queries use the depth-0 level.
    """

    start: np.ndarray
    end: np.ndarray
    state: np.ndarray
    reason: np.ndarray
    stack: np.ndarray
    arg: np.ndarray
    depth: np.ndarray | None = None
    _cum: dict[int, np.ndarray] = field(default_factory=dict, init=False, repr=False)
    _flat: Spans | None = field(default=None, init=False, repr=False)
    _present: frozenset[int] | None = field(default=None, init=False, repr=False)

    @classmethod
    def empty(cls, with_depth: bool = False) -> Spans:
        z = np.zeros(0, I64)
        return cls(
            z,
            z.copy(),
            np.zeros(0, np.uint8),
            np.zeros(0, np.int32),
            np.zeros(0, np.int32),
            z.copy(),
            np.zeros(0, np.uint16) if with_depth else None,
        )

    def __len__(self) -> int:
        return int(self.start.shape[0])

    @property
    def duration(self) -> np.ndarray:
        return self.end - self.start

    def take(self, idx: np.ndarray | slice) -> Spans:
        """A subset (a view for slices), in the given order."""
        return Spans(
            self.start[idx],
            self.end[idx],
            self.state[idx],
            self.reason[idx],
            self.stack[idx],
            self.arg[idx],
            None if self.depth is None else self.depth[idx],
        )

    @property
    def flat(self) -> Spans:
        """The non-overlapping level: self, or the depth-0 spans of a nested track."""
        if self.depth is None:
            return self
        if self._flat is None:
            self._flat = self.take(np.flatnonzero(self.depth == 0))
            self._flat.depth = None
        return self._flat

    def cumulative(self, state: int) -> np.ndarray:
        """int64[n+1]: total time in `state` of the first i (flat) spans."""
        flat = self.flat
        c = flat._cum.get(int(state))
        if c is None:
            d = np.where(flat.state == state, flat.end - flat.start, 0)
            c = np.zeros(len(flat) + 1, I64)
            np.cumsum(d, out=c[1:])
            flat._cum[int(state)] = c
        return c

    def time_in_state_many(self, state: int, t0: np.ndarray, t1: np.ndarray) -> np.ndarray:
        """Vectorised `time_in_state`: int64 ns in `state` within each [t0[i], t1[i])."""
        flat = self.flat
        t0 = np.asarray(t0, I64)
        t1 = np.maximum(np.asarray(t1, I64), t0)
        if len(flat) == 0:
            return np.zeros(np.broadcast(t0, t1).shape, I64)
        cum = self.cumulative(state)
        i0 = np.searchsorted(flat.end, t0, "right")  # first span ending after t0
        i1 = np.maximum(np.searchsorted(flat.start, t1, "left"), i0)  # spans starting before t1
        tot = cum[i1] - cum[i0]
        has = i1 > i0
        first = np.minimum(i0, len(flat) - 1)
        last = np.maximum(i1 - 1, 0)
        ins0 = has & (flat.state[first] == state)
        ins1 = has & (flat.state[last] == state)
        tot -= np.where(ins0, np.maximum(t0 - flat.start[first], 0), 0)
        tot -= np.where(ins1, np.maximum(flat.end[last] - t1, 0), 0)
        return tot

    def time_in_state(self, state: int, t0: int, t1: int) -> int:
        """Nanoseconds of [t0, t1) covered by spans in `state` (O(log n))."""
        return int(self.time_in_state_many(state, np.array([t0], I64), np.array([t1], I64))[0])

    def occupancy(self, edges: np.ndarray, states: list[int] | tuple[int, ...] | None = None) -> np.ndarray:
        """int64[len(states), len(edges)-1]: time in each state per cell [edges[i], edges[i+1]).

        `states` defaults to every State value (row i = State(i)).
        """
        edges = np.asarray(edges, I64)
        rows: Sequence[int] = range(N_STATES) if states is None else states
        t0, t1 = edges[:-1], edges[1:]
        present = self.states_present
        out = np.zeros((len(rows), max(len(edges) - 1, 0)), I64)
        for k, s in enumerate(rows):
            if int(s) in present:
                out[k] = self.time_in_state_many(int(s), t0, t1)
        return out

    @property
    def states_present(self) -> frozenset[int]:
        """The states of the flat level (computed once)."""
        if self._present is None:
            self._present = frozenset(np.unique(self.flat.state).tolist())
        return self._present

    def index_at(self, t: int) -> int:
        """Index (into the flat level) of the span covering time t, or -1."""
        flat = self.flat
        i = int(np.searchsorted(flat.start, t, "right")) - 1
        if i >= 0 and flat.end[i] > t:
            return i
        return -1

    def range_between(self, t0: int, t1: int) -> tuple[int, int]:
        """[i, j): the flat spans intersecting [t0, t1)."""
        flat = self.flat
        i = int(np.searchsorted(flat.end, t0, "right"))
        j = int(np.searchsorted(flat.start, t1, "left"))
        return i, max(i, j)

    def totals(self) -> np.ndarray:
        """int64[N_STATES]: total time per state (flat level)."""
        flat = self.flat
        return np.bincount(flat.state, weights=flat.end - flat.start, minlength=N_STATES).astype(I64)


class Counter:
    """A step function: `value[i]` holds from `ts[i]` until `ts[i+1]` (sorted ts).

    A lazy counter (`Counter.lazy`) computes its points when `ts` or `value` is first
    read, and keeps them; `computed` says whether that happened.
    """

    def __init__(self, ts: np.ndarray, value: np.ndarray) -> None:
        self._ts: np.ndarray | None = ts
        self._value: np.ndarray | None = value  # int64 (bytes, procs), int32 (counts) or float64
        self._compute: Callable[[], Counter] | None = None
        self._integral: np.ndarray | None = None  # prefix integral (mean_between)
        self._padded: np.ndarray | None = None  # int64 values + a 0 (max_between)

    @classmethod
    def lazy(cls, compute: Callable[[], Counter]) -> Counter:
        c = cls.__new__(cls)
        c._ts = c._value = c._integral = c._padded = None
        c._compute = compute
        return c

    @classmethod
    def empty(cls, dtype: type = np.int64) -> Counter:
        return cls(np.zeros(0, I64), np.zeros(0, dtype))

    @property
    def computed(self) -> bool:
        return self._compute is None

    def _points(self) -> tuple[np.ndarray, np.ndarray]:
        if self._compute is not None:
            c = self._compute()
            self._ts, self._value, self._compute = c.ts, c.value, None
        assert self._ts is not None and self._value is not None
        return self._ts, self._value

    def points(self) -> tuple[np.ndarray, np.ndarray]:
        """(ts, value), without keeping a lazy counter's points (for a one-off read, as an
        export's)."""
        if self._compute is not None:
            c = self._compute()
            return c.ts, c.value
        return self._points()

    @property
    def ts(self) -> np.ndarray:
        return self._points()[0]

    @property
    def value(self) -> np.ndarray:
        return self._points()[1]

    def __repr__(self) -> str:
        return f"Counter({len(self)} points)" if self.computed else "Counter(lazy)"

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    def value_at(self, t: np.ndarray | int, default: int = 0) -> np.ndarray:
        """The value in effect at time(s) t (`default` before the first point)."""
        i = np.searchsorted(self.ts, t, "right") - 1
        v = self.value[np.maximum(i, 0)] if len(self) else np.zeros(np.shape(i), self.value.dtype)
        return np.where(i >= 0, v, default)

    def integral(self) -> np.ndarray:
        """float64: the integral from ts[0] to each ts[i] (computed on first use, kept)."""
        if self._integral is None:
            ts, v = self.ts, self.value
            integral = np.zeros(len(ts), np.float64)
            if len(ts) > 1:
                np.cumsum(v[:-1] * np.diff(ts).astype(np.float64), out=integral[1:])
            self._integral = integral
        return self._integral

    def mean_between(self, t0: np.ndarray, t1: np.ndarray) -> np.ndarray:
        """float64: the time-weighted mean value during each [t0[i], t1[i]) (0 before the
        first point), from a prefix integral computed on first use: O(log n) per window."""
        t0 = np.asarray(t0, I64)
        t1 = np.maximum(np.asarray(t1, I64), t0 + 1)
        if not len(self):
            return np.zeros(t0.shape, np.float64)
        ts, v = self.ts, self.value
        integ = self.integral()

        def at(t: np.ndarray) -> np.ndarray:
            i = np.searchsorted(ts, t, "right") - 1
            j = np.maximum(i, 0)
            return np.where(i >= 0, integ[j] + v[j] * (t - ts[j]).astype(np.float64), 0.0)

        return (at(t1) - at(t0)) / (t1 - t0)

    def max_between(self, t0: np.ndarray, t1: np.ndarray) -> np.ndarray:
        """int64: the maximum value in effect during each [t0[i], t1[i]) (0 before the
        first point)."""
        t0 = np.asarray(t0, I64)
        t1 = np.maximum(np.asarray(t1, I64), t0 + 1)
        if not len(self):
            return np.zeros(t0.shape, I64)
        i0 = np.searchsorted(self.ts, t0, "right") - 1
        i1 = np.searchsorted(self.ts, t1, "left")  # points in effect: [max(i0, 0), i1)
        lo = np.maximum(i0, 0)
        hi = np.maximum(i1, lo + 1)
        if self._padded is None:
            self._padded = np.append(self.value.astype(I64), 0)  # reduceat needs indices < len
        vals = self._padded
        red = np.maximum.reduceat(vals, np.stack([lo, hi], axis=1).ravel())[::2]
        return np.where(i1 > 0, red, 0)


@dataclass(eq=False)
class Instants:
    """Point events: `kind` (InstantKind), `string`, `stack`, `track` (track index,
    -1 none), `arg` and `task` (meaning per kind, see InstantKind; -1 none)."""

    ts: np.ndarray
    kind: np.ndarray
    string: np.ndarray
    stack: np.ndarray
    track: np.ndarray
    arg: np.ndarray
    task: np.ndarray

    @classmethod
    def empty(cls) -> Instants:
        return cls(*(np.zeros(0, d) for d in (I64, np.uint8, np.int32, np.int32, np.int32, I64, I64)))

    def __len__(self) -> int:
        return int(self.ts.shape[0])


@dataclass(eq=False)
class Flows:
    """Arrows from (from_track, from_ts) to (to_track, to_ts); `kind` is a FlowKind.
    Sorted by from_ts. A track of -1 means unknown."""

    from_track: np.ndarray
    from_ts: np.ndarray
    to_track: np.ndarray
    to_ts: np.ndarray
    kind: np.ndarray

    @classmethod
    def empty(cls) -> Flows:
        return cls(
            np.zeros(0, np.int32), np.zeros(0, I64), np.zeros(0, np.int32), np.zeros(0, I64), np.zeros(0, np.uint8)
        )

    def __len__(self) -> int:
        return int(self.from_ts.shape[0])


@dataclass(eq=False)
class CPUSamples:
    """CPU profile samples taken during the trace (ctx of the sample: -1 = none)."""

    ts: np.ndarray
    m: np.ndarray
    p: np.ndarray
    g: np.ndarray
    stack: np.ndarray

    @classmethod
    def empty(cls) -> CPUSamples:
        return cls(np.zeros(0, I64), np.zeros(0, I64), np.zeros(0, I64), np.zeros(0, I64), np.zeros(0, np.int32))

    def __len__(self) -> int:
        return int(self.ts.shape[0])


@dataclass(eq=False)
class Goroutines:
    """One row per goroutine, sorted by id; `track` is its track index.

    `func` is the string id of its start function (0 = unknown), `created` the time of its
    GoCreate (-1: it existed before the trace), `ended` the time it was destroyed (-1: alive
    at the end), `creator` the creating goroutine (-1 none/unknown), `create_stack` the
    creator's stack at GoCreate and `start_stack` the new goroutine's start stack.
    """

    id: np.ndarray
    track: np.ndarray
    func: np.ndarray
    created: np.ndarray
    ended: np.ndarray
    creator: np.ndarray
    create_stack: np.ndarray
    start_stack: np.ndarray

    def __len__(self) -> int:
        return int(self.id.shape[0])

    def index(self, gid: int) -> int:
        """Row of goroutine `gid`, or -1."""
        i = int(np.searchsorted(self.id, gid))
        return i if i < len(self) and self.id[i] == gid else -1


@dataclass(eq=False)
class Tasks:
    """User tasks, sorted by start. `parent` -1 = none; `start` 0 with has_begin False: the
    task began before the trace; `end` = trace end with has_end False: it never ended."""

    id: np.ndarray
    parent: np.ndarray
    name: np.ndarray  # string id
    start: np.ndarray
    end: np.ndarray
    begin_g: np.ndarray
    end_g: np.ndarray
    begin_stack: np.ndarray
    end_stack: np.ndarray
    has_begin: np.ndarray
    has_end: np.ndarray
    lane: np.ndarray  # the TASK track (lane) the task is drawn on, as an index into its lanes

    def __len__(self) -> int:
        return int(self.id.shape[0])


@dataclass(eq=False)
class Regions:
    """User regions, sorted by (goroutine, start, depth). `depth` is the nesting level on
    the goroutine; a region without a begin starts at 0 (has_begin False), one without an
    end ends when its goroutine ends, or at the trace end (has_end False)."""

    g: np.ndarray
    task: np.ndarray
    name: np.ndarray  # string id
    start: np.ndarray
    end: np.ndarray
    depth: np.ndarray
    stack: np.ndarray
    has_begin: np.ndarray
    has_end: np.ndarray

    def __len__(self) -> int:
        return int(self.g.shape[0])


@dataclass(eq=False)
class Track:
    """A row of the timeline. Exactly what the kind needs is set: `spans` (proc, thread,
    goroutine, gc, task, region), `counter` (heap, counter) or `instants` (cpu).

    HOST tracks (a recording's sampler and GODEBUG rows) carry `group` = the host section
    they belong to, named after the program (`pingpong (pid 4711)`), and either a
    `counter` (its `unit`: "cores", "bytes", "/s", "count", "MHz", ...) or sampled
    thread-state `spans` (RUNNING, IDLE = sleeping, WAITING = disk wait/stopped, with the
    kernel's state name as `reason`)."""

    kind: TrackKind
    id: int
    name: str
    group: str
    spans: Spans | None = None
    counter: Counter | None = None
    instants: Instants | None = None
    unit: str = ""


@dataclass(eq=False)
class Trace:
    """A whole trace as a timeline. See the module docstring and docs of the parts.

    Span `arg` per track kind: goroutine tracks: RUNNING -> P it ran on, SYSCALL -> M,
    RUNNABLE -> the goroutine that made it runnable (creator/unblocker; -1 if none or
    itself); proc tracks: RUNNING/SYSCALL -> the goroutine on it (-1: held by an M but no
    goroutine running, i.e. in the scheduler); thread tracks: RUNNING -> the P it holds,
    SYSCALL -> the goroutine in the syscall; gc: GC sequence number; stw: the goroutine
    that stopped the world (reason = the kind string, e.g. "GC mark termination");
    assists: goroutine; sweeps: P; task lanes: task id; regions: task id.
    """

    version: int
    base_time: int
    duration: int
    strings: StringTable
    stacks: StackTable
    tracks: list[Track]
    goroutines: Goroutines
    proc_ids: np.ndarray
    proc_tracks: np.ndarray
    thread_ids: np.ndarray
    thread_tracks: np.ndarray
    gc: Spans
    stw: Spans
    assists: Spans  # overlapping across goroutines (arg = goroutine), sorted by start
    sweeps: Spans  # overlapping across Ps (arg = P), sorted by start
    heap_alloc: Counter
    heap_goal: Counter
    gomaxprocs: Counter
    goroutine_counts: dict[State, Counter]  # RUNNING, RUNNABLE, WAITING, SYSCALL (lazy)
    thread_counts: dict[State, Counter]  # RUNNING (holding a P), SYSCALL (lazy)
    tasks: Tasks
    regions: Regions
    logs: Instants
    labels: Instants
    cpu_samples: CPUSamples
    flows: Flows
    sync_times: np.ndarray  # start of each generation (Sync events), relative
    events: int  # events the model was built from
    # Mutator utilization (float64 in [0, 1], see model/utilization.py): with STW, background
    # mark workers and assists taken from the program (go tool trace's default), and with
    # sweeping taken too. Empty for another tool's Perfetto file.
    utilization: Counter
    utilization_sweep: Counter
    error: str | None = None  # set for a partial trace (only complete generations used)
    # Where the model came from: "gotrace" (a Go execution trace), "godebug" (a recording of a
    # prebuilt binary: GC/STW/heap from gctrace, counters from schedtrace), "perfetto" (another
    # tool's Perfetto file). Our Perfetto files keep the source they were written from.
    source: str = "gotrace"
    go_version: str = ""  # e.g. "go1.27.3" when known (a binary's build info, record's toolchain); "" otherwise
    # Goroutine ids of record's own injected code (the overlay that starts the trace and serves
    # its control socket): analyses and the first screen leave them out unless asked.
    injected: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    # What a recording's sampler read once of the host (JSON-able, see record/hostproc.py):
    # CPUs, the MHz source, the governor per CPU, the NUMA nodes' CPUs; {} without a sampler.
    host_facts: dict[str, Any] = field(default_factory=dict)
    _index: dict[tuple[int, int], int] = field(default_factory=dict, init=False, repr=False)

    @classmethod
    def bare(cls, *, base_time: int, duration: int, strings: StringTable, tracks: list[Track], source: str,
             events: int, go_version: str = "") -> Trace:  # fmt: skip
        """A Trace with the given tracks and nothing of Go's (no goroutines, procs, threads,
        GC, tasks, ...): another tool's file, or a recording without a Go trace; callers
        fill what they know (gc, stw, heap, gomaxprocs)."""
        z, zi, zb = np.zeros(0, I64), np.zeros(0, np.int32), np.zeros(0, bool)
        return cls(
            version=0, base_time=base_time, duration=duration, strings=strings, stacks=StackTable(), tracks=tracks,
            goroutines=Goroutines(z, z, zi, z, z, z, zi, zi), proc_ids=z, proc_tracks=z, thread_ids=z,
            thread_tracks=z, gc=Spans.empty(), stw=Spans.empty(), assists=Spans.empty(), sweeps=Spans.empty(),
            heap_alloc=Counter.empty(), heap_goal=Counter.empty(), gomaxprocs=Counter.empty(), goroutine_counts={},
            thread_counts={}, tasks=Tasks(z, z, zi, z, z, z, z, zi, zi, zb, zb, zi),
            regions=Regions(z, z, zi, z, z, np.zeros(0, np.uint16), zi, zb, zb), logs=Instants.empty(),
            labels=Instants.empty(), cpu_samples=CPUSamples.empty(), flows=Flows.empty(), sync_times=z,
            events=events, utilization=Counter.empty(np.float64), utilization_sweep=Counter.empty(np.float64),
            source=source, go_version=go_version,
        )  # fmt: skip

    def __post_init__(self) -> None:
        self._index = {(int(t.kind), int(t.id)): i for i, t in enumerate(self.tracks) if t.kind <= TrackKind.GOROUTINE}

    def track_index(self, kind: TrackKind, ident: int) -> int:
        """Index into `tracks` of the proc/thread/goroutine track with this id, or -1."""
        return self._index.get((int(kind), int(ident)), -1)

    def goroutine_track(self, gid: int) -> Track | None:
        i = self.track_index(TrackKind.GOROUTINE, gid)
        return self.tracks[i] if i >= 0 else None

    def proc_track(self, pid: int) -> Track | None:
        i = self.track_index(TrackKind.PROC, pid)
        return self.tracks[i] if i >= 0 else None

    def thread_track(self, mid: int) -> Track | None:
        i = self.track_index(TrackKind.THREAD, mid)
        return self.tracks[i] if i >= 0 else None

    def string(self, sid: int) -> str:
        return self.strings.strings[int(sid)]

    def frames(self, sid: int) -> list[tuple[str, str, int]]:
        """The frames of stack `sid` as (func, file, line), innermost first."""
        st, s = self.stacks, self.strings.strings
        return [(s[st.frame_func[f]], s[st.frame_file[f]], st.frame_line[f]) for f in st.stacks[int(sid)]]

    @property
    def end_time(self) -> int:
        return self.duration

    @property
    def nbytes(self) -> int:
        """Bytes held by the model's arrays (strings/stacks and the event table excluded)."""
        seen: set[int] = set()
        total = 0

        def add(a: object) -> None:
            nonlocal total
            if isinstance(a, np.ndarray):
                base = a if a.base is None else a.base
                if isinstance(base, np.ndarray) and id(base) not in seen:
                    seen.add(id(base))
                    total += base.nbytes

        def walk(obj: object) -> None:
            if obj is None:
                return
            for v in vars(obj).values() if hasattr(obj, "__dict__") else ():
                add(v)

        for t in self.tracks:
            for track_part in (t.spans, t.counter, t.instants):
                walk(track_part)
        for part in (
            self.goroutines, self.gc, self.stw, self.assists, self.sweeps, self.heap_alloc,
            self.heap_goal, self.gomaxprocs, self.tasks, self.regions, self.logs, self.labels,
            self.cpu_samples, self.flows, *self.goroutine_counts.values(), *self.thread_counts.values(),
            self.utilization, self.utilization_sweep,
        ):  # fmt: skip
            walk(part)
        return total
