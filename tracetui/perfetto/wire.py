"""Protobuf wire format at the byte level: varints, keys, and the framing of a trace file
(`0a <len> <TracePacket>` records, `compressed_packets` chunks, whole-file gzip)."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator

from tracetui.errors import TraceFormatError, UnsupportedTraceError

VARINT, I64, LEN, I32 = 0, 1, 2, 5
PACKET_KEY = 0x0A  # Trace.packet (field 1, LEN)
COMPRESSED_PACKETS = 50  # TracePacket.compressed_packets: zlib-deflated Trace bytes
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


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


def packet_record(packet: bytes) -> bytes:
    """A TracePacket framed as one `Trace.packet` entry."""
    return b"\x0a" + varint(len(packet)) + packet


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


def trace_bytes(data: bytes, path: str | None = None) -> bytes:
    """The uncompressed Trace bytes of a file's content (whole-file gzip undone)."""
    if data[:2] == GZIP_MAGIC:
        try:
            return gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as e:
            raise TraceFormatError(f"corrupted gzip-compressed Perfetto trace ({e})", path=path) from None
    if data[:4] == ZSTD_MAGIC:
        raise UnsupportedTraceError("zstd-compressed Perfetto trace: decompress it first (zstd -d)", path=path)
    return data


def iter_packets(data: bytes, path: str | None = None) -> Iterator[tuple[int, memoryview]]:
    """(file offset, TracePacket bytes) of every packet, in file order, with the packets of
    `compressed_packets` chunks inlined (their offset is the chunk's). A malformed or
    truncated frame raises TraceFormatError naming the offset."""
    yield from _iter_packets(memoryview(data), 0, path, nested=False)


def _iter_packets(mv: memoryview, base: int, path: str | None, nested: bool) -> Iterator[tuple[int, memoryview]]:
    pos, end = 0, len(mv)
    while pos < end:
        at = base + (0 if nested else pos)
        if mv[pos] != PACKET_KEY:
            raise TraceFormatError("not a Perfetto trace packet (bad framing)", path=path, offset=at)
        try:
            n, p = read_varint(mv, pos + 1)
        except ValueError:
            raise TraceFormatError("truncated Perfetto trace", path=path, offset=at) from None
        if p + n > end:
            raise TraceFormatError("truncated Perfetto trace", path=path, offset=at)
        pkt = mv[p : p + n]
        pos = p + n
        inner = _compressed_payload(pkt)
        if inner is None:
            yield at, pkt
            continue
        try:
            raw = zlib.decompress(inner)
        except zlib.error:
            raise TraceFormatError("corrupted compressed_packets chunk", path=path, offset=at) from None
        yield from _iter_packets(memoryview(raw), at, path, nested=True)


def _compressed_payload(pkt: memoryview) -> memoryview | None:
    """The compressed bytes of a packet holding only `compressed_packets`, else None."""
    if len(pkt) < 3 or pkt[0] != 0x92 or pkt[1] != 0x03:
        return None
    try:
        fields = list(iter_fields(pkt))
    except ValueError:
        return None
    if len(fields) == 1 and fields[0][0] == COMPRESSED_PACKETS and isinstance(fields[0][2], memoryview):
        return fields[0][2]
    return None
