"""The compiled v1 scan (`_kv1scan`) against the Python and numpy path, on every input.

Both paths must give the same Scan (batches with their errors, strings, stacks, logs; CPU
samples) and the same Columns, or the same error at the same offset.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.gotrace.v1 import oracle
from tracetui.gotrace import kernel
from tracetui.gotrace.v1 import columns, wire
from tracetui.gotrace.v1 import spec as S
from tracetui.gotrace.wire import WireError, header_length, read_header

pytestmark = pytest.mark.skipif(kernel.module(wire.KERNEL) is None, reason="_kv1scan is not built")

Result = tuple[wire.Scan, columns.Columns] | tuple[str, int | None]


@pytest.fixture(scope="module")
def inputs() -> dict[str, bytes]:
    out = {}
    for name, data in oracle.all_inputs().items():
        try:
            read_header(data)
        except WireError:
            continue
        out[name] = data
    return out


def _run(data: bytes) -> Result:
    try:
        sc = wire.scan(data, header_length(data), read_header(data))
    except wire.ScanError as e:
        return e.message, e.offset
    return sc, columns.columns(sc)


def _raw(sc: wire.Scan, c: columns.Columns) -> np.ndarray:
    """The wire arguments (timestamp delta first, stack id in place) the columns came from."""
    n = c.n_batch_events
    typ = c.typ[:n].astype(np.int64)
    raw = np.zeros((n, 5), np.uint64)
    raw[:, 1:] = c.args[:n]
    ts = c.ts[:n]
    prev = np.concatenate(([0], ts[:-1])) if n else ts
    for b in sc.batches:
        if b.end > b.first:
            prev[b.first] = b.ts
    with np.errstate(over="ignore"):
        raw[:, 0] = (ts - prev).view(np.uint64)
    rows = np.flatnonzero(S.HAS_STACK_NP[typ])
    raw[rows, 1 + S.N_ARGS_NP[typ[rows]]] = c.stk[rows]
    return raw


def _same(pure: Result, fast: Result) -> None:
    if isinstance(pure[0], str) or isinstance(fast[0], str):
        assert pure == fast
        return
    ps, pc = pure  # type: ignore[misc]
    fs, fc = fast  # type: ignore[misc]
    assert fs.built is not None and ps.built is None
    for f in ("batches", "queues", "cpu_ts", "cpu_p", "cpu_a1", "cpu_g", "cpu_stk"):
        assert getattr(fs, f) == getattr(ps, f), f
    for f in ("typ", "batch"):
        x, y = getattr(fs, f), getattr(ps, f)
        assert x.dtype == y.dtype and np.array_equal(x, y), f
    for f in ("ts", "g", "p", "typ", "stk", "args"):
        x, y = getattr(fc, f), getattr(pc, f)
        assert x.dtype == y.dtype and x.shape == y.shape and np.array_equal(x, y), f
    assert fc.n_batch_events == pc.n_batch_events
    assert np.array_equal(_raw(fs, fc), ps.raw)


def test_kernel_scan_equals_the_python_scan(inputs: dict[str, bytes], monkeypatch: pytest.MonkeyPatch) -> None:
    assert len(inputs) > 600
    for name, data in sorted(inputs.items()):
        monkeypatch.setenv("TRACETUI_PURE_PYTHON", "1")
        pure = _run(data)
        monkeypatch.delenv("TRACETUI_PURE_PYTHON")
        try:
            _same(pure, _run(data))
        except AssertionError as e:
            raise AssertionError(f"{name}: {e}") from None


@pytest.mark.parametrize("limit", [0, 1, 3])
def test_kernel_runs_of_any_length_give_the_same(
    inputs: dict[str, bytes], monkeypatch: pytest.MonkeyPatch, limit: int
) -> None:
    """The kernel stopping anywhere (0: never starting, so the Python loop writes every row)."""
    small = {n: d for n, d in inputs.items() if len(d) < 200_000}
    want = {n: _run(d) for n, d in small.items()}
    monkeypatch.setattr(wire, "LIMIT", limit)
    for name, data in sorted(small.items()):
        try:
            _same(_pure_copy(want[name]), _run(data))
        except AssertionError as e:
            raise AssertionError(f"{name}: {e}") from None


def _pure_copy(r: Result) -> Result:
    """A kernel result in the Python path's shape (raw rebuilt), to compare another kernel run with."""
    if isinstance(r[0], str):
        return r
    sc, c = r  # type: ignore[misc]
    out = wire.Scan(**{**vars(sc), "raw": _raw(sc, c), "built": None})
    return out, c
