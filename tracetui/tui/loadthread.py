"""The viewer's loading thread: a daemon thread that can be stopped at once.

Stopping sets the cancel flag (the load checks it between chunks) and, so that a long step
(a reader that takes the whole file in one call, a big model build) does not hold on to
the CPU and its memory, raises `Stopped` inside the thread at its next Python bytecode
(CPython's PyThreadState_SetAsyncExc). It is armed only while the thread runs the load:
the exception never lands in the code that hands results over or in the thread's exit.
A daemon thread never holds up the app's exit, whatever it is doing.
"""

from __future__ import annotations

import ctypes
import gc
import threading
from collections.abc import Callable


class Stopped(BaseException):
    """Raised inside the loading thread when the user stops the load."""


def _set_async_exc(ident: int, exc: type[BaseException] | None) -> int:
    return int(
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(exc) if exc else None)
    )


def _give_back() -> None:
    """Return the memory of a stopped load: its cycles collected, the C heap trimmed (glibc)."""
    gc.collect()
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)


class LoadThread:
    """Runs `body(thread)` in a daemon thread; `stop()` ends it promptly. The body wraps
    its long steps in `with thread.interruptible():` and checks `thread.cancelled`."""

    def __init__(self, body: Callable[[LoadThread], None], name: str = "tracetui-load") -> None:
        self._body = body
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._armed = False
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def is_alive(self) -> bool:
        return self.thread.is_alive()

    def _run(self) -> None:
        try:
            self._body(self)
        except Stopped:
            pass
        finally:
            self._disarm()
        if self.cancelled():
            _give_back()

    def _disarm(self) -> None:
        while True:  # after this no Stopped is pending or can be raised
            try:
                with self._lock:
                    self._armed = False
                    if self.thread.ident is not None:
                        _set_async_exc(self.thread.ident, None)  # raised but not yet delivered
                return
            except Stopped:
                continue

    def interruptible(self) -> _Armed:
        """A context in which `stop()` interrupts the thread (raising Stopped)."""
        return _Armed(self)

    def stop(self) -> None:
        """Cancel the load and interrupt the thread if it is in a long step (returns at once)."""
        self._cancel.set()
        with self._lock:
            if self._armed and self.thread.ident is not None and self.thread is not threading.current_thread():
                _set_async_exc(self.thread.ident, Stopped)
                self._armed = False

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread to end; whether it did."""
        self.thread.join(timeout)
        return not self.thread.is_alive()


class _Armed:
    def __init__(self, owner: LoadThread) -> None:
        self.owner = owner

    def __enter__(self) -> None:
        with self.owner._lock:
            if self.owner._cancel.is_set():
                raise Stopped
            self.owner._armed = True

    def __exit__(self, *_: object) -> None:
        self.owner._disarm()
