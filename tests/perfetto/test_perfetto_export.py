"""`tracetui export`: every trace the tests make exports with zero checker errors, every
packet round-trips through perfetto_trace_pb2, and the file reads back to the same model
(same summary; export -> import -> export gives the same bytes)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from perfetto.protos.perfetto.trace import perfetto_trace_pb2 as pb

from tests.conftest import TRACES, committed_traces, go_env, trace_id
from tracetui.cli import main
from tracetui.gotrace.reader import read_trace
from tracetui.model import FlowKind, State, Trace, TrackKind, build_model
from tracetui.perfetto.check import check_file
from tracetui.perfetto.reader import is_perfetto, read_model
from tracetui.perfetto.wire import iter_packets
from tracetui.perfetto.writer import write_trace


def _export_and_check(model: Trace, out: Path, compress: bool = True) -> None:
    write_trace(model, str(out), compress=compress)
    report = check_file(str(out))
    assert report.errors == [], [str(p) for p in report.errors[:5]]
    assert report.warnings == [], [str(p) for p in report.warnings[:5]]
    assert report.events > 0


def _summary(path: Path, capfd: pytest.CaptureFixture[str]) -> dict[str, object]:
    assert main(["summary", "--json", str(path)]) == 0
    return json.loads(capfd.readouterr().out)


@pytest.mark.parametrize("path", committed_traces(), ids=trace_id)
def test_committed_trace_exports_checks_and_reads_back(
    path: Path, tmp_path: Path, same_model: Callable[[Trace, Trace], None]
) -> None:
    model = build_model(read_trace(path))
    out = tmp_path / "t.pftrace"
    _export_and_check(model, out)
    back = read_model(str(out))
    same_model(model, back)
    again = tmp_path / "again.pftrace"
    write_trace(back, str(again))
    assert again.read_bytes() == out.read_bytes()


@pytest.mark.parametrize("name", ["gcstw", "annotations", "cpuprofile", "nethttp"])
def test_summary_of_export_is_the_summary_of_the_trace(
    name: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    src = TRACES / "go1.27.3" / f"{name}.trace"
    out = tmp_path / f"{name}.pftrace"
    assert main(["export", str(src), "-o", str(out)]) == 0
    err = capfd.readouterr().err
    assert err.count("\n") == 1 and str(out) in err and "packets" in err
    assert _summary(out, capfd) == _summary(src, capfd)
    assert main(["summary", str(out)]) == 0
    assert "Go 1.26+ trace format" in capfd.readouterr().out


def test_export_of_an_export_is_the_same_file(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    src = TRACES / "go1.25.5" / "annotations.trace"
    a, b = tmp_path / "a.pftrace", tmp_path / "b.pftrace"
    assert main(["export", str(src), "-o", str(a)]) == 0
    assert main(["export", str(a), "-o", str(b)]) == 0
    assert a.read_bytes() == b.read_bytes()


def test_uncompressed_export_is_the_same_trace(tmp_path: Path, same_model: Callable[[Trace, Trace], None]) -> None:
    model = build_model(read_trace(TRACES / "go1.27.3" / "syncprims.trace"))
    raw, packed = tmp_path / "raw.pftrace", tmp_path / "packed.pftrace"
    _export_and_check(model, raw, compress=False)
    write_trace(model, str(packed))
    assert raw.stat().st_size > packed.stat().st_size
    same_model(read_model(str(raw)), read_model(str(packed)))
    assert raw.read_bytes()[:1] == b"\x0a" and is_perfetto(raw.read_bytes()[:64])
    assert not is_perfetto((TRACES / "go1.27.3" / "syncprims.trace").read_bytes()[:64])


def test_layout_of_an_export(tmp_path: Path) -> None:
    """What ui.perfetto.dev shows: groups, G<id> tracks ordered by id, P slices named after
    the goroutine, named state slices, flows from unblock/create to a running slice."""
    model = build_model(read_trace(TRACES / "go1.27.3" / "manygoroutines.trace"))
    out = tmp_path / "m.pftrace"
    write_trace(model, str(out), compress=False)
    descs: dict[int, pb.TrackDescriptor] = {}
    names: dict[int, str] = {}
    begins: dict[int, list[int]] = {}
    seq_track: dict[int, int] = {}
    flows_out, flows_in = set(), set()
    for _, mv in iter_packets(out.read_bytes()):
        p = pb.TracePacket.FromString(mv)
        if p.HasField("track_descriptor"):
            descs[p.track_descriptor.uuid] = p.track_descriptor
        for e in p.interned_data.event_names:
            names[e.iid] = e.name
        if p.trace_packet_defaults.track_event_defaults.HasField("track_uuid"):
            seq_track[p.trusted_packet_sequence_id] = p.trace_packet_defaults.track_event_defaults.track_uuid
        if p.HasField("track_event"):
            te = p.track_event
            u = te.track_uuid or seq_track[p.trusted_packet_sequence_id]
            if te.type == pb.TrackEvent.TYPE_SLICE_BEGIN:
                begins.setdefault(u, []).append(te.name_iid)
            flows_out.update(te.flow_ids)
            flows_in.update(te.terminating_flow_ids)
    by_name = {d.name: d for d in descs.values()}
    for group in ("Procs", "Threads", "Goroutines", "GC", "Tasks"):
        assert by_name[group].child_ordering == pb.TrackDescriptor.EXPLICIT
    gtracks = [d for d in descs.values() if d.name.startswith("G") and " " in d.name and d.name[1].isdigit()]
    assert len(gtracks) == len(model.goroutines)
    assert all(d.sibling_merge_behavior == pb.TrackDescriptor.SIBLING_MERGE_BEHAVIOR_NONE for d in gtracks)
    # Explicit order by goroutine id under each function group: G10 after G2.
    for parent in {d.parent_uuid for d in gtracks}:
        kids = sorted((d for d in gtracks if d.parent_uuid == parent), key=lambda d: d.sibling_order_rank)
        ids = [int(d.name[1:].split()[0]) for d in kids]
        assert ids == sorted(ids)
    p_desc = next(d for d in descs.values() if d.name == "P0")
    p_names = {names[i] for i in begins[p_desc.uuid]}
    assert any(n.startswith("G") for n in p_names)
    g_names = {names[i] for d in gtracks for i in begins.get(d.uuid, [])}
    assert {"running", "runnable"} <= g_names
    assert flows_out == flows_in and len(flows_out) == len(model.flows) > 0
    heap = [d for d in descs.values() if d.name.startswith("Heap")]
    assert len(heap) == 2 and {d.counter.y_axis_share_key for d in heap} == {"heap"}


GO_PROGRAM = TRACES / "programs" / "annotations"


@pytest.fixture(scope="module")
def live_trace(go: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A trace made now by a freshly built Go program (tasks, regions, logs, labels)."""
    d = tmp_path_factory.mktemp("live")
    exe = d / "annotations"
    env = go_env(go)
    subprocess.run([go, "build", "-o", str(exe), "."], cwd=GO_PROGRAM, env=env, check=True, timeout=300)
    out = d / "live.trace"
    subprocess.run([str(exe), str(out)], check=True, timeout=120)
    return out


