"""The viewer's first slice of a v1 trace, converted from the trace's head before the whole
conversion: its rows are the whole conversion's first rows, on every trace Go reads."""

from __future__ import annotations

import numpy as np
import pytest

from tests.gotrace.v1 import oracle
from tests.gotrace.v1.v1build import Ev, v1trace
from tracetui.errors import TraceFormatError
from tracetui.gotrace import v1 as v1mod
from tracetui.gotrace.reader import TraceStream
from tracetui.gotrace.v1 import convert as C
from tracetui.gotrace.v1.parser import parse_v1
from tracetui.gotrace.wire import read_header

COLUMNS = ("typ", "time", "m", "p", "g", "a0", "a1", "a2", "a3")


@pytest.fixture(scope="module")
def parsed() -> dict[str, object]:
    """Every oracle input that parses and converts (Go's testdata, our Go 1.21 recordings,
    crafted ones)."""
    out: dict[str, object] = {}
    for name, data in oracle.all_inputs().items():
        try:
            tr = parse_v1(data, read_header(data))
            C.check(tr)
        except TraceFormatError:
            continue
        out[name] = tr
    return out


def _same_rows(a: dict[str, np.ndarray], b: dict[str, np.ndarray], k: int) -> bool:
    return all(np.array_equal(a[c][:k], b[c][:k]) for c in COLUMNS)


