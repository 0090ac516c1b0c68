"""The goroutine transition table: it says what Go's source says, and the compiled kernel, the
inlined fast path and the orderer all follow it."""

from __future__ import annotations

import itertools
import re
import types
from pathlib import Path

import numpy as np
import pytest

from tracetui.gotrace import reader
from tracetui.gotrace import spec as S
from tracetui.gotrace import transitions as T
from tracetui.gotrace.order import GState, MState, OrderError, Ordering, PState

_GO_SRC = Path(reader.__file__).parents[2] / ".venv/lib/python3.11/site-packages/go/src/internal/trace"
_STATES = {f"Go{n}": i for i, n in enumerate(S.GO_STATE_NAMES)}


def _go_event_rules() -> dict[int, tuple[bool, int, int]]:
    """event.go's StateTransition: event type -> (goroutine is a0, from, to)."""
    src = (_GO_SRC / "event.go").read_text()
    body = src[src.index("func (e Event) StateTransition()") :]
    body = body[: body.index("\n}\n")]
    rules: dict[int, tuple[bool, int, int]] = {}
    for case in re.split(r"\n\tcase ", body)[1:]:
        names = re.findall(r"tracev2\.Ev(\w+)", case.split(":", 1)[0])
        mk = re.search(r"MakeGoStateTransition\((.*)\)$", case, re.MULTILINE)
        if mk is None:
            continue
        res, frm_s, to_s = mk.group(1).split(", ")
        res_a0 = "args[0]" in res
        frm = _STATES.get(frm_s, S.GoUndetermined)  # a status event's come from its a2
        to = _STATES.get(to_s, S.GoUndetermined)
        if to_s == "status":  # GoCreate/GoCreateBlocked: Runnable, or Waiting if blocked
            for n in names:
                rules[getattr(S, "Ev" + n)] = (res_a0, frm, S.GoWaiting if n == "GoCreateBlocked" else S.GoRunnable)
            continue
        for n in names:
            rules[getattr(S, "Ev" + n)] = (res_a0, frm, to)
    return rules


@pytest.mark.skipif(not (_GO_SRC / "event.go").exists(), reason="Go's source is not installed")
def test_table_is_go_state_transition() -> None:
    """Every row of GO_TRANSITIONS matches event.go, and every goroutine case there has a row."""
    rules = _go_event_rules()
    assert len(rules) == 16
    mine = {r.typ: (r.goroutine == T.A0, r.frm, r.to) for r in T.GO_TRANSITIONS}
    assert mine == rules


def test_arrays_are_the_table() -> None:
    assert set(np.flatnonzero(T.IS_G).tolist()) == {r.typ for r in T.GO_TRANSITIONS}
    assert all(S.KIND_OF[r.typ] == S.KIND_STATE_TRANSITION for r in T.GO_TRANSITIONS)
    for r in T.GO_TRANSITIONS:
        assert (T.G_FROM[r.typ], T.G_TO[r.typ], T.G_RES_A0[r.typ]) == (r.frm, r.to, r.goroutine == T.A0)
        assert T.G_STACK_ARG[r.typ] < 0 or S.SPECS[r.typ].stack_ids  # a stack argument is a stack
        assert T.G_REASON_ARG[r.typ] < 0 or r.reason + 1 in S.SPECS[r.typ].string_ids
    assert len(T.kernel_table()) == 9 * 256


def _case_events() -> list[tuple[int, int, int, int, bool]]:
    """(event, goroutine status, ctx P, ctx G, seq succeeds) for every fast event."""
    return list(
        itertools.product(
            T.FAST, (S.GoRunnableW, S.GoRunningW, S.GoSyscallW, S.GoWaitingW), (-1, 0), (-1, 5, 7), (True, False)
        )
    )


def _setup(typ: int, status: int, p: int, g: int, seq_ok: bool) -> tuple[Ordering, reader._Cursor, list]:
    order = Ordering(S.GO126, [], [], lambda i: None)
    order.initial_gen = 1
    for gid in (5, 7):  # 5: the event's a0; 7: another goroutine, running
        order.g_states[gid] = GState(gid, status if gid == 5 else S.GoRunningW, 1)
        order.g_states[gid].seq = 3
    order.m_states[1] = MState(g, p)
    typ_c = np.array([typ, S.EvGoLabel], np.uint8)  # then a slow event
    times = np.array([10, 20], np.int64)
    a0 = np.array([5, 0], np.uint64)
    a1 = np.array([4 if seq_ok else 6, 0], np.uint64)
    ev = types.SimpleNamespace(
        m=1, n=2, typ=typ_c.tolist(), a0=a0.tolist(), a1=a1.tolist(), a2=[0, 0], a3=[0, 0], time=times.tolist()
    )
    cur = reader._Cursor(ev, 0, 0)  # type: ignore[arg-type]
    return order, cur, [(typ_c, times, a0, a1)]


