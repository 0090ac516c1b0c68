"""The v1 parser (Go 1.11-1.21 traces) against Go's own tracev1.Parse.

expected.json holds digests of Go's results (see oracle.py, which regenerates it): for Go's
testdata, our Go 1.21 recordings in traces/v1/, and broken copies of some of them (cut short,
bytes changed), where Go's error message must be ours word for word.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.gotrace.v1 import oracle
from tracetui.errors import TraceFormatError
from tracetui.gotrace.v1 import fastscan, wire
from tracetui.gotrace.v1 import spec as S
from tracetui.gotrace.v1.model import V1Trace
from tracetui.gotrace.v1.parser import parse_v1

EXPECTED: dict[str, dict[str, object]] = json.loads(oracle.EXPECTED.read_text())


@pytest.fixture(scope="module")
def inputs() -> dict[str, bytes]:
    return oracle.all_inputs()


def _check(name: str, data: bytes) -> None:
    want = EXPECTED[name]
    got = oracle.digest(oracle.dump(data))
    assert got["first"] == want["first"], f"{name}: Go says {want['first']!r}"
    assert got == want, f"{name}: same outcome as Go, different events (rerun oracle.py --diff)"


@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if "|" not in n and not n.endswith(".trace")))
def test_go_testdata_parses_as_go_does(name: str, inputs: dict[str, bytes]) -> None:
    assert str(EXPECTED[name]["first"]).startswith("V ")
    _check(name, inputs[name])


@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if n.endswith(".trace")))
def test_go121_recordings_parse_as_go_does(name: str, inputs: dict[str, bytes]) -> None:
    assert EXPECTED[name]["first"] == "V 21"
    _check(name, inputs[name])


def test_broken_and_handmade_traces_fail_or_parse_as_go_does(inputs: dict[str, bytes]) -> None:
    names = [n for n in EXPECTED if "|" in n]
    assert len(names) > 600
    bad = []
    for name in names:
        want = EXPECTED[name]
        got = oracle.digest(oracle.dump(inputs[name]))  # any exception but TraceFormatError fails here
        if got != want:
            bad.append(f"{name}: Go {want['first']!r}, ours {got['first']!r}")
    assert not bad, "\n".join(bad[:20])


def test_handmade_trace_reaches_the_fake_ps_and_inline_strings(inputs: dict[str, bytes]) -> None:
    tr = parse_v1(inputs["crafted|full"], 21)
    assert {S.TimerP, S.NetpollP, S.SyscallP, S.GCP} <= set(tr.p.tolist())
    assert tr.inline_strings == ["hello", ""]
    assert tr.strings[3] == "main.f\udcff"  # not UTF-8: kept byte for byte
    sysexit = int(np.flatnonzero(tr.typ == S.EvGoSysExit)[0])
    assert tr.ts[sysexit] == 1018 - 1001  # the exit's own time (ticks == ns here), not when it was written


def test_every_input_is_covered(inputs: dict[str, bytes]) -> None:
    assert set(inputs) == set(EXPECTED)


def test_columns_are_the_contract(inputs: dict[str, bytes]) -> None:
    tr = parse_v1(inputs["cpuprofile.trace"], 21)
    assert isinstance(tr, V1Trace) and tr.version == 21
    n = len(tr)
    assert n > 300
    for col, dtype in (("ts", np.int64), ("g", np.uint64), ("stk", np.uint32), ("p", np.int32), ("typ", np.uint8)):
        arr = getattr(tr, col)
        assert arr.dtype == dtype and arr.shape == (n,), col
    assert len(tr.args) == 4 and all(a.dtype == np.uint64 and a.shape == (n,) for a in tr.args)
    assert tr.ts[0] == 0 and bool(np.all(np.diff(tr.ts) >= 0))
    assert int(np.count_nonzero(tr.typ == S.EvCPUSample)) > 0
    assert not np.isin(tr.typ, [S.EvGoStartLocal, S.EvGoUnblockLocal, S.EvGoSysExitLocal]).any()
    assert all(tr.stacks[int(s)] for s in np.unique(tr.stk) if s)
    assert tr.strings and all(isinstance(s, str) for s in tr.strings.values())


def test_errors_carry_the_offset_and_path(inputs: dict[str, bytes]) -> None:
    data = inputs["user_task_region_1_21_good"]
    with pytest.raises(TraceFormatError) as ei:
        parse_v1(data[:16] + b"\x00" + data[16:], 21, path="x.trace")
    assert ei.value.message == "unknown event type 0" and ei.value.offset == 16
    assert ei.value.one_line() == "tracetui: x.trace: unknown event type 0 (at byte 16)"


def test_only_v1_versions_and_headers(inputs: dict[str, bytes]) -> None:
    with pytest.raises(TraceFormatError):
        parse_v1(inputs["http_1_21_good"], 22)
    with pytest.raises(TraceFormatError, match="not a Go execution trace"):
        parse_v1(b"gotrace\x00\x020", 21)


def test_vectorised_scan_equals_the_event_by_event_scan(
    inputs: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    """wire.scan hops over ordinary events with fastscan's tables; without them it must agree.

    (The Python path: the compiled one is checked against it in test_v1_scan_kernel.)"""
    monkeypatch.setenv("TRACETUI_PURE_PYTHON", "1")
    names = ["stress_start_stop_1_11_good", "http_1_19_good", "crafted|full", "nethttp.trace"] + [
        n for n in inputs if n.startswith("http_1_21")
    ]
    fast = {n: oracle.dump(inputs[n]) for n in names}
    monkeypatch.setattr(fastscan, "CHUNK", 97)  # events across many table boundaries
    assert {n: oracle.dump(inputs[n]) for n in names} == fast
    monkeypatch.setattr(wire, "ordinary", lambda version: np.zeros(64, bool))
    slow = {n: oracle.dump(inputs[n]) for n in names}
    assert fast == slow
