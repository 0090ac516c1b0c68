"""A command that is not Go (or a Go binary run without GODEBUG): the process sampler alone."""

from __future__ import annotations

import os

from tracetui.record.hosttracks import host_model
from tracetui.record.options import RecordOptions
from tracetui.record.output import check_writable, default_output, note
from tracetui.record.session import Session
from tracetui.record.supervise import Tracing, run_child


def record_plain(opts: RecordOptions, session: Session) -> int:
    """Run the command with only the sampler watching; returns its exit status."""
    out = opts.output or default_output(opts.command[0])
    check_writable(out)
    result = run_child(opts.command, dict(os.environ), opts, Tracing(), on_start=session.started)
    samples = session.samples()
    if samples is None or not len(samples):
        note("nothing was recorded")
    else:
        what = f"process samples only: {len(samples):,} thread samples at {samples.hz:g} Hz"
        session.write_model(out, host_model(samples, tracks=False), what)
    return result.exit_status
