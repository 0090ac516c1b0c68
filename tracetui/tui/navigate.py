"""Navigation over the model, without Textual: causality (who unblocked whom), search,
go-to targets. Pure functions of a `Trace` (and the row set for row lookups)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from tracetui.model.trace import FlowKind, State, Trace, TrackKind
from tracetui.tui.timefmt import parse_time


@dataclass(frozen=True)
class Hop:
    """A causal edge: from a (track, time) to another."""

    from_track: int
    from_ts: int
    to_track: int
    to_ts: int
    kind: int  # FlowKind


class FlowIndex:
    """Incoming flows per destination track, sorted by destination time (built once)."""

    def __init__(self, trace: Trace) -> None:
        f = trace.flows
        self.trace = trace
        order = np.lexsort((f.to_ts, f.to_track))
        self.order = order
        self.to_track = f.to_track[order]
        self.to_ts = f.to_ts[order]

    def _incoming(self, track: int) -> tuple[int, int]:
        lo = int(np.searchsorted(self.to_track, track, "left"))
        hi = int(np.searchsorted(self.to_track, track, "right"))
        return lo, hi

    def _hop(self, k: int) -> Hop:
        f, j = self.trace.flows, int(self.order[k])
        return Hop(int(f.from_track[j]), int(f.from_ts[j]), int(f.to_track[j]), int(f.to_ts[j]), int(f.kind[j]))

    def cause(self, track: int, t: int) -> Hop | None:
        """What made goroutine `track` run at or after time t.

        On a running span: the flow into that span's start (its unblock or creation). On a
        blocked or runnable span: the flow that ends the wait (the next start's cause).
        """
        tr = self.trace.tracks[track]
        if tr.kind != TrackKind.GOROUTINE or tr.spans is None:
            return None
        lo, hi = self._incoming(track)
        if lo == hi:
            return None
        flat = tr.spans.flat
        i = flat.index_at(t)
        ts = self.to_ts[lo:hi]
        if i >= 0 and int(flat.state[i]) == State.RUNNING:
            start = int(flat.start[i])
            k = int(np.searchsorted(ts, start, "right")) - 1  # the latest flow into this start
            if k >= 0 and int(ts[k]) == start:
                return self._hop(lo + k)
            return None
        k = int(np.searchsorted(ts, t, "right"))  # the next start after t
        if k < len(ts):
            return self._hop(lo + k)
        return None


def flow_label(kind: int) -> str:
    return "created" if kind == FlowKind.CREATE else "unblocked"


def goroutine_matches(trace: Trace, query: str) -> list[int]:
    """Goroutine ids matching a search: `G123` / `123` (an id) or part of a start function
    name (case-insensitive; a valid regular expression is used as one)."""
    q = query.strip()
    if not q:
        return []
    m = re.fullmatch(r"[gG]?(\d+)", q)
    g = trace.goroutines
    hits: set[int] = set()
    if m:
        gid = int(m.group(1))
        if g.index(gid) >= 0:
            hits.add(gid)
    try:
        rx = re.compile(q, re.IGNORECASE)
        match = rx.search
    except re.error:
        low = q.lower()

        def match(s: str) -> bool:  # type: ignore[misc]
            return low in s.lower()

    strings = trace.strings.strings
    funcs = {int(f) for f in np.unique(g.func).tolist() if f and match(strings[int(f)])}
    if funcs:
        hits.update(g.id[np.isin(g.func, list(funcs))].tolist())
    return sorted(hits)


@dataclass(frozen=True)
class Target:
    """Where `go to` goes: a time, or a row (goroutine, P or M)."""

    time: int | None = None
    kind: TrackKind | None = None
    ident: int | None = None


def parse_target(text: str) -> Target | None:
    """`1.5ms` / `2s` (a time), `G12` or `12` (a goroutine), `P3`, `M7`, `host` (the first
    host section: ident -1)."""
    t = parse_time(text)
    if t is not None:
        return Target(time=t)
    if text.strip().lower() == "host":
        return Target(kind=TrackKind.HOST, ident=-1)
    m = re.fullmatch(r"\s*([gGpPmM]?)\s*(\d+)\s*", text)
    if not m:
        return None
    kind = {"": TrackKind.GOROUTINE, "g": TrackKind.GOROUTINE, "p": TrackKind.PROC, "m": TrackKind.THREAD}
    return Target(kind=kind[m.group(1).lower()], ident=int(m.group(2)))
