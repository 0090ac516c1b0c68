"""`tracetui record --live --pprof URL`: watch a running service through its net/http/pprof,
then write what was recorded: every window's Go trace (`NAME.windows/0001.gotrace`, ...)
and one Perfetto file of all of them joined (`NAME.pftrace`)."""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any

from tracetui.errors import TracetuiError
from tracetui.live.loader import live_steps
from tracetui.live.pprofwindows import PprofWindows, join_files
from tracetui.load import LoadStep
from tracetui.record.options import RecordOptions
from tracetui.record.output import check_writable, default_output, note, sidecar


def pprof_outputs(url: str, output: str | None) -> tuple[str, str]:
    """(the Perfetto file, the windows' directory): -o, or one named after the service's host."""
    host = urllib.parse.urlsplit(url).hostname or "service"
    pftrace = output or default_output(f"{host}-pprof")
    return pftrace, sidecar(pftrace, ".windows")


def check_outputs(pftrace: str, directory: str) -> None:
    """Fail in one line before fetching anything if the files cannot be written (or the
    windows' directory holds files already)."""
    check_writable(pftrace)
    if os.path.exists(directory) and (not os.path.isdir(directory) or os.listdir(directory)):
        raise TracetuiError("exists already: give another -o", path=directory)


def run_pprof_live(
    opts: RecordOptions,
    url: str,
    keep_s: float,
    view: Callable[[str, Callable[..., Iterator[LoadStep]], Any], int],
) -> int:
    """Fetch windows back to back and show them live; on q, write the files. The exit
    status: 0 when the user stopped it (or --duration ran out), 1 when the service stopped
    answering, 2 (said by the viewer) when no window came at all."""
    pftrace, directory = pprof_outputs(url, opts.output)
    check_outputs(pftrace, directory)
    windows = PprofWindows(url, directory, keep_s=keep_s, duration_s=opts.duration, max_size=opts.max_size)
    windows.start()

    def loader(_path: str, cancelled: Callable[[], bool]) -> Iterator[LoadStep]:
        return live_steps(windows, windows.finished, cancelled, nothing=windows.why_no_trace)

    try:
        status = view(directory, loader, windows)
    finally:
        windows.stop()
        code = windows.exit_status()
        windows.close()
    if windows.error and status != 2:
        note(f"the windows stopped: {windows.error}")
    if windows.files or status != 2:  # (2: the viewer said in one line why there is nothing)
        write_joined(windows.files, pftrace, directory)
    elif os.path.isdir(directory) and not os.listdir(directory):
        os.rmdir(directory)
    return status if status == 2 else code


def write_joined(files: list[str], pftrace: str, directory: str) -> None:
    """The Perfetto file of every window joined, and a line on what was written."""
    from tracetui.perfetto.writer import write_trace

    if not files:
        if os.path.isdir(directory) and not os.listdir(directory):
            os.rmdir(directory)
        note("nothing was recorded")
        return
    note(f"joining {len(files)} trace windows into {pftrace} ...")
    try:
        model = join_files(files)
        if model is None:
            note(f"no window could be read: the Go traces are in {directory}")
            return
        write_trace(model, pftrace)
    except KeyboardInterrupt:
        if os.path.exists(pftrace):
            os.unlink(pftrace)
        note(f"interrupted: {pftrace} not written; the Go traces are in {directory}")
        return
    except OSError as e:
        raise TracetuiError(f"cannot write: {e.strerror or e}", path=pftrace) from None
    size = os.path.getsize(pftrace) / 1e6
    note(f"wrote {pftrace} ({size:.1f} MB, {model.events:,} events over {model.duration / 1e9:.2f}s in "
         f"{len(files)} windows; their Go traces are in {directory})")  # fmt: skip
