"""The protobuf path (other tools' files, and ours when the fast path cannot take them)
is bounded: its packets are counted with numpy first, and a file that would take more than
MEMORY_BUDGET is refused with one line naming the file and the limit."""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest
from perfetto.protos.perfetto.trace import perfetto_trace_pb2 as pb

from tests.conftest import TRACES
from tracetui.cli import main
from tracetui.errors import TracetuiError
from tracetui.gotrace.reader import read_trace
from tracetui.model import build_model
from tracetui.perfetto import reader
from tracetui.perfetto.fastread import count_packets
from tracetui.perfetto.wire import field_bytes, iter_packets, packet_record
from tracetui.perfetto.writer import write_trace


def _foreign(tmp_path: Path, compress: bool) -> tuple[Path, int]:
    """Another tool's file: one of ours without its metadata and with another root name."""
    model = build_model(read_trace(TRACES / "go1.27.3" / "channels.trace"))
    ours = tmp_path / "ours.pftrace"
    write_trace(model, str(ours))
    packets = []
    for _, mv in iter_packets(ours.read_bytes()):
        raw = bytes(mv)
        if raw[0] != 0x40:  # not a hot event
            p = pb.TracePacket.FromString(raw)
            if p.HasField("trace_attributes"):
                continue
            if p.HasField("track_descriptor") and p.track_descriptor.name.endswith("(tracetui)"):
                p.track_descriptor.name = "another tool"
                raw = p.SerializeToString()
        packets.append(packet_record(raw))
    out = tmp_path / "foreign.pftrace"
    half = len(packets) // 2  # two chunks, or plain packets
    parts = [b"".join(packets[:half]), b"".join(packets[half:])]
    out.write_bytes(b"".join(packet_record(field_bytes(50, zlib.compress(d))) for d in parts) if compress
                    else b"".join(parts))  # fmt: skip
    return out, len(packets)


@pytest.mark.parametrize("compress", [False, True])
def test_packets_are_counted_inside_chunks(tmp_path: Path, compress: bool) -> None:
    out, n = _foreign(tmp_path, compress)
    assert count_packets(out.read_bytes()) == n
    assert count_packets(out.read_bytes() + b"\x0a\x7f") == n  # bad framing ends the count


def test_foreign_file_within_the_budget_opens(tmp_path: Path) -> None:
    out, _ = _foreign(tmp_path, True)
    t = reader.read_model(str(out))
    assert t.source == "perfetto" and t.tracks


def test_foreign_file_over_the_budget_is_refused_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out, n = _foreign(tmp_path, True)
    monkeypatch.setattr(reader, "MEMORY_BUDGET", (n - 1) * reader.BYTES_PER_PACKET)
    with pytest.raises(TracetuiError) as e:
        reader.read_model(str(out))
    line = e.value.one_line()
    assert str(out) in line and f"{n:,} Perfetto packets" in line and f"{n - 1:,}" in line
    assert main(["summary", str(out)]) != 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(out) in err and "Traceback" not in err


def test_big_files_are_refused_before_being_read_unless_ours(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Over half the budget on disk: another tool's file is refused before it is read; an
    uncompressed export of ours is mapped and read by the fast path; a gzipped file is
    refused once more than half the budget has been inflated."""
    import gzip

    foreign, _ = _foreign(tmp_path, False)
    model = build_model(read_trace(TRACES / "go1.27.3" / "channels.trace"))
    plain = tmp_path / "plain.pftrace"
    write_trace(model, str(plain), compress=False)
    gz = tmp_path / "f.pftrace.gz"
    gz.write_bytes(gzip.compress(foreign.read_bytes()))
    monkeypatch.setattr(reader, "MEMORY_BUDGET", 2 * min(foreign.stat().st_size, plain.stat().st_size) - 2)
    with pytest.raises(TracetuiError) as e:
        reader.read_model(str(foreign))
    assert "MB" in e.value.one_line() and str(foreign) in e.value.one_line()
    assert reader.read_model(str(plain)).events == model.events
    with pytest.raises(TracetuiError) as e:
        reader.read_model(str(gz))
    assert "gunzipped" in e.value.one_line() and str(gz) in e.value.one_line()


def test_foreign_counters_interleaved_are_split_by_track_in_time_order(tmp_path: Path) -> None:
    """Another tool's counters (int and double values), their events interleaved across
    tracks and out of time order in the file."""
    packets = []
    for u, name in ((10, "a"), (11, "b"), (12, "c")):
        p = pb.TracePacket()
        p.track_descriptor.uuid, p.track_descriptor.name = u, name
        p.track_descriptor.counter.unit = pb.CounterDescriptor.UNIT_COUNT
        packets.append(p)
    for k, (u, ts) in enumerate([(10, 300), (11, 100), (12, 200), (10, 100), (11, 50), (12, 250), (10, 200)]):
        p = pb.TracePacket(timestamp=1000 + ts, trusted_packet_sequence_id=7)
        p.track_event.type, p.track_event.track_uuid = 4, u  # COUNTER
        if u == 12:
            p.track_event.double_counter_value = k + 0.5
        else:
            p.track_event.counter_value = k
        packets.append(p)
    out = tmp_path / "counters.pftrace"
    out.write_bytes(b"".join(packet_record(p.SerializeToString()) for p in packets))
    t = reader.read_model(str(out))
    got = {tr.name: (tr.counter.ts.tolist(), tr.counter.value.tolist()) for tr in t.tracks if tr.counter is not None}
    assert got == {"a": ([50, 150, 250], [3, 6, 0]), "b": ([0, 50], [4, 1]), "c": ([150, 200], [2.5, 5.5])}


@pytest.mark.parametrize("keep", [0.5, 0.9])
def test_a_cut_file_of_ours_says_so_even_when_over_the_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], keep: float
) -> None:
    """A recording cut short is reported as cut, not refused as another tool's file too big
    for the protobuf path (whose budget the cut file would pass)."""
    from tracetui.perfetto import writer

    monkeypatch.setattr(writer, "CHUNK", 1 << 12)  # many chunks, as in a real recording's file
    model = build_model(read_trace(TRACES / "go1.27.3" / "channels.trace"))
    whole = tmp_path / "whole.pftrace"
    write_trace(model, str(whole))
    data = whole.read_bytes()
    cut = tmp_path / "cut.pftrace"
    cut.write_bytes(data[: int(len(data) * keep)])
    monkeypatch.setattr(reader, "MEMORY_BUDGET", 1024)  # any protobuf read would be refused
    assert main(["summary", str(cut)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"tracetui: {cut}: truncated or corrupted Perfetto trace"] or err == [
        f"tracetui: {cut}: truncated Perfetto trace (tracetui's metadata at its end is missing)"
    ]
