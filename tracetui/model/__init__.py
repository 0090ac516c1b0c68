"""The timeline model every consumer reads (see ARCHITECTURE.md, "The model")."""

from tracetui.model.from_gotrace import build_model, stats
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
    "CPUSamples",
    "Counter",
    "FlowKind",
    "Flows",
    "Goroutines",
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
    "stats",
]
