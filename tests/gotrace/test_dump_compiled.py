"""The compiled dump formatter (`_kdump.c`) writes the very bytes of the Python one (which
test_conformance holds to `go tool trace -d=parsed`)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tests.conftest import TRACES, committed_traces, trace_id
from tracetui.gotrace import dump, kernel
from tracetui.gotrace.events import EventTable
from tracetui.gotrace.reader import read_trace

pytestmark = pytest.mark.skipif(kernel.module(dump.KDUMP) is None, reason="the compiled dump kernel is not built")


def _both(table: EventTable, stop: int | None = None) -> tuple[bytes, bytes]:
    py, c = io.BytesIO(), io.BytesIO()
    dump.write_dump(table, py, stop, compiled=False)
    dump.write_dump(table, c, stop, compiled=True)
    return py.getvalue(), c.getvalue()


@pytest.mark.parametrize("path", committed_traces(), ids=trace_id)
def test_compiled_dump_is_the_python_dump(path: Path) -> None:
    py, c = _both(read_trace(path))
    assert py == "".join(dump.dump_text(read_trace(path))).encode("utf-8", "surrogateescape")
    assert c == py


def test_cut_trace_and_small_buffer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cut trace's valid rows; blocks split where the buffer fills, grown for a big event."""
    data = (TRACES / "go1.27.3" / "generations.trace").read_bytes()
    cut = tmp_path / "cut.trace"
    cut.write_bytes(data[: len(data) * 9 // 10])
    table = read_trace(cut)
    assert table.error is not None
    monkeypatch.setattr(dump, "_SPACE", 64)
    monkeypatch.setattr(dump, "_BLOCK", 1000)
    py, c = _both(table, table.valid_events)
    assert len(py) > 64 and c == py
