"""Batches of goroutine spans: the analyses give the same figures whatever the batch size."""

from __future__ import annotations

import numpy as np

from tests.conftest import TRACES
from tracetui.analysis import blocking, goroutines, gspans
from tracetui.load import open_model
from tracetui.model.trace import State


def _figures(path: str) -> dict[str, object]:
    trace = open_model(path).trace
    out: dict[str, object] = {}
    for name, kind in blocking.PROFILES.items():
        s = blocking._samples(trace, kind, False)
        out[name] = [c.tolist() for c in (s.goroutine, s.start, s.delay, s.stack, s.reason)]
    st = goroutines.goroutine_stats(trace)
    out["stats"] = [
        np.asarray(getattr(st, f)).tolist()
        for f in ("id", "creation", "end", "total", "execution", "sched_wait", "syscall", "syscall_block")
    ]
    out["block"] = {k: v.tolist() for k, v in st.block.items()}
    out["block_order"] = list(st.block)
    return out


def test_batch_size_does_not_change_the_figures(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    path = str(TRACES / "go1.27.3" / "manygoroutines.trace")
    whole = _figures(path)
    monkeypatch.setattr(gspans, "MAX_SPANS", 7)  # a goroutine or two per batch
    assert _figures(path) == whole
    assert whole["sync"][0], "the trace has sync blocking to compare"


def test_batch_layout() -> None:
    trace = open_model(str(TRACES / "go1.27.3" / "channels.trace")).trace
    rows = np.arange(len(trace.goroutines))
    (b,) = list(gspans.batches(trace, rows))
    assert b.offsets[0] == 0 and b.offsets[-1] == len(b)
    assert np.all(np.diff(b.owner) >= 0) and b.last.sum() == b.rows.size
    running = b.spans.state == State.RUNNING
    first = b.first_where(b.spans.state == b.spans.state[0])
    assert first[0] == 0
    per = b.per_goroutine(b.spans.end - b.spans.start, running)
    assert per.sum() == int((b.spans.end - b.spans.start)[running].sum())
