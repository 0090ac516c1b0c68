"""`tracetui view`: load in a thread (progress bar with what it is doing; q, Esc or Ctrl+C
stop it at once), show the timeline as soon as the first part of the trace is modelled,
fill it in as the rest arrives."""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import TYPE_CHECKING, ClassVar, Protocol

import numpy as np
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Footer, Label, ProgressBar, Static

from tracetui.goversion import go_version_text
from tracetui.load import LoadStep
from tracetui.model.trace import Trace, TrackKind
from tracetui.sanitize import safe_text
from tracetui.tui.compare import Compare, SecondFailed, SecondProgress, SecondReady
from tracetui.tui.details import describe, span_at
from tracetui.tui.keymap import APP_BINDINGS, keys_file, load_keymap
from tracetui.tui.loadthread import LoadThread
from tracetui.tui.logs import search
from tracetui.tui.navigate import parse_target
from tracetui.tui.palette import Palette
from tracetui.tui.rows import RowKind, RowSet
from tracetui.tui.screens.analysis import (
    Analysis,
    CPUScope,
    GoroutinesScreen,
    HistogramsScreen,
    JumpTo,
    ProfilesScreen,
)
from tracetui.tui.screens.help import HelpScreen
from tracetui.tui.screens.mmu import MMUScreen
from tracetui.tui.screens.results import Jump, ResultsScreen, Target
from tracetui.tui.timefmt import duration_text, format_duration, format_time
from tracetui.tui.widgets.panels import Legend, Ruler, StatusLine, legend_looks
from tracetui.tui.widgets.prompt import Prompt
from tracetui.tui.widgets.timeline import Timeline

if TYPE_CHECKING:
    import duckdb

    from tracetui.analysis.thresholds import Rule
    from tracetui.live.loader import LiveStatus
    from tracetui.sql.memory import Result


class LiveControl(Protocol):
    """The recording behind a live view (tracetui.live.recording.LiveRecording)."""

    def finished(self) -> bool: ...
    def stop(self) -> None: ...
    def exit_status(self) -> int: ...


Loader = Callable[[str, Callable[[], bool]], Iterator[LoadStep]]  # see tracetui.load.load_progressively


NO_LABELS = "this trace has no goroutine labels (Go records only its GC workers' labels; pprof labels are not in execution traces)"


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


def count_text(n: int) -> str:
    """`950`, `12.3 k`, `12.3 M`."""
    if n < 1000:
        return str(n)
    if n < 1_000_000:
        return f"{n / 1000:.1f} k"
    return f"{n / 1e6:.1f} M"


