"""Decoding one M's event batches into flat lists (Go's batchCursor.nextEvent).

Events are decoded ahead of ordering. A decoding error is remembered with the number of
events that decoded before it, so the reader can raise it exactly when Go's cursor would.
"""

from __future__ import annotations

import math
from array import array
from types import ModuleType

import numpy as np

from tracetui.gotrace import kernel, spec
from tracetui.gotrace.wire import Batch

_NARGS = spec.TIMED_NARGS
_NSPECS = spec.MaxExperimentalEvent
_NARGS_NP = np.array(_NARGS, dtype=np.int64)
_NARGS_I8 = np.clip(_NARGS_NP, -1, 127).astype(np.int8).tobytes()
DECODE = "tracetui.gotrace._kdecode"

Column = array | memoryview  # indexing yields Python ints; both export a buffer


_CODES = ("B", "q", "Q", "Q", "Q", "Q", "q")  # typ, time, a0..a3, off
_DTYPES = (np.uint8, np.int64, np.uint64, np.uint64, np.uint64, np.uint64, np.int64)
_SLICE_BYTES = 1 << 18  # decode at most this much batch data at a time (~50 k events, 2.5 MB decoded)
_FIRST_SLICE = 1 << 16  # an M's first slice, read before ordering starts


class MEvents:
    """The decoded events of one M in one generation, in batch order.

    Columns are compact `array.array`s (or typed memoryviews of the compiled decoder's
    output): indexing yields Python ints for the ordering loop, and `column()` gives
    zero-copy numpy views for the vectorised steps.
    """

    __slots__ = ("a0", "a1", "a2", "a3", "error", "m", "n", "off", "time", "typ")

    def __init__(self, m: int, cols: tuple[Column, ...] | None = None) -> None:
        """cols: (typ, time, a0, a1, a2, a3, off), empty if not given."""
        self.m = m
        self.typ: Column
        self.time: Column
        self.a0: Column
        self.a1: Column
        self.a2: Column
        self.a3: Column
        self.off: Column
        self.typ, self.time, self.a0, self.a1, self.a2, self.a3, self.off = cols or _arrays()
        self.error: tuple[str, int] | None = None
        self.n = len(self.typ)

    @classmethod
    def of_block(cls, m: int, n: int, block: bytes) -> MEvents:
        """The n events in the compiled decoder's block: typ (padded to 8 bytes), then
        time, off, a0, a1, a2, a3 (8 bytes each)."""
        pad = (n + 7) // 8 * 8
        mv = memoryview(block)
        time, off, a0, a1, a2, a3 = (
            mv[pad + 8 * n * j : pad + 8 * n * (j + 1)].cast("q" if j < 2 else "Q") for j in range(6)
        )
        return cls(m, (mv[:n], time, a0, a1, a2, a3, off))

    def column(self, j: int) -> np.ndarray:
        """Column j of (typ, time, a0, a1, a2, a3, off) as a numpy view."""
        col = (self.typ, self.time, self.a0, self.a1, self.a2, self.a3, self.off)[j]
        return np.frombuffer(col, dtype=_DTYPES[j])[: self.n] if len(col) else np.zeros(0, dtype=_DTYPES[j])


class MSource:
    """One M's batches of a generation, decoded a slice at a time when the ordering needs
    them (the first slices small, so the first events come out early; then up to
    _SLICE_BYTES). Batches decode independently, so the slices' events, one after the
    other, are the M's events."""

    def __init__(self, m: int, batches: list[Batch], buf: bytes, freq: float, first: int | None = None) -> None:
        self.m, self.buf, self.freq = m, buf, freq
        self.groups: list[list[Batch]] = []
        group: list[Batch] = []
        size, limit = 0, _FIRST_SLICE if first is None else first
        for b in batches:
            if b.end <= b.start:
                continue
            group.append(b)
            size += b.end - b.start
            if size >= limit:
                self.groups.append(group)
                group, size, limit = [], 0, min(limit * 2, _SLICE_BYTES)
        if group:
            self.groups.append(group)
        self.next = 0

    def more(self) -> bool:
        return self.next < len(self.groups)

    def decode_next(self) -> MEvents:
        """The next slice's events; stops at the first malformed event (`error`)."""
        group = self.groups[self.next]
        self.next += 1
        compiled = kernel.module(DECODE)
        if compiled is not None:
            got = _decode_compiled(compiled, group, self.buf, self.freq)
            if got is None:
                return decode_m_scalar(self.m, group, self.buf, self.freq)
            return MEvents.of_block(self.m, *got)
        cols = _decode_vectorised(group, self.buf, self.freq)
        if cols is None:
            return decode_m_scalar(self.m, group, self.buf, self.freq)
        arrays = _arrays()
        for dst, col, dt in zip(arrays, cols, _DTYPES):
            dst.frombytes(np.ascontiguousarray(col, dtype=dt).tobytes())
        return MEvents(self.m, arrays)


