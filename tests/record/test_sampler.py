"""The /proc sampler and its Perfetto tracks; a command that is not Go gets them alone."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from perfetto.protos.perfetto.trace import perfetto_trace_pb2 as pb

from tests.record.conftest import Recorder, go_run
from tracetui.perfetto.check import check_file
from tracetui.perfetto.reader import read_model
from tracetui.record.proctracks import BEGIN, SEQ, encode_events, encode_samples
from tracetui.record.sampler import Sampler


def test_encoding_is_protobufs() -> None:
    rng = np.random.default_rng(5)
    n = 300
    ts = rng.integers(0, 1 << 62, n)
    track = rng.integers(0, 1 << 40, n)
    typ = rng.integers(1, 3, n)
    idx = rng.integers(0, 2, n)
    names = [b"running", b"disk wait"]
    value = rng.normal(size=n) * 1e6
    for kw in ({"name": names, "name_idx": idx}, {"value": value}):
        got = pb.Trace.FromString(encode_events(ts, track, typ if "name" in kw else np.full(n, 4), **kw))
        assert len(got.packet) == n
        want = pb.Trace()
        for i in range(n):
            p = want.packet.add(timestamp=int(ts[i]), trusted_packet_sequence_id=SEQ)
            e = p.track_event
            e.type = int(typ[i]) if "name" in kw else 4
            e.track_uuid = int(track[i])
            if "name" in kw and typ[i] == BEGIN:
                e.name = names[idx[i]].decode()
            if "value" in kw:
                e.double_counter_value = float(value[i])
        assert got.SerializeToString() == want.SerializeToString()


@pytest.mark.slow
def test_sampler_sees_cpu_and_threads(workload_bin: Path, tmp_path: Path) -> None:
    before = time.monotonic_ns()
    child = subprocess.Popen([workload_bin, "cpu", "2000"], stdout=subprocess.DEVNULL)
    s = Sampler(child.pid, 50)
    s.start()
    time.sleep(0.6)
    samples = s.stop()
    child.kill()
    child.wait()
    assert before <= samples.ts.min() and samples.ts.max() <= time.monotonic_ns()
    assert len(np.unique(samples.ts)) >= 15  # ~30 ticks at 50 Hz
    assert len(np.unique(samples.tid)) >= 3  # a Go program has a few threads
    assert set(samples.pid.tolist()) == {child.pid}
    assert samples.process_names[child.pid] == "workload"
    assert (samples.state == ord("R")).any()
    # 4 busy goroutines on 2 cores: well over half a core, summed over the threads.
    per_tid = [samples.cpu_ns[samples.tid == t] for t in np.unique(samples.tid)]
    busy = sum(int(c.max() - c.min()) for c in per_tid)
    span = int(samples.ts.max() - samples.ts.min())
    assert busy / span > 0.5
    out = tmp_path / "s.pftrace"
    out.write_bytes(encode_samples(samples))
    assert not check_file(str(out)).problems
    names = {t.name for t in read_model(str(out)).tracks}
    assert {"CPU (cores)", "RSS (bytes)", "Run-queue wait (cores)"} <= names


@pytest.mark.slow
def test_plain_command_gets_samples(recorder: Recorder, tmp_path: Path) -> None:
    p = recorder.run("-o", "p.pftrace", "--", "sh", "-c", "sleep 0.4; echo out; exit 3", cwd=tmp_path)
    assert p.returncode == 3
    assert p.stdout == b"out\n"
    assert b"process samples only" in p.stderr
    model = read_model(str(tmp_path / "p.pftrace"))
    assert any(t.name.startswith("sh ") for t in model.tracks)  # the thread row of sh
    assert not (tmp_path / "p.gotrace").exists()


@pytest.mark.slow
def test_plain_command_without_sampler(recorder: Recorder, tmp_path: Path) -> None:
    p = recorder.run("-o", "p.pftrace", "--no-sample", "--", "true", cwd=tmp_path)
    assert p.returncode == 0
    assert p.stderr == b"tracetui: nothing was recorded\n"
    assert not (tmp_path / "p.pftrace").exists()


@pytest.mark.slow
def test_go_trace_with_sampler_tracks(recorder: Recorder, gotool, tmp_path: Path) -> None:
    p = recorder.run("-o", "g.pftrace", "--", *go_run("cpu", "300"), cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    data = (tmp_path / "g.pftrace").read_bytes()
    assert b"Process tree (sampled by tracetui, 25 Hz)" in data
    assert not check_file(str(tmp_path / "g.pftrace")).problems
    from tracetui.gotrace.reader import read_trace
    from tracetui.model.from_gotrace import build_model

    assert read_model(str(tmp_path / "g.pftrace")).events == build_model(read_trace(str(tmp_path / "g.gotrace"))).events