def _snapshot(order: Ordering) -> tuple:
    gs = {k: (v.status, v.seq) for k, v in order.g_states.items()}
    return gs, {k: (v.g, v.p) for k, v in order.m_states.items()}


@pytest.mark.parametrize("kind", ["compiled", "python"])
def test_fast_paths_follow_the_orderer(kind: str) -> None:
    """For every fast event, status and context: the fast path advances exactly when order.py
    advances without error, and leaves the same state (the rule is the table in all three)."""
    mod = reader._kernel()
    if kind == "compiled" and mod is None:
        pytest.skip("the compiled kernel is not built")
    advanced = 0
    for typ, status, p, g, seq_ok in _case_events():
        case = (S.SPECS[typ].name, status, p, g, seq_ok)
        ref, cur, _ = _setup(typ, status, p, g, seq_ok)
        try:
            ok = ref.advance(typ, 10, [5, 4 if seq_ok else 6, 0, 0], 1, 1)
        except OrderError:
            ok = False
        order, cur, columns = _setup(typ, status, p, g, seq_ok)
        before = _snapshot(order)
        out = np.zeros(4, np.int64)
        if kind == "compiled":
            assert mod is not None
            ran = mod.run([cur], columns, order.g_states, order.p_states, order.m_states, 1, None, 1, out)
        else:
            ran = _python_fast_step(order, cur)
            out[:] = order.out[:4] if ran else 0
        assert bool(ran) == bool(ok), case
        advanced += bool(ran)
        if ran:
            assert _snapshot(order) == _snapshot(ref), case
            assert out.tolist() == [0, *ref.out[1:4]], case
            assert cur.i == 1
        else:
            assert _snapshot(order) == before, case
    assert advanced == 27  # GoStart 1, GoUnblock 6 (any context), GoStop and GoBlock 10 each


def _python_fast_step(order: Ordering, cur: reader._Cursor) -> int:
    """One step of reader._order_generation's inlined path, on a one-M frontier."""
    gr = reader.GoTraceReader.__new__(reader.GoTraceReader)
    gr.order = order
    gr.out = order.out
    gen = types.SimpleNamespace(gen=1, cpu_time=[], cpu_ctx=[])
    n0 = len(order.out)
    frontier = [cur]
    orig = reader._kernel
    reader._kernel = lambda: None  # type: ignore[assignment]
    try:
        steps = gr._order_generation(gen, frontier)  # type: ignore[arg-type]
        advance = order.advance
        order.advance = lambda *a: (_ for _ in ()).throw(_Stop())  # type: ignore[method-assign]
        try:
            next(steps, None)
        except _Stop:
            pass
        finally:
            order.advance = advance  # type: ignore[method-assign]
    finally:
        reader._kernel = orig  # type: ignore[assignment]
    return (len(order.out) - n0) // 4


class _Stop(Exception):
    """The general path was reached: the inlined one declined."""


# order.go's advance function for each event the kernel takes besides the goroutine transitions.
_GO_ADVANCE = {
    T.K_METRIC: "advanceHeapMetric",
    T.K_G_BEGIN: "advanceGoRangeBegin",
    T.K_G_END: "advanceGoRangeEnd",
    T.K_P_BEGIN: "advanceGCSweepBegin",
    T.K_P_END: "advanceGCSweepEnd",
    T.K_ANNOTATION: "advanceAnnotation",
}
_MINE = {
    T.K_METRIC: Ordering._heap_metric,
    T.K_G_BEGIN: Ordering._go_range_begin,
    T.K_G_END: Ordering._go_range_end,
    T.K_P_BEGIN: Ordering._gc_sweep_begin,
    T.K_P_END: Ordering._gc_sweep_end,
    T.K_ANNOTATION: Ordering._annotation,
}
_OTHER = {t: k for t, k in T.KERNEL_KIND.items() if k != T.K_GO}


def test_kernel_kinds() -> None:
    """The goroutine kind is FAST; the others are the events order.go and order.py advance with
    the functions whose rule the kernel follows."""
    assert {t for t, k in T.KERNEL_KIND.items() if k == T.K_GO} == set(T.FAST)
    d = Ordering(S.GO126, [], [], lambda i: None)._dispatch
    for t, k in _OTHER.items():
        assert d[t] is _MINE[k], S.SPECS[t].name
    order_go = _GO_SRC / "order.go"
    if order_go.exists():
        src = order_go.read_text()
        for t, k in _OTHER.items():
            assert re.search(rf"tracev2\.Ev{S.SPECS[t].name}:\s*\(\*ordering\)\.{_GO_ADVANCE[k]},", src), t


