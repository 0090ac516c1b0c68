"""`tracetui view A --compare B`: run B loaded in the background beside A, the timeline
switched between the two (`v`, keeping the viewed window), the compare screens 2-5 opened
with both models. The app holds one `Compare` and forwards to it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from textual.message import Message
from textual.screen import Screen

from tracetui.load import Loader, LoadStep
from tracetui.model.trace import Trace
from tracetui.sanitize import safe_text
from tracetui.tui.loadthread import LoadThread
from tracetui.tui.rows import RowSet
from tracetui.tui.widgets.timeline import Timeline

if TYPE_CHECKING:
    from tracetui.tui.app import TraceApp


class SecondProgress(Message):
    def __init__(self, fraction: float) -> None:
        super().__init__()
        self.fraction = fraction

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SecondProgress)


class SecondReady(Message):
    """Run B is loaded: its model and rows."""

    def __init__(self, trace: Trace, rows: RowSet, warning: str | None) -> None:
        super().__init__()
        self.trace, self.rows, self.warning = trace, rows, warning


class SecondFailed(Message):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


@dataclass
class Run:
    """One side: "A" or "B", its file, its newest model and rows."""

    name: str
    path: str
    trace: Trace | None = None
    rows: RowSet | None = None
    short: str = ""  # the file as the labels name it

    def label(self) -> str:
        """`run A fast.trace`: what the status and the screens say."""
        return f"run {self.name} {safe_text(self.short or os.path.basename(self.path), keep_newlines=False)}"


def short_names(a: str, b: str) -> tuple[str, str]:
    """The files' names, with as many parent directories as tell them apart (up to two)."""
    pa, pb = os.path.normpath(os.path.abspath(a)).split(os.sep), os.path.normpath(os.path.abspath(b)).split(os.sep)
    for k in (1, 2, 3):
        na, nb = "/".join(pa[-k:]), "/".join(pb[-k:])
        if na != nb:
            return na, nb
    return na, nb


class Compare:
    """Both runs, which one the timeline shows, and run B's loader."""

    def __init__(self, path_a: str, path_b: str, loader: Loader | None = None) -> None:
        na, nb = short_names(path_a, path_b)
        self.a = Run("A", path_a, short=na)
        self.b = Run("B", path_b, short=nb)
        self.loader = loader
        self.shown = "A"
        self.fraction = 0.0
        self.thread: LoadThread | None = None
        self.timelines: dict[str, Timeline] = {}

    # --- run B's load ----------------------------------------------------------------------

    def start(self, app: TraceApp) -> None:
        self.thread = LoadThread(partial(self._load, app), name="tracetui-load-b")
        self.thread.start()

    def stop(self) -> None:
        if self.thread is not None:
            self.thread.stop()

    def _load(self, app: TraceApp, thread: LoadThread) -> None:
        from tracetui.errors import TracetuiError
        from tracetui.load import load_progressively

        def report(step: LoadStep) -> None:
            if not thread.cancelled():
                app.post_message(SecondProgress(step.fraction))

        loader = self.loader or partial(load_progressively, report=report)
        path = self.b.path
        try:
            last: LoadStep | None = None
            with thread.interruptible():
                for step in loader(path, thread.cancelled):
                    if thread.cancelled():
                        return
                    app.post_message(SecondProgress(step.fraction))
                    if step.trace is not None:
                        last = step
                if last is None or last.trace is None:
                    return
                rows = RowSet(last.trace)
                rows.prepare()
            if not thread.cancelled():
                app.post_message(SecondReady(last.trace, rows, last.warning))
        except TracetuiError as e:
            app.post_message(SecondFailed(e.one_line()))
        except MemoryError:
            app.post_message(SecondFailed(f"tracetui: {path}: out of memory while reading the trace"))

    @property
    def ready(self) -> bool:
        return self.b.trace is not None

    # --- the timeline ----------------------------------------------------------------------

    def status(self) -> str:
        """The status line's first part: which run the timeline shows."""
        run = self.a if self.shown == "A" else self.b
        if not self.ready:
            return f"{run.label()} (run B loading {self.fraction:.0%})"
        return f"{run.label()} (v: run {'B' if self.shown == 'A' else 'A'})"

    def show(self, app: TraceApp, name: str) -> str | None:
        """Show run `name` on the timeline, on the same window where it fits (both start at
        0; a whole-trace view stays whole); a note when it cannot."""
        old = app.timeline
        if old is None or name == self.shown:
            return None
        if not self.ready or app.loading:
            return f"run {'B' if not self.ready else 'A'} is still loading: v switches once both are loaded"
        run = self.a if name == "A" else self.b
        assert run.trace is not None and run.rows is not None
        self.timelines.setdefault(self.shown, old)
        new = self.timelines.get(name)
        if new is None:
            new = self.timelines[name] = Timeline(run.trace, app.palette, run.rows, id=f"timeline-{name.lower()}")
            app.mount(new, after=old)
        new.marks = []
        if not old.fitted:
            new.set_view(old.t0, old.span, remember=False)
        else:
            new.set_view(0, new.total, remember=False)
        new.cursor_t = min(max(old.cursor_t, new.t0), new.t0 + new.span - 1)
        old.display = False
        new.display = True
        self.shown = name
        app.swap_timeline(new)
        return None

    def screen(self, n: int, cache: dict) -> Screen[None]:  # type: ignore[type-arg]
        """Compare screen n (2-5) of both runs."""
        from tracetui.tui.screens.compare import compare_screen

        assert self.a.trace is not None and self.b.trace is not None
        return compare_screen(n, self.a, self.b, cache)
