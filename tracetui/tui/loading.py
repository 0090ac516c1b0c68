"""The viewer's load of a trace: what the loading thread posts to the app (its progress, each
model as it grows, a failure), the thread's body, and the loading screen's line."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from textual.message import Message

from tracetui.load import Loader, LoadStep
from tracetui.model.trace import Trace
from tracetui.tui.loadthread import LoadThread
from tracetui.tui.rows import RowSet
from tracetui.units import count_text

if TYPE_CHECKING:
    from tracetui.live.loader import LiveStatus


class Progress(Message):
    """How far the load is and what it is doing (coalesced: only the newest matters)."""

    def __init__(self, fraction: float, events: int, phase: str = "") -> None:
        super().__init__()
        self.fraction = fraction
        self.events = events
        self.phase = phase

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, Progress)


class ModelReady(Message):
    def __init__(
        self, trace: Trace, rows: RowSet, done: bool, warning: str | None, live: LiveStatus | None = None
    ) -> None:
        super().__init__()
        self.trace = trace
        self.rows = rows
        self.done = done
        self.warning = warning
        self.live = live


class LoadFailed(Message):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


def phase_text(phase: str, fraction: float, events: int, elapsed: float) -> str:
    """The loading screen's line: `Reading run.gotrace: 34 % (12.3 M events)`."""
    text = phase or "Loading"
    if 0 < fraction < 1:
        text += f": {fraction * 100:.0f} %"
    extra = []
    if events:
        extra.append(f"{count_text(events)} events")
    if elapsed >= 1:
        extra.append(f"{elapsed:.0f} s")
    return text + (f" ({', '.join(extra)})" if extra else "")


def load_in_thread(path: str, loader: Loader | None, post: Callable[[Message], object], thread: LoadThread) -> None:
    """The loading thread's body: each step's progress, and its model (with its rows made
    here, off the UI thread) as a ModelReady; a failure as a LoadFailed."""
    from tracetui.errors import TracetuiError
    from tracetui.load import load_progressively

    def report(step: LoadStep) -> None:  # progress from inside a long step
        if not thread.cancelled():
            post(Progress(step.fraction, step.events, step.phase))

    steps_of = loader or partial(load_progressively, report=report)
    try:
        with thread.interruptible():
            steps = iter(steps_of(path, thread.cancelled))
        while not thread.cancelled():
            with thread.interruptible():
                step = next(steps, None)
                if step is None:
                    return
                rows = None
                if step.trace is not None:
                    rows = RowSet(step.trace)
                    rows.prepare()
            if thread.cancelled():
                return
            post(Progress(step.fraction, step.events, step.phase))
            if step.trace is not None and rows is not None:
                post(ModelReady(step.trace, rows, step.done, step.warning, step.live))
            del step, rows  # the app holds the model now; the thread holds nothing
    except TracetuiError as e:
        post(LoadFailed(e.one_line()))
    except MemoryError:
        post(LoadFailed(f"tracetui: {path}: out of memory while reading the trace"))
