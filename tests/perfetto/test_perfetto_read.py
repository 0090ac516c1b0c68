"""Reading Perfetto files: other TrackEvent files open as generic tracks, the rest and
broken files fail with one line naming the file and exit status 2."""

from __future__ import annotations

import gzip
import random
import zlib
from pathlib import Path

import numpy as np
import pytest
from perfetto.protos.perfetto.trace import perfetto_trace_pb2 as pb

from tests.conftest import TRACES
from tracetui.cli import main
from tracetui.errors import TracetuiError
from tracetui.gotrace.reader import read_trace
from tracetui.model import TrackKind, build_model
from tracetui.perfetto.reader import read_model
from tracetui.perfetto.wire import packet_record
from tracetui.perfetto.writer import write_trace


def _foreign() -> bytes:
    """A TrackEvent file as another tool writes it: a thread track with nested slices by
    name (no interning), a counter track, a process track."""
    pk: list[pb.TracePacket] = []
    d = pb.TracePacket()
    d.track_descriptor.uuid = 100
    d.track_descriptor.process.pid = 42
    d.track_descriptor.process.process_name = "server"
    pk.append(d)
    d = pb.TracePacket()
    d.track_descriptor.uuid = 101
    d.track_descriptor.parent_uuid = 100
    d.track_descriptor.name = "worker"
    pk.append(d)
    d = pb.TracePacket()
    d.track_descriptor.uuid = 102
    d.track_descriptor.name = "queue depth"
    d.track_descriptor.counter.SetInParent()
    pk.append(d)
    for ts, typ, name in ((1000, 1, "request"), (1100, 1, "parse"), (1300, 2, ""), (1400, 3, "mark"),
                          (1900, 2, ""), (2000, 1, "request"), (2500, 2, "")):  # fmt: skip
        p = pb.TracePacket(timestamp=ts, trusted_packet_sequence_id=3)
        p.track_event.type = typ
        p.track_event.track_uuid = 101
        if name:
            p.track_event.name = name
        pk.append(p)
    for ts, v in ((1000, 1), (1500, 4), (2600, 0)):
        p = pb.TracePacket(timestamp=ts, trusted_packet_sequence_id=3)
        p.track_event.type = pb.TrackEvent.TYPE_COUNTER
        p.track_event.track_uuid = 102
        p.track_event.counter_value = v
        pk.append(p)
    return b"".join(packet_record(p.SerializeToString()) for p in pk)


def test_other_trackevent_file_opens_as_generic_tracks(tmp_path: Path) -> None:
    f = tmp_path / "other.pftrace"
    f.write_bytes(_foreign())
    tr = read_model(str(f))
    assert tr.version == 0 and tr.base_time == 1000 and tr.duration == 1600
    worker = next(t for t in tr.tracks if t.name == "worker")
    assert worker.kind == TrackKind.REGION and worker.group == "server"
    sp = worker.spans
    assert sp is not None and sp.depth is not None
    got = [(tr.string(r), int(s), int(e), int(d)) for r, s, e, d in zip(sp.reason, sp.start, sp.end, sp.depth)]
    assert got == [("request", 0, 900, 0), ("parse", 100, 300, 1), ("mark", 400, 400, 1), ("request", 1000, 1500, 0)]
    q = next(t for t in tr.tracks if t.name == "queue depth")
    assert q.kind == TrackKind.COUNTER and q.counter is not None
    assert q.counter.ts.tolist() == [0, 500, 1600] and q.counter.value.tolist() == [1, 4, 0]


