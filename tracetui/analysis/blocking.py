"""Block profiles: where goroutines waited, as `go tool trace -pprof=TYPE` counts it.

Go's rule (cmd/trace/pprof.go): a sample starts when a goroutine enters the profile's
state (blocked for net and sync, in a syscall, runnable for sched) for a reason the profile
wants, and ends at its next transition to another state; the sample's time is its overlap
with the goroutine's life as Go's summary sees it, [first start of running, exit or trace
end], and a sample counts when that overlap is positive. Samples still open at the trace
end are not counted. The stack is the one of the event that started the sample (for an
unblock the unblocker's, for a create the creator's): the model's span stack.

On the model this is: per goroutine, runs of touching spans in the state (transitions to
the same state do not end a sample), kept when the run's first span has a wanted reason
and a transition ends the run.

A trace made by `tracetui record` has the recorder's own code in it (model/injected.py):
unless asked (`show_injected`), its goroutines give no samples, nor do samples whose stack
has its frames (G1 in the recorder's init and exit hook).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from weakref import WeakKeyDictionary

import numpy as np

from tracetui.analysis.gspans import SpanBatch, batches
from tracetui.model.injected import injected_stacks
from tracetui.model.trace import State, Trace

I64 = np.int64


@dataclass(frozen=True)
class ProfileKind:
    name: str
    state: State
    wants: Callable[[str], bool]
    description: str


def _sync(reason: str) -> bool:
    return "chan" in reason or "sync" in reason or "select" in reason


PROFILES: dict[str, ProfileKind] = {
    "net": ProfileKind("net", State.WAITING, lambda r: r == "network", "network blocking"),
    "sync": ProfileKind("sync", State.WAITING, _sync, "synchronization blocking (channels, select, sync)"),
    "syscall": ProfileKind("syscall", State.SYSCALL, lambda r: True, "syscall blocking"),
    "sched": ProfileKind("sched", State.RUNNABLE, lambda r: True, "scheduler latency (runnable to running)"),
}


def reason_profile(reason: str) -> ProfileKind:
    """A profile of one block reason ("chan send", "chan receive", "select", ...)."""
    return ProfileKind(reason, State.WAITING, lambda r: r == reason, f"blocked in {reason}")


@dataclass(eq=False)
class Samples:
    """One row per sample: goroutine id, start (ns from the trace start), the time counted
    (ns), the stack id and the reason string id of the transition that started it."""

    goroutine: np.ndarray
    start: np.ndarray
    delay: np.ndarray
    stack: np.ndarray
    reason: np.ndarray

    def __len__(self) -> int:
        return int(self.delay.shape[0])

    @property
    def total(self) -> int:
        return int(self.delay.sum())


def hidden(trace: Trace, show_injected: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """What the analyses leave out: the goroutine ids of the recorder's injected code and a
    bool per stack id, True for stacks with its frames (None: nothing to hide)."""
    if show_injected:
        return np.zeros(0, I64), None
    mask = injected_stacks(trace.stacks, trace.strings)
    return np.asarray(trace.injected, I64), (mask if mask.any() else None)


_MEMO: WeakKeyDictionary[Trace, dict[tuple[str, State, str, bool], Samples]] = WeakKeyDictionary()


def samples(trace: Trace, kind: ProfileKind, show_injected: bool = False) -> Samples:
    """The samples of a profile, by goroutine id then time (computed once per model and
    profile: the summary, the histograms and the screens share them). The recorder's
    injected code is left out unless `show_injected`."""
    memo = _MEMO.setdefault(trace, {})
    # "sync" the profile is not "sync" the reason
    key = (kind.name, kind.state, kind.description, show_injected)
    if key not in memo:
        memo[key] = _samples(trace, kind, show_injected)
    return memo[key]


def _samples(trace: Trace, kind: ProfileKind, show_injected: bool) -> Samples:
    """The runs in the profile's state (see `_state_runs`) with a reason it wants."""
    runs = _state_runs(trace, kind.state, show_injected)
    strings = trace.strings.strings
    wanted = np.array([kind.wants(s) for s in strings] or [False], bool)
    sel = wanted[runs.reason]
    if sel.all():
        return runs
    return Samples(runs.goroutine[sel], runs.start[sel], runs.delay[sel], runs.stack[sel], runs.reason[sel])


# The states the profiles are of: their runs are found in one pass over the goroutines' spans.
_PROFILE_STATES = (State.WAITING, State.SYSCALL, State.RUNNABLE)
_RUNS: WeakKeyDictionary[Trace, dict[tuple[State, bool], Samples]] = WeakKeyDictionary()


