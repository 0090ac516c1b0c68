"""The trigger of a flight-recorder snapshot (`tracetui record --flight`): the log event the
recorder's code writes (category `tracetui.flight`, "trigger: <reason>") just before it
writes the window out, so a snapshot carries its reason and moment in its own events."""

from __future__ import annotations

from typing import Any

import numpy as np

from tracetui.model.trace import Trace

TRIGGER_CATEGORY = "tracetui.flight"  # as tracetui/record/flightoverlay.py writes it
_PREFIX = "trigger: "


def flight_trigger(trace: Trace) -> dict[str, Any] | None:
    """`{"reason": ..., "at_ns": ...}` of the last trigger in a snapshot (ns from the trace's
    start), or None for a trace that is no flight-recorder snapshot of ours."""
    lg = trace.logs
    if not len(lg):
        return None
    strings = trace.strings.strings
    cat = [i for i, s in enumerate(strings) if s == TRIGGER_CATEGORY]
    if not cat:
        return None
    hit = np.flatnonzero(np.isin(lg.arg, cat))
    if not hit.size:
        return None
    k = int(hit[np.argmax(lg.ts[hit])])
    sid = int(lg.string[k])
    message = strings[sid] if 0 <= sid < len(strings) else ""
    return {"reason": message.removeprefix(_PREFIX), "at_ns": int(lg.ts[k])}