def live_text(live: LiveStatus, stopping: bool = False) -> str:
    """The LIVE indicator: `● LIVE 12.3 s  38.2 k ev/s  13 G  GC 4  sched p99 17.7µs`."""
    head = "■ ENDED" if live.ended else "◼ STOPPING" if stopping else "● LIVE"
    parts = [f"{head} {format_duration(int(live.elapsed_s * 1e9))}", f"{count_text(int(live.events_per_s))} ev/s"]  # fmt: skip
    if live.goroutines:  # (a GODEBUG recording has no goroutine table)
        parts.append(f"{live.goroutines} G")
    parts.append(f"GC {live.gc_cycles}")
    if live.sched_p99_ns:
        parts.append(f"sched p99 {format_duration(live.sched_p99_ns)}")
    if live.gaps:  # between pprof windows: not traced (the "Not traced" row shows where)
        parts.append(f"{live.gaps} gap{'s' if live.gaps != 1 else ''} ({format_duration(live.gap_ns)} not traced)")
    if live.skipped:
        parts.append(f"skipping ahead: {live.skipped} {live.pieces} not drawn")
    return "  ".join(parts)


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
        self._sql: tuple[Trace, duckdb.DuckDBPyConnection] | None = None  # a model's tables, made on the first `:`
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
        self.loader_thread = LoadThread(self._load_in_thread)
        self.loader_thread.start()

    def _load_in_thread(self, thread: LoadThread) -> None:
        from tracetui.errors import TracetuiError
        from tracetui.load import load_progressively

        def report(step: LoadStep) -> None:  # progress from inside a long step
            if not thread.cancelled():
                self.post_message(Progress(step.fraction, step.events, step.phase))

        loader = self.loader or partial(load_progressively, report=report)
        try:
            with thread.interruptible():
                steps = iter(loader(self.path, thread.cancelled))
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
                self.post_message(Progress(step.fraction, step.events, step.phase))
                if step.trace is not None and rows is not None:
                    self.post_message(ModelReady(step.trace, rows, step.done, step.warning, step.live))
                del step, rows  # the app holds the model now; the thread holds nothing
        except TracetuiError as e:
            self.post_message(LoadFailed(e.one_line()))
        except MemoryError:
            self.post_message(LoadFailed(f"tracetui: {self.path}: out of memory while reading the trace"))

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
        row = tl.current_row
        parts = [row.label.strip() or row.chart, format_time(tl.cursor_t + tl.time_offset, tl.span)]
        sp = span_at(tl.rows, row, tl.cursor_t)
        if sp is not None:  # the span the details pane describes, its duration printed alike
            lines = describe(tl.rows, row, tl.cursor_t)
            what = lines[0].split(": ", 1)[1] if lines and ": " in lines[0] else ""
            parts.append(f"{what} {duration_text(sp[1] - sp[0], tl.resolution)}".strip())
        elif row.kind == RowKind.GROUP and not row.host:  # a goroutine group: its counts at the cursor
            lines = describe(tl.rows, row, tl.cursor_t)
            if len(lines) > 1:
                parts.append(lines[1].split(": ", 1)[1])
        elif row.kind == RowKind.SAMPLES:  # CPU samples in the cursor's column (or A→B)
            a, b = tl.cursor_window()
            ts = tl.rows.sample_times(row)
            n = int(np.searchsorted(ts, b, "left") - np.searchsorted(ts, a, "left"))
            parts.append(f"{n} CPU sample{'s' if n != 1 else ''}" + (" A→B" if len(tl.marks) == 2 else ""))
        elif row.kind == RowKind.CHART and row.host:  # a host counter: its value with its unit
            lines = describe(tl.rows, row, tl.cursor_t)
            if lines and ": " in lines[0]:
                parts.append(lines[0].rsplit(": ", 1)[1])
        key = tl.rows.log_key(row)
        if key is not None:  # the log(s) in the cursor's cell
            hit = tl.rows.logs.between(*key, *tl.cursor_cell())
            if hit.size:
                cat, msg = tl.rows.logs.text(int(hit[0]))
                more = f" (+{hit.size - 1})" if hit.size > 1 else ""
                parts.append(f"log [{cat}] {msg.splitlines()[0] if msg else ''}{more}")
        parts.append(f"view {format_duration(tl.span)}")
        if len(tl.marks) == 2:
            parts.append(f"A→B {format_duration(abs(tl.marks[1] - tl.marks[0]))}")
        elif len(tl.marks) == 1:
            parts.append(f"A {format_time(tl.marks[0], tl.span)} (m: set B)")
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
        screens = {2: GoroutinesScreen, 3: ProfilesScreen, 4: HistogramsScreen}
        if n == 3 and (scope := self._cpu_scope(tl)) is not None:
            self.push_screen(ProfilesScreen(tl.trace, self.analyses, scope))
        elif n in screens:
            self.push_screen(screens[n](tl.trace, self.analyses))
        elif n == 5:
            self.push_screen(MMUScreen(tl.trace))

    def _compare_view(self, n: int) -> None:
        """Screens 2-5 of view --compare: both runs (once B is loaded)."""
        assert self.compare is not None
        if not self.compare.ready or self.compare.a.trace is None:
            self.note = f"run B is still loading ({self.compare.fraction:.0%}): screens 2-5 compare once it is loaded"
            self.update_status()
            return
        self.push_screen(self.compare.screen(n, self.analyses))

    @staticmethod
    def _cpu_scope(tl: Timeline) -> CPUScope | None:
        """Screen 3 opened from a CPU sample row: the CPU profile of that row's P or
        goroutine (all samples for the top row), within marks A→B if both are set."""
        row = tl.current_row
        if row.kind != RowKind.SAMPLES:
            return None
        _, who, ident = row.key
        t0, t1 = sorted(tl.marks) if len(tl.marks) == 2 else (None, None)
        name = {"p": f"P{ident}", "g": f"G{ident}", "grp": f"group {ident}"}.get(str(who), "")
        span = f"{format_time(t0, tl.span)} to {format_time(t1, tl.span)}" if t0 is not None and t1 is not None else ""
        label = safe_text(" ".join(x for x in (name, span and f"from {span}") if x), keep_newlines=False)
        if who == "grp":
            return CPUScope(t0, t1, -1, tuple(tl.rows.group_gids(str(ident))), label)
        k = int(ident)  # type: ignore[call-overload]
        return CPUScope(t0, t1, k if who == "p" else -1, (k,) if who == "g" else (), label)

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
                what = "goroutine or log" if len(tl.trace.logs) else "goroutine"
                self.note = f"no {what} matches {safe_text(message.text, keep_newlines=False)!r}"
                if message.text.strip().startswith("label:") and not len(tl.trace.labels):
                    self.note = NO_LABELS
                self.update_status()
                return
            self.action_search_next(1)
        elif message.purpose == "sql":
            self.note = "running the query…"
            self.update_status()
            self.run_worker(partial(self._run_sql, tl.trace, message.text), thread=True, exclusive=True, group="sql")
        elif message.purpose == "goto":
            target = parse_target(message.text)
            if target is None:
                self.note = f"not a time or a goroutine: {safe_text(message.text, keep_newlines=False)!r}"
            elif target.time is not None:
                if 0 <= target.time < tl.total:
                    tl.remember()
                    tl.centre_on(target.time)
                    return
                self.note = f"{format_duration(target.time)} is outside the trace ({format_duration(tl.total)})"
            elif target.kind is not None and target.ident is not None:
                if tl.go_to_track(target.kind, target.ident):
                    return
                self.note = f"no such row: {safe_text(message.text, keep_newlines=False)}"
            self.update_status()

    # --- SQL and --fail-on ----------------------------------------------------------------

    def _run_sql(self, trace: Trace, text: str) -> None:
        """In a thread: the model's tables (made once per model), then the query."""
        from tracetui.errors import TracetuiError
        from tracetui.sql.memory import model_connection, query

        with self._sql_lock:
            try:
                made = self._sql
                if made is None or made[0] is not trace:
                    made = self._sql = (trace, model_connection(trace, self.path))
                result: Result | str = query(made[1], text)
            except TracetuiError as e:
                result = e.one_line().removeprefix("tracetui: ")
            except MemoryError:
                result = "out of memory while making the tables"
        self.call_from_thread(self._sql_done, text, result)

    def _sql_done(self, text: str, result: Result | str) -> None:
        from tracetui.sql.memory import target

        if isinstance(result, str):
            self.note = f"SQL: {safe_text(result, keep_newlines=False)}"
        elif not result.columns:
            self.note = "SQL: done (no result)"
        elif not result.rows:
            self.note = "SQL: no rows"
        else:
            self.note = ""
            targets = [Target(*target(result.columns, r)) for r in result.rows]
            n = (
                f"first {len(result.rows)} rows"
                if result.more
                else f"{len(result.rows)} row{'s' * (len(result.rows) != 1)}"
            )
            how = (
                "Enter: the row's goroutine at its time"
                if any(t.any for t in targets)
                else "no column names a goroutine (g, gid, goroutine) or a time (start_ns, ts_ns, ts, at_ns, ...)"
            )
            title = f"{n} of: {text.strip()}  ({how}; Esc back)"
            while len(self.screen_stack) > 1:
                self.pop_screen()
            self.push_screen(ResultsScreen(title, result.columns, result.rows, targets))
        self.update_status()

    def _check_rules(self, trace: Trace, rules: list[Rule]) -> None:
        """In a thread: view --fail-on's breaches, each with where it happened if known."""
        from tracetui.analysis.histograms import latency_histograms, occurrences
        from tracetui.analysis.mmu import mmu, series
        from tracetui.analysis.thresholds import breached, place_of

        occ = occurrences(trace)
        found = breached(
            rules, latency_histograms(trace, occ), lambda name, w: mmu(series(trace, name == "mmu_sweep"), w)
        )
        rows, targets = [], []
        for rule, text in found:
            place = place_of(rule, occ)
            where = "(no one place)"
            if place is not None:
                tr = trace.tracks[place.track] if 0 <= place.track < len(trace.tracks) else None
                where = f"{tr.name + ' ' if tr is not None else ''}at {format_time(place.start, trace.duration)}"
            rows.append((text, where))
            targets.append(Target(span=(place.track, place.start, place.end)) if place is not None else Target())
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
        tgt = message.target
        t = tgt.t if tgt.t is not None and 0 <= tgt.t < tl.total else None
        if tgt.span is not None:
            tl.show_span(*tgt.span)
        elif tgt.gid is not None and tl.go_to_track(TrackKind.GOROUTINE, tgt.gid, t):
            pass
        elif t is not None:
            tl.remember()
            tl.centre_on(t)
            if tgt.gid is not None:
                self.note = f"no row for G{tgt.gid}: the cursor is at its time"
        else:
            self.note = "the row's goroutine and time are not in this trace"
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
            self._go_to_log(int(self.log_matches[self.match_at - len(self.matches)]))
        self.update_status()

    def _go_to_log(self, i: int) -> None:
        """The cursor on log i: its goroutine's row (else its category's) at its time."""
        tl = self.timeline
        assert tl is not None
        lg = tl.rows.logs
        t = int(lg.ts[i])
        gid = lg.goroutine(i)
        if gid >= 0 and tl.go_to_track(TrackKind.GOROUTINE, gid, t):
            return
        idx = tl.rows.index_of(("logs", lg.categories[int(lg.cat[i])]))
        tl.remember()
        if idx >= 0:
            tl.set_row(idx)
        tl.centre_on(t)

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
