"""The timeline model every consumer reads (see README.md beside this file: its columns,
invariants and how to extend it). Readers build it with the public names of `trace`,
`kinds` and `spans`; the Go builder is `build_model`."""

from tracetui.model.from_gotrace import build_model, stats
from tracetui.model.kinds import GOROUTINE_STATES, THREAD_STATES, CounterTrack, GCTrack, HeapTrack, counted_by
from tracetui.model.trace import (
    Counter,
    CPUSamples,
    FlowKind,
    Flows,
    Goroutines,
    InstantKind,
    Instants,
    Regions,
    Spans,
    State,
    Tasks,
    Trace,
    Track,
    TrackKind,
)

__all__ = [
    "GOROUTINE_STATES",
    "THREAD_STATES",
    "CPUSamples",
    "Counter",
    "CounterTrack",
    "FlowKind",
    "Flows",
    "GCTrack",
    "Goroutines",
    "HeapTrack",
    "InstantKind",
    "Instants",
    "Regions",
    "Spans",
    "State",
    "Tasks",
    "Trace",
    "Track",
    "TrackKind",
    "build_model",
    "counted_by",
    "stats",
]
