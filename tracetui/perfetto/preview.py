"""A quick first model of a big Perfetto file tracetui wrote, for the viewer's first screen.

The writer puts the descriptors and tables first, then the hot tracks (most of the file),
then the rare events and the `tracetui.model` metadata (see `layout`). A preview reads only
the head up to the first hot packet and the tail from the last hot packet on (and any
plain packets appended after the compressed chunks): every track, group and rare event
(GC, STW, tasks, regions, logs, host rows), with the hot rows (goroutines, Ps, Ms, their
counters and flows) empty. `reader.read_model` then gives the whole model.
"""

from __future__ import annotations

import json
import os
import zlib
from typing import BinaryIO

from perfetto.protos.perfetto.trace import perfetto_trace_pb2 as pb

from tracetui.model.trace import Flows, Trace
from tracetui.perfetto import layout as L
from tracetui.perfetto.collect import Collector
from tracetui.perfetto.reader import NOT_FAST, Ours
from tracetui.perfetto.wire import compressed_payload, read_varint

MIN_BYTES = 4 << 20  # smaller files are read whole about as fast as a preview
MAX_TAIL = 64 << 20  # inflated bytes of rare events a preview reads at most
_RARE_SEQS = (0, L.TABLES_SEQ)  # descriptors, metadata (0); tables and rare events (TABLES_SEQ)


def read_preview(path: str) -> Trace | None:
    """The preview model of a big compressed file tracetui wrote; None for any other file,
    a small one, or one whose head or tail is not as the writer makes it."""
    try:
        with open(path, "rb") as f:
            if os.fstat(f.fileno()).st_size < MIN_BYTES:
                return None
            packets = _rare_packets(f)
        if packets is None:
            return None
        c = Collector(path)
        for off, pkt in enumerate(packets):
            c.packet(off, pkt)
        root = c.ev.descs.get(L.ROOT)
        meta = c.ev.attrs.get(L.META_KEY)
        if root is None or not root.name.endswith("(tracetui)") or meta is None:
            return None
        m = json.loads(meta)
        m["proc_extent"] = {}  # a P's implicit spans fill the gaps between its (unread) spans
        return _Preview(c.ev, m, path).build()
    except (OSError, zlib.error, *NOT_FAST):
        return None


class _Preview(Ours):
    def _flows(self) -> Flows:
        return Flows.empty()


def _rare_packets(f: BinaryIO) -> list[bytes] | None:
    """The packets of the head (before the first hot one) and of the tail (after the last
    hot one), in file order; None if the file is not made of compressed chunks."""
    tops = _top_level(f)
    chunks = [i for i, (_, _, compressed) in enumerate(tops) if compressed]
    if not chunks or chunks[0] != 0:
        return None
    head: list[bytes] = []
    k = 0
    for k in chunks:
        rare, hot = _split(_inflate(f, tops[k]))
        head += rare
        if hot is not None:
            break
    else:
        return None
    tail: list[bytes] = []
    size = 0
    for j in reversed(chunks):
        if j <= k:
            return None  # no hot section in between: a small file
        data = _inflate(f, tops[j])
        size += len(data)
        if size > MAX_TAIL:
            return None
        rare, hot = _split(data, last=True)
        tail = rare + tail
        if hot is not None:
            break
    plain = [_read(f, off, n) for off, n, compressed in tops[chunks[-1] + 1 :] if not compressed]
    return head + tail + plain


def _split(data: bytes, last: bool = False) -> tuple[list[bytes], int | None]:
    """(the packets before the first hot packet, its index or None if there is none); with
    `last`, (the packets after the last hot packet, its index or None)."""
    pkts = _packets(data)
    seqs = [pb.TracePacket.FromString(p).trusted_packet_sequence_id for p in pkts]
    hot = [i for i, s in enumerate(seqs) if s not in _RARE_SEQS]
    if last:
        return (pkts[hot[-1] + 1 :], hot[-1]) if hot else (pkts, None)
    return (pkts[: hot[0]], hot[0]) if hot else (pkts, None)


def _packets(data: bytes) -> list[bytes]:
    """The framed packets of inflated chunk bytes."""
    out, pos, n = [], 0, len(data)
    mv = memoryview(data)
    while pos < n:
        if data[pos] != 0x0A:
            raise ValueError("framing")
        ln, p = read_varint(mv, pos + 1)
        if p + ln > n:
            raise ValueError("truncated")
        out.append(bytes(mv[p : p + ln]))
        pos = p + ln
    return out


def _top_level(f: BinaryIO) -> list[tuple[int, int, bool]]:
    """(offset, length, is a compressed chunk) of each top-level packet, found by seeking."""
    out = []
    size = os.fstat(f.fileno()).st_size
    pos = 0
    while pos < size:
        f.seek(pos)
        hdr = f.read(16)
        if not hdr or hdr[0] != 0x0A:
            raise ValueError("framing")
        ln, p = read_varint(hdr, 1)
        if pos + p + ln > size:
            raise ValueError("truncated")
        out.append((pos + p, ln, hdr[p : p + 2] == b"\x92\x03"))
        pos += p + ln
    return out


def _read(f: BinaryIO, off: int, n: int) -> bytes:
    f.seek(off)
    data = f.read(n)
    if len(data) != n:
        raise ValueError("truncated")
    return data


def _inflate(f: BinaryIO, top: tuple[int, int, bool]) -> bytes:
    inner = compressed_payload(memoryview(_read(f, top[0], top[1])))
    if inner is None:
        raise ValueError("not a compressed chunk")
    return zlib.decompress(inner)
