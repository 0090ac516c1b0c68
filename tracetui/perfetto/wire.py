"""The framing of a Perfetto trace file: `0a <len> <TracePacket>` records,
`compressed_packets` chunks, whole-file gzip (the protobuf bytes: tracetui.protobuf)."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator

from tracetui.errors import TraceFormatError, UnsupportedTraceError
from tracetui.protobuf import I32, I64, LEN, VARINT, field_bytes, iter_fields, key, read_varint, varint

__all__ = ["I32", "I64", "LEN", "VARINT", "field_bytes", "iter_fields", "key", "read_varint", "varint"]

PACKET_KEY = 0x0A  # Trace.packet (field 1, LEN)
COMPRESSED_PACKETS = 50  # TracePacket.compressed_packets: zlib-deflated Trace bytes
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def packet_record(packet: bytes) -> bytes:
    """A TracePacket framed as one `Trace.packet` entry."""
    return b"\x0a" + varint(len(packet)) + packet


def trace_bytes(data: bytes, path: str | None = None, limit: int | None = None) -> bytes:
    """The uncompressed Trace bytes of a file's content (whole-file gzip undone; more than
    `limit` bytes of it is refused in one line)."""
    if data[:2] == GZIP_MAGIC:
        if limit is None:
            try:
                return gzip.decompress(data)
            except (OSError, EOFError, zlib.error) as e:
                raise TraceFormatError(f"corrupted gzip-compressed Perfetto trace ({e})", path=path) from None
        d = zlib.decompressobj(wbits=31)
        try:
            out = d.decompress(data, limit + 1)
        except zlib.error as e:
            raise TraceFormatError(f"corrupted gzip-compressed Perfetto trace ({e})", path=path) from None
        if len(out) > limit:
            raise UnsupportedTraceError(f"too big for tracetui: more than {limit >> 20:,} MB once gunzipped; "
                                        "open it in ui.perfetto.dev", path=path)  # fmt: skip
        if not d.eof:
            raise TraceFormatError("corrupted gzip-compressed Perfetto trace (truncated)", path=path)
        return out
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
        inner = compressed_payload(pkt)
        if inner is None:
            yield at, pkt
            continue
        try:
            raw = zlib.decompress(inner)
        except zlib.error:
            raise TraceFormatError("corrupted compressed_packets chunk", path=path, offset=at) from None
        yield from _iter_packets(memoryview(raw), at, path, nested=True)


def compressed_payload(pkt: memoryview) -> memoryview | None:
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


def plausible_start(head: bytes, size: int) -> bool:
    """Whether a file of `size` bytes starting with `head` (its first 64 KB, say) can be an
    uncompressed Perfetto trace: `Trace.packet` records that fit in the file, the ones
    wholly in `head` well-formed messages, each followed by the next record's key. Catches
    other files that merely start with 0x0A (a newline)."""
    pos = 0
    while pos < len(head):
        if head[pos] != 0x0A:
            return False
        try:
            length, start = read_varint(head, pos + 1)
        except ValueError:
            return pos > 0  # cut by the end of `head`, after a whole record
        end = start + length
        if end > size:
            return False
        if end > len(head):
            return True  # a record longer than the head: its key and length are all we see
        try:
            for number, _, _ in iter_fields(head[start:end]):
                if number < 1:
                    return False
        except ValueError:
            return False
        pos = end
    return True
