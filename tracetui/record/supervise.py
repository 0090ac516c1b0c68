"""One traced run: start the child, apply --duration and --max-size, forward signals."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tracetui.record.child import Caps, Child, ChildResult
from tracetui.record.control import Control
from tracetui.record.options import RecordOptions
from tracetui.record.output import note

GRACE = 10.0  # s between interrupting the program at --duration and killing it


@dataclass
class Tracing:
    """What a mode traces with: the raw trace files to watch for --max-size (or a function
    measuring them), and the control socket of an overlaid program (None: the trace cannot
    be stopped early, so a cap interrupts the program)."""

    files: Sequence[str] = ()
    control: Control | None = None
    size: Callable[[], int] | None = None  # bytes traced so far (default: the files' sizes)

    def bytes(self) -> int:
        return self.size() if self.size is not None else sum(_size(f) for f in self.files)


def merge_godebug(ours: str, env: dict[str, str]) -> str:
    """Our GODEBUG settings first, the user's after, so the user's win where both set one."""
    return ",".join(x for x in (ours, env.get("GODEBUG", "")) if x)


def run_child(argv: Sequence[str], env: dict[str, str], opts: RecordOptions, tracing: Tracing, *,
              stderr: int | None = None, cwd: str | None = None,
              on_start: Callable[[Child], None] | None = None) -> ChildResult:  # fmt: skip
    """Run argv to its end under the caps of opts; returns how it ended."""
    ctl = tracing.control
    child = Child(argv, env, pass_fds=[ctl.fd] if ctl else [], stderr=stderr, cwd=cwd, own_group=not opts.foreground)
    if ctl:
        ctl.started()
    if on_start:
        on_start(child)
    state = {"interrupted": False}

    def interrupt(why: str) -> float:
        if ctl and ctl.stop(child.signal_fd):
            why += "; the trace was stopped and flushed"
        note(f"{why}: interrupting the program (SIGINT)")
        state["interrupted"] = True
        child.signal(signal.SIGINT)
        return time.monotonic() + GRACE

    def on_deadline() -> float | None:
        if not state["interrupted"]:
            return interrupt(f"--duration {opts.duration:g}s reached")
        note(f"the program is still running {GRACE:g}s after SIGINT: killing it (SIGKILL)")
        child.signal_group(signal.SIGKILL)
        return None

    def poll() -> None:
        if opts.max_size is None or state.get("capped"):
            return
        size = tracing.bytes()
        if size < opts.max_size:
            return
        state["capped"] = True
        cap = _mb(opts.max_size)
        if ctl is not None and ctl.stop(child.signal_fd):
            # measured once the program has flushed and closed it: the size the trace really has
            note(f"the trace reached --max-size {cap}: tracing stopped at {_mb(tracing.bytes(), exact=True)}, "
                 "the program goes on")  # fmt: skip
        else:
            interrupt(f"the trace reached --max-size {cap} ({_mb(size, exact=True)} so far)")

    caps = Caps(deadline=time.monotonic() + opts.duration if opts.duration else None, on_deadline=on_deadline,
                poll=poll if opts.max_size else None)  # fmt: skip

    def checkpoint(sig: int) -> None:
        if ctl is not None:
            ctl.checkpoint(child.signal_fd)

    try:
        return child.wait(before_forward=checkpoint, caps=caps)
    finally:
        if ctl:
            ctl.close()


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _mb(n: int, exact: bool = False) -> str:
    """Bytes in the decimal units --max-size takes: `9.2 MB`, with the byte count if exact."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            text = f"{n / scale:.1f} {unit}"
            return f"{text} ({n:,} bytes)" if exact else text
    return f"{n:,} bytes"
