"""`tracetui view`: load in a thread (progress bar with what it is doing; q, Esc or Ctrl+C
stop it at once), show the timeline as soon as the first part of the trace is modelled,
fill it in as the rest arrives."""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING, ClassVar, Protocol

import numpy as np
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical, VerticalScroll
from textual.timer import Timer
from textual.widgets import Footer, Label, ProgressBar, Static

from tracetui.goversion import go_version_text
from tracetui.model.trace import Trace, TrackKind
from tracetui.sanitize import safe_text
from tracetui.tui.compare import Compare, SecondFailed, SecondProgress, SecondReady
from tracetui.tui.details import describe
from tracetui.tui.goto import go_to_answer, go_to_log, go_to_target, no_match_note
from tracetui.tui.keymap import APP_BINDINGS, keys_file, load_keymap
from tracetui.tui.loading import Loader, LoadFailed, ModelReady, Progress, load_in_thread, phase_text
from tracetui.tui.loadthread import LoadThread
from tracetui.tui.logs import search
from tracetui.tui.palette import Palette
from tracetui.tui.queries import Tables, breaches, query_answer, run_query
from tracetui.tui.rows import RowKind
from tracetui.tui.screens.analysis import (
    Analysis,
    JumpTo,
)
from tracetui.tui.screens.help import HelpScreen
from tracetui.tui.screens.results import Jump, ResultsScreen, Target
from tracetui.tui.screens.views import screen_for
from tracetui.tui.status import cursor_parts, live_text
from tracetui.tui.widgets.panels import Legend, Ruler, StatusLine, legend_looks
from tracetui.tui.widgets.prompt import Prompt
from tracetui.tui.widgets.timeline import Timeline

if TYPE_CHECKING:
    from tracetui.analysis.thresholds import Rule
    from tracetui.live.loader import LiveStatus
    from tracetui.sql.memory import Result


class LiveControl(Protocol):
    """The recording behind a live view (tracetui.live.recording.LiveRecording)."""

    def finished(self) -> bool: ...
    def stop(self) -> None: ...
    def exit_status(self) -> int: ...


