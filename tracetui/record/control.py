"""The recorder's end of the control socket served by the overlay in the traced program."""

from __future__ import annotations

import select
import socket
import threading
import time

from tracetui.record.overlay import CTL_ENV

TIMEOUT = 5.0  # s to wait for an answer; a wedged program must not hold up a signal
SNAPSHOT_TIMEOUT = 30.0  # writing a flight recorder's window (up to --max-bytes) takes longer


class Control:
    """A socketpair: the child end goes to the program (`fd`, `env`), we keep the other."""

    def __init__(self) -> None:
        self._ours, self._theirs = socket.socketpair()
        self._theirs.set_inheritable(True)
        self.stopped = False
        self._lock = threading.Lock()  # one question at a time (signals, the key thread)

    @property
    def fd(self) -> int:
        return self._theirs.fileno()

    @property
    def env(self) -> dict[str, str]:
        return {CTL_ENV: str(self.fd)}

    def started(self) -> None:
        """The program has its end now: close ours of it, so its exit gives us EOF."""
        self._theirs.close()

    def checkpoint(self, interrupt_fd: int | None = None) -> bool:
        """Ask for the current generation to be written; True once acknowledged. Returns
        early (False) when interrupt_fd becomes readable (a second Ctrl-C)."""
        return not self.stopped and self._ask(b"C", interrupt_fd)

    def stop(self, interrupt_fd: int | None = None) -> bool:
        """Ask the program to stop tracing and flush; True once acknowledged."""
        if self.stopped:
            return True
        self.stopped = True
        return self._ask(b"S", interrupt_fd)

    def snapshot(self) -> bool:
        """record --flight: ask for the flight recorder's window to be written now."""
        return not self.stopped and self._ask(b"W", None, SNAPSHOT_TIMEOUT)

    def _ask(self, what: bytes, interrupt_fd: int | None, timeout: float = TIMEOUT) -> bool:
        with self._lock:
            return self._ask_now(what, interrupt_fd, timeout)

    def _ask_now(self, what: bytes, interrupt_fd: int | None, timeout: float) -> bool:
        try:
            self._ours.sendall(what)
        except OSError:
            return False
        end = time.monotonic() + timeout
        fds = [self._ours] + ([interrupt_fd] if interrupt_fd is not None else [])
        while (left := end - time.monotonic()) > 0:
            ready = select.select(fds, [], [], left)[0]
            if self._ours in ready:
                try:
                    return self._ours.recv(1) == b"K"
                except OSError:
                    return False
            if ready:
                return False
        return False

    def close(self) -> None:
        for s in (self._ours, self._theirs):
            s.close()
