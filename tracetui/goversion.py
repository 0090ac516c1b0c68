"""Which Go wrote a trace, as far as the trace (or its recording) knows.

A Go trace's header names its wire format, not the release: Go 1.26 and 1.27 both write
format 26 (and 1.23 and 1.24 format 23), so a raw trace cannot tell them apart. The exact
release is known only from outside the trace: a binary's build info, or the toolchain a
`tracetui record` built the program with (`Trace.go_version`).
"""

from __future__ import annotations

from tracetui.model.trace import Trace
from tracetui.sanitize import safe_text

# Wire format -> the releases that write it (the newest format: this one and later, so far).
_RELEASES = {11: "1.11–1.18", 19: "1.19–1.20", 21: "1.21", 22: "1.22", 23: "1.23–1.24", 25: "1.25", 26: "1.26+"}


def releases(version: int) -> str:
    """The Go releases that write trace format 1.`version`: `1.23–1.24`, `1.26+`."""
    return _RELEASES.get(version, f"1.{version}")


def go_version_text(trace: Trace, short: bool = False) -> str:
    """`go1.27.3` when the exact release is known; else what the format says, `Go 1.26+
    trace format (the trace does not say which release)` (short: `Go 1.26+ trace`);
    `unknown (not a Go trace)` (short: "") for a file of another tool."""
    if trace.go_version:
        return safe_text(trace.go_version, keep_newlines=False)
    if not trace.version:
        return "" if short else "unknown (not a Go trace)"
    if short:
        return f"Go {releases(trace.version)} trace"
    return f"Go {releases(trace.version)} trace format (the trace does not say which release)"
