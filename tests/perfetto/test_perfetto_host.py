"""Host rows (TrackKind.HOST: a recording's sampler and GODEBUG rows) and the recording's
scalars in tracetui's Perfetto files: written in the compressed stream under a section per
program, read back by the fast path into the same model; older recordings (the sampler's
packets appended plainly after the chunks) take the fast path too."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from perfetto.protos.perfetto.trace import perfetto_trace_pb2 as pb

from tests.conftest import TRACES
from tracetui.gotrace.reader import read_trace
from tracetui.model import Trace, build_model
from tracetui.model.trace import Counter, Spans, State, Track, TrackKind
from tracetui.perfetto import layout as L
from tracetui.perfetto.decode import Fallback
from tracetui.perfetto.reader import Ours, _collect, read_model, read_ours_fast
from tracetui.perfetto.wire import compressed_payload, iter_packets, packet_record
from tracetui.perfetto.writer import write_trace

GROUP = "pingpong (pid 4711)"


def _host_model(name: str = "channels") -> Trace:
    """A real trace's model with host rows of every shape: float, int and byte counters,
    thread-state spans with the kernel's state names, under two program sections."""
    m = build_model(read_trace(TRACES / "go1.27.3" / f"{name}.trace"))
    ts = np.linspace(-5_000_000, m.duration, 30).astype(np.int64)  # the sampler may start before the trace
    rng = np.random.default_rng(7)
    running, sleeping, disk = (m.strings.intern(s) for s in ("running", "sleeping", "disk wait"))
    n = 12
    bounds = np.sort(rng.choice(np.arange(1, m.duration), n + 1, replace=False)).astype(np.int64)
    states = np.array([State.RUNNING, State.IDLE, State.WAITING] * 4, np.uint8)
    reasons = np.array([running, sleeping, disk] * 4, np.int32)
    spans = Spans(bounds[:-1], bounds[1:], states, reasons, np.zeros(n, np.int32), np.full(n, -1, np.int64))
    m.tracks += [
        Track(TrackKind.HOST, 0, "CPU", GROUP, counter=Counter(ts, rng.random(ts.size) * 2), unit="cores"),
        Track(
            TrackKind.HOST, 1, "RSS", GROUP, counter=Counter(ts, rng.integers(1 << 20, 1 << 30, ts.size)), unit="bytes"
        ),
        Track(TrackKind.HOST, 2, "Timeslices", GROUP, counter=Counter(ts, rng.integers(0, 100, ts.size)), unit="/s"),
        Track(TrackKind.HOST, 3, "pingpong 4712", GROUP, spans=spans),
        Track(
            TrackKind.HOST, 4, "CPU", "go (pid 4700)", counter=Counter(ts[:3], np.array([0.5, 1.0, 0.25])), unit="cores"
        ),
    ]
    m.source, m.go_version = "gotrace", "go1.27.3"
    m.injected = np.array([3, 5], np.int64)
    return m


def test_host_rows_round_trip_on_the_fast_path(tmp_path: Path, same_model: Callable[[Trace, Trace], None]) -> None:
    model = _host_model()
    out = tmp_path / "h.pftrace"
    write_trace(model, str(out))
    with open(out, "rb") as f:
        fast = read_ours_fast(f)  # raises Fallback if the fast path gave up
    same_model(model, fast)
    host = [t for t in fast.tracks if t.kind == TrackKind.HOST]
    assert [t.unit for t in host] == ["cores", "bytes", "/s", "", "cores"]
    assert host[0].counter is not None and host[0].counter.value.dtype == np.float64
    assert host[1].counter is not None and host[1].counter.value.dtype == model.tracks[-4].counter.value.dtype
    sp = host[3].spans
    assert sp is not None
    assert [fast.string(r) for r in sp.reason[:3].tolist()] == ["running", "sleeping", "disk wait"]
    # The protobuf path reads the same model.
    ev = _collect(out.read_bytes(), None)
    same_model(model, Ours(ev, json.loads(ev.attrs[L.META_KEY]), None).build())


def test_host_rows_are_in_the_compressed_stream_under_a_section_per_program(tmp_path: Path) -> None:
    model = _host_model()
    out = tmp_path / "h.pftrace"
    write_trace(model, str(out))
    raw = out.read_bytes()
    pos = 0
    while pos < len(raw):  # every top-level packet is a compressed chunk: nothing appended plainly
        n = raw[pos + 1] & 0x7F
        shift, k = 7, pos + 2
        while raw[k - 1] & 0x80:
            n |= (raw[k] & 0x7F) << shift
            shift, k = shift + 7, k + 1
        assert compressed_payload(memoryview(raw)[k : k + n]) is not None
        pos = k + n
    descs = {}
    for _, mv in iter_packets(raw):
        p = pb.TracePacket.FromString(mv)
        if p.HasField("track_descriptor"):
            descs[p.track_descriptor.uuid] = p.track_descriptor
    sections = {d.name: d for d in descs.values() if d.name in (GROUP, "go (pid 4700)")}
    assert set(sections) == {GROUP, "go (pid 4700)"}
    runtime = [d for d in descs.values() if d.parent_uuid == L.ROOT and d.name in L.GROUP_NAMES.values()]
    for d in sections.values():
        assert d.parent_uuid == L.ROOT
        assert d.child_ordering == pb.TrackDescriptor.EXPLICIT  # foldable, rows in the model's order
        assert d.sibling_order_rank > max(r.sibling_order_rank for r in runtime)  # below the runtime's groups
    rows = {d.name: d for d in descs.values() if d.parent_uuid == sections[GROUP].uuid}
    assert rows["RSS"].counter.unit == pb.CounterDescriptor.UNIT_SIZE_BYTES
    assert rows["CPU"].counter.unit_name == "cores"
    assert not rows["pingpong 4712"].HasField("counter")


