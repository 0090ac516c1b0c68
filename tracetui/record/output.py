"""Where a recording goes, and turning a captured Go trace into the Perfetto file."""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from tracetui.errors import TracetuiError
from tracetui.model.trace import Trace
from tracetui.sanitize import safe_text


def note(text: str) -> None:
    """One line from tracetui on stderr (text from the user or a child made inert)."""
    print(f"tracetui: {safe_text(text, keep_newlines=False)}", file=sys.stderr, flush=True)


def default_output(command: str, now: float | None = None) -> str:
    """`./<command>-<YYYYmmdd-HHMMSS>.pftrace`, the command's name made file-safe."""
    name = re.sub(r"[^A-Za-z0-9._+-]+", "_", os.path.basename(command.rstrip("/")) or "record").strip("._") or "record"
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    return f"{name}-{stamp}.pftrace"


def sidecar(pftrace: str, suffix: str) -> str:
    """`run.pftrace` -> `run<suffix>` (e.g. `.gotrace`, `.godebug.log`)."""
    root, ext = os.path.splitext(pftrace)
    return (root if ext == ".pftrace" else pftrace) + suffix


def per_package(pftrace: str, name: str) -> str:
    """`run.pftrace` -> `run.<name>.pftrace`, for one of several traces."""
    root, ext = os.path.splitext(pftrace)
    safe = re.sub(r"[^A-Za-z0-9._+-]+", "_", name).strip("._") or "pkg"
    return f"{root if ext == '.pftrace' else pftrace}.{safe}.pftrace"


def check_writable(path: str) -> None:
    """Fail before running anything if the output cannot be written."""
    parent = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise TracetuiError("is a directory, not an output file", path=path)
    if not os.path.isdir(parent):
        raise TracetuiError("no such directory for the output", path=path)
    if not os.access(parent, os.W_OK):
        raise TracetuiError("cannot write in this directory", path=path)


@dataclass
class Converted:
    pftrace: str
    events: int
    duration_ns: int
    base_time: int  # the trace's time 0, CLOCK_MONOTONIC ns
    end_time: int  # its last event, CLOCK_MONOTONIC ns
    warning: str | None  # a truncated trace: what was lost


def convert(gotrace: str, pftrace: str, extra: Callable[[Trace], bytes] | None = None) -> Converted | None:
    """Read a captured Go trace and write it as Perfetto, plus the packets extra(model)
    gives; None when not one generation of it is complete (a note says so)."""
    from tracetui.gotrace.reader import read_trace
    from tracetui.model.from_gotrace import build_model
    from tracetui.perfetto.writer import write_trace

    if not os.path.exists(gotrace) or os.path.getsize(gotrace) == 0:
        note(f"{gotrace}: no Go trace was written (did the program start?)")
        return None
    try:
        table = read_trace(gotrace)
    except TracetuiError as e:
        note(f"{gotrace}: unreadable Go trace: {e.message}")
        return None
    warning = None
    if table.error is not None:
        if table.valid_size == 0:
            note(f"{gotrace}: the Go trace has no complete generation ({table.error.splitlines()[0]})")
            return None
        lost = os.path.getsize(gotrace) - table.valid_size
        warning = f"{gotrace}: the end of the trace was cut ({lost:,} bytes after the last complete generation)"
    model = build_model(table)
    try:
        write_trace(model, pftrace)
        more = extra(model) if extra is not None else b""
        if more:
            with open(pftrace, "ab") as f:
                f.write(more)
    except OSError as e:
        raise TracetuiError(f"cannot write: {e.strerror or e}", path=pftrace) from None
    return Converted(pftrace, int(model.events), int(model.duration), int(model.base_time),
                     int(model.base_time) + int(model.duration), warning)  # fmt: skip
