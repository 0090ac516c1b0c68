"""The reader decodes each M's batches a slice at a time, as the ordering reaches them.
However the batches are sliced, the event table (and where a broken trace stops) is the
same: here with one batch per slice, against the default slicing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.conftest import TRACES, committed_traces, trace_id
from tracetui.errors import TracetuiError
from tracetui.gotrace import cursor
from tracetui.gotrace.events import COLUMNS, EventTable
from tracetui.gotrace.reader import read_buffer, read_trace


def _same(a: EventTable, b: EventTable) -> None:
    for name in COLUMNS:
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert a.strings.strings == b.strings.strings and a.stacks.stacks == b.stacks.stacks
    assert (a.error, a.error_offset, a.valid_events, a.valid_size) == (
        b.error,
        b.error_offset,
        b.valid_events,
        b.valid_size,
    )


def _one_batch_per_slice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cursor, "_FIRST_SLICE", 1)
    monkeypatch.setattr(cursor, "_SLICE_BYTES", 1)


@pytest.mark.parametrize("pure", [False, True], ids=["compiled", "python"])
@pytest.mark.parametrize("path", committed_traces(), ids=trace_id)
def test_any_slicing_gives_the_same_table(path: Path, pure: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if pure:
        monkeypatch.setenv("TRACETUI_PURE_PYTHON", "1")
    whole = read_trace(path)
    _one_batch_per_slice(monkeypatch)
    _same(whole, read_trace(path))


def _read(data: bytes) -> EventTable | str:
    try:
        return read_buffer(data, "cut.trace")
    except TracetuiError as e:
        return str(e)


@pytest.mark.parametrize("name", ["nethttp", "gcstw", "generations"])
def test_any_slicing_stops_a_broken_trace_at_the_same_place(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    data = (TRACES / "go1.27.3" / f"{name}.trace").read_bytes()
    cuts = [int(len(data) * f) for f in (0.13, 0.37, 0.61, 0.89)]
    broken = [data[:c] for c in cuts]
    for c in cuts:  # a corrupted byte inside a batch, the rest intact
        b = bytearray(data)
        b[c] ^= 0xFF
        broken.append(bytes(b))
    default = [_read(d) for d in broken]
    _one_batch_per_slice(monkeypatch)
    for d, want in zip(broken, default):
        got = _read(d)
        if isinstance(want, str) or isinstance(got, str):
            assert got == want
        else:
            _same(want, got)