def test_source_go_version_and_injected_round_trip(tmp_path: Path) -> None:
    model = build_model(read_trace(TRACES / "go1.27.3" / "gcstw.trace"))
    model.source, model.go_version, model.injected = "godebug", "go1.27.3", np.array([1, 9, 12], np.int64)
    out = tmp_path / "m.pftrace"
    write_trace(model, str(out))
    with open(out, "rb") as f:
        t = read_ours_fast(f)
    assert (t.source, t.go_version, t.injected.tolist()) == ("godebug", "go1.27.3", [1, 9, 12])
    assert read_model(str(out)).source == "godebug"


def _old_recording(tmp_path: Path) -> tuple[Trace, Path]:
    """A file as `record` wrote them before host rows were in the model: the export, then
    the sampler's packets (own sequence, absolute times, a "Process tree" group) appended
    plainly."""
    model = build_model(read_trace(TRACES / "go1.27.3" / "channels.trace"))
    out = tmp_path / "old.pftrace"
    write_trace(model, str(out))
    base = int(model.base_time)
    seq, first = 0x7472_6563, 5000
    pk: list[pb.TracePacket] = []

    def desc(uuid: int, name: str, parent: int | None, rank: int, unit: int | None = None) -> None:
        p = pb.TracePacket(trusted_packet_sequence_id=seq)
        p.track_descriptor.uuid, p.track_descriptor.name = uuid, name
        if parent is not None:
            p.track_descriptor.parent_uuid = parent
        p.track_descriptor.sibling_order_rank = rank
        if unit is not None:
            p.track_descriptor.counter.unit = unit
        pk.append(p)

    def event(uuid: int, ts: int, typ: int, name: str = "", value: float | None = None) -> None:
        p = pb.TracePacket(trusted_packet_sequence_id=seq, timestamp=base + ts)
        p.track_event.type, p.track_event.track_uuid = typ, uuid
        if name:
            p.track_event.name = name
        if value is not None:
            p.track_event.double_counter_value = value
        pk.append(p)

    desc(first, "Process tree (sampled by tracetui, 25 Hz)", None, 1000)
    desc(first + 1, "channels 4711", first, 0)
    desc(first + 2, "CPU (cores)", first + 1, 0, pb.CounterDescriptor.UNIT_UNSPECIFIED)
    for k, v in enumerate((0.5, 1.25, 0.75)):
        event(first + 2, 1000 * k, L.COUNTER, value=v)
    desc(first + 3, "channels 4712", first + 1, 10)
    for k, st in enumerate(("running", "sleeping", "disk wait")):
        event(first + 3, 1000 * k, L.BEGIN, st)
        event(first + 3, 1000 * k + 1000, L.END)
    with open(out, "ab") as f:
        f.write(b"".join(packet_record(p.SerializeToString()) for p in pk))
    return model, out


def test_old_recording_with_appended_packets_takes_the_fast_path(
    tmp_path: Path, same_model: Callable[[Trace, Trace], None]
) -> None:
    model, out = _old_recording(tmp_path)
    with open(out, "rb") as f:
        fast = read_ours_fast(f)  # raises Fallback if the fast path gave up
    host = [t for t in fast.tracks if t.kind == TrackKind.HOST]
    fast.tracks = [t for t in fast.tracks if t.kind != TrackKind.HOST]
    states = fast.strings.strings[len(model.strings.strings) :]  # the state names, interned after the model's
    fast.strings.strings = fast.strings.strings[: len(model.strings.strings)]
    same_model(model, fast)
    assert states == ["running", "sleeping", "disk wait"]
    fast.strings.strings += states
    assert [(t.name, t.group, t.unit) for t in host] == [("CPU", "channels (pid 4711)", "cores"),
                                                          ("channels (tid 4712)", "channels (pid 4711)", "")]  # fmt: skip
    c = host[0].counter
    assert c is not None and c.ts.tolist() == [0, 1000, 2000] and c.value.tolist() == [0.5, 1.25, 0.75]
    sp = host[1].spans
    assert sp is not None
    assert sp.start.tolist() == [0, 1000, 2000] and sp.end.tolist() == [1000, 2000, 3000]
    assert sp.state.tolist() == [State.RUNNING, State.IDLE, State.WAITING]
    assert [fast.string(r) for r in sp.reason.tolist()] == ["running", "sleeping", "disk wait"]


def test_appended_packets_on_a_sequence_of_the_file_are_not_taken(tmp_path: Path) -> None:
    """Plain packets after the chunks on one of the writer's sequences: the fast path
    cannot know what they mean for that sequence's state, so it leaves the file to the
    protobuf path."""
    model = build_model(read_trace(TRACES / "go1.27.3" / "channels.trace"))
    out = tmp_path / "seq.pftrace"
    write_trace(model, str(out))
    p = pb.TracePacket(trusted_packet_sequence_id=L.TABLES_SEQ, timestamp=int(model.base_time))
    p.track_event.type, p.track_event.track_uuid, p.track_event.name = L.INSTANT, L.ROOT, "x"
    with open(out, "ab") as f:
        f.write(packet_record(p.SerializeToString()))
    with open(out, "rb") as f, pytest.raises(Fallback):
        read_ours_fast(f)
