"""A recording from start to files: the process sampler around the run, then the outputs."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from tracetui.errors import TracetuiError
from tracetui.model.trace import Trace
from tracetui.record.child import Child, ChildResult
from tracetui.record.options import RecordOptions
from tracetui.record.output import Converted, convert, note
from tracetui.record.sampler import Sampler, Samples


@dataclass
class Session:
    """Shared by every mode: `started` when the child runs, `finish` with its traces."""

    opts: RecordOptions
    written: list[str] = field(default_factory=list)  # Perfetto files, in order
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

    def _extra(self, model: Trace) -> bytes:
        from tracetui.record.proctracks import encode_samples, uuid_after

        s = self.samples()
        return encode_samples(s, uuid_after(model)) if s is not None else b""

    def finish(self, result: ChildResult | None, traces: list[tuple[str, str | None]]) -> None:
        """Write each (pftrace, raw Go trace or None) pair; the sampler's tracks go in each."""
        samples = self.samples()
        for pftrace, gotrace in traces:
            conv = convert(gotrace, pftrace, self._extra) if gotrace is not None else None
            if conv is not None:
                self._report(conv, gotrace or "")
                self.written.append(pftrace)
            elif samples is not None and len(samples):
                self._write_samples_only(pftrace, samples)
        if not self.written:
            note("nothing was recorded")

    def write_packets(self, pftrace: str, packets: bytes, next_uuid: int, what: str) -> None:
        """Write a file of our own packets (uuids below next_uuid) plus the sampler's."""
        from tracetui.record.proctracks import encode_samples

        s = self.samples()
        data = packets + (encode_samples(s, next_uuid) if s is not None else b"")
        if not data:
            note("nothing was recorded")
            return
        try:
            with open(pftrace, "wb") as f:
                f.write(data)
        except OSError as e:
            raise TracetuiError(f"cannot write: {e.strerror or e}", path=pftrace) from None
        note(f"wrote {pftrace} ({len(data) / 1e6:.1f} MB: {what})")
        self.written.append(pftrace)

    def _write_samples_only(self, pftrace: str, samples: Samples) -> None:
        from tracetui.record.proctracks import encode_samples

        data = encode_samples(samples)
        with open(pftrace, "wb") as f:
            f.write(data)
        note(f"wrote {pftrace} (process samples only: {len(samples):,} thread samples at {samples.hz:g} Hz)")
        self.written.append(pftrace)

    def _report(self, conv: Converted, gotrace: str) -> None:
        if conv.warning:
            note(conv.warning)
        size = os.path.getsize(conv.pftrace) / 1e6
        note(f"wrote {conv.pftrace} ({size:.1f} MB, {conv.events:,} events over {conv.duration_ns / 1e9:.2f}s; "
             f"the Go trace is {gotrace})")  # fmt: skip
