"""Hand-made V1Traces for the converter's tests: events as Go's tracev1.Parse returns them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tracetui.gotrace.dump import dump_text
from tracetui.gotrace.events import EventTable
from tracetui.gotrace.v1 import convert as C
from tracetui.gotrace.v1.model import V1Frame, V1Trace


@dataclass
class Ev:
    """One v1 event: Go's tracev1.Event (Type, Ts, G, P, Args, StkID)."""

    typ: int
    ts: int
    g: int = 0
    p: int = 0
    args: tuple[int, ...] = ()
    stk: int = 0


def v1trace(
    events: list[Ev],
    *,
    version: int = 21,
    strings: dict[int, str] | None = None,
    inline: list[str] | None = None,
    stacks: dict[int, tuple[int, ...]] | None = None,
    pcs: dict[int, V1Frame] | None = None,
) -> V1Trace:
    n = len(events)
    args = np.zeros((n, 4), np.uint64)
    for i, e in enumerate(events):
        for j, v in enumerate(e.args):
            args[i, j] = v & ((1 << 64) - 1)
    return V1Trace(
        version=version,
        ts=np.array([e.ts for e in events], np.int64),
        g=np.array([e.g for e in events], np.uint64),
        args=[args[:, j].copy() for j in range(4)],
        stk=np.array([e.stk for e in events], np.uint32),
        p=np.array([e.p for e in events], np.int32),
        typ=np.array([e.typ for e in events], np.uint8),
        stacks=stacks or {},
        pcs=pcs or {},
        strings=strings or {},
        inline_strings=inline or [],
    )


def table(tr: V1Trace) -> EventTable:
    conv = C.convert(tr)
    n = int(conv.columns["typ"].shape[0])
    return EventTable(
        version=tr.version,
        strings=conv.strings,
        stacks=conv.stacks,
        syncs=conv.syncs,
        valid_events=n,
        **conv.columns,
    )


def dump(tr: V1Trace) -> list[str]:
    """The converted trace as `go tool trace -d=parsed` prints it, one string per event."""
    return [line.removesuffix("\n") for line in dump_text(table(tr))]
