"""The numpy decoder of tracetui's own Perfetto files: it reads every export of the corpus
into the model the protobuf path reads (so the model the export was made from), frames any
byte stream exactly, and hands files it does not expect to the protobuf path."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from perfetto.protos.perfetto.trace import perfetto_trace_pb2 as pb

from tests.conftest import TRACES, committed_traces, trace_id
from tracetui.gotrace.reader import read_trace
from tracetui.model import Trace, build_model
from tracetui.perfetto import decode
from tracetui.perfetto import layout as L
from tracetui.perfetto.decode import Fallback, frame
from tracetui.perfetto.reader import Ours, _collect, read_model, read_ours_fast
from tracetui.perfetto.wire import iter_packets, packet_record
from tracetui.perfetto.writer import write_trace


def _protobuf_path(raw: bytes) -> Trace:
    ev = _collect(raw, None)
    return Ours(ev, json.loads(ev.attrs[L.META_KEY]), None).build()


@pytest.mark.parametrize("path", committed_traces(), ids=trace_id)
def test_fast_reader_reads_every_export(path: Path, tmp_path: Path, same_model: Callable[[Trace, Trace], None]) -> None:
    model = build_model(read_trace(path))
    out = tmp_path / "t.pftrace"
    write_trace(model, str(out))
    with open(out, "rb") as f:
        fast = read_ours_fast(f)  # raises Fallback if the fast path gave up
    same_model(model, fast)
    same_model(_protobuf_path(out.read_bytes()), fast)


@pytest.mark.parametrize("name", ["manygoroutines", "gcstw", "annotations"])
def test_fast_reader_reads_plain_exports(name: str, tmp_path: Path, same_model: Callable[[Trace, Trace], None],
                                        monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """Uncompressed files are framed by lanes; small batches and lanes make every batch
    and lane boundary fall inside packets."""
    import tracetui.perfetto.fastread as fr

    model = build_model(read_trace(TRACES / "go1.27.3" / f"{name}.trace"))
    out = tmp_path / "p.pftrace"
    write_trace(model, str(out), compress=False)
    raw = out.read_bytes()
    same_model(model, read_ours_fast(raw))
    monkeypatch.setattr(fr, "BATCH", 4099)
    monkeypatch.setattr(decode, "LANE", 37)
    monkeypatch.setattr(decode, "OVERLAP", 5)
    same_model(model, read_ours_fast(raw))


def _sequential(data: bytes) -> list[int]:
    pos, out = 0, []
    while pos < len(data):
        out.append(pos)
        n, p = 0, pos + 1
        shift = 0
        while True:
            b = data[p]
            p += 1
            n |= (b & 0x7F) << shift
            if b < 0x80:
                break
            shift += 7
        pos = p + n
    return out


@pytest.mark.parametrize("seed", range(6))
def test_frame_matches_a_sequential_walk(seed: int) -> None:
    """Random packet streams full of 0x0a bytes (so lanes start astray), with packets
    from 0 bytes to several lanes long."""
    rnd = random.Random(seed)
    parts = []
    for _ in range(3000):
        n = rnd.choice([0, 1, 3, 9, 20, 60, 127, 128, 300]) if rnd.random() < 0.97 else rnd.randrange(1000, 5000)
        body = bytes(rnd.choice([0x0A, 0x0A, 0x80, 0x05, rnd.randrange(256)]) for _ in range(n))
        parts.append(packet_record(body))
    data = b"".join(parts)
    buf = np.frombuffer(data, np.uint8)
    want = _sequential(data)
    bodies, ends, last = frame(buf, 0, len(data), data)
    assert last == len(data)
    assert ends.tolist() == want[1:] + [len(data)]
    assert (bodies - np.array(want) >= 2).all() and (bodies <= ends).all()
    cut = len(data) // 2  # a window ending inside a packet continues at the next start
    _, ends2, last2 = frame(buf, 0, cut, data)
    assert last2 == min(p for p in want + [len(data)] if p >= cut) and ends2.tolist() == [
        p for p in want[1:] if p <= last2
    ]


def test_frame_rejects_broken_framing() -> None:
    data = packet_record(b"\x01\x02") + b"\x0a\x7f\x00"  # the last packet runs past the end
    with pytest.raises(Fallback):
        frame(np.frombuffer(data, np.uint8), 0, len(data), data)


def test_unexpected_packet_order_falls_back_to_the_protobuf_path(
    tmp_path: Path, same_model: Callable[[Trace, Trace], None]
) -> None:
    """A hot sequence's packet rewritten with an extra field (so not of hot shape) after
    the sequence's hot packets: the fast path gives up, read_model still reads the file."""
    model = build_model(read_trace(TRACES / "go1.27.3" / "channels.trace"))
    out = tmp_path / "p.pftrace"
    write_trace(model, str(out), compress=False)
    packets = [bytes(mv) for _, mv in iter_packets(out.read_bytes())]
    seen: set[int] = set()
    for k, raw in enumerate(packets):
        p = pb.TracePacket.FromString(raw)
        sid = p.trusted_packet_sequence_id
        if sid >= L.FIRST_TRACK and p.HasField("track_event") and p.track_event.type == L.END:
            if sid in seen:
                p.track_event.categories.append("x")  # ignored by the model, not of hot shape
                packets[k] = p.SerializeToString()
                break
            seen.add(sid)
    data = b"".join(packet_record(p) for p in packets)
    with pytest.raises(Fallback):
        read_ours_fast(data)
    f = tmp_path / "edited.pftrace"
    f.write_bytes(data)
    same_model(model, read_model(str(f)))


def test_foreign_file_is_not_taken_by_the_fast_path() -> None:
    p = pb.TracePacket()
    p.track_descriptor.uuid = 5
    p.track_descriptor.name = "other"
    with pytest.raises(Fallback):
        read_ours_fast(packet_record(p.SerializeToString()))


def test_progress_is_reported_as_the_file_is_read(tmp_path: Path) -> None:
    model = build_model(read_trace(TRACES / "go1.27.3" / "manygoroutines.trace"))
    out = tmp_path / "p.pftrace"
    write_trace(model, str(out))
    seen: list[float] = []
    t = read_model(str(out), progress=seen.append)
    assert t.events == model.events
    assert seen == sorted(seen) and seen[0] == 0.0 and seen[-1] == 1.0 and len(seen) > 2
