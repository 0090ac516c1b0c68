"""Protobuf wire format at the byte level: varints, keys, fields (for the Perfetto and
pprof writers and readers)."""

from __future__ import annotations

from collections.abc import Iterator

VARINT, I64, LEN, I32 = 0, 1, 2, 5


def varint(n: int) -> bytes:
    """The varint of a non-negative int, or of a negative one as its 64-bit two's complement."""
    if n < 0:
        n &= (1 << 64) - 1
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def key(field: int, wire_type: int) -> bytes:
    return varint(field << 3 | wire_type)


def field_bytes(field: int, payload: bytes) -> bytes:
    """A LEN field: key, length, payload."""
    return key(field, LEN) + varint(len(payload)) + payload


def read_varint(buf: bytes | memoryview, pos: int) -> tuple[int, int]:
    """(value, position after it); raises ValueError when truncated or over 10 bytes."""
    result = shift = 0
    end = len(buf)
    while True:
        if pos >= end or shift > 63:
            raise ValueError("bad varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7


def iter_fields(buf: bytes | memoryview) -> Iterator[tuple[int, int, int | bytes | memoryview]]:
    """(field, wire type, value) of each field of a message: ints for VARINT/I64/I32, a
    memoryview for LEN. Raises ValueError on malformed bytes."""
    mv = memoryview(buf)
    pos, end = 0, len(mv)
    while pos < end:
        k, pos = read_varint(mv, pos)
        f, wt = k >> 3, k & 7
        if f == 0:
            raise ValueError("field 0")
        if wt == VARINT:
            v, pos = read_varint(mv, pos)
            yield f, wt, v
        elif wt == LEN:
            n, pos = read_varint(mv, pos)
            if pos + n > end:
                raise ValueError("truncated field")
            yield f, wt, mv[pos : pos + n]
            pos += n
        elif wt == I64:
            if pos + 8 > end:
                raise ValueError("truncated fixed64")
            yield f, wt, int.from_bytes(mv[pos : pos + 8], "little")
            pos += 8
        elif wt == I32:
            if pos + 4 > end:
                raise ValueError("truncated fixed32")
            yield f, wt, int.from_bytes(mv[pos : pos + 4], "little")
            pos += 4
        else:
            raise ValueError(f"wire type {wt}")


def field_varint(field: int, value: int) -> bytes:
    """A VARINT field: key, value."""
    return key(field, VARINT) + varint(value)


def packed(field: int, values: list[int]) -> bytes:
    """A packed repeated varint field."""
    return field_bytes(field, b"".join(varint(v) for v in values))
