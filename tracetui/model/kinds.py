"""The model's small enums: span states, track kinds, instant and flow kinds, and the ids of
the fixed tracks (GC, heap and counter tracks), so that no reader or writer names a kind
or a fixed track by a bare number or its display name. Fixed track ids are plain ints
(`Track.id` is an int), named in namespaces."""

from __future__ import annotations

from enum import IntEnum
from typing import Final


class State(IntEnum):
    """State of a span. The first six are Go's `trace.GoState` values, in its order."""

    UNDETERMINED = 0  # state unknown (never emitted as a span by the Go builder)
    NOT_EXIST = 1  # goroutine not created yet / destroyed (never a span: a gap)
    RUNNABLE = 2
    RUNNING = 3  # goroutine executing; P with a goroutine (or held by an M); M holding a P
    WAITING = 4  # goroutine blocked; `reason` says why ("chan receive", "sleep", ...)
    SYSCALL = 5  # goroutine in a syscall; P or M with a goroutine in a syscall
    IDLE = 6  # P or M idle
    GC = 7  # GC mark phase
    STW: Final = 8  # stop-the-world
    SWEEP = 9  # GC incremental sweep
    MARK_ASSIST = 10  # GC mark assist
    TASK = 11  # user task (runtime/trace.NewTask .. End)
    REGION = 12  # user region
    BLOCKED = 4  # alias of WAITING


N_STATES = 13


class TrackKind(IntEnum):
    PROC = 0
    THREAD = 1
    GOROUTINE = 2
    GC = 3
    HEAP = 4
    COUNTER = 5
    TASK = 6
    REGION = 7
    CPU = 8
    HOST = 9  # a host row (sampler, GODEBUG): `counter` (with `unit`) or sampled thread-state `spans`


class InstantKind(IntEnum):
    LOG = 0  # runtime/trace.Log: string = message, arg = category string id, task = task id
    LABEL = 1  # goroutine label (e.g. "GC (dedicated)"): string = label
    CPU_SAMPLE = 2  # CPU profile sample: stack, arg = goroutine id (-1 none)


class FlowKind(IntEnum):
    UNBLOCK = 0  # GoUnblock (or GoSwitch) -> the unblocked goroutine's next start
    CREATE = 1  # GoCreate -> the new goroutine's first start


class GCTrack:
    """`Track.id` of the two GC tracks."""

    MARK: Final = 0  # "GC": the mark phases (Trace.gc)
    STW: Final = 1  # "STW": stop-the-world ranges, flattened onto one row (Trace.stw)


class HeapTrack:
    """`Track.id` of the two HEAP tracks."""

    IN_USE: Final = 0  # "Heap in use" (Trace.heap_alloc)
    GOAL: Final = 1  # "Heap goal" (Trace.heap_goal)


class CounterTrack:
    """`Track.id` of the COUNTER tracks of a Go trace: GOMAXPROCS, then goroutines per state
    (GOROUTINES + i counts GOROUTINE_STATES[i]), then threads per state (THREADS + i counts
    THREAD_STATES[i]). The goroutine and thread counters are derived from the spans (see
    `counted_by`). Another tool's counter tracks are COUNTER tracks too, ids from 0."""

    GOMAXPROCS: Final = 0
    GOROUTINES: Final = 1
    THREADS: Final = 5


GOROUTINE_STATES = (State.RUNNING, State.RUNNABLE, State.WAITING, State.SYSCALL)  # Trace.goroutine_counts keys
THREAD_STATES = (State.RUNNING, State.SYSCALL)  # Trace.thread_counts keys (RUNNING: holding a P)


def counted_by(track_id: int) -> tuple[TrackKind, State] | None:
    """For a derived COUNTER track of a Go trace (CounterTrack.GOROUTINES + i or THREADS + i):
    the kind of the tracks whose spans it counts and the state; None for any other id."""
    i = track_id - CounterTrack.GOROUTINES
    if 0 <= i < len(GOROUTINE_STATES):
        return TrackKind.GOROUTINE, GOROUTINE_STATES[i]
    i = track_id - CounterTrack.THREADS
    if 0 <= i < len(THREAD_STATES):
        return TrackKind.THREAD, THREAD_STATES[i]
    return None