@pytest.mark.slow
def test_live_trace_exports_checks_and_reads_back(
    live_trace: Path, tmp_path: Path, same_model: Callable[[Trace, Trace], None],
    capfd: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    model = build_model(read_trace(live_trace))
    assert len(model.tasks) and len(model.regions) and len(model.logs)
    out = tmp_path / "live.pftrace"
    _export_and_check(model, out)
    back = read_model(str(out))
    same_model(model, back)
    assert _summary(out, capfd) == _summary(live_trace, capfd)
    # The read-back model answers the model's own questions the same way.
    g = back.goroutines.track[0]
    sp, orig = back.tracks[g].spans, model.tracks[g].spans
    assert sp is not None and orig is not None
    assert sp.time_in_state(State.RUNNING, 0, back.duration) == orig.time_in_state(State.RUNNING, 0, model.duration)
    assert np.array_equal(back.flows.kind == FlowKind.CREATE, model.flows.kind == FlowKind.CREATE)
    assert [t.name for t in back.tracks if t.kind == TrackKind.REGION]


def test_tracks_encoded_in_many_pieces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, same_model: Callable[[Trace, Trace], None]
) -> None:
    """A track longer than a piece continues its sequence (deltas, flows) across pieces,
    and flows indexed a block of tracks at a time give the same file."""
    import tracetui.perfetto.writer as w

    model = build_model(read_trace(TRACES / "go1.27.3" / "channels.trace"))
    whole = tmp_path / "whole.pftrace"
    write_trace(model, str(whole), compress=False)
    monkeypatch.setattr(w, "PIECE", 5)
    monkeypatch.setattr(w, "CHUNK", 4096)
    monkeypatch.setattr(w, "FLOW_BLOCK", 3)  # flows indexed a few tracks at a time
    monkeypatch.setattr(w, "FLOW_PIECE", 7)
    pieces = tmp_path / "pieces.pftrace"
    _export_and_check(model, pieces, compress=False)
    assert pieces.read_bytes() == whole.read_bytes()
    chunked = tmp_path / "chunked.pftrace"
    _export_and_check(model, chunked)
    same_model(model, read_model(str(chunked)))


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "compressed"])
def test_small_pieces_encoded_together_give_the_same_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, compress: bool
) -> None:
    """Short tracks (3,000 goroutines) wait and are encoded in one call, their sequences'
    headers queued among them: the file is the one written a piece at a time."""
    import tracetui.perfetto.writer as w

    model = build_model(read_trace(TRACES / "go1.27.3" / "manygoroutines.trace"))
    files = []
    for small, piece in ((0, w.PIECE), (w.SMALL, w.PIECE), (1 << 30, 1 << 30), (1 << 30, 100)):
        monkeypatch.setattr(w, "SMALL", small)  # 0: nothing waits
        monkeypatch.setattr(w, "PIECE", piece)  # how many rows wait at most
        out = tmp_path / f"{small}-{piece}.pftrace"
        write_trace(model, str(out), compress=compress)
        files.append(out.read_bytes())
    assert all(f == files[0] for f in files[1:])


def test_fine_derived_counters_are_sampled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, same_model: Callable[[Trace, Trace], None]
) -> None:
    """Goroutine counts too fine to show exactly are sampled on a grid; the model read back
    recomputes them from the goroutine spans, so it is still the same model."""
    import tracetui.perfetto.writer as w

    model = build_model(read_trace(TRACES / "go1.27.3" / "gcstw.trace"))
    monkeypatch.setattr(w, "MAX_COUNTER_POINTS", 64)
    out = tmp_path / "s.pftrace"
    _export_and_check(model, out)
    back = read_model(str(out))
    same_model(model, back)
    ts, val = w._sampled([t.spans for t in model.tracks if t.kind == TrackKind.GOROUTINE and t.spans is not None],
                         State.RUNNING, model.duration)  # fmt: skip
    step = int(ts[1] - ts[0]) if ts.size > 1 else 1
    assert ts.size <= 66 and step % 10 == 0
    exact = model.goroutine_counts[State.RUNNING]
    assert np.array_equal(val, exact.value_at(ts))
