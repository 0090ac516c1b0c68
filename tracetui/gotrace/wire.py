"""The wire level: header, varints and batch framing (Go's version.ReadHeader, readBatch)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tracetui.gotrace import spec

HEADER_SIZE = 16
_HEADER_RE = re.compile(rb"go 1\.(\d+) trace\x00\x00\x00")

NO_THREAD = -1
_I64 = 1 << 63
_U64P1 = 1 << 64


class WireError(Exception):
    """A decoding error, carrying Go's message and the byte offset where it happened."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


class EndOfData(Exception):
    """Clean end of the input where a batch would start (Go's io.EOF)."""


def to_i64(v: int) -> int:
    """Go's conversion of a uint64 to int64 (ThreadID(x), GoID(x), ProcID(x))."""
    return v - _U64P1 if v >= _I64 else v


def read_header(buf: bytes | memoryview) -> int:
    """The trace's wire version (the N of "go 1.N trace"); raises WireError if it is no Go trace."""
    head = bytes(buf[:HEADER_SIZE])
    # Go reads the header with fmt.Fscanf("go 1.%d trace\x00\x00\x00").
    m = _HEADER_RE.match(head) or _HEADER_RE.match(bytes(buf[:32]))
    if m is None:
        raise WireError("bad file format: not a Go execution trace?", 0)
    return int(m.group(1))


def header_length(buf: bytes | memoryview) -> int:
    """Length of the header (16 bytes for every version 1.10+)."""
    m = _HEADER_RE.match(bytes(buf[:32]))
    return m.end() if m else HEADER_SIZE


def uvarint(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    """Decode a uvarint at pos like Go's binary.ReadUvarint; returns (value, new position).

    Raises WireError with Go's message ("EOF", "unexpected EOF", overflow).
    """
    x = 0
    s = 0
    i = 0
    start = pos
    while i < 10:
        if pos >= end:
            raise WireError("unexpected EOF" if i > 0 else "EOF", start)
        b = buf[pos]
        pos += 1
        if b < 0x80:
            if i == 9 and b > 1:
                raise WireError("binary: varint overflows a 64-bit integer", start)
            return x | (b << s), pos
        x |= (b & 0x7F) << s
        s += 7
        i += 1
    raise WireError("binary: varint overflows a 64-bit integer", start)


@dataclass(slots=True)
class Batch:
    """One batch: its header and where its data lies in the buffer."""

    gen: int
    m: int
    time: int
    start: int  # offset of the data in the buffer
    end: int
    exp: int
    offset: int  # offset of the batch header


def read_batch(buf: bytes, pos: int, end: int) -> tuple[Batch, int]:
    """Read the batch at pos (Go's readBatch); returns it and the position after it.

    Raises EndOfData at a clean end, WireError for anything malformed.
    """
    if pos >= end:
        raise EndOfData
    start = pos
    typ = buf[pos]
    pos += 1
    if typ == spec.EvEndOfGeneration:
        return Batch(0, NO_THREAD, 0, start, pos, spec.NO_EXPERIMENT, start), pos
    if typ != spec.EvEventBatch and typ != spec.EvExperimentalBatch:
        raise WireError(f"expected batch event, got event {typ}", start)
    exp = spec.NO_EXPERIMENT
    if typ == spec.EvExperimentalBatch:
        if pos >= end:
            raise EndOfData  # Go's ReadByte returns a bare io.EOF here.
        exp = buf[pos]
        pos += 1
    fields = []
    for what in ("gen", "M ID", "timestamp", "size"):
        try:
            v, pos = uvarint(buf, pos, end)
        except WireError as e:
            raise WireError(f"error reading batch {what}: {e.message}", start) from None
        fields.append(v)
    gen, m, ts, size = fields
    if size > spec.MAX_BATCH_SIZE:
        raise WireError(f"invalid batch size {size}, maximum is {spec.MAX_BATCH_SIZE}", start)
    if pos + size > end:
        raise WireError(f"failed to read full batch: read {end - pos} but wanted {size}", start)
    return Batch(gen, to_i64(m), ts, pos, pos + size, exp, start), pos + size