def decode_m(m: int, batches: list[Batch], buf: bytes, freq: float) -> MEvents:
    """Decode every event of one M's batches; stops at the first malformed event.

    The vectorised decoder handles well-formed data; anything unusual (experimental event
    types, malformed varints, invalid types) goes through the exact scalar decoder.
    """
    arrays = _arrays()
    error = None
    src = MSource(m, batches, buf, freq, _SLICE_BYTES)
    while src.more():
        part = src.decode_next()
        for dst, col in zip(arrays, (part.typ, part.time, part.a0, part.a1, part.a2, part.a3, part.off)):
            dst.frombytes(memoryview(col).cast("B"))
        if part.error is not None:
            error = part.error
            break
    out = MEvents(m, arrays)
    out.error = error
    return out


def _arrays() -> tuple[array[int], ...]:
    """Empty columns (typ, time, a0, a1, a2, a3, off)."""
    return tuple(array(c) for c in _CODES)


def _decode_compiled(compiled: ModuleType, parts: list[Batch], buf: bytes, freq: float) -> tuple[int, bytes] | None:
    """The compiled decoder's event count and block for some batches (see MEvents.of_block); None if the
    data needs the scalar path (exactly when _decode_vectorised would say so)."""
    k = len(parts)
    starts = np.fromiter((b.start for b in parts), dtype=np.int64, count=k)
    ends = np.fromiter((b.end for b in parts), dtype=np.int64, count=k)
    times = np.fromiter((b.time for b in parts), dtype=np.uint64, count=k)
    got: tuple[int, bytes] | None = compiled.decode(buf, starts, ends, times, _NARGS_I8, freq)
    return got


def _decode_vectorised(parts: list[Batch], buf: bytes, freq: float) -> tuple[np.ndarray, ...] | None:
    """numpy decoding of all varints of some batches at once; None if the data needs the
    scalar path. Returns (typ, time, a0, a1, a2, a3, off)."""
    data = np.frombuffer(b"".join(bytes(buf[b.start : b.end]) for b in parts), dtype=np.uint8)
    lengths = np.fromiter((b.end - b.start for b in parts), dtype=np.int64, count=len(parts))
    data_end = np.cumsum(lengths)
    data_start = data_end - lengths
    is_end = data < 0x80
    if not is_end[data_end - 1].all():
        return None  # a varint runs over the end of a batch
    tok_end = np.flatnonzero(is_end)
    tok_start = np.empty_like(tok_end)
    tok_start[0] = 0
    tok_start[1:] = tok_end[:-1] + 1
    tok_len = tok_end - tok_start + 1
    if tok_len.max() > 10:
        return None
    if (tok_len == 10).any() and (data[tok_end[tok_len == 10]] > 1).any():
        return None  # overflows 64 bits
    if tok_len.max() == 1:
        values = data.astype(np.uint64)
    else:
        tok_of_byte: np.ndarray = np.cumsum(is_end) - is_end
        shift = (np.arange(data.size, dtype=np.int64) - tok_start[tok_of_byte]).astype(np.uint64)
        del tok_of_byte
        shift *= np.uint64(7)
        contrib = (data & 0x7F).astype(np.uint64)
        contrib <<= shift
        del shift
        values = np.add.reduceat(contrib, tok_start)
        del contrib
    ntok = values.size
    # Frame events: each is a type token followed by nargs tokens.
    small = values < 256
    nargs = np.where(small, _NARGS_NP[np.where(small, values, 0).astype(np.intp)], -1)
    step = np.arange(ntok, dtype=np.int64) + 1 + np.maximum(nargs, 0)
    bts = np.searchsorted(tok_start, data_start).astype(np.int64)
    bte = np.searchsorted(tok_start, data_end).astype(np.int64)
    starts = _frame(step, bts, bte, ntok)
    if starts is None:
        return None
    del step
    batch_tok_start, batch_tok_end = bts, bte
    ev = starts
    n = np.take(nargs, ev)
    if (n <= 0).any() or (np.take(tok_len, ev) != 1).any():
        return None
    typ = np.take(values, ev)
    # Timestamps: per batch, base + running sum of the converted deltas (as Go adds them).
    batch_of_ev = np.searchsorted(batch_tok_end, ev, side="right")
    dt = (np.take(values, ev + 1).astype(np.float64) * freq).astype(np.int64)
    csum = np.cumsum(dt)
    first_ev = np.searchsorted(ev, batch_tok_start)
    before = np.where(first_ev > 0, csum[np.maximum(first_ev - 1, 0)], 0)
    base = np.fromiter((int(float(b.time) * freq) for b in parts), dtype=np.int64, count=len(parts))
    times = base[batch_of_ev] + csum - before[batch_of_ev]
    cols = []
    for j in range(4):
        idx = np.minimum(ev + 2 + j, ntok - 1)
        cols.append(np.where(n > j + 1, np.take(values, idx), np.uint64(0)))
    batch_file_start = np.fromiter((b.start for b in parts), dtype=np.int64, count=len(parts))
    offs = np.take(tok_start, ev) - data_start[batch_of_ev] + batch_file_start[batch_of_ev]
    return (typ, times, *cols, offs)


