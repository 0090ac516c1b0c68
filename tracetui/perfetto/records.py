"""Vectorised protobuf encoding: n messages of one shape (fields optionally present per row)
encoded at once with numpy, byte-identical to what the protobuf runtime writes for them.

A shape is a list of parts: `Const` bytes, `Varint` and `Fixed64` columns, and `Msg`
(a length-delimited sub-message: its key, a varint length, its parts). Each part owns a
fixed range of columns of a padded 2-D byte buffer (its widest row's width); a mask keeps
each row's real bytes, and a boolean compress in row order gives the stream. Memory is
rows x (widest row), so callers encode in chunks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

U64 = np.uint64


def varint_widths(v: np.ndarray) -> np.ndarray:
    """Bytes of each uint64 value's varint (1..10), as uint8."""
    w = np.ones(v.shape, np.uint8)
    if v.size == 0:
        return w
    top = int(v.max())
    k = 1
    while k < 10 and top >= 1 << (7 * k):
        w += v >= v.dtype.type(1 << (7 * k))
        k += 1
    return w


@dataclass
class Const:
    """The same bytes in each row where `present` (all rows when None)."""

    data: bytes
    present: np.ndarray | None = None


@dataclass
class Varint:
    """A varint per row (uint64 values; view int64 as uint64 for two's complement)."""

    values: np.ndarray
    present: np.ndarray | None = None


@dataclass
class Fixed64:
    """Eight little-endian bytes per row."""

    values: np.ndarray
    present: np.ndarray | None = None


@dataclass
class Msg:
    """`key`, then the varint length of `parts`, then `parts`, in each row where present."""

    key: bytes
    parts: Sequence[Part]
    present: np.ndarray | None = None


Part = Const | Varint | Fixed64 | Msg


class _Block:
    """Leaf bytes of one part: `data` is [w] (the same in each row) or [w, n]; `widths`
    each row's byte count (an int when the same for all rows)."""

    __slots__ = ("data", "present", "widths", "wmin")

    def __init__(self, data: np.ndarray, widths: np.ndarray | int, present: np.ndarray | None) -> None:
        self.data, self.widths, self.present = data, widths, present
        self.wmin = widths if isinstance(widths, int) else (int(widths.min()) if widths.size else 0)


Widths = np.ndarray | int


def _masked(w: Widths, present: np.ndarray | None) -> Widths:
    """Widths where present, 0 elsewhere (uint8)."""
    if present is None:
        return w
    m = present.view(np.uint8)
    if isinstance(w, int):
        return m if w == 1 else (m * np.uint8(w) if w < 256 else m * np.int16(w))
    return w * m


def _varint_rows(v: np.ndarray) -> tuple[np.ndarray, Widths]:
    """[wmax, n] varint bytes (byte k of each value in row k) and the widths (an int when
    every value has the same width)."""
    v = np.asarray(v)
    top = int(v.max()) if v.size else 0
    if top < 0x80 and v.dtype.kind in "ui" and (v.size == 0 or int(v.min()) >= 0):
        return v.astype(np.uint8)[None, :], 1
    v = v.astype(U64, copy=False)
    w = varint_widths(v)
    wmax = int(w.max())
    out = np.empty((wmax, v.size), np.uint8)
    x = v.astype(np.uint32) if wmax <= 4 else v
    for k in range(wmax):
        np.bitwise_and(x, x.dtype.type(0x7F), out=out[k], casting="unsafe")
        if k + 1 < wmax:
            out[k] |= (w > k + 1).view(np.uint8) << 7
            x = x >> x.dtype.type(7)
    return out, (wmax if int(w.min()) == wmax else w)


def _compile(parts: Sequence[Part], n: int, outer: np.ndarray | None, blocks: list[_Block]) -> Widths:
    """Append the leaf blocks of `parts`; return their total width per row (int16, or an
    int when the same for all rows)."""
    const = 0
    total: np.ndarray | None = None

    def add(w: Widths) -> None:
        nonlocal const, total
        if isinstance(w, int):
            const += w
        elif total is None:
            total = w.astype(np.int16)
        else:
            total += w

    for p in parts:
        present = p.present if outer is None else (outer if p.present is None else outer & p.present)
        if isinstance(p, Const):
            w = _masked(len(p.data), present)
            blocks.append(_Block(np.frombuffer(p.data, np.uint8), w, present))
        elif isinstance(p, Varint):
            data, vw = _varint_rows(p.values)
            w = _masked(vw, present)
            blocks.append(_Block(data, w, present))
        elif isinstance(p, Fixed64):
            data = np.ascontiguousarray(np.asarray(p.values).astype("<u8")).view(np.uint8).reshape(n, 8).T
            w = _masked(8, present)
            blocks.append(_Block(data, w, present))
        else:
            kw = _masked(len(p.key), present)
            blocks.append(_Block(np.frombuffer(p.key, np.uint8), kw, present))
            at = len(blocks)
            blocks.append(_Block(np.zeros(1, np.uint8), 0, None))  # the length, filled below
            inner = _compile(p.parts, n, present, blocks)
            data, lw = _varint_rows(np.broadcast_to(np.asarray(inner), (n,)))
            blocks[at] = _Block(data, _masked(lw, present), present)
            add(kw)
            add(_masked(lw, present))
            w = _masked(inner, present)
        add(w)
    if total is None:
        return const
    if const:
        total += const
    return total


def encode(parts: Sequence[Part], n: int) -> tuple[bytes, np.ndarray]:
    """The n rows of `parts`, concatenated, and each row's byte length.

    Blocks are written in order, each for every row at its offset. A block may write a
    few bytes past a row's real width (an absent field, a short varint): those land on the
    row's later blocks, which are written afterwards, as long as the row's minimum tail is
    long enough; where it is not, the block writes only its real bytes (masked)."""
    if n == 0:
        return b"", np.zeros(0, np.int64)
    blocks: list[_Block] = []
    total = _compile(parts, n, None, blocks)
    lengths = np.broadcast_to(np.asarray(total), (n,)).astype(np.int64)
    tails = np.zeros(len(blocks) + 1, np.int64)
    for j in range(len(blocks) - 1, -1, -1):
        tails[j] = tails[j + 1] + blocks[j].wmin
    size = int(lengths.sum())
    out = np.empty(size + 16, np.uint8)
    cur = np.zeros(n, np.int64)
    np.cumsum(lengths[:-1], out=cur[1:])
    for j, b in enumerate(blocks):
        data = b.data
        wmax = data.shape[0]
        if wmax and not (isinstance(b.widths, int) and b.widths == 0):
            safe = wmax - b.wmin <= tails[j + 1] if b.present is None else wmax <= tails[j + 1]
            if safe:
                for k in range(wmax):
                    out[k:][cur] = int(data[k]) if data.ndim == 1 else data[k]
            else:
                rows = np.flatnonzero(np.asarray(b.widths) > 0)
                idx = cur[rows]
                sub = data if data.ndim == 1 else data[:, rows]
                wr = None if isinstance(b.widths, int) else np.asarray(b.widths)[rows]
                for k in range(wmax):
                    val: np.ndarray | int = int(sub[k]) if sub.ndim == 1 else sub[k]
                    if k and wr is not None and int(wr.min()) <= k:
                        m = wr > k
                        out[k:][idx[m]] = val[m] if isinstance(val, np.ndarray) else val
                    else:
                        out[k:][idx] = val
        cur += b.widths
    return out[:size].tobytes(), lengths
