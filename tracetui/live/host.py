"""The host rows of a live view: the program's process tree sampled from the viewer's side
(the recorder's own sampler hands its samples over only at the end)."""

from __future__ import annotations

from tracetui.model.trace import Trace
from tracetui.record.hosttracks import host_tracks, next_host_id
from tracetui.record.sampler import Sampler


class LiveHost:
    """Samples the descendants of the recorder (the build, then the program) while it runs."""

    def __init__(self, recorder_pid: int, hz: float = 25.0) -> None:
        self.sampler = Sampler(recorder_pid, hz, include_root=False)
        self.sampler.start()

    def add_tracks(self, model: Trace) -> None:
        """Add the samples so far to a model of the window, as HOST tracks on its clock."""
        s = self.sampler.snapshot()
        tracks = host_tracks(s, model.base_time, model.strings, duration=model.duration, first_id=next_host_id(model))
        # Processes that ended before the window (the build's) have nothing in it: left out.
        model.tracks.extend(t for t in tracks if len(t.counter if t.counter is not None else t.spans or ()))
        model.host_facts = model.host_facts or dict(s.facts)  # the governor, NUMA nodes (summary's `host`)

    def stop(self) -> None:
        self.sampler.stop()
