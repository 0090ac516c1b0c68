"""The compiled mutator utilization (`_kutil`) gives exactly the Python loop's series and
choice of transitions: on every committed trace, on Go's own test traces, and on random
event sequences that reach the corners (GOMAXPROCS changes, first-generation active ranges,
nested STW, transitions off any P)."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import committed_traces, current_go, go_env, trace_id
from tests.support.gotesttext import go_test_cases
from tracetui.gotrace import kernel
from tracetui.gotrace import spec as S
from tracetui.gotrace.events import EventTable
from tracetui.gotrace.reader import read_buffer
from tracetui.model import utilization as U
from tracetui.model.gosemantics import Rows

pytestmark = pytest.mark.skipif(kernel.module(U.KERNEL) is None, reason="the compiled utilization is not built")
Series = list[tuple[np.ndarray, np.ndarray]]


def _both(monkeypatch: pytest.MonkeyPatch, run):  # type: ignore[no-untyped-def]
    """run() compiled, then in pure Python."""
    fast = run()
    monkeypatch.setenv("TRACETUI_PURE_PYTHON", "1")
    pure = run()
    monkeypatch.delenv("TRACETUI_PURE_PYTHON")
    return fast, pure


def _same(a: Series, b: Series) -> None:
    assert len(a) == len(b)
    for (ts, u), (ts2, u2) in zip(a, b):
        assert ts.dtype == ts2.dtype == np.int64 and u.dtype == u2.dtype == np.float64
        assert np.array_equal(ts, ts2) and np.array_equal(u, u2)  # bit for bit: no tolerance


def _table_series(table: EventTable, derive: bool = False) -> tuple[np.ndarray, Series]:
    tb = Rows(table)
    strings = table.strings.strings
    work = U.GCWork(tb.typ, tb.g, tb.a[0], strings, tb.a[2] if derive else None)
    gt = tb.gtrans()
    keep = work.relevant(gt.gid, gt.row)
    trans = U.Transitions(gt.row[keep], gt.frm[keep], gt.to[keep], gt.gid[keep])
    flags = (U.DEFAULT, U.WITH_SWEEP)
    return keep, U.mutator_utilization(tb.time, tb.typ, tb.p, tb.g, tb.a[0], strings, work, trans, tb.base, flags)


def _check_table(table: EventTable, monkeypatch: pytest.MonkeyPatch) -> Series:
    (keep, fast), (keep2, pure) = _both(monkeypatch, lambda: _table_series(table))
    assert np.array_equal(keep, keep2)
    _same(fast, pure)
    # With a2, the kernel reads every transition from the columns: nothing is chosen.
    (none, derived), (keep3, _) = _both(monkeypatch, lambda: _table_series(table, derive=True))
    assert not none.any() and np.array_equal(keep3, keep)
    _same(derived, pure)
    return fast


@pytest.mark.parametrize("path", committed_traces(), ids=trace_id)
def test_compiled_equals_python_on_committed_traces(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    series = _check_table(read_buffer(path.read_bytes(), str(path)), monkeypatch)
    if path.stem == "gcstw":  # not vacuous: the GC takes Ps there, with and without sweeping
        assert all(u.size > 2 and u[:-1].min() < 1.0 for _, u in series)


def test_compiled_equals_python_on_go_test_traces(monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess

    go = current_go()
    root = subprocess.run([str(go), "env", "GOROOT"], capture_output=True, text=True, env=go_env(go), check=True)
    cases = [c for c in go_test_cases(Path(root.stdout.strip())) if c.expect_success]
    assert len(cases) >= 15
    steps = 0
    for case in cases:
        series = _check_table(read_buffer(case.wire, case.name), monkeypatch)
        steps += sum(ts.size for ts, _ in series)
    assert steps > 500  # go122-gc-stress alone has hundreds


_STRINGS = [
    "GC (dedicated)", "GC (fractional)", "GC (idle)", "stop-the-world (GC sweep termination)",
    "stop-the-world (read mem stats)", "GC", "other",
]  # fmt: skip
_GC_EVENTS = [t for t in U._EVENTS if t != S.EV_SYNC]
_G_EVENTS = [S.EvGoStart, S.EvGoStop, S.EvGoBlock, S.EvGoUnblock, S.EvGoCreate, S.EvGoStatus, S.EvGoSyscallBegin,
             S.EvGoSyscallEnd, S.EvGoDestroy]  # fmt: skip


def _gtrans(typ: np.ndarray, g: np.ndarray, a0: np.ndarray, a2: np.ndarray) -> U.Transitions:
    """Every goroutine transition of the columns, as the model's Rows gives them."""
    rows = Rows.__new__(Rows)
    rows.typ, rows.g, rows.a = typ, g, (a0, a0, a2, a0)
    gt = rows.gtrans()
    return U.Transitions(gt.row, gt.frm, gt.to, gt.gid)


