"""`tracetui view`: load in a worker with a progress bar (Esc cancels), then the timeline."""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Footer, Label, ProgressBar
from textual.worker import get_current_worker

from tracetui.model.trace import Trace
from tracetui.report import format_duration
from tracetui.sanitize import safe_text
from tracetui.tui.palette import Palette
from tracetui.tui.widgets.timeline import Timeline


class Loaded(Message):
    def __init__(self, trace: Trace) -> None:
        super().__init__()
        self.trace = trace


class LoadFailed(Message):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class TraceApp(App[int]):
    """The timeline app."""

    TITLE = "tracetui"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="quit", priority=True),
        Binding("escape", "cancel", "Cancel", id="cancel", show=False),
        Binding("w", "zoom(0.5)", "Zoom in", id="zoom-in"),
        Binding("s", "zoom(2.0)", "Zoom out", id="zoom-out"),
        Binding("a", "pan(-0.25)", "Pan left", id="pan-left"),
        Binding("d", "pan(0.25)", "Pan right", id="pan-right"),
        Binding("0", "fit", "Fit", id="fit"),
        Binding("j,down", "move(1)", "Down", id="row-down", show=False),
        Binding("k,up", "move(-1)", "Up", id="row-up", show=False),
    ]

    def __init__(self, path: str, color_system: str = "256") -> None:
        super().__init__()
        self.path = path
        self.palette = Palette(color_system)
        self.timeline: Timeline | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="loading"):
            yield Label(f"Loading {safe_text(self.path, keep_newlines=False)} (Esc to cancel)", markup=False)
            yield ProgressBar(total=None, show_eta=False)
        yield Label("", id="ruler", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def load(self) -> None:
        from tracetui.errors import TracetuiError
        from tracetui.gotrace.reader import read_trace
        from tracetui.model.from_gotrace import build_model

        worker = get_current_worker()
        try:
            table = read_trace(self.path)
            if worker.is_cancelled:
                return
            trace = build_model(table)
        except TracetuiError as e:
            self.post_message(LoadFailed(e.one_line()))
            return
        if not worker.is_cancelled:
            self.post_message(Loaded(trace))

    def on_loaded(self, message: Loaded) -> None:
        self.query_one("#loading").remove()
        self.timeline = Timeline(message.trace, self.palette)
        self.mount(self.timeline, before=self.query_one(Footer))
        self.timeline.focus()
        self._update_ruler()

    def on_load_failed(self, message: LoadFailed) -> None:
        self.exit(return_code=2, message=message.text)

    def _update_ruler(self) -> None:
        tl = self.timeline
        if tl is None:
            return
        text = f"{format_duration(tl.t0)} .. {format_duration(tl.t0 + tl.span)}  (span {format_duration(tl.span)})"
        self.query_one("#ruler", Label).update(text)

    def action_cancel(self) -> None:
        if self.timeline is None:
            self.workers.cancel_group(self, "load")
            self.exit(return_code=1, message="tracetui: loading cancelled")

    def action_zoom(self, factor: float) -> None:
        if self.timeline is not None:
            self.timeline.zoom(factor)
            self._update_ruler()

    def action_pan(self, fraction: float) -> None:
        if self.timeline is not None:
            self.timeline.pan(fraction)
            self._update_ruler()

    def action_fit(self) -> None:
        if self.timeline is not None:
            self.timeline.fit()
            self._update_ruler()

    def action_move(self, delta: int) -> None:
        if self.timeline is not None:
            self.timeline.move_cursor(delta)