def _frame(step: np.ndarray, bts: np.ndarray, bte: np.ndarray, ntok: int) -> np.ndarray | None:
    """Event start tokens of each batch: follow step[] from each batch's first token.

    None if a batch's events do not end exactly at its end (the scalar path then reports
    Go's error). Uses the compiled kernel when it is built.
    """
    compiled = kernel.module()
    if compiled is not None:
        out = np.empty(max(ntok, 1), dtype=np.int64)
        n = compiled.frame(step, bts, bte, out)
        return None if n < 0 else out[:n]
    steps = array("q")
    steps.frombytes(step.tobytes())
    starts = array("q")
    push = starts.append
    for k, stop in zip(bts.tolist(), bte.tolist()):
        while k < stop:
            push(k)
            k = steps[k]
        if k != stop:
            return None
    return np.frombuffer(starts, dtype=np.int64) if len(starts) else np.zeros(0, dtype=np.int64)


def decode_m_scalar(m: int, batches: list[Batch], buf: bytes, freq: float) -> MEvents:
    """Event-by-event decoding with Go's exact error at the first malformed event."""
    arrays = _arrays()
    out = MEvents(m, arrays)
    typ_l, time_l, a_l, off_l = arrays[0], arrays[1], arrays[2:6], arrays[6]
    nargs_of = _NARGS
    args = [0, 0, 0, 0]
    for b in batches:
        pos, end = b.start, b.end
        if pos >= end:
            continue
        last = _go_float_to_i64(float(b.time) * freq)
        while pos < end:
            start = pos
            t = buf[pos]
            if t >= _NSPECS:
                out.error = (f"found invalid event type: {t}", start)
                out.n = len(typ_l)
                return out
            n = nargs_of[t]
            if n <= 0:
                out.error = (f"found event without a timestamp: type={t}", start)
                out.n = len(typ_l)
                return out
            pos += 1
            vals = []
            for i in range(n):
                x = 0
                s = 0
                j = 0
                while True:
                    if pos >= end or j == 10:
                        what = "found invalid uvarint for timestamp" if i == 0 else "found invalid uvarint"
                        out.error = (what, start)
                        out.n = len(typ_l)
                        return out
                    c = buf[pos]
                    pos += 1
                    if c < 0x80:
                        if j == 9 and c > 1:
                            what = "found invalid uvarint for timestamp" if i == 0 else "found invalid uvarint"
                            out.error = (what, start)
                            out.n = len(typ_l)
                            return out
                        x |= c << s
                        break
                    x |= (c & 0x7F) << s
                    s += 7
                    j += 1
                vals.append(x)
            last = _wrap64(_go_float_to_i64(float(vals[0]) * freq) + last)
            for i in range(4):
                args[i] = vals[i + 1] if i + 1 < n else 0
            typ_l.append(t)
            time_l.append(last)
            off_l.append(start)
            a_l[0].append(args[0])
            a_l[1].append(args[1])
            a_l[2].append(args[2])
            a_l[3].append(args[3])
    out.n = len(typ_l)
    return out


def _go_float_to_i64(x: float) -> int:
    """Go's float64 -> int64 conversion on amd64 (out of range gives the minimum)."""
    if math.isnan(x) or not (-(2.0**63) <= x < 2.0**63):
        return -(1 << 63)
    return int(x)


def _wrap64(v: int) -> int:
    """int64 overflow as Go wraps it."""
    if -(1 << 63) <= v < (1 << 63):
        return v
    return ((v + (1 << 63)) % (1 << 64)) - (1 << 63)