def _random_case(rng: random.Random, n: int) -> tuple[list[np.ndarray], np.ndarray, U.GCWork, U.Transitions]:
    typ = np.array([rng.choice(_GC_EVENTS + [S.EV_SYNC] + _G_EVENTS) for _ in range(n)], np.uint8)
    typ[rng.randrange(min(n, 20))] = S.EvProcsChange  # often after a few transitions and GC events
    time = np.cumsum([rng.choice((0, 0, 1, 5, 100)) for _ in range(n)]).astype(np.int64) + 1000
    p = np.array([rng.randrange(-1, 6) for _ in range(n)], np.int32)
    g = np.array([rng.randrange(-1, 8) for _ in range(n)], np.int32)
    a0 = np.zeros(n, np.uint64)
    for i, t in enumerate(typ.tolist()):
        if t == S.EV_SYNC:
            a0[i] = rng.choice((0, 1, 1, 2, 3))
        elif t == S.EvProcsChange:
            a0[i] = rng.randrange(1, 7)
        elif t in (S.EvGoLabel, S.EvSTWBegin):
            a0[i] = rng.randrange(len(_STRINGS))
        else:
            a0[i] = rng.randrange(0, 8)
    a2 = np.array([rng.randrange(8) << 32 | rng.randrange(7) for _ in range(n)], np.uint64)
    row = np.array(sorted(rng.sample(range(n), n // 2)), np.int64)
    frm = np.array([rng.randrange(6) for _ in row], np.uint8)
    to = np.array([rng.randrange(6) for _ in row], np.uint8)
    gid = np.array([rng.randrange(-1, 8) for _ in row], np.int64)
    work = U.GCWork(typ, g, a0, _STRINGS)
    return [time, typ, p, g, a0], a2, work, U.Transitions(row, frm, to, gid)


@pytest.mark.parametrize("seed", range(40))
def test_compiled_equals_python_on_random_events(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(seed)
    cols, a2, work, trans = _random_case(rng, rng.choice((5, 60, 400)))
    if seed % 2:
        cols[4] = cols[4].astype(np.uint32)  # as the reader stores a0 when every value fits
    flag_sets = [frozenset(f for f in U.FLAGS if rng.random() < 0.7) for _ in range(3)] + [U.DEFAULT, U.WITH_SWEEP]
    base = int(cols[0][0])

    def run() -> tuple[np.ndarray, Series]:
        rel = work.relevant(trans.gid, trans.row)
        return rel, U.mutator_utilization(*cols, _STRINGS, work, trans, base, flag_sets)

    (rel, fast), (rel2, pure) = _both(monkeypatch, run)
    assert np.array_equal(rel, rel2)
    _same(fast, pure)

    def derived() -> Series:  # the kernel reads the transitions from the columns
        work = U.GCWork(cols[1], cols[3], cols[4], _STRINGS, a2)
        trans = _gtrans(cols[1], cols[3], cols[4], a2)
        if work.a2 is not None:
            trans = U.Transitions(*(c[:0] for c in trans))
        return U.mutator_utilization(*cols, _STRINGS, work, trans, base, flag_sets)

    fast, pure = _both(monkeypatch, derived)
    _same(fast, pure)


def test_relevant_without_the_lookup_table(monkeypatch: pytest.MonkeyPatch) -> None:
    # Goroutine ids too far apart for the kernel's table: the numpy path, same answer.
    cols, _, work, trans = _random_case(random.Random(7), 400)
    far = U.Transitions(trans.row, trans.frm, trans.to, trans.gid * (U._LUT_MAX + 1))
    g = cols[3].astype(np.int64) * (U._LUT_MAX + 1)
    a0 = np.where(cols[1] == S.EvGCMarkAssistActive, cols[4] * np.uint64(U._LUT_MAX + 1), cols[4])  # goroutines only
    wide = U.GCWork(cols[1], g, a0, _STRINGS)
    assert wide._lut is None and work._lut is not None
    assert np.array_equal(wide.relevant(far.gid, far.row), work.relevant(trans.gid, trans.row))
