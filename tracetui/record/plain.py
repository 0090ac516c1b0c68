"""A command that is not Go (or a Go binary run without GODEBUG): the process sampler alone."""

from __future__ import annotations

import os

from tracetui.record.options import RecordOptions
from tracetui.record.output import check_writable, default_output
from tracetui.record.session import Session
from tracetui.record.supervise import Tracing, run_child


def record_plain(opts: RecordOptions, session: Session) -> int:
    """Run the command with only the sampler watching; returns its exit status."""
    out = opts.output or default_output(opts.command[0])
    check_writable(out)
    result = run_child(opts.command, dict(os.environ), opts, Tracing(), on_start=session.started)
    session.finish(result, [(out, None)])
    return result.exit_status
