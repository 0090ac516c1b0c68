"""Where a recording goes, and turning a captured Go trace into the Perfetto file."""

from __future__ import annotations

import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tracetui.errors import TracetuiError
from tracetui.model.trace import Trace, Track
from tracetui.record.progress import Cancelled, ConvertProgress
from tracetui.sanitize import safe_text

if TYPE_CHECKING:
    from tracetui.load import LoadStep


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


ExtraTracks = Callable[[Trace], list[Track]]
# Shares of the whole conversion (reading the Go trace, modelling it, writing Perfetto).
READ, MODEL = 0.45, 0.2


def not_written(pftrace: str, gotrace: str) -> str:
    """The one line for a conversion the user stopped."""
    return f"stopped: {pftrace} was not written (make it with `tracetui export {gotrace} -o {pftrace}`)"


def convert(
    gotrace: str,
    pftrace: str,
    extra: ExtraTracks | None = None,
    progress: Callable[[float, str], None] | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> Converted | None:
    """Read a captured Go trace and write it as Perfetto, with the tracks extra(model) gives
    appended to the model's; None when not one generation of it is complete (a note says
    so). `progress(fraction, phase)` is told how far it is; once `cancelled()` is true it
    stops and raises Cancelled, the partial file removed (as on a KeyboardInterrupt, which
    goes through: see convert_shown)."""
    from tracetui.gotrace.reader import TraceStream
    from tracetui.model.from_gotrace import build_model

    tell = progress or (lambda _f, _p: None)

    def check() -> None:
        if cancelled():
            raise Cancelled

    if not os.path.exists(gotrace) or os.path.getsize(gotrace) == 0:
        note(f"{gotrace}: no Go trace was written (did the program start?)")
        return None
    try:
        with open(gotrace, "rb") as f:
            data = f.read()
        stream = TraceStream(data, gotrace)
        for offset in stream:
            check()
            tell(READ * offset / max(len(data), 1), "reading")
        table = stream.table()
    except OSError as e:
        note(f"{gotrace}: cannot read: {e.strerror or e}")
        return None
    except TracetuiError as e:
        note(f"{gotrace}: unreadable Go trace: {e.message}")
        return None
    del data, stream
    warning = None
    if table.error is not None:
        if table.valid_size == 0:
            note(f"{gotrace}: the Go trace has no complete generation ({table.error.splitlines()[0]})")
            return None
        lost = os.path.getsize(gotrace) - table.valid_size
        warning = f"{gotrace}: the end of the trace was cut ({lost:,} bytes after the last complete generation)"
    tell(READ, "modelling")
    model = build_model(table)
    del table
    check()
    if extra is not None:
        model.tracks.extend(extra(model))
    return write_model(model, gotrace, pftrace, warning, progress, cancelled)


def write_model(
    model: Trace,
    gotrace: str,
    pftrace: str,
    warning: str | None,
    progress: Callable[[float, str], None] | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> Converted:
    """Write the model of `gotrace` (host tracks included) as `pftrace`: the last part of a
    conversion. Stops as `convert` does, removing the partial file."""
    from tracetui.perfetto.writer import write_trace

    tell = progress or (lambda _f, _p: None)

    def writing(fraction: float) -> None:
        if cancelled():
            raise Cancelled
        tell(READ + MODEL + (1 - READ - MODEL) * fraction, "writing")

    try:
        write_trace(model, pftrace, progress=writing)
    except OSError as e:
        _remove(pftrace)
        raise TracetuiError(f"cannot write: {e.strerror or e}", path=pftrace) from None
    except BaseException:  # Cancelled, KeyboardInterrupt: no half-written file left behind
        _remove(pftrace)
        raise
    return Converted(pftrace, int(model.events), int(model.duration), int(model.base_time),
                     int(model.base_time) + int(model.duration), warning)  # fmt: skip


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


def convert_shown(gotrace: str, pftrace: str, extra: ExtraTracks | None = None) -> Converted | None:
    """`convert` with its progress on stderr; Ctrl+C stops it (Cancelled, the partial file removed)."""
    with ConvertProgress(f"converting {gotrace}") as shown:
        try:
            return convert(gotrace, pftrace, extra, shown.update)
        except KeyboardInterrupt:
            _remove(pftrace)
            raise Cancelled from None


class BackgroundWrite:
    """The Perfetto file of a recording written from the viewer's own model: `loader` is
    the viewer's loader (the Go trace read progressively with the host tracks added);
    once it has the whole model, a thread writes `pftrace` from it. `finish()`, after the
    viewer, waits for that thread with progress on stderr (Ctrl+C stops it), or converts
    the Go trace when the viewer was left before its whole model was read."""

    def __init__(self, gotrace: str, pftrace: str, extra: ExtraTracks | None) -> None:
        self.gotrace, self.pftrace, self.extra = gotrace, pftrace, extra
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.fraction = 0.0
        self.result: Converted | None = None
        self.error: BaseException | None = None

    def loader(self, path: str, cancelled: Callable[[], bool]) -> Iterator[LoadStep]:
        from tracetui.load import load_progressively

        for step in load_progressively(path, cancelled, extra_tracks=self.extra):
            if step.done and step.trace is not None and self._thread is None:
                self._start(step.trace, step.warning)
            yield step

    def _start(self, model: Trace, warning: str | None) -> None:
        def run() -> None:
            try:
                self.result = write_model(model, self.gotrace, self.pftrace, warning, self._tell, self._stop.is_set)
            except Exception as e:  # noqa: BLE001 - handed to finish()
                self.error = e

        self._thread = threading.Thread(target=run, name="tracetui-write", daemon=True)
        self._thread.start()

    def _tell(self, fraction: float, _phase: str) -> None:
        self.fraction = fraction

    def finish(self) -> Converted | None:
        """The file written (None: nothing usable was recorded, a note said why); raises
        Cancelled on Ctrl+C, the partial file removed."""
        thread = self._thread
        if thread is None:
            return convert_shown(self.gotrace, self.pftrace, self.extra)
        try:
            with ConvertProgress(f"writing {self.pftrace}") as shown:
                while thread.is_alive():
                    shown.update(self.fraction, "writing")
                    thread.join(0.1)
        except KeyboardInterrupt:
            self._stop.set()
            thread.join()
            _remove(self.pftrace)
            raise Cancelled from None
        if self.error is not None:
            raise self.error
        return self.result
