"""The compiled batch decoder (`_kdecode`) gives exactly the numpy decoder's columns, and
refuses (for the scalar decoder to report Go's error) exactly the data the numpy one refuses:
on every committed trace's batches, whole and with corrupted bytes."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import committed_traces, trace_id
from tracetui.gotrace import cursor, kernel
from tracetui.gotrace.reader import GoTraceReader
from tracetui.gotrace.wire import Batch, WireError

COMPILED = kernel.module(cursor.DECODE)
needs_compiled = pytest.mark.skipif(COMPILED is None, reason="the compiled decoder is not built")


def test_compiled_decoder_is_built() -> None:
    """The test install builds the optional C decoder (numpy is the fallback)."""
    assert COMPILED is not None


def _groups(path: Path) -> tuple[bytes, list[tuple[list[Batch], float]]]:
    data = path.read_bytes()
    r = GoTraceReader(data)
    out: list[tuple[list[Batch], float]] = []
    spill: object = None
    try:
        while True:
            if r.version >= 26:
                gen = r._read_generation()
                if gen is None:
                    break
            else:
                gen, spill, err = r._read_generation_with_spill(spill)
            for m in gen.batch_ms:
                batches = [b for b in gen.batches[m] if b.end > b.start]
                if batches:
                    out.append((batches, gen.freq))
            if r.version < 26 and (spill is None or err is not None):
                break
    except WireError:  # a broken trace: the generations read so far
        return data, out
    return data, out


def _same(buf: bytes, batches: list[Batch], freq: float) -> None:
    want = cursor._decode_vectorised(batches, buf, freq)
    got = cursor._decode_compiled(COMPILED, batches, buf, freq)  # type: ignore[arg-type]
    assert (want is None) == (got is None)
    if want is None or got is None:
        return
    ev = cursor.MEvents.of_block(0, *got)
    names = ("typ", "time", "a0", "a1", "a2", "a3", "off")
    for j, name in enumerate(names):
        assert np.array_equal(ev.column(j), want[j]), name
        assert ev.column(j).dtype == cursor._DTYPES[j], name


@needs_compiled
@pytest.mark.parametrize("path", committed_traces(), ids=trace_id)
def test_compiled_decoder_matches_numpy(path: Path) -> None:
    buf, groups = _groups(path)
    for batches, freq in groups:
        _same(buf, batches, freq)


@needs_compiled
@pytest.mark.parametrize("name", ["gcstw", "nethttp", "syncprims"])
def test_compiled_decoder_refuses_what_numpy_refuses(name: str) -> None:
    path = next(p for p in committed_traces() if p.parent.name == "go1.27.3" and p.stem == name)
    buf, groups = _groups(path)
    rng = random.Random(7)
    for batches, freq in groups[:8]:
        for _ in range(40):
            b = rng.choice(batches)
            data = bytearray(buf)
            for _ in range(rng.choice((1, 2, 5))):
                data[rng.randrange(b.start, b.end)] = rng.choice((0x80, 0xFF, 0x7F, 0x00, rng.randrange(256)))
            _same(bytes(data), batches, freq)


@pytest.mark.parametrize("top", [50, 10**9], ids=["dense", "sparse"])
def test_id_map_direct_table_and_search_agree(top: int) -> None:
    from tracetui.gotrace.reader import _IdMap

    rng = np.random.default_rng(3)
    ids = np.unique(np.concatenate([[0], rng.integers(1, top, 40)])).astype(np.uint64)
    gids = np.concatenate([[0], rng.integers(1, 1000, ids.size - 1)]).astype(np.uint64)
    vals = np.concatenate([ids, rng.integers(0, 2 * top, 200).astype(np.uint64), [np.uint64(2**64 - 1)]])
    m = _IdMap(ids, gids)
    assert (m.table is not None) == (top == 50)
    k = np.minimum(np.searchsorted(ids, vals), ids.size - 1)
    ok = ids[k] == vals
    got, got_ok = m.lookup(vals)
    assert np.array_equal(got_ok, ok) and np.array_equal(got, np.where(ok, gids[k], vals))
