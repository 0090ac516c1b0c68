"""The head of a v1 trace told before the whole trace is ordered and checked (`ahead`): its
rows and tables are the whole parse's on every input Go reads (log messages may be numbered
otherwise, their text the same); no head when the tables depend on the order batches load
in; a trace that fails later yields its first slice and then no valid event, with Go's
message."""

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
            _same_args(head, whole, (name, k))
            told += 1
            long_heads += m >= k // 2
    assert told >= 60 and long_heads >= told // 2  # told for most inputs, and most of the head


def _same_args(head: V1Trace, whole: V1Trace, where: object) -> None:
    """head's arguments and tables are whole's, but a log's message (Args[3], an index into
    the inline strings, which load order numbers) is compared as text."""
    m = len(head)
    log = head.typ == S.EvUserLog
    for j in range(3):
        assert np.array_equal(head.args[j], whole.args[j][:m]), (where, j)
    a3, w3 = head.args[3], whole.args[3][:m]
    assert np.array_equal(a3[~log], w3[~log]), where
    assert [head.inline_strings[i] for i in a3[log]] == [whole.inline_strings[i] for i in w3[log]], where
    assert sorted(head.inline_strings) == sorted(whole.inline_strings), where
    assert head.strings == whole.strings and head.stacks == whole.stacks and head.pcs == whole.pcs, where


def test_log_messages_numbered_in_another_order_read_the_same() -> None:
    """P 1's batch comes first in the file, P 0's first in Go's merge: the inline strings are
    numbered in the other order in the head, and each log names the same message."""
    w = oracle._W()
    w.batch(1, 2000).ev(S.EvProcStart, 1, 8).ev(S.EvUserLog, 1, 9, 1, 1, tail=b"b").ev(S.EvProcStop, 1)
    w.batch(0, 1000).ev(S.EvProcStart, 1, 7).ev(S.EvUserLog, 1, 9, 1, 1, tail=b"a").ev(S.EvProcStop, 1)
    data = w.footer()
    whole, head = _whole(data), _head(data, 2)
    assert whole is not None and head is not None and len(head) == 2
    assert head.inline_strings != whole.inline_strings  # numbered otherwise...
    _same_args(head, whole, "logs")  # ...the same messages


def test_no_head_when_the_tables_depend_on_the_load_order() -> None:
    """Two frequencies (Go keeps the last it loads), a stack id with two stacks, a PC with two
    frames: which wins depends on the merge's order, so no head is told."""
    plain = oracle._prologue(oracle._W()).ev(S.EvGoStart, 1, 1, 1).ev(S.EvGoEnd, 1).ev(S.EvProcStop, 1)
    assert _head(plain.footer(), 2) is not None
    cases = {
        "frequencies": lambda w: w.batch(1, 0).ev(S.EvFrequency, 2_000_000_000),
        "stack": lambda w: w.batch(1, 0).ev(S.EvStack, 1, 1, 0x409000, 1, 2, 10),
        "frame": lambda w: w.batch(1, 0).ev(S.EvStack, 7, 1, 0x401000, 3, 2, 99),
    }
    for name, extra in cases.items():
        w = oracle._prologue(oracle._W()).ev(S.EvGoStart, 1, 1, 1).ev(S.EvGoEnd, 1).ev(S.EvProcStop, 1)
        data = extra(w).footer()
        assert _whole(data) is not None, name  # Go reads it
        assert _head(data, 2) is None, name


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
