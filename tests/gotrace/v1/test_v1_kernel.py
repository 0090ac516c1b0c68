"""The compiled v1 merge and post-processing (_kv1order.c) against the Python path.

Both must give the same events, the same loaded strings and stacks, and the same errors word for
word on every input of the oracle (Go's testdata, our recordings, broken and handmade traces).
"""

from __future__ import annotations

import collections
from typing import Any

import numpy as np
import pytest

from tests.gotrace.v1 import oracle
from tracetui.gotrace import kernel
from tracetui.gotrace.v1 import columns, order, parser, wire
from tracetui.gotrace.v1 import spec as S
from tracetui.gotrace.v1.post import _CODE_U8
from tracetui.gotrace.wire import header_length, read_header

MOD = kernel.module(order.KERNEL)
pytestmark = pytest.mark.skipif(MOD is None, reason="the compiled v1 merge is not built")


class _Counting:
    """The kernel module, counting the outcomes of its calls."""

    def __init__(self, mod: Any) -> None:
        self.mod = mod
        self.seen: collections.Counter[object] = collections.Counter()

    def merge(self, *args: object) -> tuple[int, int, int]:
        got = self.mod.merge(*args)
        self.seen["merge", got[0]] += 1
        return got  # type: ignore[no-any-return]

    def post(self, *args: object) -> bool:
        got = self.mod.post(*args)
        self.seen["post", got] += 1
        return got  # type: ignore[no-any-return]


def test_compiled_and_python_paths_agree_on_every_input(monkeypatch: pytest.MonkeyPatch) -> None:
    inputs = oracle.all_inputs()
    counting = _Counting(MOD)
    monkeypatch.setitem(kernel._LOADED, order.KERNEL, counting)
    fast = {name: oracle.dump(data) for name, data in inputs.items()}
    # Outcomes reached: merged, stopped at a batch that fails to load, found no order; passed, failed.
    assert all(
        counting.seen[k] > 0 for k in (("merge", 0), ("merge", 1), ("merge", 4), ("post", True), ("post", False))
    )
    monkeypatch.setenv("TRACETUI_PURE_PYTHON", "1")
    assert kernel.module(order.KERNEL) is None
    bad = [name for name, data in inputs.items() if oracle.dump(data) != fast[name]]
    assert not bad, bad[:20]


def test_compiled_merge_stops_at_an_impossible_transition(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two Ps unblock G 1, both ready at once: the second one popped finds it runnable already."""
    w = oracle._prologue(oracle._W()).ev(S.EvGoStart, 1, 1, 1).ev(S.EvGoBlock, 1, 1)
    w.batch(1, 1010).ev(S.EvGoUnblockLocal, 1, 1, 1).batch(2, 1020).ev(S.EvGoUnblockLocal, 1, 1, 1)
    data = w.footer()
    counting = _Counting(MOD)
    monkeypatch.setitem(kernel._LOADED, order.KERNEL, counting)
    fast = oracle.dump(data)
    assert counting.seen["merge", 3] == 1
    monkeypatch.setitem(kernel._LOADED, order.KERNEL, None)
    assert fast == oracle.dump(data) == f"ERR {order.IMPOSSIBLE}\n"


def test_failed_post_leaves_the_columns_as_they_were(monkeypatch: pytest.MonkeyPatch) -> None:
    """The kernel fixes up p and stk as it goes; failing at the last event, it undoes all of it."""
    assert MOD is not None
    seen: list[tuple[Any, ...]] = []
    real = parser.post_process

    def capture(*cols: Any) -> None:
        seen.append((*(np.copy(c) for c in cols[:7]), cols[7]))
        real(*cols)

    monkeypatch.setattr(parser, "post_process", capture)
    parser.parse_v1(oracle.all_inputs()["crafted|full"], 21)
    _, g, p, typ, stk, args, order, stacks = seen[0]
    fixed = p.copy(), stk.copy()
    known = np.array([0, *sorted(stacks)], np.uint32)
    assert MOD.post(typ, g, fixed[0], fixed[1], args, order, _CODE_U8, known, S.TimerP, S.NetpollP, S.GCP)
    assert not (np.array_equal(fixed[0], p) and np.array_equal(fixed[1], stk))  # something was fixed up
    # The same events and a region of an invalid mode after them.
    typ2, g2 = np.append(typ, np.uint8(S.EvUserRegion)), np.append(g, g[-1:])
    args2 = np.vstack((args, np.array([[0, 2, 0, 0]], np.uint64)))
    order2 = np.append(order, np.int32(len(args)))
    p2, stk2 = np.append(p, p[-1:]), np.append(stk, stk[-1:])
    before = p2.copy(), stk2.copy()
    assert not MOD.post(typ2, g2, p2, stk2, args2, order2, _CODE_U8, known, S.TimerP, S.NetpollP, S.GCP)
    assert np.array_equal(p2, before[0]) and np.array_equal(stk2, before[1])
    # The arguments are read through order, whose rows must be args' (else no read past them).
    order2[-1] = len(args2)
    with pytest.raises(ValueError, match="order out of range"):
        MOD.post(typ2, g2, p2, stk2, args2, order2, _CODE_U8, known, S.TimerP, S.NetpollP, S.GCP)


@pytest.mark.parametrize("coarse", [1 << 12, 1 << 20])
def test_compiled_merge_breaks_ties_as_go_does(coarse: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Times made coarse (many equal Ts, so the heap's tie order shows) or shuffled: the same merge."""
    inputs = oracle.all_inputs()
    for name in ["http_1_21_good", "stress_start_stop_1_11_good", "cpuprofile.trace", "nethttp.trace"]:
        data = inputs[name]
        for shuffle in (False, True):
            got = []
            for compiled in (True, False):
                sc = wire.scan(data, header_length(data), read_header(data))
                c = columns.columns(sc)
                c.ts = c.ts // coarse
                if shuffle:
                    c.ts = c.ts + np.random.default_rng(len(name)).integers(0, 3, len(c.ts))
                monkeypatch.setitem(kernel._LOADED, order.KERNEL, MOD if compiled else None)
                loaded = order.Loaded()
                try:
                    got.append((order.merge(sc, c, loaded).tolist(), loaded.strings, loaded.inline))
                except wire.ScanError as e:
                    got.append(([], e.message, e.offset))
            assert got[0] == got[1], (name, shuffle)