def test_other_trackevent_file_gzipped_and_summarised(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "other.pftrace.gz"
    f.write_bytes(gzip.compress(_foreign()))
    assert main(["summary", "--json", str(f)]) == 0
    out = capfd.readouterr().out
    assert '"go_version": "unknown"' in out and '"events": 10' in out


def _one_line(argv: list[str], path: Path, capfd: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 2
    err = capfd.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"tracetui: {path}: "), err
    return lines[0]


def test_perfetto_file_without_track_events_is_one_line(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    p = pb.TracePacket(trusted_packet_sequence_id=1)
    p.process_tree.processes.add(pid=1, cmdline=["init"])
    f = tmp_path / "android.pftrace"
    f.write_bytes(packet_record(p.SerializeToString()))
    line = _one_line(["summary", str(f)], f, capfd)
    assert "TrackEvent" in line


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, bytes]:
    model = build_model(read_trace(TRACES / "go1.27.3" / "channels.trace"))
    d = tmp_path_factory.mktemp("pf")
    write_trace(model, str(d / "c.pftrace"))
    write_trace(model, str(d / "r.pftrace"), compress=False)
    return (d / "c.pftrace").read_bytes(), (d / "r.pftrace").read_bytes()


@pytest.mark.parametrize("compressed", [True, False], ids=["chunks", "plain"])
def test_truncated_pftrace_is_one_line(
    compressed: bool, exported: tuple[bytes, bytes], tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    data = exported[0] if compressed else exported[1]
    f = tmp_path / "cut.pftrace"
    rnd = random.Random(7)
    cuts = sorted({1, 2, 7, len(data) // 2, len(data) - 1, *(rnd.randrange(1, len(data)) for _ in range(6))})
    for cut in cuts:
        f.write_bytes(data[:cut])
        for cmd in ("summary", "export"):
            argv = [cmd, str(f)] + (["-o", str(tmp_path / "o.pftrace")] if cmd == "export" else [])
            line = _one_line(argv, f, capfd)
            assert "Perfetto" in line or "truncated" in line, (cut, line)


def test_corrupted_pftrace_is_one_line(
    exported: tuple[bytes, bytes], tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    data = exported[0]
    f = tmp_path / "bad.pftrace"
    rnd = random.Random(3)
    for _ in range(8):
        b = bytearray(data)
        at = rnd.randrange(len(data) // 4, len(data) - 8)  # inside a compressed chunk
        b[at] ^= 0xFF
        b[at + 1] ^= 0x55
        f.write_bytes(bytes(b))
        _one_line(["summary", str(f)], f, capfd)


def test_zstd_file_is_one_line(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "z.pftrace"
    f.write_bytes(b"\x28\xb5\x2f\xfd" + b"\x00" * 32)
    assert "zstd" in _one_line(["summary", str(f)], f, capfd)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TracetuiError, match="no such file"):
        read_model(str(tmp_path / "nope.pftrace"))


def test_chunks_are_zlib_compressed_packets(exported: tuple[bytes, bytes]) -> None:
    """The compressed file is a plain Trace of compressed_packets chunks holding the very
    packets of the plain file."""
    t = pb.Trace.FromString(exported[0])
    assert t.packet and all(p.HasField("compressed_packets") for p in t.packet)
    inner = b"".join(zlib.decompress(p.compressed_packets) for p in t.packet)
    assert inner == exported[1]
    assert np.all([len(p.compressed_packets) < 512 * 1024 for p in t.packet])


@pytest.mark.parametrize(
    "ts, value",
    [([0, 10], [1.0]), ([10, 0], [1.0, 0.5]), ([0, 10], [1.0, 7.0]), ([0, 10], [1.0, float("nan")])],
    ids=["lengths", "order", "range", "nan"],
)
def test_a_bad_utilization_series_is_one_line(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], ts: list[int], value: list[float]
) -> None:
    from tracetui.model import Counter

    model = build_model(read_trace(TRACES / "go1.27.3" / "gcstw.trace"))
    model.utilization = Counter(np.array(ts, np.int64), np.array(value, np.float64))
    f = tmp_path / "bad-utilization.pftrace"
    write_trace(model, str(f))
    line = _one_line(["summary", "--json", str(f)], f, capfd)
    assert "utilization" in line
