"""A recording from start to files: the process sampler around the run, then the outputs."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from tracetui.errors import TracetuiError
from tracetui.model.trace import Trace, Track, TrackKind
from tracetui.record.child import Child, ChildResult
from tracetui.record.options import RecordOptions
from tracetui.record.output import BackgroundWrite, Cancelled, Converted, convert_shown, not_written, note
from tracetui.record.sampler import Sampler, Samples


@dataclass
class Session:
    """Shared by every mode: `started` when the child runs, `finish` with its traces. With
    `view`, a Go trace is not converted at once: the viewer opens on it (`deferred`) and
    its Perfetto file is written from the viewer's model (`write_deferred`)."""

    opts: RecordOptions
    view: bool = False
    written: list[str] = field(default_factory=list)  # Perfetto files, in order
    deferred: list[BackgroundWrite] = field(default_factory=list)
    ended_ns: int | None = None  # CLOCK_MONOTONIC when the child's exit was seen
    go_version: str = ""  # "go1.27.3" when the mode knows what built the program (a Go trace cannot tell)
    _sampler: Sampler | None = None
    _samples: Samples | None = None

    def started(self, child: Child) -> None:
        if self.opts.sample:
            self._sampler = Sampler(child.pid, self.opts.sample_hz)
            self._sampler.start()

    def samples(self) -> Samples | None:
        """The sampler's data (stops it on the first call); None without a sampler."""
        if self._sampler is not None:
            self._samples = self._sampler.stop()
            self._sampler = None
        return self._samples

    def _extra(self, model: Trace) -> list[Track]:
        """The sampler's HOST tracks for this model (its clock, within its span); the model
        takes the Go version the recording knows, if it has none, and the host's facts."""
        from tracetui.record.hosttracks import host_tracks, next_host_id

        if self.go_version and not model.go_version:
            model.go_version = self.go_version
        s = self.samples()
        if s is None:
            return []
        model.host_facts = model.host_facts or dict(s.facts)
        return host_tracks(s, model.base_time, model.strings, duration=model.duration, first_id=next_host_id(model))

    def finish(self, result: ChildResult | None, traces: list[tuple[str, str | None]]) -> None:
        """Write each (pftrace, raw Go trace or None) pair, with progress; the sampler's
        tracks go in each. With `view`, Go traces are left for the viewer (`deferred`).
        Ctrl+C stops the conversions (the partial file removed, one line each)."""
        if result is not None:
            self.ended_ns = result.end_ns
        self.samples()
        for i, (pftrace, gotrace) in enumerate(traces):
            if gotrace is not None and self.view and _has_data(gotrace):
                self.deferred.append(BackgroundWrite(gotrace, pftrace, self._extra))
                continue
            try:
                conv = convert_shown(gotrace, pftrace, self._extra) if gotrace is not None else None
            except Cancelled:
                for pf, gt in traces[i:]:
                    note(not_written(pf, gt or pf))
                return
            self._done(conv, pftrace, gotrace)
        if not self.written and not self.deferred:
            note("nothing was recorded")

    def write_deferred(self) -> None:
        """After the viewer: the Perfetto files of the deferred Go traces, from the viewer's
        model when it was loaded whole (else converted), with progress; Ctrl+C stops."""
        deferred, self.deferred = self.deferred, []
        for i, bw in enumerate(deferred):
            try:
                conv = bw.finish()
            except Cancelled:
                for rest in deferred[i:]:
                    note(not_written(rest.pftrace, rest.gotrace))
                return
            self._done(conv, bw.pftrace, bw.gotrace)
        if not self.written:
            note("nothing was recorded")

    def _done(self, conv: Converted | None, pftrace: str, gotrace: str | None) -> None:
        if conv is not None:
            self._report(conv, gotrace or "")
            self.written.append(pftrace)
        elif self._samples is not None and len(self._samples):
            self._write_samples_only(pftrace, self._samples)

    def write_model(self, pftrace: str, model: Trace, what: str) -> None:
        """Write a model of our own (GODEBUG, the sampler alone) with the sampler's tracks."""
        from tracetui.perfetto.writer import write_trace
        from tracetui.record.hosttracks import with_host

        with_host(model, self._extra(model))
        if not model.events and not any(t.kind == TrackKind.HOST for t in model.tracks):
            note("nothing was recorded")
            return
        try:
            write_trace(model, pftrace)
        except OSError as e:
            raise TracetuiError(f"cannot write: {e.strerror or e}", path=pftrace) from None
        note(f"wrote {pftrace} ({os.path.getsize(pftrace) / 1e6:.1f} MB: {what})")
        self.written.append(pftrace)

    def _write_samples_only(self, pftrace: str, samples: Samples) -> None:
        """A recording without a Go trace: the sampler's tracks alone."""
        from tracetui.record.hosttracks import host_model

        what = f"process samples only: {len(samples):,} thread samples at {samples.hz:g} Hz"
        self.write_model(pftrace, host_model(samples, tracks=False), what)

    def _report(self, conv: Converted, gotrace: str) -> None:
        if conv.warning:
            note(conv.warning)
        size = os.path.getsize(conv.pftrace) / 1e6
        note(f"wrote {conv.pftrace} ({size:.1f} MB, {conv.events:,} events over {conv.duration_ns / 1e9:.2f}s; "
             f"the Go trace is {gotrace})")  # fmt: skip


def _has_data(path: str) -> bool:
    try:
        return os.path.getsize(path) > 0
    except OSError:
        return False