class TraceApp(App[int]):
    """The timeline viewer."""

    TITLE = "tracetui"
    ENABLE_COMMAND_PALETTE = False
    CSS = """
    #loading { align: center middle; height: 1fr; }
    #loading > Label { width: auto; }
    #phase { color: $text-muted; }
    #details { height: 12; display: none; border-top: solid $accent; padding: 0 1; }
    Timeline { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = list(APP_BINDINGS)
    SCREENS_REFRESH_S = 3.0  # live: how often an open analysis screen takes the newest model

    def __init__(
        self,
        path: str,
        color_system: str = "256",
        loader: Loader | None = None,
        live: LiveControl | None = None,
        fail_on: Sequence[Rule] = (),
        compare: str | None = None,
        compare_loader: Loader | None = None,
    ) -> None:
        # Our palettes pick colours per system: no ANSI-to-RGB filter pass over every line.
        super().__init__(ansi_color=True)
        self.path = path
        self.loader = loader
        self.palette = Palette(color_system)
        self.timeline: Timeline | None = None
        self.loading = True
        self.load_fraction = 0.0
        self.note = ""
        self.matches: list[int] = []  # goroutine ids, then ...
        self.log_matches = np.zeros(0, np.int64)  # ... logs (LogIndex positions, by time)
        self.user_keys: dict[str, str] = {}
        self.analyses: dict[int, Analysis] = {}  # per model (by id), computed on first use
        self.match_at = -1
        self.loader_thread: LoadThread | None = None
        self.phase = ""
        self.phase_since = time.monotonic()
        self.load_events = 0
        self._phase_timer: Timer | None = None
        self.live = live  # a live view: the recording it watches
        self.live_status: LiveStatus | None = None
        self.quitting = False  # live: q was pressed, the recording is being stopped
        self._triggered = False  # a flight-recorder snapshot's cursor is on its trigger
        self.trigger: tuple[int, str] | None = None  # (time, text): said while the cursor is there
        self.fail_on = list(fail_on)  # view --fail-on: its breaches listed once the trace is loaded
        self._sql: Tables | None = None  # a model's tables, made on the first `:`
        self._sql_lock = threading.Lock()  # one query at a time on the connection
        self.compare = Compare(path, compare, compare_loader) if compare else None  # view --compare B
        self._screens_timer: Timer | None = None  # live: hands the open analysis screen newer models

    def compose(self) -> ComposeResult:
        with Vertical(id="loading"):
            yield Label(Text(f"Loading {safe_text(self.path, keep_newlines=False)}  (q or Esc to stop)"))
            yield ProgressBar(total=1.0, show_eta=False, id="progress")
            yield Label(Text(phase_text("", 0.0, 0, 0.0)), id="phase", markup=False)
        yield Ruler(id="ruler")
        with VerticalScroll(id="details"):
            yield Static("", id="details-text", markup=False)
        yield StatusLine("", id="status", markup=False)
        yield Legend(self.palette, id="legend")
        yield Prompt(id="prompt")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(Ruler).display = False
        keymap, warning = load_keymap(keys_file())
        self.user_keys = keymap
        if keymap:
            self.set_keymap(keymap)
        if warning:
            self.notify(safe_text(warning, keep_newlines=False), severity="warning", timeout=10, markup=False)
        self._phase_timer = self.set_interval(0.5, self._show_phase)
        self.load()
        if self.compare is not None:
            self.compare.start(self)

    # --- loading ---------------------------------------------------------------------------

    def load(self) -> None:
        """Start the loading thread (a daemon: it never holds up the exit)."""
        self.loader_thread = LoadThread(partial(load_in_thread, self.path, self.loader, self.post_message))
        self.loader_thread.start()

    def stop_loading(self) -> None:
        """Stop the load at once (the thread ends and lets go of what it read)."""
        if self.loader_thread is not None:
            self.loader_thread.stop()
        self.loading = False

    def on_progress(self, message: Progress) -> None:
        self.load_fraction = message.fraction
        self.load_events = message.events
        if message.phase != self.phase:
            self.phase, self.phase_since = message.phase, time.monotonic()
        if self.timeline is None:
            bar = self.query_one("#progress", ProgressBar)
            if message.fraction <= 0 and message.phase.startswith("Reading Perfetto"):
                bar.update(total=None)  # the reader says nothing until it is done: a moving bar
            else:
                bar.update(total=1.0, progress=message.fraction)
            self._show_phase()
        else:
            self.update_status()

    def _show_phase(self) -> None:
        if self.timeline is not None or not self.loading:
            if self._phase_timer is not None:
                self._phase_timer.stop()
            return
        elapsed = time.monotonic() - self.phase_since
        fraction = self.load_fraction
        if self.phase.startswith("Reading Perfetto") and fraction <= 0:  # the reader says nothing: ask the OS
            from tracetui.load import read_position

            at = read_position(self.path)
            if at is not None and 0 < at < 1:
                fraction = at
                self.query_one("#progress", ProgressBar).update(total=1.0, progress=at)
        for label in self.query("#phase").results(Label):
            label.update(Text(phase_text(self.phase, fraction, self.load_events, elapsed)))

    def on_model_ready(self, message: ModelReady) -> None:
        if message.done:
            self.loading = False
        if self.compare is not None:
            self.compare.a.trace, self.compare.a.rows = message.trace, message.rows
        if message.live is not None:
            self.live_status = message.live
        if self.timeline is None:
            self.query_one("#loading").remove()
            self.timeline = Timeline(message.trace, self.palette, message.rows, id="timeline")
            if message.live is not None:
                self.timeline.live = self.timeline.following = True
            ruler = self.query_one(Ruler)
            ruler.timeline = self.timeline
            ruler.display = True
            self.mount(self.timeline, after=ruler)
            self.timeline.focus()
        else:
            self.timeline.set_trace(message.trace, message.rows)
        if message.live is not None:
            self.timeline.time_offset = message.live.offset_ns
            if self._screens_timer is None:
                self._screens_timer = self.set_interval(self.SCREENS_REFRESH_S, self._refresh_screen)
        self.query_one(Legend).set_looks(legend_looks(message.rows))
        if not self._triggered:  # (a snapshot's trigger is at its end: maybe not in a first part)
            self._to_trigger(message.trace)
        # The model's objects live as long as the view: keep the cyclic GC from scanning
        # them again and again (its full passes were the slowest frames, 30-40 ms). A live
        # view replaces its model every second: what was frozen is let go and collected
        # first, else each older model (and its reader's cyclic garbage) stays for good.
        if message.live is not None:
            gc.unfreeze()
            gc.collect()
        gc.freeze()
        if message.warning:
            self.note = message.warning.removeprefix("tracetui: ")
            self.notify(message.warning, severity="warning", timeout=10, markup=False)
        if self._sql is not None and self._sql[0] is not message.trace:
            self._sql = None  # a newer model (a live view, the rest of a load): its tables on the next query
        if message.done and self.fail_on:
            rules, self.fail_on = self.fail_on, []
            self.run_worker(partial(self._check_rules, message.trace, rules), thread=True, group="fail-on")
        if message.done and self.quitting and self.live is not None:
            self.exit(return_code=self.live.exit_status())
            return
        self.refresh_panels()

    def _refresh_screen(self) -> None:
        """Live: the open analysis screen (2-5) gets the newest model (it analyses it aside)."""
        update = getattr(self.screen, "update_trace", None)
        if self.timeline is not None and update is not None:
            update(self.timeline.trace)

    def _to_trigger(self, trace: Trace) -> None:
        """A flight-recorder snapshot opens with the cursor on the moment its trigger fired."""
        from tracetui.analysis.trigger import flight_trigger

        trigger = flight_trigger(trace)
        if trigger is None or self.timeline is None:
            return
        self._triggered = True
        self.timeline.set_cursor_time(min(max(int(trigger["at_ns"]), 0), max(self.timeline.total - 1, 0)))
        reason = safe_text(trigger["reason"], keep_newlines=False)
        self.trigger = (self.timeline.cursor_t, f"flight recorder snapshot: triggered by {reason}")

    def on_load_failed(self, message: LoadFailed) -> None:
        self.exit(return_code=2, message=message.text)

    # --- view --compare B (tracetui.tui.compare) -------------------------------------------

    def on_second_progress(self, message: SecondProgress) -> None:
        if self.compare is not None:
            self.compare.fraction = message.fraction
            self.update_status()

    def on_second_ready(self, message: SecondReady) -> None:
        if self.compare is not None:
            self.compare.b.trace, self.compare.b.rows = message.trace, message.rows
            if message.warning:
                self.notify(f"run B: {message.warning}", severity="warning", timeout=10, markup=False)
            self.update_status()

    def on_second_failed(self, message: SecondFailed) -> None:
        self.stop_loading()
        self.exit(return_code=2, message=message.text)

    def action_switch_run(self) -> None:
        if self.compare is None:
            self.note = "no second run: open two with `tracetui view A --compare B`"
        elif self.screen is self.screen_stack[0]:
            self.note = self.compare.show(self, "B" if self.compare.shown == "A" else "A") or ""
        self.update_status()

    def swap_timeline(self, tl: Timeline) -> None:
        """Show another (already mounted) timeline: the panels follow it."""
        self.timeline = tl
        self.query_one(Ruler).timeline = tl
        self.query_one(Legend).set_looks(legend_looks(tl.rows))
        self.matches, self.log_matches, self.match_at = [], np.zeros(0, np.int64), -1  # (the other run's)
        tl.focus()
        tl.refresh()
        self.refresh_panels()

    # --- panels ----------------------------------------------------------------------------

    def on_timeline_moved(self, _: Timeline.Moved) -> None:
        self.note = ""
        self.refresh_panels()

    def on_timeline_resized(self, _: Timeline.Resized) -> None:
        self.refresh_panels()  # the ruler's columns follow the timeline's

    def on_timeline_note(self, message: Timeline.Note) -> None:
        self.note = message.text
        self.update_status()

    def _panels_alive(self) -> bool:
        """False while the app closes (messages may still arrive then)."""
        return bool(self.screen_stack) and bool(self.screen.query(StatusLine))

    def refresh_panels(self) -> None:
        if not self._panels_alive():
            return
        self.query_one(Ruler).refresh()
        self.update_status()
        details = self.query_one("#details")
        if details.display:
            self.update_details()

    def update_status(self) -> None:
        tl = self.timeline
        if tl is None or not tl.rows.rows or not self._panels_alive():
            return
        parts = cursor_parts(tl)
        found = len(self.matches) + len(self.log_matches)
        if found:
            parts.append(f"match {self.match_at + 1}/{found}")
        version = go_version_text(tl.trace, short=True)
        if version:  # which Go wrote it: the exact release where known, else the trace format's
            parts.append(version)
        if self.compare is not None:  # which run the timeline shows, first
            parts.insert(0, self.compare.status())
        if self.live_status is not None:
            parts.insert(0, live_text(self.live_status, self.quitting))
        elif self.loading:
            parts.append(f"loading {self.load_fraction:.0%} (Esc stops)")
        if self.trigger is not None and tl.cursor_t == self.trigger[0]:
            parts.append(self.trigger[1])
        if self.note:
            parts.append(self.note)
        self.query_one(StatusLine).update(Text(" │ ".join(parts), no_wrap=True, overflow="ellipsis"))

    def update_details(self) -> None:
        tl = self.timeline
        if tl is None:
            return
        row = tl.current_row
        cell = tl.cursor_window() if row.kind == RowKind.SAMPLES else tl.cursor_cell()
        lines = describe(tl.rows, row, tl.cursor_t, tl.flows, cell, tl.resolution)
        self.query_one("#details-text", Static).update(Text("\n".join(lines)))

    # --- actions ---------------------------------------------------------------------------

    def action_toggle_details(self) -> None:
        tl = self.timeline
        if tl is None:
            return
        if tl.current_row.kind == RowKind.GROUP:
            tl.toggle_group()
            return
        details = self.query_one("#details")
        details.display = not details.display
        if details.display:
            self.update_details()
        self.call_after_refresh(lambda: tl.set_row(tl.cursor_row))  # the cursor row in view in the new area

    def action_view(self, n: int) -> None:
        """1 the timeline, 2 goroutines, 3 block profiles, 4 histograms, 5 MMU."""
        tl = self.timeline
        if tl is None:
            return
        while len(self.screen_stack) > 1:
            self.pop_screen()
        if self.compare is not None and 2 <= n <= 5:
            self._compare_view(n)
            return
        screen = screen_for(n, tl, self.analyses)
        if screen is not None:
            self.push_screen(screen)

    def _compare_view(self, n: int) -> None:
        """Screens 2-5 of view --compare: both runs (once B is loaded)."""
        assert self.compare is not None
        if not self.compare.ready or self.compare.a.trace is None:
            self.note = f"run B is still loading ({self.compare.fraction:.0%}): screens 2-5 compare once it is loaded"
            self.update_status()
            return
        self.push_screen(self.compare.screen(n, self.analyses))

    def on_jump_to(self, message: JumpTo) -> None:
        tl = self.timeline
        if tl is None:
            return
        while len(self.screen_stack) > 1:
            self.pop_screen()
        if message.run and self.compare is not None:  # a compare screen: the run it is in
            self.note = self.compare.show(self, message.run) or ""
            if self.compare.shown != message.run:
                self.update_status()
                return
            tl = self.timeline or tl
        tl.show_span(message.track, message.start, message.end)
        self.screen.set_focus(tl)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.user_keys))

    def _open_prompt(self, purpose: str, placeholder: str, key: str) -> None:
        if self.timeline is None or self.screen is not self.screen_stack[0]:
            return
        prompt = self.query_one(Prompt)
        if prompt.has_focus:  # the key is a priority binding: inside the prompt it is text
            if key.isprintable():
                prompt.insert_text_at_cursor(key)
            return
        prompt.ask(purpose, placeholder)

    def action_search(self) -> None:
        self._open_prompt(
            "search", "search: goroutine id (G12) or start function, log text (log:...), label:...; Esc cancels", "/"
        )

    def action_sql(self) -> None:
        self._open_prompt(
            "sql",
            "SQL over this trace's tables (tracetui sql --schema); Enter on a result row goes to its g "
            "(or gid, goroutine) at its start_ns (or ts_ns, ts, at_ns, time_ns); Esc cancels",
            ":",
        )

    def action_goto(self) -> None:
        self._open_prompt("goto", "go to: a time (1.5ms, 2s), a goroutine (G12 or 12), P3, M7 or host", "")

    def on_prompt_answered(self, message: Prompt.Answered) -> None:
        tl = self.timeline
        if tl is None:
            return
        if message.text is None or not message.text.strip():
            return
        if message.purpose == "search":
            self.matches, self.log_matches = search(tl.trace, tl.rows.logs, tl.rows.labels, message.text)
            self.match_at = -1
            if not self.matches and not len(self.log_matches):
                self.note = no_match_note(tl, message.text)
                self.update_status()
                return
            self.action_search_next(1)
        elif message.purpose == "sql":
            self.note = "running the query…"
            self.update_status()
            self.run_worker(partial(self._run_sql, tl.trace, message.text), thread=True, exclusive=True, group="sql")
        elif message.purpose == "goto" and (note := go_to_answer(tl, message.text)) is not None:
            self.note = note
            self.update_status()

    # --- SQL and --fail-on ----------------------------------------------------------------

    def _run_sql(self, trace: Trace, text: str) -> None:
        """In a thread: the model's tables (made once per model), then the query."""
        with self._sql_lock:
            self._sql, result = run_query(self._sql, trace, self.path, text)
        self.call_from_thread(self._sql_done, text, result)

    def _sql_done(self, text: str, result: Result | str) -> None:
        self.note, screen = query_answer(text, result)
        if screen is not None:
            while len(self.screen_stack) > 1:
                self.pop_screen()
            self.push_screen(screen)
        self.update_status()

    def _check_rules(self, trace: Trace, rules: list[Rule]) -> None:
        """In a thread: view --fail-on's breaches, each with where it happened if known."""
        rows, targets = breaches(trace, rules)
        self.call_from_thread(self._rules_done, len(rules), rows, targets)

    def _rules_done(self, n: int, rows: list[tuple[str, str]], targets: list[Target]) -> None:
        if not rows:
            self.note = f"--fail-on: no threshold breached ({n} rule{'s' * (n != 1)})"
            self.update_status()
            return
        title = f"--fail-on: {len(rows)} of {n} rule{'s' * (n != 1)} breached (Enter: where it happened; Esc back)"
        if self.screen is self.screen_stack[0]:
            self.push_screen(ResultsScreen(title, ("breach", "where"), rows, targets))

    def on_jump(self, message: Jump) -> None:
        """A result row's place on the timeline: a span, a goroutine's row at a time, or a time."""
        tl = self.timeline
        if tl is None:
            return
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.screen.set_focus(tl)
        note = go_to_target(tl, message.target)
        if note is not None:
            self.note = note
        self.update_status()

    def action_search_next(self, direction: int) -> None:
        tl = self.timeline
        total = len(self.matches) + len(self.log_matches)
        if tl is None or not total:
            self.note = "no search (/ searches goroutines, logs and labels)"
            self.update_status()
            return
        self.match_at = (self.match_at + direction) % total
        if self.match_at < len(self.matches):
            tl.go_to_track(TrackKind.GOROUTINE, self.matches[self.match_at])
        else:
            go_to_log(tl, int(self.log_matches[self.match_at - len(self.matches)]))
        self.update_status()

    def action_escape(self) -> None:
        if self.timeline is None:  # nothing to show yet: Esc stops the load and leaves
            self.action_quit()
            return
        details = self.query_one("#details")
        if details.display:
            details.display = False
            return
        if self.loading and self.live is None:  # a live view goes on until q
            self.stop_loading()
            self.note = f"loading stopped at {self.load_fraction:.0%}: showing the part read"
            self.update_status()

    def action_quit(self) -> None:  # type: ignore[override]
        """Quit at once: the load (if any) is stopped, not waited for. A live view first stops
        the recording and quits once its files are written (q again: at once)."""
        live = self.live
        if live is not None and not self.quitting and not live.finished() and self.loader_thread is not None:
            self.quitting = True
            live.stop()
            self.note = "stopping the recording: the trace is flushed and written (q again: quit now)"
            self.update_status()
            return
        self.stop_loading()
        if self.compare is not None:
            self.compare.stop()
        status = live.exit_status() if live is not None and live.finished() else 0
        self.exit(return_code=status)