def _other_cases() -> list[tuple[int, int, int, bool, bool, tuple[int, ...]]]:
    """(event, ctx P, ctx G, G known, P known, start types of the ranges in flight)."""
    in_flight = ((), (S.EvGCMarkAssistBegin,), (S.EvGCSweepBegin,), (S.EvSTWBegin, S.EvGCMarkAssistBegin))
    return list(itertools.product(_OTHER, (-1, 0), (-1, 5), (True, False), (True, False), in_flight))


def _setup_other(
    typ: int, p: int, g: int, g_known: bool, p_known: bool, in_flight: tuple[int, ...]
) -> tuple[Ordering, reader._Cursor, list]:
    order = Ordering(S.GO126, [], [], lambda i: None)
    order.initial_gen = 1
    if g_known:
        order.g_states[5] = GState(5, S.GoRunningW, 1)
        order.g_states[5].ranges.extend((r, 0) for r in in_flight)
    if p_known:
        order.p_states[0] = PState(0, S.ProcRunningW, 1)
        order.p_states[0].ranges.extend((r, 0) for r in reversed(in_flight))
    order.m_states[1] = MState(g, p)
    typ_c = np.array([typ, S.EvGoLabel], np.uint8)  # then a slow event
    times = np.array([10, 20], np.int64)
    a0 = np.array([123, 0], np.uint64)
    a1 = np.array([0, 0], np.uint64)
    ev = types.SimpleNamespace(
        m=1, n=2, typ=typ_c.tolist(), a0=a0.tolist(), a1=a1.tolist(), a2=[0, 0], a3=[0, 0], time=times.tolist()
    )
    return order, reader._Cursor(ev, 0, 0), [(typ_c, times, a0, a1)]  # type: ignore[arg-type]


def _full_snapshot(order: Ordering) -> tuple:
    gs = {k: (v.status, v.seq, list(v.ranges)) for k, v in order.g_states.items()}
    ps = {k: (v.status, v.seq, list(v.ranges)) for k, v in order.p_states.items()}
    return gs, ps, {k: (v.g, v.p) for k, v in order.m_states.items()}


def test_kernel_follows_the_orderer_on_other_events() -> None:
    """For heap metrics, annotations and GC range events, in every context and with any ranges in flight: the
    compiled kernel advances exactly when order.py advances without error, with the same state
    (ranges in the same order) and the same row."""
    mod = reader._kernel()
    if mod is None:
        pytest.skip("the compiled kernel is not built")
    advanced = 0
    for case in _other_cases():
        typ = case[0]
        ref, _, _ = _setup_other(*case)
        try:
            ok = ref.advance(typ, 10, [123, 0, 0, 0], 1, 1)
        except (OrderError, KeyError):  # KeyError: order.py's p_states[p] of an unknown P
            ok = False
        order, cur, columns = _setup_other(*case)
        before = _full_snapshot(order)
        out = np.zeros(4, np.int64)
        ran = mod.run([cur], columns, order.g_states, order.p_states, order.m_states, 1, None, 1, out)
        assert bool(ran) == bool(ok), (S.SPECS[typ].name, *case[1:])
        advanced += bool(ran)
        if ran:
            assert _full_snapshot(order) == _full_snapshot(ref), case
            assert out.tolist() == [0, *ref.out[1:4]], case
            assert ref.full[0][2:] == (123, 0, 0, 0)  # the event as read: the kernel's row is the source row
            assert cur.i == 1
        else:
            assert _full_snapshot(order) == before, case
    # metrics 2 x 32 (a P), mark assist 4 + 4 (a P, G known, not in flight / in flight), sweep 12 + 4,
    # annotations 3 x 16 (a P and a G)
    assert advanced == 136


def test_decode_is_what_dump_prints() -> None:
    """decode()'s from, to and goroutine of every transition row are the ones dump prints."""
    from tests.conftest import TRACES
    from tracetui.gotrace.dump import Dumper
    from tracetui.gotrace.reader import read_trace

    table = read_trace(TRACES / "go1.27.3" / "gcstw.trace")
    rows = np.flatnonzero(T.IS_G[table.typ])
    frm, to, gid = T.decode(table.typ[rows], table.a0[rows], table.a2[rows], table.g[rows].astype(np.int64))
    d = Dumper(table)
    assert rows.size > 100
    for r, f, t, gi in zip(rows.tolist(), frm.tolist(), to.tolist(), gid.tolist(), strict=True):
        cols = [int(getattr(table, c)[r]) for c in ("time", "typ", "m", "p", "g", "a0", "a1", "a2", "a3")]
        line = d.format(*cols)
        assert f" GoID={gi} {S.GO_STATE_NAMES[f]}->{S.GO_STATE_NAMES[t]} " in line, line