def test_the_heads_known_rows_are_the_whole_conversions(parsed: dict[str, C.V1Trace]) -> None:
    assert len(parsed) >= 15
    reached = 0
    for name, tr in parsed.items():
        whole = C.convert(tr)
        n = len(tr)
        for k in sorted({1, 7, 50, 300, n // 3, n // 2, n - 1}):
            if not 0 < k < n:
                continue
            part, known = C.convert_head(tr, k)
            assert known <= len(part.columns["typ"]) - 1, name  # never the head's closing Sync
            assert _same_rows(part.columns, whole.columns, known), (name, k, known)
            assert part.strings.strings == whole.strings.strings, name
            assert part.stacks.stacks == whole.stacks.stacks, name
            if known and k >= n // 3:
                reached += 1
    assert reached >= 10  # the heads of real traces give rows, not only 0


def test_an_open_syscall_in_the_head_stops_the_known_rows() -> None:
    """A GoSysCall whose goroutine's next event is past the head: Go's converter may make it
    a blocking syscall (a later GoSysBlock), so no row from it on is known."""
    evs = [
        Ev(C.EvProcStart, 1, 0, 0, (9,)),
        Ev(C.EvGomaxprocs, 2, 0, 0, (4,)),
        Ev(C.EvGoCreate, 3, 0, 0, (5, 0)),
        Ev(C.EvGoStart, 4, 5, 0, (5, 0)),
        Ev(C.EvGoSysCall, 5, 5, 0, ()),
        Ev(C.EvHeapAlloc, 6, 0, 0, (1,)),
        Ev(C.EvGoSysBlock, 7, 5, 0, ()),
    ]
    tr = v1trace(evs)
    whole = C.convert(tr)
    part, known = C.convert_head(tr, 6)
    assert _same_rows(part.columns, whole.columns, known)
    assert known == 4  # the Sync and the rows of ProcStart, Gomaxprocs (a GoStatus) and GoStart
    # The head's syscall is a quick one (Begin, End 1 ns later), the whole trace's blocks.
    assert not _same_rows(part.columns, whole.columns, known + 2)
    # With the goroutine's next event in the head, the whole head is known.
    more = [Ev(C.EvGoSched, 7, 5, 0, ()), Ev(C.EvHeapAlloc, 8, 0, 0, (2,)), Ev(C.EvHeapAlloc, 9, 0, 0, (3,))]
    tr2 = v1trace(evs[:-1] + more)
    part2, known2 = C.convert_head(tr2, 8)
    assert known2 == len(part2.columns["typ"]) - 1
    assert _same_rows(part2.columns, C.convert(tr2).columns, known2)


def test_no_row_is_known_before_the_first_gomaxprocs() -> None:
    evs = [Ev(C.EvProcStart, 1, 0, 0, (9,)), Ev(C.EvHeapAlloc, 2, 0, 0, (1,)), Ev(C.EvGomaxprocs, 3, 0, 0, (4,))]
    assert C.convert_head(v1trace(evs), 2)[1] == 0


def test_the_stream_sends_the_head_before_converting_the_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither the whole conversion nor the arguments' gather into their final order (the
    longest step of the parse) comes before the first slice, which is told before the whole
    trace is ordered (`ahead`) and is the whole trace's head."""
    from tests.conftest import TRACES
    from tracetui.gotrace.v1 import ahead, parser

    path = TRACES / "v1" / "go1.21.13" / "gcstw.trace"
    data = path.read_bytes()
    whole = v1mod.read_v1(data, str(path))
    monkeypatch.setattr(v1mod, "SLICE", 500)
    monkeypatch.setattr(v1mod, "HEAD", 1000)
    calls: list[str] = []
    real = C.convert

    def convert(tr: C.V1Trace, consume: bool = False) -> C.Converted:
        calls.append("whole" if consume else "whole, not consumed")
        return real(tr, consume)

    monkeypatch.setattr(C, "convert", convert)
    real_trace = parser.Ordered.trace

    def trace(self: parser.Ordered) -> C.V1Trace:
        calls.append("arguments gathered")
        return real_trace(self)

    monkeypatch.setattr(parser.Ordered, "trace", trace)
    real_head = ahead.provisional_head

    def provisional_head(staged: parser.Staged, k: int) -> C.V1Trace | None:
        head = real_head(staged, k)
        calls.append("head told early" if head is not None else "no early head")
        return head

    monkeypatch.setattr(ahead, "provisional_head", provisional_head)
    stream = TraceStream(data, str(path))
    offsets = []
    for off in stream:
        if not offsets:
            assert calls == ["head told early"] and stream.events == 500  # before the whole parse
            first = stream.table()
            assert first.strings.strings == whole.strings.strings
            for c in COLUMNS:  # the first slice (told before the whole parse) is the whole's head
                assert np.array_equal(getattr(first, c), getattr(whole, c)[:500]), c
        offsets.append(off)
    assert calls == ["head told early", "arguments gathered", "whole"]
    assert offsets == sorted(offsets) and offsets[-1] == len(data)
    t = stream.table()
    assert len(t) == len(whole) and t.valid_events == len(whole)
    for c in COLUMNS:
        assert np.array_equal(getattr(t, c).astype(np.int64), getattr(whole, c).astype(np.int64)), c


def test_a_converter_error_past_the_head_leaves_no_event(monkeypatch: pytest.MonkeyPatch) -> None:
    """Go's converter fails on the whole trace: the stream yields nothing, not even a first
    slice (the converter's refusal is seen before any event is ordered)."""
    from tests.conftest import TRACES
    from tracetui.gotrace.v1 import parser

    path = TRACES / "v1" / "go1.21.13" / "gcstw.trace"
    data = path.read_bytes()
    monkeypatch.setattr(v1mod, "HEAD", 100)
    real = parser.columns

    def columns(sc: object) -> object:
        c = real(sc)  # type: ignore[arg-type]
        heap = np.flatnonzero(c.typ == C.EvHeapAlloc)
        c.typ[heap[-1]] = C.EvTimerGoroutine  # a type the converter refuses, far past the head
        return c

    monkeypatch.setattr(parser, "columns", columns)
    stream = TraceStream(data, str(path))
    assert list(stream) == [] and stream.events == 0
    assert stream.reader.error == f"unexpected event type {C.EvTimerGoroutine}"


def test_the_conversion_in_small_blocks_is_the_same(
    parsed: dict[str, C.V1Trace], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The conversion expands events and looks up Ms a block at a time: blocks of 7 events
    (many boundaries) give the same rows and dtypes as one block."""
    whole = {name: C.convert(tr).columns for name, tr in parsed.items()}
    monkeypatch.setattr(C, "BLOCK", 7)
    for name, tr in parsed.items():
        small = C.convert(tr).columns
        for c in COLUMNS:
            assert small[c].dtype == whole[name][c].dtype and np.array_equal(small[c], whole[name][c]), (name, c)
