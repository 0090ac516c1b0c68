"""Memory of a v1 read: the parser hands the arguments over as four separate columns, a
consuming conversion frees each parsed column once converted, and the stream takes the
converted columns without a copy."""

from __future__ import annotations

import copy
import gc
import weakref

import numpy as np
import pytest

from tests.gotrace.v1 import oracle
from tracetui.errors import TraceFormatError
from tracetui.gotrace.reader import TraceStream
from tracetui.gotrace.v1 import convert as C
from tracetui.gotrace.v1.parser import parse_v1
from tracetui.gotrace.wire import read_header

COLUMNS = ("typ", "time", "m", "p", "g", "a0", "a1", "a2", "a3")


@pytest.fixture(scope="module")
def inputs() -> dict[str, bytes]:
    """Every oracle input that parses and converts."""
    out = {}
    for name, data in oracle.all_inputs().items():
        try:
            C.check(parse_v1(data, read_header(data)))
        except TraceFormatError:
            continue
        out[name] = data
    return out


def test_a_consuming_conversion_equals_the_plain_one_and_empties_the_trace(inputs: dict[str, bytes]) -> None:
    assert len(inputs) >= 15
    for name, data in inputs.items():
        tr = parse_v1(data, read_header(data))
        kept = copy.deepcopy(tr)
        plain = C.convert(tr)
        assert len(tr) == len(kept)  # not consumed: tr as it was
        eaten = C.convert(tr, consume=True)
        assert len(tr) == 0 and all(a.size == 0 for a in tr.args), name
        for c in COLUMNS:
            a, b = plain.columns[c], eaten.columns[c]
            assert a.dtype == b.dtype and np.array_equal(a, b), (name, c)
        assert plain.strings.strings == eaten.strings.strings and plain.stacks.stacks == eaten.stacks.stacks
        assert len(C.convert(kept).columns["typ"]) == len(plain.columns["typ"])


def test_the_parsed_arguments_are_four_columns_of_their_own(inputs: dict[str, bytes]) -> None:
    data = inputs["gcstw.trace"]
    tr = parse_v1(data, read_header(data))
    assert len(tr.args) == 4
    for i, a in enumerate(tr.args):
        assert a.dtype == np.uint64 and a.shape == (len(tr),) and a.flags.c_contiguous and a.base is None
        for b in tr.args[i + 1 :]:
            assert not np.shares_memory(a, b)


def test_the_conversion_frees_each_parsed_column_before_the_last_argument(
    inputs: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the last argument column is built, the parsed times, Gs, Ps and the first three
    argument columns are gone already (nothing holds them: a consumer can reuse the memory)."""
    data = max(inputs.values(), key=len)
    tr = parse_v1(data, read_header(data))
    refs = {name: weakref.ref(getattr(tr, name)) for name in ("ts", "g", "p")}
    refs.update({f"args[{j}]": weakref.ref(a) for j, a in enumerate(tr.args)})
    alive_at_last: dict[str, bool] = {}
    real = C._Conversion.argument

    def argument(self: C._Conversion, j: int) -> np.ndarray:
        if j == 3:
            gc.collect()
            alive_at_last.update({name: ref() is not None for name, ref in refs.items()})
        return real(self, j)

    monkeypatch.setattr(C._Conversion, "argument", argument)
    C.convert(tr, consume=True)
    assert alive_at_last == {"ts": False, "g": False, "p": False, "args[0]": False, "args[1]": False,
                             "args[2]": False, "args[3]": True}  # fmt: skip


def test_the_stream_adopts_the_converted_columns(inputs: dict[str, bytes]) -> None:
    """The last chunk of a v1 stream is every event: the stream's table is those arrays, not
    a copy of them (a copy would hold the converted columns twice)."""
    name, data = max(inputs.items(), key=lambda kv: len(kv[1]))
    seen: list[dict[str, np.ndarray]] = []
    stream = TraceStream(data, name)
    real = stream.reader.chunks

    def chunks():  # type: ignore[no-untyped-def]
        for chunk in real():
            seen.append(chunk.columns)
            yield chunk

    stream.reader.chunks = chunks  # type: ignore[method-assign]
    for _ in stream:
        pass
    t = stream.table()
    assert seen and all(np.shares_memory(getattr(t, c), seen[-1][c]) for c in COLUMNS)
    assert len(t) == len(seen[-1]["typ"])


def test_blocks_of_any_size_parse_the_same(inputs: dict[str, bytes], monkeypatch: pytest.MonkeyPatch) -> None:
    """The tick-to-ns conversion and the arguments' gather go a block at a time: blocks of 7
    rows give the same trace as one block."""
    from tracetui.gotrace.v1 import parser

    data = inputs["gcstw.trace"]
    want = parse_v1(data, read_header(data))
    monkeypatch.setattr(parser, "_ARGS_BLOCK", 7)
    got = parse_v1(data, read_header(data))
    assert len(want) > 1000
    for name in ("ts", "g", "p", "typ", "stk"):
        assert np.array_equal(getattr(got, name), getattr(want, name)), name
    assert all(np.array_equal(a, b) for a, b in zip(got.args, want.args, strict=True))
    ts = np.array([5, 9, 12, -3, 1 << 62], np.int64)
    with np.errstate(invalid="ignore"):  # the last one overflows, in Go's way and ours alike
        expect = ((ts - ts[0]).astype(np.float64) * 2.5).astype(np.int64)
    parser._ticks_to_ns(ts, 2.5)
    assert np.array_equal(ts, expect)