def _state_runs(trace: Trace, state: State, show_injected: bool) -> Samples:
    """Every closed run of spans in `state` that counts (any reason), by goroutine id then
    time: what every profile of that state filters. Computed once per model, for all the
    profiles' states together."""
    memo = _RUNS.setdefault(trace, {})
    if (state, show_injected) not in memo:
        states = tuple(dict.fromkeys((state, *_PROFILE_STATES)))
        skip, overlay = hidden(trace, show_injected)
        rows = np.flatnonzero(~np.isin(trace.goroutines.id, skip))
        parts: dict[State, list[tuple[np.ndarray, ...]]] = {st: [] for st in states}
        for b in batches(trace, rows):
            for st in states:
                if (p := _batch_samples(trace, b, st, overlay)) is not None:
                    parts[st].append(p)
        for st, found in parts.items():
            memo[(st, show_injected)] = _joined(trace, found)
    return memo[(state, show_injected)]


def _joined(trace: Trace, parts: list[tuple[np.ndarray, ...]]) -> Samples:
    if not parts:
        z = np.zeros(0, I64)
        return Samples(z, z.copy(), z.copy(), np.zeros(0, np.int32), np.zeros(0, np.int32))
    cols = [np.concatenate(c) for c in zip(*parts)]
    return Samples(cols[0], cols[1], cols[2].astype(I64), known_stacks(trace, cols[3]), cols[4])


def _batch_samples(
    trace: Trace, b: SpanBatch, state: State, overlay: np.ndarray | None
) -> tuple[np.ndarray, ...] | None:
    """The samples of a batch of goroutines: each run of touching spans in `state` that a
    transition closed (not the recorder's), clamped to the goroutine's life."""
    sp = b.spans
    inside = sp.state == state
    if not inside.any():
        return None
    last_of_g = b.last
    touching = np.zeros(len(sp), bool)  # span i touches span i + 1 of the same goroutine
    touching[:-1] = (sp.end[:-1] == sp.start[1:]) & ~last_of_g[:-1]
    joined_before = np.zeros(len(sp), bool)
    joined_before[1:] = inside[:-1] & touching[:-1]
    joined_after = np.zeros(len(sp), bool)
    joined_after[:-1] = inside[1:] & touching[:-1]
    first = np.flatnonzero(inside & ~joined_before)
    last = np.flatnonzero(inside & ~joined_after)
    owner = b.owner[first]
    start, end = sp.start[first], sp.end[last]
    ended = trace.goroutines.ended[b.rows].astype(I64)
    # A transition ends the run: another span follows (or a gap: the goroutine ended).
    closed = ~last_of_g[last] | ((ended[owner] >= 0) & (end == ended[owner]))
    keep = closed
    if overlay is not None:
        keep &= ~overlay[sp.stack[first]]
    if not keep.any():
        return None
    # Go's summary keeps one GoroutineSummary per id, replaced at each creation (a reused id:
    # GoCreateSyscall after GoDestroySyscall, cgo callbacks on extra Ms), so the life is the
    # LAST lifetime's: from its first start of running (none: from the trace start).
    run0 = b.first_where((sp.state == State.RUNNING) & b.in_last_life)
    life0 = np.where(run0 >= 0, sp.start[np.maximum(run0, 0)], np.iinfo(I64).min)
    life1 = np.where(ended >= 0, ended, int(trace.duration))
    owner, first = owner[keep], first[keep]
    s, e = start[keep], end[keep]
    l0, l1 = life0[owner], life1[owner]
    # Go's interval overlap: nothing if apart, else the clamped length (may be 0).
    apart = (l1 < s) | (e < l0)
    delay = np.where(apart, 0, np.minimum(e, l1) - np.maximum(s, l0))
    counted = delay > 0
    if not counted.any():
        return None
    gid = trace.goroutines.id[b.rows[owner[counted]]].astype(I64)
    return gid, s[counted], delay[counted], sp.stack[first[counted]], sp.reason[first[counted]]


def known_stacks(trace: Trace, stack: np.ndarray) -> np.ndarray:
    """Stack ids with a stack of only unknown frames (PC 0) as no stack: Go's profiles key
    stacks by their PCs, so such a stack and no stack are one."""
    st = trace.stacks
    ids = np.unique(stack)
    unknown = [s for s in ids.tolist() if s and all(st.frame_pc[f] == 0 for f in st.stacks[s])]
    if not unknown:
        return stack
    return np.where(np.isin(stack, unknown), 0, stack).astype(stack.dtype)


@dataclass(frozen=True)
class StackTotal:
    stack: int  # stack id (0: no stack)
    delay: int  # ns
    count: int


def by_stack(s: Samples) -> list[StackTotal]:
    """Total delay and count per stack id, largest delay first."""
    if not len(s):
        return []
    ids, inverse = np.unique(s.stack, return_inverse=True)
    delay = np.bincount(inverse, weights=s.delay, minlength=ids.size)
    count = np.bincount(inverse, minlength=ids.size)
    order = np.argsort(-delay, kind="stable")
    return [StackTotal(int(ids[i]), int(delay[i]), int(count[i])) for i in order.tolist()]


def totals(trace: Trace, show_injected: bool = False) -> dict[str, dict[str, int]]:
    """`{net|sync|syscall|sched: {total_ns, count}}` for `summary --json`."""
    out = {}
    for name, kind in PROFILES.items():
        s = samples(trace, kind, show_injected)
        out[name] = {"total_ns": s.total, "count": len(s)}
    return out
