"""The checker flags each trace-processor rule it knows when a file breaks it, and the
numpy encoder writes the bytes the protobuf runtime writes."""

from __future__ import annotations

import numpy as np
import pytest
from perfetto.protos.perfetto.trace import perfetto_trace_pb2 as pb

from tracetui.perfetto.check import check_bytes, main
from tracetui.perfetto.records import Const, Fixed64, Msg, Varint, encode
from tracetui.perfetto.wire import packet_record

SEQ = 7


def _desc(uuid: int, name: str, counter: bool = False, parent: int = 0) -> pb.TracePacket:
    p = pb.TracePacket()
    p.track_descriptor.uuid = uuid
    p.track_descriptor.name = name
    if parent:
        p.track_descriptor.parent_uuid = parent
    if counter:
        p.track_descriptor.counter.SetInParent()
    return p


def _first() -> pb.TracePacket:
    p = pb.TracePacket()
    p.trusted_packet_sequence_id = SEQ
    p.sequence_flags = 3
    p.interned_data.event_names.add(iid=1, name="work")
    return p


def _ev(ts: int, typ: int, track: int = 10, name: int = 0, flags: int = 2, **kw: object) -> pb.TracePacket:
    p = pb.TracePacket()
    p.timestamp = ts
    p.trusted_packet_sequence_id = SEQ
    p.sequence_flags = flags
    p.track_event.type = typ
    p.track_event.track_uuid = track
    if name:
        p.track_event.name_iid = name
    for k, v in kw.items():
        f = getattr(p.track_event, k)
        if isinstance(v, list):
            f.extend(v)
        else:
            setattr(p.track_event, k, v)
    return p


def _file(*packets: pb.TracePacket | bytes) -> bytes:
    return b"".join(packet_record(p if isinstance(p, bytes) else p.SerializeToString()) for p in packets)


B, E, I, C = 1, 2, 3, 4
GOOD = [_desc(10, "t"), _desc(11, "c", counter=True), _first(), _ev(5, B, name=1), _ev(9, E),
        _ev(6, C, track=11, counter_value=3)]  # fmt: skip


def _errors(data: bytes) -> list[str]:
    return [p.message for p in check_bytes(data).errors]


def test_a_good_file_has_no_errors() -> None:
    r = check_bytes(_file(*GOOD))
    assert r.errors == [] and r.packets == 6 and r.events == 3


@pytest.mark.parametrize(
    ("packets", "needle"),
    [
        ([_desc(10, "t"), _ev(5, B, name=1), _first(), _ev(9, E)], "before any packet cleared"),
        ([_desc(10, "t"), _first(), _ev(5, B, name=2), _ev(9, E)], "unknown event name iid 2"),
        (
            [_first(), _ev(5, C, track=11, counter_value=1), _desc(11, "c", counter=True)],
            "before its counter descriptor",
        ),
        ([_desc(11, "c", counter=True), _first(), _ev(5, C, track=11)], "counter event without a value"),
        ([_desc(10, "t"), _first(), _ev(9, E)], "END with no open slice"),
        ([_desc(10, "t"), _first(), _ev(5, B, name=1)], "never end"),
        ([_desc(10, "t"), _first(), _ev(5, I, name=1, flow_ids=[4])], "flow 4 never terminates"),
        ([_desc(10, "t"), _first(), _ev(5, I, name=1, terminating_flow_ids=[4])], "terminates without a start"),
        ([_desc(10, "t", parent=99), _first(), _ev(5, I, name=1)], "parent 99 has no descriptor"),
        ([_desc(10, "t"), _first(), _ev(5, B, name=1, flags=0), _ev(9, E)], "without SEQ_NEEDS_INCREMENTAL_STATE"),
        ([_desc(10, "t"), _first(), _ev(5, B, name=1, callstack_iid=3), _ev(9, E)], "unknown callstack iid 3"),
        ([_desc(10, "t"), _first(), _ev(5, 0, name=1)], "without type"),
        ([_desc(11, "c", counter=True), _first(), _ev(5, B, track=11, name=1), _ev(6, E, track=11)], "counter track"),
        ([_desc(10, "t"), _desc(10, "t", counter=True)], "described again"),
    ],
)
def test_each_rule_is_flagged(packets: list[pb.TracePacket], needle: str) -> None:
    errs = _errors(_file(*packets))
    assert any(needle in e for e in errs), errs


