"""The head of a v1 trace told before the whole trace is ordered and checked (`ahead`): its
rows and tables are the whole parse's, on every input Go reads; a trace that fails later
yields its first slice and then no valid event, with Go's message."""

from __future__ import annotations

import numpy as np
import pytest

from tests.gotrace.v1 import oracle
from tracetui.errors import TraceFormatError
from tracetui.gotrace import v1 as v1mod
from tracetui.gotrace.reader import TraceStream
from tracetui.gotrace.v1 import convert as C
from tracetui.gotrace.v1 import parser
from tracetui.gotrace.v1 import spec as S
from tracetui.gotrace.v1.ahead import provisional_head
from tracetui.gotrace.v1.model import V1Trace
from tracetui.gotrace.wire import WireError, read_header
from tracetui.load import usable

COLUMNS = ("ts", "g", "p", "typ", "stk")


def _whole(data: bytes) -> V1Trace | None:
    try:
        tr = parser.parse_v1(data, read_header(data))
        C.check(tr)
    except TraceFormatError:
        return None
    return tr


def _head(data: bytes, k: int) -> V1Trace | None:
    return provisional_head(parser.stage(data, read_header(data)), k)


def test_the_head_is_the_whole_parses_head_on_every_input_go_reads() -> None:
    told = long_heads = 0
    inputs = oracle.all_inputs()
    for name, data in inputs.items():
        whole = _whole(data)
        if whole is None:
            continue
        n = len(whole)
        for k in sorted({1, 7, 50, 300, n // 3, n // 2, n - 1}):
            if not 0 < k < n:
                continue
            head = _head(data, k)
            if head is None:
                continue
            m = len(head)
            assert 0 < m <= k, (name, k)
            for c in COLUMNS:
                assert np.array_equal(getattr(head, c), getattr(whole, c)[:m]), (name, k, c)
            for j in range(4):
                assert np.array_equal(head.args[j], whole.args[j][:m]), (name, k, j)
            assert head.strings == whole.strings and head.stacks == whole.stacks, (name, k)
            assert head.pcs == whole.pcs and head.inline_strings == whole.inline_strings, (name, k)
            told += 1
            long_heads += m >= k // 2
    assert told >= 60 and long_heads >= told // 2  # told for most inputs, and most of the head


def test_a_syscall_exit_merged_later_but_earlier_in_time_bounds_the_head() -> None:
    """A GoSysExit takes its real time (Args[2]) and moves ahead of rows merged before it:
    the head stops before the first row it could move ahead of. Go's cpuprofile.trace (and
    its variants) have such exits within their first few hundred rows."""
    candidates = {
        name: d
        for name, d in oracle.all_inputs().items()
        if name.startswith("cpuprofile.trace") and (w := _whole(d)) is not None and _moves(w)
    }
    assert len(candidates) >= 5
    cut = 0
    for name, data in candidates.items():
        whole = _whole(data)
        assert whole is not None
        for k in range(1, min(len(whole), 400), 3):
            head = _head(data, k)
            if head is None:
                continue
            m = len(head)
            cut += m < k
            for c in COLUMNS:
                assert np.array_equal(getattr(head, c), getattr(whole, c)[:m]), (name, k, c)
    assert cut >= 5  # heads the bound cut short, all of them the whole trace's first rows


def _moves(tr: V1Trace) -> bool:
    """Whether some GoSysExit of tr was moved by its real time (it follows a later-time row)."""
    exits = np.flatnonzero(tr.typ == S.EvGoSysExit)
    return bool(exits.size) and bool(np.any(tr.args[2][exits] != 0))


def test_a_trace_that_fails_after_its_head_yields_the_first_slice_then_no_valid_event(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.conftest import TRACES

    path = TRACES / "v1" / "go1.21.13" / "gcstw.trace"
    data = path.read_bytes()
    monkeypatch.setattr(v1mod, "SLICE", 500)
    monkeypatch.setattr(v1mod, "HEAD", 1000)
    real = parser.post_process

    def post_process(ts: np.ndarray, *rest: object) -> None:
        if len(ts) > 1000:  # the whole trace, not its head
            raise parser.ScanError("g 7 is not running while GoBlock (time 1)")
        real(ts, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(parser, "post_process", post_process)
    stream = TraceStream(data, str(path))
    counts = []
    for _ in stream:
        counts.append(stream.events)
    assert counts == [500]  # the head was told, then the whole failed
    t = stream.table()
    assert t.error == "g 7 is not running while GoBlock (time 1)" and t.valid_events == 0 and t.valid_size == 0
    with pytest.raises(TraceFormatError, match="is not running"):
        usable(str(path), t)


def test_broken_inputs_end_in_gos_error_whatever_the_head_showed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every input Go refuses: the stream (with a small head) ends with the whole parse's
    error and no valid event, whether or not a first slice came before."""
    monkeypatch.setattr(v1mod, "SLICE", 20)
    monkeypatch.setattr(v1mod, "HEAD", 40)
    broken = 0
    for name, data in oracle.all_inputs().items():
        try:
            version = read_header(data)
        except WireError:
            continue
        if version not in (11, 19, 21) or _whole(data) is not None:
            continue
        try:
            v1mod.read_v1(data, name)
        except TraceFormatError as e:
            want = e.message
        try:
            stream = TraceStream(data, name)
        except TraceFormatError:
            continue  # refused before any event (the header check)
        for _ in stream:
            pass
        t = stream.table()
        assert t.error == want and t.valid_events == 0, name
        broken += 1
    assert broken >= 100
