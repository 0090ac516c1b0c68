"""CPU profile samples taken during the trace (`Trace.cpu_samples`, Go's StackSample
events): per-column density for the timeline, and a profile by stack.

The trace does not record the profiler's rate; Go's default (runtime/pprof.StartCPUProfile)
is 100 Hz, so a sample stands for about `PERIOD_NS` of CPU time. Counts are exact; times
derived from them (count x period) are approximate.

A sample's P or G is -1 when it had none (a thread outside the scheduler, a syscall).
The recorder's injected code (model/injected.py) is left out of profiles unless asked;
the timeline's density rows count every sample.
"""

from __future__ import annotations

from collections import Counter as Tally
from dataclasses import dataclass, field
from weakref import WeakKeyDictionary

import numpy as np

from tracetui.analysis.blocking import Samples, hidden, known_stacks
from tracetui.model.trace import Trace, TrackKind

I64 = np.int64
PERIOD_NS = 10_000_000  # runtime/pprof's default rate, 100 Hz
RATE_HZ = 1_000_000_000 // PERIOD_NS


def column_counts(ts: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """How many of the sorted times `ts` fall in each [edges[i], edges[i+1])."""
    return np.diff(np.searchsorted(ts, edges, "left")).astype(I64)


@dataclass(eq=False)
class SampleIndex:
    """The samples' row numbers in time order: all of them, and per P and per goroutine
    (only those a sample names). `ts` is the model's column of sample times; `cpus` the
    trace's Ps (`procs`)."""

    ts: np.ndarray
    order: np.ndarray
    by_p: dict[int, np.ndarray]
    by_g: dict[int, np.ndarray]
    cpus: int = 1
    _times: dict[tuple[str, int], np.ndarray] = field(default_factory=dict, repr=False)

    def rows(self, who: str, ident: int = -1) -> np.ndarray:
        """Sample rows of "all", ("p", id) or ("g", id), in time order."""
        if who == "p":
            return self.by_p.get(ident, np.zeros(0, I64))
        if who == "g":
            return self.by_g.get(ident, np.zeros(0, I64))
        return self.order

    def of_goroutines(self, gids: list[int]) -> np.ndarray:
        """Sample rows of any of the goroutines, in time order."""
        parts = [self.by_g[g] for g in gids if g in self.by_g]
        if not parts:
            return np.zeros(0, I64)
        rows = np.concatenate(parts)
        return rows[np.argsort(self.ts[rows], kind="stable")]

    def times(self, who: str, ident: int = -1) -> np.ndarray:
        """The sorted times of `rows(who, ident)` (kept once asked)."""
        key = (who, ident)
        ts = self._times.get(key)
        if ts is None:
            ts = self._times[key] = self.ts[self.rows(who, ident)].astype(I64)
        return ts


_INDEX: WeakKeyDictionary[Trace, SampleIndex] = WeakKeyDictionary()


def sample_index(trace: Trace) -> SampleIndex:
    """The trace's `SampleIndex` (built once per model)."""
    idx = _INDEX.get(trace)
    if idx is None:
        idx = _INDEX[trace] = _build_index(trace)
    return idx


def _build_index(trace: Trace) -> SampleIndex:
    cs = trace.cpu_samples
    order = np.argsort(cs.ts, kind="stable").astype(I64)
    return SampleIndex(cs.ts, order, _split(cs.p[order], order), _split(cs.g[order], order), procs(trace))


def _split(keys: np.ndarray, order: np.ndarray) -> dict[int, np.ndarray]:
    """The rows `order` (time order) by key, keeping time order; key -1 left out."""
    by = np.argsort(keys, kind="stable")
    k = keys[by]
    bounds = np.flatnonzero(np.r_[True, k[1:] != k[:-1], True]) if len(k) else np.zeros(1, I64)
    out: dict[int, np.ndarray] = {}
    for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
        if int(k[lo]) >= 0:
            out[int(k[lo])] = order[by[lo:hi]]
    return out


def procs(trace: Trace) -> int:
    """How many Ps the trace has (at least 1): the CPUs the whole program can use."""
    return max(sum(1 for t in trace.tracks if t.kind == TrackKind.PROC), 1)


def eighths(counts: np.ndarray, edges: np.ndarray, cpus: int = 1) -> np.ndarray:
    """Density per column in eighths (0..8): the share of `cpus` CPUs busy at the profiler's
    rate, rounded up so that one sample shows; 8 where a column is full or narrower than a
    sampling period."""
    width = np.maximum(np.diff(edges), 1).astype(np.float64)
    full = np.maximum(width * cpus / PERIOD_NS, 1e-9)
    k = np.ceil(8 * counts / full)
    return np.where(counts > 0, np.clip(k, 1, 8), 0).astype(I64)


def top_functions(trace: Trace, rows: np.ndarray, n: int = 5) -> list[tuple[str, int]]:
    """The leaf functions of the sample rows, most samples first (at most `n`)."""
    if not len(rows):
        return []
    ids, counts = np.unique(trace.cpu_samples.stack[rows], return_counts=True)
    tally: Tally[str] = Tally()
    for sid, c in zip(ids.tolist(), counts.tolist()):
        frames = trace.frames(sid) if 0 < sid < len(trace.stacks.stacks) else []
        tally[frames[0][0] if frames else "(no stack)"] += c
    return tally.most_common(n)


def cpu_samples(
    trace: Trace,
    show_injected: bool = False,
    t0: int | None = None,
    t1: int | None = None,
    goroutines: np.ndarray | None = None,
    proc: int | None = None,
) -> Samples:
    """The CPU samples as a profile's `Samples` (one row each, by time; `delay` = the
    sampling period), optionally only those in [t0, t1), of some goroutine ids or of one P. The
    recorder's injected goroutines and stacks are left out unless `show_injected`."""
    cs = trace.cpu_samples
    keep = np.ones(len(cs), bool)
    if t0 is not None:
        keep &= cs.ts >= t0
    if t1 is not None:
        keep &= cs.ts < t1
    if goroutines is not None:
        keep &= np.isin(cs.g, goroutines)
    if proc is not None:
        keep &= cs.p == proc
    skip, overlay = hidden(trace, show_injected)
    if len(skip):
        keep &= ~np.isin(cs.g, skip)
    stack = cs.stack.astype(np.int32)
    if overlay is not None:
        keep &= ~overlay[np.clip(stack, 0, len(overlay) - 1)]
    rows = np.flatnonzero(keep)
    rows = rows[np.argsort(cs.ts[rows], kind="stable")]
    return Samples(
        goroutine=cs.g[rows].astype(I64),
        start=cs.ts[rows].astype(I64),
        delay=np.full(len(rows), PERIOD_NS, I64),
        stack=known_stacks(trace, stack[rows]),
        reason=np.zeros(len(rows), np.int32),
    )
