"""Run one child process as if tracetui were not there: its stdio, signals and exit status.

The child runs in its own process group, so that a Ctrl-C on the terminal reaches tracetui
first: tracetui can then ask the child to checkpoint its trace (`before_forward`) and only
then forwards the signal. Signals are read from a wakeup pipe and the child's exit from a
pidfd, in one `select` loop that also runs the caps (`deadline`, `poll`).
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from tracetui.errors import TracetuiError

# Forwarded as they come; the first three after `before_forward` (a checkpoint).
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2,
             signal.SIGWINCH)  # fmt: skip
CHECKPOINT_FIRST = frozenset((signal.SIGINT, signal.SIGTERM, signal.SIGHUP))
# Signals a terminal sends to its whole foreground group: the child's group gets them too.
GROUP_SIGNALS = frozenset((signal.SIGINT, signal.SIGQUIT, signal.SIGWINCH))


@dataclass
class ChildResult:
    """How the child ended: `returncode` as subprocess gives it (-N: killed by signal N)."""

    returncode: int
    start_ns: int  # CLOCK_MONOTONIC just before the child was started
    end_ns: int  # CLOCK_MONOTONIC when its exit was seen
    forwarded: list[int] = field(default_factory=list)

    @property
    def exit_status(self) -> int:
        """What a shell reports: the exit code, or 128+N for a death by signal N."""
        return 128 - self.returncode if self.returncode < 0 else self.returncode


@dataclass
class Caps:
    """What the supervision loop checks besides signals: a deadline (monotonic seconds)
    and a poll function run every `interval` s (say, a size check)."""

    deadline: float | None = None
    on_deadline: Callable[[], float | None] | None = None  # may return the next deadline
    poll: Callable[[], None] | None = None
    interval: float = 0.1


class Child:
    """A started child process; `wait` supervises it until it exits."""

    def __init__(self, argv: Sequence[str], env: dict[str, str], *, pass_fds: Sequence[int] = (),
                 stderr: int | None = None, own_group: bool = True, cwd: str | None = None) -> None:  # fmt: skip
        self._own_group = own_group
        self._rfd, self._wfd = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._old_wakeup = signal.set_wakeup_fd(self._wfd, warn_on_full_buffer=False)
        self._old: dict[int, object] = {}
        for sig in (*FORWARDED, signal.SIGTSTP, signal.SIGCONT) if own_group else FORWARDED:
            self._old[sig] = signal.signal(sig, _noop)
        self.start_ns = time.monotonic_ns()
        try:
            self.proc = subprocess.Popen(list(argv), env=env, pass_fds=tuple(pass_fds), stderr=stderr, cwd=cwd,
                                         process_group=0 if own_group else None)  # fmt: skip
        except OSError as e:
            self._restore()
            raise TracetuiError(f"cannot run: {e.strerror or e}", path=argv[0]) from None
        self.pid = self.proc.pid
        self._pidfd = os.pidfd_open(self.pid)
        self.forwarded: list[int] = []

    def signal(self, sig: int) -> None:
        """Send sig to the child (to its whole group for terminal signals), if still there."""
        try:
            if self._own_group and sig in GROUP_SIGNALS:
                os.killpg(self.pid, sig)
            else:
                os.kill(self.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def pending_signals(self) -> list[int]:
        """Signals received since the last call (drains the wakeup pipe)."""
        out: list[int] = []
        while True:
            try:
                data = os.read(self._rfd, 512)
            except BlockingIOError:
                return out
            if not data:
                return out
            out.extend(data)

    @property
    def signal_fd(self) -> int:
        """Readable when a signal arrived (for waits done outside `wait`)."""
        return self._rfd

    def exited(self) -> bool:
        return bool(select.select([self._pidfd], [], [], 0)[0])

    def wait(self, before_forward: Callable[[int], None] | None = None, caps: Caps | None = None) -> ChildResult:
        """Forward signals (after `before_forward` for INT, TERM, HUP) and run the caps
        until the child exits; then restore tracetui's own signal handling."""
        caps = caps or Caps()
        next_poll = time.monotonic() + caps.interval
        deadline = caps.deadline
        try:
            while True:
                now = time.monotonic()
                timeout = next_poll - now
                if deadline is not None:
                    timeout = min(timeout, deadline - now)
                ready = select.select([self._pidfd, self._rfd], [], [], max(timeout, 0))[0]
                if self._rfd in ready:
                    for sig in self.pending_signals():
                        self._on_signal(sig, before_forward)
                if self._pidfd in ready:
                    break
                now = time.monotonic()
                if deadline is not None and now >= deadline:
                    deadline = caps.on_deadline() if caps.on_deadline is not None else None
                if now >= next_poll:
                    next_poll = now + caps.interval
                    if caps.poll is not None:
                        caps.poll()
            rc = self.proc.wait()
            end = time.monotonic_ns()
        finally:
            self._restore()
        return ChildResult(rc, self.start_ns, end, self.forwarded)

    def _on_signal(self, sig: int, before_forward: Callable[[int], None] | None) -> None:
        if sig == signal.SIGTSTP:  # Ctrl-Z: stop the child's group, then ourselves
            self.signal_group(signal.SIGTSTP)
            os.kill(os.getpid(), signal.SIGSTOP)
            return
        if sig == signal.SIGCONT:
            self.signal_group(signal.SIGCONT)
            return
        if sig in CHECKPOINT_FIRST and before_forward is not None and not self.exited():
            before_forward(sig)
        self.forwarded.append(sig)
        self.signal(sig)

    def signal_group(self, sig: int) -> None:
        """Send sig to the child's whole process group (or the child alone if it shares ours)."""
        try:
            if self._own_group:
                os.killpg(self.pid, sig)
            else:
                os.kill(self.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def _restore(self) -> None:
        for sig, handler in self._old.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]
        self._old.clear()
        signal.set_wakeup_fd(self._old_wakeup)
        for fd in (self._rfd, self._wfd, getattr(self, "_pidfd", -1)):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._rfd = self._wfd = self._pidfd = -1


def _noop(signum: int, frame: object) -> None:
    """Handler that lets the wakeup pipe see the signal and does nothing else."""
