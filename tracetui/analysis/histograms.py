"""Latency histograms on log-scale buckets: how bad the tail is.

Buckets are powers of two in nanoseconds ([2^k, 2^(k+1))); percentiles are nearest-rank
(the smallest sample with at least that share of samples at or below it), so every figure
is a duration that occurred.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tracetui.analysis.blocking import PROFILES, ProfileKind, hidden, samples
from tracetui.model.kinds import GCTrack
from tracetui.model.trace import State, Trace, TrackKind

QUANTILES = (("p50_ns", 0.50), ("p90_ns", 0.90), ("p99_ns", 0.99), ("p999_ns", 0.999))


@dataclass(frozen=True)
class Histogram:
    count: int
    total_ns: int
    p50_ns: int
    p90_ns: int
    p99_ns: int
    p999_ns: int
    max_ns: int
    buckets: tuple[tuple[int, int, int], ...]  # (from ns, to ns, count), the non-empty ones

    def as_json(self) -> dict[str, object]:
        d = {k: getattr(self, k) for k in ("count", "total_ns", "p50_ns", "p90_ns", "p99_ns", "p999_ns", "max_ns")}
        d["buckets"] = [list(b) for b in self.buckets]
        return d


def histogram(durations: np.ndarray) -> Histogram:
    """The histogram of a set of durations (ns)."""
    d = np.asarray(durations, np.int64)
    n = int(d.size)
    if n == 0:
        return Histogram(0, 0, 0, 0, 0, 0, 0, ())
    ranks = {name: max(int(np.ceil(share * n)) - 1, 0) for name, share in QUANTILES}
    part = np.partition(d, sorted(set(ranks.values())))  # the ranks in place: no full sort
    q = {name: int(part[r]) for name, r in ranks.items()}
    k = np.floor(np.log2(np.maximum(d, 1))).astype(np.int64)
    counts = np.bincount(k)
    ks = np.flatnonzero(counts)
    buckets = tuple((1 << int(a), 1 << (int(a) + 1), int(counts[a])) for a in ks.tolist())
    return Histogram(n, int(d.sum()), q["p50_ns"], q["p90_ns"], q["p99_ns"], q["p999_ns"], int(d.max()), buckets)


def _spans(trace: Trace, kind: TrackKind, state: State) -> np.ndarray:
    parts = [
        t.spans.flat.duration[t.spans.flat.state == state]
        for t in trace.tracks
        if t.kind == kind and t.spans is not None and len(t.spans)
    ]
    return np.concatenate(parts) if parts else np.zeros(0, np.int64)


@dataclass(eq=False)
class Occurrences:
    """What a histogram counts, one row each: where (a track index, -1 none), when and how long."""

    track: np.ndarray
    start: np.ndarray
    duration: np.ndarray

    def in_bucket(self, lo: int, hi: int) -> np.ndarray:
        """Rows with lo <= duration < hi, longest first."""
        sel = np.flatnonzero((self.duration >= lo) & (self.duration < hi))
        return sel[np.argsort(-self.duration[sel], kind="stable")]


def _of_goroutines(trace: Trace, gids: np.ndarray, start: np.ndarray, duration: np.ndarray) -> Occurrences:
    g = trace.goroutines
    i = np.searchsorted(g.id, gids)
    ok = (i < len(g)) & (g.id[np.minimum(i, max(len(g) - 1, 0))] == gids) if len(g) else np.zeros(gids.shape, bool)
    track = np.where(ok, g.track[np.minimum(i, max(len(g) - 1, 0))] if len(g) else -1, -1)
    return Occurrences(track.astype(np.int64), start.astype(np.int64), duration.astype(np.int64))


def _on_track(trace: Trace, ident: int, start: np.ndarray, duration: np.ndarray) -> Occurrences:
    k = next((i for i, t in enumerate(trace.tracks) if t.kind == TrackKind.GC and t.id == ident), -1)
    return Occurrences(np.full(start.shape, k, np.int64), start.astype(np.int64), duration.astype(np.int64))


def occurrences(trace: Trace, show_injected: bool = False) -> dict[str, Occurrences]:
    """The rows behind each histogram of `latency_histograms`, by the same names (the
    recorder's injected code left out unless `show_injected`: see analysis/blocking.py)."""
    out: dict[str, Occurrences] = {}
    sched = samples(trace, PROFILES["sched"], show_injected)
    out["sched_latency"] = _of_goroutines(trace, sched.goroutine, sched.start, sched.delay)
    stw = trace.stw
    out["stw"] = _on_track(trace, GCTrack.STW, stw.start, stw.end - stw.start)
    for r in np.unique(stw.reason).tolist():
        sel = stw.reason == r
        out[f"stw_{trace.string(int(r)) or 'unknown'}"] = _on_track(
            trace, GCTrack.STW, stw.start[sel], stw.end[sel] - stw.start[sel]
        )
    sys = samples(trace, PROFILES["syscall"], show_injected)
    out["syscall"] = _of_goroutines(trace, sys.goroutine, sys.start, sys.delay)
    out["gc"] = _on_track(trace, GCTrack.MARK, trace.gc.start, trace.gc.end - trace.gc.start)
    every_wait = ProfileKind("block", State.WAITING, lambda r: True, "blocked, any reason")
    waits = samples(trace, every_wait, show_injected)
    for r in np.unique(waits.reason).tolist():
        sel = waits.reason == r
        out[f"block_{trace.string(int(r)) or 'unknown'}"] = _of_goroutines(
            trace, waits.goroutine[sel], waits.start[sel], waits.delay[sel]
        )
    regions = trace.regions
    mine = ~np.isin(regions.g, hidden(trace, show_injected)[0])
    out["region"] = _of_goroutines(trace, regions.g[mine], regions.start[mine], (regions.end - regions.start)[mine])
    tasks = trace.tasks
    out["task"] = Occurrences(np.full(len(tasks), -1, np.int64), tasks.start, tasks.end - tasks.start)
    return out


def latency_histograms(
    trace: Trace, occ: dict[str, Occurrences] | None = None, show_injected: bool = False
) -> dict[str, Histogram]:
    """sched_latency (runnable until running) and syscall as their profiles count them,
    stw (and stw_<kind>), gc (mark phases), block_<reason> (each block reason, finished
    waits as the profiles count them), region and task (user annotations)."""
    occ = occ if occ is not None else occurrences(trace, show_injected)
    return {name: histogram(o.duration) for name, o in occ.items()}
