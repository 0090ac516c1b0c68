"""Goroutine groups in the overview: their order, which start folded, and what a group's
header row draws.

A group's header draws, per column, how many of its goroutines run, wait to run or are
blocked: three step functions (`Activity`) merged from the members' spans once per group,
then two binary searches per column, however many goroutines the group has. A column
where some run is a bar from the bottom, its height the share of the Ps the group holds
(eighths, at least one), over the runnable colour when some wait to run; a column with
none running shows a shade: ▒ some runnable, ░ only blocked. The glyphs carry it without
colour too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tracetui.model.trace import I64, Counter, State, Track
from tracetui.tui.cells import DENSITY_BLOCKED, DENSITY_RUNNABLE, density_code
from tracetui.tui.palette import Look

FOLD_ABOVE = 50  # goroutine groups with more goroutines start folded
FOLD_SECTION_ABOVE = 500  # host sections and another tool's track groups: only huge ones
UNKNOWN_GROUP = "(unknown start function)"

# The orders of the goroutine groups, cycled by a key: (id, what the status line says).
ORDERS: tuple[tuple[str, str], ...] = (
    ("running", "by running time (most first, runtime last)"),
    ("id", "by first goroutine id"),
    ("name", "by name (runtime last)"),
)


def order_text(order: str) -> str:
    return dict(ORDERS)[order]


def next_order(order: str) -> str:
    ids = [o for o, _ in ORDERS]
    return ids[(ids.index(order) + 1) % len(ids)]


def is_runtime(name: str) -> bool:
    """A group of the runtime's own goroutines (or of unknown start): shown last."""
    return name.startswith(("runtime.", "runtime/")) or name == UNKNOWN_GROUP


def running_times(tracks: Sequence[Track], groups: Sequence[tuple[str, list[int]]]) -> dict[str, int]:
    """Total running time (ns) of each group's goroutines, in one vectorised pass."""
    owner: list[int] = []
    starts, ends, states = [], [], []
    for g, (_, members) in enumerate(groups):
        for i in members:
            sp = tracks[i].spans
            if sp is not None:
                flat = sp.flat
                owner.append(g)
                starts.append(flat.start)
                ends.append(flat.end)
                states.append(flat.state)
    out = dict.fromkeys((name for name, _ in groups), 0)
    if not owner:
        return out
    lens = np.fromiter((a.shape[0] for a in starts), np.int64, len(starts))
    run = np.concatenate(states) == State.RUNNING
    o = np.repeat(np.asarray(owner, np.int64), lens)[run]
    d = (np.concatenate(ends) - np.concatenate(starts))[run]
    tot = np.bincount(o, weights=d, minlength=len(groups))
    for g, (name, _) in enumerate(groups):
        out[name] = int(tot[g])
    return out


def order_groups(
    groups: list[tuple[str, list[int]]], tracks: Sequence[Track], order: str, running: dict[str, int]
) -> list[tuple[str, list[int]]]:
    """The groups in `order`: "running" (most running time first) or "name", the runtime's
    groups last; or "id" (by their lowest goroutine id, all alike)."""

    def first_id(kv: tuple[str, list[int]]) -> int:
        return tracks[kv[1][0]].id if kv[1] else -1

    if order == "id":
        return sorted(groups, key=first_id)
    if order == "name":
        return sorted(groups, key=lambda kv: (is_runtime(kv[0]), kv[0], first_id(kv)))
    return sorted(groups, key=lambda kv: (is_runtime(kv[0]), -running.get(kv[0], 0), first_id(kv)))


@dataclass(eq=False)
class Activity:
    """How many of a group's goroutines are running, runnable and blocked (waiting or in
    a syscall) over time."""

    running: Counter
    runnable: Counter
    blocked: Counter

    def at(self, t: int) -> tuple[int, int, int]:
        return tuple(int(c.value_at(t)) if len(c) else 0 for c in (self.running, self.runnable, self.blocked))  # type: ignore[return-value]


def _step(start: np.ndarray, end: np.ndarray) -> Counter:
    """How many of the [start, end) intervals are open over time: +1/-1 edges merged into
    one step function (a point at 0, then one per change)."""
    if not len(start):
        return Counter(np.zeros(1, I64), np.zeros(1, np.int32))
    ts = np.concatenate([start, end])
    d = np.concatenate([np.ones(len(start), np.int32), np.full(len(end), -1, np.int32)])
    order = np.argsort(ts, kind="stable")
    ts, count = ts[order], np.cumsum(d[order], dtype=np.int32)
    last = np.r_[ts[1:] != ts[:-1], True]  # the count after the last edge at each time
    ts, count = ts[last], count[last]
    if ts[0] != 0:
        ts, count = np.r_[np.int64(0), ts], np.r_[np.int32(0), count]
    return Counter(ts.astype(I64), count.astype(np.int32))


def group_activity(tracks: Sequence[Track], members: Sequence[int]) -> Activity:
    """The step functions of a group (vectorised over all its goroutines' spans)."""
    parts = [tracks[i].spans.flat for i in members if tracks[i].spans is not None]  # type: ignore[union-attr]
    if parts:
        start = np.concatenate([p.start for p in parts])
        end = np.concatenate([p.end for p in parts])
        state = np.concatenate([p.state for p in parts])
    else:
        start = end = np.zeros(0, I64)
        state = np.zeros(0, np.uint8)
    run = state == State.RUNNING
    ready = state == State.RUNNABLE
    blocked = (state == State.WAITING) | (state == State.SYSCALL)
    return Activity(_step(start[run], end[run]), _step(start[ready], end[ready]), _step(start[blocked], end[blocked]))


def activity_cells(act: Activity, edges: np.ndarray, procs: int) -> np.ndarray:
    """int64 cell codes (see `tracetui.tui.cells`) of a group's header row."""
    a, b = edges[:-1], edges[1:]
    r = act.running.mean_between(a, b)
    q = act.runnable.mean_between(a, b)
    w = act.blocked.mean_between(a, b)
    k = np.clip(np.ceil(r * 8 / max(procs, 1)), 1, 8).astype(I64)
    bar = density_code(int(Look.RUNNING), np.where(q > 0, int(Look.RUNNABLE), 0), k)
    ready = density_code(int(Look.RUNNABLE), 0, DENSITY_RUNNABLE)
    blocked = density_code(int(Look.BLOCK_OTHER), 0, DENSITY_BLOCKED)
    return np.where(r > 0, bar, np.where(q > 0, ready, np.where(w > 0, blocked, 0))).astype(I64)


def procs_of(gomaxprocs: Counter, n_procs: int) -> int:
    """The most Ps the program had (GOMAXPROCS), else how many P rows there are."""
    top = int(gomaxprocs.value.max()) if len(gomaxprocs) else 0
    return max(top, n_procs, 1)