def test_equal_timestamps_follow_file_order() -> None:
    """END before the next BEGIN at the same time: fine; END of a slice not yet begun: not."""
    ok = [_desc(10, "t"), _first(), _ev(5, B, name=1), _ev(9, E), _ev(9, B, name=1), _ev(12, E)]
    assert _errors(_file(*ok)) == []
    bad = [_desc(10, "t"), _first(), _ev(9, E), _ev(5, B, name=1), _ev(9, B, name=1), _ev(12, E)]
    assert _errors(_file(*bad)) == []  # sorted by time, then file order: B5 E9 B9 E12
    worse = [_desc(10, "t"), _first(), _ev(9, E), _ev(9, B, name=1), _ev(12, E)]
    assert any("END with no open slice" in e for e in _errors(_file(*worse)))


def test_missing_sequence_id_and_timestamp() -> None:
    p = _ev(5, I, name=1)
    p.ClearField("trusted_packet_sequence_id")
    q = _ev(5, I, name=1)
    q.ClearField("timestamp")
    errs = _errors(_file(_desc(10, "t"), _first(), p, q))
    assert any("without trusted_packet_sequence_id" in e for e in errs)
    assert any("without timestamp" in e for e in errs)


def test_bytes_that_do_not_round_trip() -> None:
    """The same fields in another order parse, but do not re-serialize to the same bytes."""
    canonical = _ev(5, I, name=1).SerializeToString()
    swapped = b"\x50\x07" + b"\x40\x05" + canonical[4:]  # seq id before timestamp
    assert pb.TracePacket.FromString(swapped) == pb.TracePacket.FromString(canonical)
    errs = _errors(_file(_desc(10, "t"), _first(), swapped))
    assert any("round-trip" in e for e in errs)


def test_truncated_file_is_an_error() -> None:
    data = _file(*GOOD)
    assert any("truncated" in e for e in _errors(data[:-3]))


def test_command_line(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    good, bad = tmp_path / "good.pftrace", tmp_path / "bad.pftrace"
    good.write_bytes(_file(*GOOD))
    bad.write_bytes(_file(_desc(10, "t"), _first(), _ev(9, E)))
    assert main([str(good)]) == 0
    assert main([str(bad)]) == 1
    out = capsys.readouterr().out
    assert "0 errors" in out and "END with no open slice" in out


def test_numpy_encoding_matches_the_protobuf_runtime() -> None:
    """Random rows with every optional field, long varints and negative values."""
    rng = np.random.default_rng(4)
    n = 3000
    ts = rng.integers(0, 1 << 62, n, dtype=np.uint64)
    ts[::7] = rng.integers(0, 200, n // 7 + 1, dtype=np.uint64)[: ts[::7].size]
    typ = rng.integers(1, 5, n, dtype=np.uint64)
    name = np.where(rng.random(n) < 0.5, rng.integers(1, 100000, n), 0).astype(np.uint64)
    stack = np.where(rng.random(n) < 0.3, rng.integers(1, 1 << 33, n), 0).astype(np.uint64)
    ann = rng.random(n) < 0.4
    annv = rng.integers(-(1 << 40), 1 << 40, n).astype(np.int64)
    flow = np.where(rng.random(n) < 0.2, rng.integers(1, 1 << 63, n, dtype=np.uint64), 0).astype(np.uint64)
    value = rng.integers(-(1 << 62), 1 << 62, n).astype(np.int64)
    parts = [Msg(b"\x0a", [
        Const(b"\x40"), Varint(ts), Const(b"\x50\x07"),
        Msg(b"\x5a", [
            Msg(b"\x22", [Const(b"\x08\x02"), Const(b"\x20"), Varint(annv.view(np.uint64))], ann),
            Const(b"\x48"), Varint(typ), Const(b"\x50", name != 0), Varint(name, name != 0),
            Const(b"\xf0\x01"), Varint(value.view(np.uint64)),
            Const(b"\xf9\x02", flow != 0), Fixed64(flow, flow != 0),
            Const(b"\xc0\x03", stack != 0), Varint(stack, stack != 0),
        ]),
        Const(b"\x68\x02"),
    ])]  # fmt: skip
    blob, lengths = encode(parts, n)
    assert lengths.sum() == len(blob)
    pos = 0
    for i in range(n):
        p = pb.TracePacket(timestamp=int(ts[i]), trusted_packet_sequence_id=7, sequence_flags=2)
        te = p.track_event
        if ann[i]:
            te.debug_annotations.add(name_iid=2, int_value=int(annv[i]))
        te.type = int(typ[i])
        if name[i]:
            te.name_iid = int(name[i])
        te.counter_value = int(value[i])
        if flow[i]:
            te.flow_ids.append(int(flow[i]))
        if stack[i]:
            te.callstack_iid = int(stack[i])
        want = packet_record(p.SerializeToString())
        got = blob[pos : pos + int(lengths[i])]
        assert got == want, (i, got.hex(" "), want.hex(" "))
        pos += int(lengths[i])
