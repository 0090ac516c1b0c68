"""A live view's host rows: the recorder's descendants sampled while they run."""

from __future__ import annotations

import subprocess
import time

from tracetui.live.host import LiveHost
from tracetui.model.trace import StringTable, Trace, TrackKind


def test_host_rows_of_the_descendants_while_they_run() -> None:
    # sh stands for the recorder, its child for the program.
    proc = subprocess.Popen(["sh", "-c", "exec 3>&- ; sleep 3 & wait"])
    try:
        time.sleep(0.3)
        host = LiveHost(proc.pid, hz=50)
        time.sleep(0.6)
        start = time.monotonic_ns() - 500_000_000
        model = Trace.bare(base_time=start, duration=500_000_000, strings=StringTable(), source="gotrace", tracks=[],
                           events=0)  # fmt: skip
        host.add_tracks(model)
        sections = {t.group for t in model.tracks if t.kind == TrackKind.HOST}
        assert any(g.startswith("sleep (pid ") for g in sections), sections
        assert not any(g.startswith("sh (pid ") for g in sections)  # not the recorder itself
        assert all(len(t.counter if t.counter is not None else t.spans or ()) for t in model.tracks)
        assert model.host_facts  # the host's facts (governor, NUMA) as a recording has them
        first = host.sampler.snapshot()
        time.sleep(0.3)
        later = host.sampler.snapshot()  # the sampling goes on behind the snapshots
        assert len(later) > len(first) and later.end_ns > first.end_ns
        host.stop()
    finally:
        proc.kill()
        proc.wait()
