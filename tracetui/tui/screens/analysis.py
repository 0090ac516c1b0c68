"""The analysis screens: goroutine groups (2), block and CPU profiles (3), latency histograms (4);
the MMU (5) is screens/mmu.py.

Each is computed once per model in a thread (tracetui.analysis), then drawn from tables.
Enter on a goroutine, a profile's stack or a histogram's event jumps to it on the timeline.
In a live view the app hands an open screen each newer model (`update_trace`): it is
analysed in a worker thread and shown in place, the cursor and scroll kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.geometry import Region
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, OptionList, Static, Tree

from tracetui.analysis.blocking import PROFILES, Samples, by_stack, reason_profile, samples
from tracetui.analysis.cpu import RATE_HZ, cpu_samples
from tracetui.analysis.goroutines import GoroutineStats, Group, goroutine_stats, groups
from tracetui.analysis.histograms import Histogram, Occurrences, latency_histograms, occurrences
from tracetui.model.trace import Trace, TrackKind
from tracetui.sanitize import safe_text
from tracetui.tui.timefmt import format_duration, format_time
from tracetui.tui.widgets.flame import FlameGraph, build_flame

PROFILE_ORDER = ("sync", "net", "syscall", "sched", "chan send", "chan receive", "select")
CPU = "cpu"  # the CPU profile: after the block profiles when the trace has CPU samples


@dataclass(frozen=True)
class CPUScope:
    """What screen 3's CPU profile covers: [t0, t1) (None: the whole trace), one P (-1: all)
    and some goroutines (empty: all), and how to say so."""

    t0: int | None = None
    t1: int | None = None
    p: int = -1
    goroutines: tuple[int, ...] = ()
    label: str = ""


@dataclass
class Analysis:
    """Everything the screens show, for one model."""

    trace: Trace
    stats: GoroutineStats
    groups: list[Group]
    occurrences: dict[str, Occurrences]
    histograms: dict[str, Histogram]
    profiles: dict[str, Samples]

    @classmethod
    def of(cls, trace: Trace) -> Analysis:
        stats = goroutine_stats(trace)
        occ = occurrences(trace)
        profiles = {k: samples(trace, PROFILES[k] if k in PROFILES else reason_profile(k)) for k in PROFILE_ORDER}
        return cls(trace, stats, groups(stats), occ, latency_histograms(trace, occ), profiles)


class JumpTo(Message):
    """Show this on the timeline: a track (index) and [start, end)."""

    def __init__(self, track: int, start: int, end: int, run: str = "") -> None:
        super().__init__()
        self.track, self.start, self.end = track, start, end
        self.run = run  # view --compare: "A" or "B", the run the track is in


def _s(text: str) -> str:
    return safe_text(text, keep_newlines=False)


class AnalysisScreen(Screen[None]):
    """A screen that needs the analysis of the current model (computed on first use)."""

    DEFAULT_CSS = "AnalysisScreen #wait { padding: 1 2; }"

    def __init__(self, trace: Trace, cache: dict[int, Analysis]) -> None:
        super().__init__()
        self.trace = trace
        self.cache = cache
        self.analysis: Analysis | None = cache.get(id(trace))
        self._pending: Trace | None = None  # live: a newer model being analysed

    def compose(self) -> ComposeResult:
        yield Static(Text("Analysing the trace…"), id="wait")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        if self.analysis is not None:
            self.call_after_refresh(self.show)
        else:
            self.compute()

    @work(thread=True, exclusive=True, group="analysis")
    def compute(self) -> None:
        a = Analysis.of(self.trace)
        self.app.call_from_thread(self._ready, a)

    def _ready(self, a: Analysis) -> None:
        self.cache[id(self.trace)] = a
        self.analysis = a
        self.show()

    def show(self) -> None:
        self.query_one("#wait").display = False

    # --- live: newer models, analysed aside and shown in place --------------------------------

    def update_trace(self, trace: Trace) -> None:
        """A live view's newer model: analysed in a worker thread while this one stays on
        screen, then shown where the user was (`refill`), if the screen can take it now."""
        if trace is self.trace or trace is self._pending or self.analysis is None:
            return
        self._pending = trace
        self._analyse(trace)

    @work(thread=True, exclusive=True, group="analysis-live")
    def _analyse(self, trace: Trace) -> None:
        a = Analysis.of(trace)
        self.app.call_from_thread(self._updated, a)

    def _updated(self, a: Analysis) -> None:
        if a.trace is not self._pending or not self.is_attached:
            return  # a newer one is on its way, or the screen was closed
        self._pending = None
        if not self.can_refresh():
            return  # (the next model is tried again)
        self.cache.clear()  # live: the newest model's analysis only (older models leave memory)
        self.cache[id(a.trace)] = a
        self.trace, self.analysis = a.trace, a
        self.refill()

    def can_refresh(self) -> bool:
        """Whether a newer analysis may replace the one shown now."""
        return True

    def refill(self) -> None:
        """Show the new analysis in place."""
        self.show()


class GoroutinesScreen(AnalysisScreen):
    """Goroutine groups by start function (as go tool trace's goroutine pages), Enter for
    the goroutines of a group, Enter again for one on the timeline."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="groups-back"),
        Binding("s", "sort", "Sort", id="groups-sort"),
    ]
    COLUMNS = ("Execution time", "Sched wait time", "Syscall execution time", "Block time (syscall)", "Unknown time")

    def __init__(self, trace: Trace, cache: dict[int, Analysis]) -> None:
        super().__init__(trace, cache)
        self.group: Group | None = None
        self.sort_by = 0

    def compose(self) -> ComposeResult:
        yield Static(Text("Goroutines by start function: Enter lists a group, s sorts, Esc back"), id="title")
        yield DataTable(id="table", cursor_type="row", zebra_stripes=True)
        yield from super().compose()

    def show(self) -> None:
        super().show()
        self.fill()

    def _blocked(self, rows: np.ndarray) -> int:
        assert self.analysis is not None
        return int(sum(int(v[rows].sum()) for v in self.analysis.stats.block.values()))

    def fill(self) -> None:
        a = self.analysis
        if a is None:
            return
        table = self.query_one(DataTable)
        table.clear(columns=True)
        st = a.stats
        cols = [st.execution, st.sched_wait, st.syscall, st.syscall_block, st.unknown]
        if self.group is None:
            table.add_columns("start function", "count", "total", "execution", "sched wait", "blocked", "syscall",
                              "syscall block", "unknown")  # fmt: skip
            rows = []
            for grp in a.groups:
                r = grp.rows
                rows.append((grp, [int(c[r].sum()) for c in cols], self._blocked(r)))
            rows.sort(key=lambda x: -(x[1][self.sort_by] if self.sort_by < 5 else x[2]))
            for grp, v, blocked in rows:
                table.add_row(Text(_s(grp.name or "(unknown)")), str(grp.count), format_duration(grp.total),
                              format_duration(v[0]), format_duration(v[1]), format_duration(blocked),
                              format_duration(v[2]), format_duration(v[3]), format_duration(v[4]),
                              key=f"g:{grp.name}")  # fmt: skip
            self.query_one("#title", Static).update(
                Text("Goroutines by start function: Enter lists a group, s sorts, 1 timeline")
            )
        else:
            table.add_columns("goroutine", "total", "execution", "sched wait", "blocked", "syscall", "syscall block",
                              "unknown")  # fmt: skip
            order = sorted(self.group.rows.tolist(), key=lambda i: -int(st.total[i]))
            for i in order:
                r = np.array([i])
                table.add_row(f"G{int(st.id[i])}", format_duration(int(st.total[i])),
                              *(format_duration(int(c[i])) for c in cols[:2]), format_duration(self._blocked(r)),
                              *(format_duration(int(c[i])) for c in cols[2:]), key=f"r:{i}")  # fmt: skip
            self.query_one("#title", Static).update(
                Text(
                    f"{_s(self.group.name or '(unknown)')}: {self.group.count} goroutines; Enter shows one on the "
                    "timeline, Esc back to the groups"
                )
            )
        table.focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        a = self.analysis
        key = str(event.row_key.value)
        if a is None:
            return
        if key.startswith("g:"):
            name = key[2:]
            self.group = next(g for g in a.groups if g.name == name)
            self.fill()
        elif key.startswith("r:"):
            i = int(key[2:])
            track = int(a.trace.goroutines.track[a.trace.goroutines.index(int(a.stats.id[i]))])
            start = int(a.stats.creation[i])
            end = int(a.stats.end[i]) if int(a.stats.end[i]) >= 0 else int(a.trace.duration)
            self.app.post_message(JumpTo(track, start, max(end, start + 1)))

    def refill(self) -> None:
        a = self.analysis
        assert a is not None
        if self.group is not None:  # the same group, in the newer analysis
            name = self.group.name
            self.group = next((g for g in a.groups if g.name == name), None)
        table = self.query_one(DataTable)
        row, scroll = table.cursor_row, table.scroll_offset
        self.fill()
        table.move_cursor(row=min(row, max(table.row_count - 1, 0)), scroll=False)
        table.scroll_to(scroll.x, scroll.y, animate=False)

    def action_back(self) -> None:
        if self.group is not None:
            self.group = None
            self.fill()
        else:
            self.app.pop_screen()

    def action_sort(self) -> None:
        if self.group is None:
            self.sort_by = (self.sort_by + 1) % 6
            self.fill()


def _shown_ns(d: np.ndarray) -> np.ndarray:
    """Durations rounded to what format_duration shows (3 significant digits, whole units
    from 100 up; halves to even): events alike by duration have the same key."""
    ns = d.astype(np.float64)
    out = ns.copy()
    for scale in (1e3, 1e6, 1e9):  # the largest unit that fits wins
        m = ns >= scale
        v = ns[m] / scale
        step = np.where(v >= 100, 1.0, np.where(v >= 10, 0.1, 0.01))
        out[m] = np.round(v / step) * step * scale
    return np.round(out)


@dataclass(frozen=True)
class EventLine:
    """One line of a bucket's event list: `count` events alike (same duration as shown,
    same goroutine group or row), `row` the longest of them (the one Enter shows)."""

    row: int
    duration: str  # as shown: the line's events round to it
    count: int
    tracks: int  # distinct rows they are on
    where: str


def collapse(occ: Occurrences, rows: np.ndarray, trace: Trace, limit: int = 1000) -> list[EventLine]:
    """The events `rows` (longest first) as lines, slowest first: events with the same
    duration as shown and on the same goroutine group (start function) or other row make
    one line. At most `limit` lines."""
    if not len(rows):
        return []
    track = occ.track[rows]
    utracks, tinv = np.unique(track, return_inverse=True)
    names: dict[str, int] = {}
    group_of = np.array(
        [names.setdefault(_where_group(trace, int(k)), len(names)) for k in utracks.tolist()], np.int64
    )[tinv]
    ukeys, kinv = np.unique(_shown_ns(occ.duration[rows]), return_inverse=True)
    line = kinv.astype(np.int64) * max(len(names), 1) + group_of
    ulines, first, inv, counts = np.unique(line, return_index=True, return_inverse=True, return_counts=True)
    pairs = np.unique(inv.astype(np.int64) * (len(utracks) + 1) + tinv)
    ntracks = np.bincount(pairs // (len(utracks) + 1), minlength=len(ulines))
    by_name = {v: k for k, v in names.items()}
    out: dict[tuple[str, str], EventLine] = {}  # merges keys that round apart but print alike
    for j in np.argsort(first, kind="stable").tolist():
        i = int(rows[first[j]])
        group = by_name[int(group_of[first[j]])]
        key = (format_duration(float(ukeys[kinv[first[j]]])), group)
        k = int(occ.track[i])
        if key in out:
            e = out[key]
            out[key] = EventLine(e.row, e.duration, e.count + int(counts[j]), e.tracks + int(ntracks[j]), e.where)
            continue
        if len(out) >= limit:
            break
        out[key] = EventLine(i, key[0], int(counts[j]), int(ntracks[j]), trace.tracks[k].name if k >= 0 else group)
    return [
        e if e.tracks <= 1 else EventLine(e.row, e.duration, e.count, e.tracks, f"{k[1]} ({e.tracks} goroutines)")
        for k, e in out.items()
    ]


def _where_group(trace: Trace, k: int) -> str:
    """What makes events alike by place: a goroutine's group, another row's name."""
    if k < 0:
        return "-"
    t = trace.tracks[k]
    return (t.group or t.name) if t.kind == TrackKind.GOROUTINE else t.name


def _fill(words: list[str], width: int) -> str:
    """Words (phrases) joined by spaces, in lines of at most `width` cells where they fit."""
    lines: list[str] = []
    for w in words:
        if lines and len(lines[-1]) + 1 + len(w) <= width:
            lines[-1] += " " + w
        else:
            lines.append(w)
    return "\n".join(lines)


class HistogramsScreen(AnalysisScreen):
    """Latency histograms: pick one on the left; ←/→ pick a bucket, p the bucket of the
    p99; Enter lists the bucket's events (slowest first, events alike as one line xN: see
    `collapse`); Enter again shows one (the longest of a line)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left,h", "bucket(-1)", "Bucket left", id="hist-bucket-left"),
        Binding("right,l", "bucket(1)", "Bucket right", id="hist-bucket-right"),
        Binding("p", "p99", "p99 bucket", id="hist-p99"),
        Binding("enter", "open_bucket", "Events", id="hist-events", show=False),
        Binding("escape", "back", "Back", id="hist-back"),
    ]
    DEFAULT_CSS = """
    HistogramsScreen #names { width: 34; max-width: 40%; }
    HistogramsScreen #bars-box { height: auto; max-height: 100%; }
    HistogramsScreen #bars-box.with-events { max-height: 60%; }
    HistogramsScreen #bars { height: auto; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    HistogramsScreen #events { height: 1fr; display: none; }
    """

    def __init__(self, trace: Trace, cache: dict[int, Analysis]) -> None:
        super().__init__(trace, cache)
        self.hist_name = "sched_latency"
        self.bucket = -1
        self.rows: np.ndarray = np.zeros(0, np.int64)
        self.lines: list[EventLine] = []

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield OptionList(id="names")
            with Vertical():
                with VerticalScroll(id="bars-box"):
                    yield Static("", id="bars")
                yield DataTable(id="events", cursor_type="row")
        yield from super().compose()

    def show(self) -> None:
        super().show()
        a = self.analysis
        assert a is not None
        names = [n for n, h in a.histograms.items() if h.count]
        ol = self.query_one(OptionList)
        ol.clear_options()
        ol.add_options([Text(_s(n)) for n in names])
        self._names = names
        if self.hist_name in names:
            ol.highlighted = names.index(self.hist_name)
        elif names:
            self.hist_name = names[0]
        self.draw()
        ol.focus()

    def can_refresh(self) -> bool:
        return not self.query_one("#events", DataTable).display  # (a bucket's events: the shown analysis's)

    def refill(self) -> None:
        bucket = self.bucket
        with self.prevent(OptionList.OptionHighlighted):
            self.show()
        h = self.hist()
        self.bucket = min(bucket, len(h.buckets) - 1) if h is not None else -1
        self.draw()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.hist_name = self._names[event.option_index]
        self.bucket = -1
        self.draw()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.action_open_bucket()

    def hist(self) -> Histogram | None:
        return self.analysis.histograms.get(self.hist_name) if self.analysis else None

    def draw(self) -> None:
        h = self.hist()
        bars = self.query_one("#bars", Static)
        if h is None or not h.count:
            bars.update(Text("(no events)"))
            return
        top = max(c for _, _, c in h.buckets)
        box = self.query_one("#bars-box", VerticalScroll)
        width = max(box.scrollable_content_region.width - 2, 20) if box.size.width else 80
        out = Text(no_wrap=True)
        head = [f"{_s(self.hist_name)}: {h.count:,} events", f"p50 {format_duration(h.p50_ns)}",
                f"p90 {format_duration(h.p90_ns)}", f"p99 {format_duration(h.p99_ns)}",
                f"p99.9 {format_duration(h.p999_ns)}", f"max {format_duration(h.max_ns)}"]  # fmt: skip
        out.append(_fill(head, width) + "\n", style="bold")
        # Each bucket on one line: its range and count, then a bar in the width left.
        los = [format_duration(lo) for lo, _, _ in h.buckets]
        his = [format_duration(hi) for _, hi, _ in h.buckets]
        counts = [f"{c:,}" for _, _, c in h.buckets]
        wl, wh, wc = (max(map(len, x)) for x in (los, his, counts))
        room = max(min(40, width - (wl + wh + wc + 6)), 1)
        for k, (_, _, c) in enumerate(h.buckets):
            mark = "▶" if k == self.bucket else " "
            style = "reverse" if k == self.bucket else ""
            out.append(f"{mark}{los[k]:>{wl}}–{his[k]:<{wh}} {counts[k]:>{wc}} ", style=style)
            out.append("█" * max(int(room * c / top), 1) + "\n", style="cyan")
        out.append(_fill(["←/→ bucket,", "p the p99 bucket,", "Enter its events,", "Esc back"], width), style="dim")
        bars.update(out)
        if self.bucket >= 0:  # the chosen bucket in view (the box scrolls when the events take room)
            line = len(out.plain.split("\n")) - 1 - len(h.buckets) + self.bucket
            self.call_after_refresh(box.scroll_to_region, Region(0, line, 1, 1), animate=False)

    def on_resize(self) -> None:
        self.draw()

    def action_bucket(self, delta: int) -> None:
        h = self.hist()
        if h is None or not h.buckets:
            return
        self.bucket = int(min(max(self.bucket + delta, 0), len(h.buckets) - 1))
        self.draw()

    def action_p99(self) -> None:
        h = self.hist()
        if h is None or not h.buckets:
            return
        self.bucket = next(k for k, (lo, hi, _) in enumerate(h.buckets) if lo <= max(h.p99_ns, 1) < hi)
        self.draw()
        self.action_open_bucket()

    def action_open_bucket(self) -> None:
        h, a = self.hist(), self.analysis
        if h is None or a is None or not h.buckets:
            return
        if self.bucket < 0:
            self.bucket = len(h.buckets) - 1
            self.draw()
        lo, hi, _ = h.buckets[self.bucket]
        occ = a.occurrences[self.hist_name]
        self.rows = occ.in_bucket(lo, hi)
        self.lines = collapse(occ, self.rows, a.trace)
        table = self.query_one("#events", DataTable)
        table.display = True
        self.query_one("#bars-box").add_class("with-events")
        table.clear(columns=True)
        table.add_columns("duration", "events", "at", "where")
        for e in self.lines:
            i = e.row
            table.add_row(e.duration, f"×{e.count:,}" if e.count > 1 else "",
                          format_time(int(occ.start[i]), a.trace.duration), Text(_s(e.where)), key=str(i))  # fmt: skip
        table.focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        a = self.analysis
        if a is None:
            return
        occ = a.occurrences[self.hist_name]
        i = int(str(event.row_key.value))
        start, dur = int(occ.start[i]), int(occ.duration[i])
        self.app.post_message(JumpTo(int(occ.track[i]), start, start + max(dur, 1)))

    def action_back(self) -> None:
        if self.query_one("#events", DataTable).has_focus:
            self.query_one(OptionList).focus()
        else:
            self.app.pop_screen()


class ProfilesScreen(AnalysisScreen):
    """Block profiles as callers trees (the blocking frame, then who called it, with total
    delay and count) or as a flame graph (f); Space unfolds, r picks the profile, Enter
    shows the longest wait through that frame on the timeline. A trace with CPU samples
    adds the CPU profile (samples x the sampling period), over `cpu_scope` (opened from a
    CPU sample row: that P, goroutine or folded group; with marks A and B: that range)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "next_profile", "Profile", id="profile-next"),
        Binding("f", "toggle_flame", "Flame graph", id="profile-flame"),
        Binding("escape", "back", "Back", id="profile-back"),
    ]

    def __init__(self, trace: Trace, cache: dict[int, Analysis], cpu_scope: CPUScope | None = None) -> None:
        super().__init__(trace, cache)
        self.cpu_scope = cpu_scope or CPUScope()
        self.kinds = PROFILE_ORDER + ((CPU,) if len(trace.cpu_samples) else ())
        self.kind = CPU if cpu_scope is not None and CPU in self.kinds else "sync"
        self._cpu: Samples | None = None

    def profile(self) -> Samples:
        """The samples of the profile shown."""
        a = self.analysis
        assert a is not None
        if self.kind != CPU:
            return a.profiles[self.kind]
        if self._cpu is None:
            sc = self.cpu_scope
            gs = np.array(sc.goroutines, np.int64) if sc.goroutines else None
            self._cpu = cpu_samples(a.trace, t0=sc.t0, t1=sc.t1, goroutines=gs, proc=sc.p if sc.p >= 0 else None)
        return self._cpu

    def compose(self) -> ComposeResult:
        yield Static("", id="title")
        yield Tree("profile", id="tree")
        yield FlameGraph(id="flame")
        yield from super().compose()

    def on_mount(self) -> None:  # (AnalysisScreen's on_mount runs too: Textual calls each class's)
        self.query_one(FlameGraph).display = False

    def show(self) -> None:
        super().show()
        self.fill()

    def fill(self) -> None:
        a = self.analysis
        if a is None:
            return
        s = self.profile()
        keys = f"(Space: callers; f: flame graph; r: next profile, {' / '.join(self.kinds)}; Enter on a stack: "
        if self.kind == CPU:
            where = f" of {self.cpu_scope.label}" if self.cpu_scope.label else ""
            head = f"CPU samples{where}: {len(s):,}, about {format_duration(s.total)} of CPU at {RATE_HZ} Hz  "
            title = head + keys + "a sample on the timeline)"
        else:
            desc = PROFILES[self.kind].description if self.kind in PROFILES else f"blocked in {self.kind}"
            title = f"{desc}: {len(s):,} waits, {format_duration(s.total)} in all  " + keys + "its longest wait)"
        self.query_one("#title", Static).update(Text(title))
        tree = self.query_one(Tree)
        tree.auto_expand = False  # Enter jumps to the timeline; Space unfolds the callers
        tree.clear()
        tree.root.set_label(Text(f"{self.kind}: {format_duration(s.total)}"))
        tree.root.expand()
        # A callers tree: the blocking frame first, then who called it, totals summed.
        trie: dict = {}
        for st in by_stack(s):
            frames = a.trace.frames(st.stack) if st.stack else [("(no stack)", "", 0)]
            node = trie
            for fn, file, line in frames:
                entry = node.setdefault((fn, file, line), {"delay": 0, "count": 0, "stack": st.stack, "kids": {}})
                entry["delay"] += st.delay
                entry["count"] += st.count
                node = entry["kids"]

        def add(parent, level: dict, depth: int) -> None:  # type: ignore[no-untyped-def]
            for (fn, file, line), e in sorted(level.items(), key=lambda kv: -kv[1]["delay"])[:200]:
                share = 100.0 * e["delay"] / s.total if s.total else 0.0
                where = f"  {_s(file.rsplit('/', 1)[-1])}:{line}" if file else ""
                label = Text(f"{format_duration(e['delay']):>10} {share:5.1f}% {e['count']:>7,}×  {_s(fn)}{where}")
                node = parent.add(label, data=e["stack"], allow_expand=bool(e["kids"]))
                if e["kids"] and depth < 64:
                    add(node, e["kids"], depth + 1)

        add(tree.root, trie, 0)
        tree.cursor_line = 1 if tree.root.children else 0
        flame = self.query_one(FlameGraph)
        flame.set_root(build_flame(a.trace, s, f"{self.kind}: {format_duration(s.total)}"))
        (flame if flame.display else tree).focus()

    def can_refresh(self) -> bool:
        """Not while callers are unfolded (the tree is rebuilt), nor for a CPU profile of a
        time range (its times are the shown model's)."""
        tree = self.query_one(Tree)
        unfolded = any(n.is_expanded for n in tree.root.children)
        return not unfolded and self.cpu_scope.t0 is None

    def refill(self) -> None:
        self._cpu = None
        self.kinds = PROFILE_ORDER + ((CPU,) if len(self.trace.cpu_samples) else ())
        tree = self.query_one(Tree)
        line, scroll = tree.cursor_line, tree.scroll_offset
        self.fill()
        tree.cursor_line = min(line, max(tree.last_line, 0))
        tree.scroll_to(scroll.x, scroll.y, animate=False)

    def action_toggle_flame(self) -> None:
        flame, tree = self.query_one(FlameGraph), self.query_one(Tree)
        flame.display = not flame.display
        tree.display = not flame.display
        (flame if flame.display else tree).focus()

    def on_flame_graph_chosen(self, event: FlameGraph.Chosen) -> None:
        if self.analysis is not None:
            self._jump(event.stack)

    def action_next_profile(self) -> None:
        self.kind = self.kinds[(self.kinds.index(self.kind) + 1) % len(self.kinds)]
        self.fill()

    def on_tree_node_selected(self, event: Tree.NodeSelected) -> None:
        a = self.analysis
        if a is None or event.node.data is None:
            return
        self._jump(int(event.node.data))

    def _jump(self, stack: int) -> None:
        a = self.analysis
        assert a is not None
        s = self.profile()
        sel = np.flatnonzero(s.stack == stack)
        if self.kind == CPU and (s.goroutine[sel] >= 0).any():  # a sample on a goroutine's row
            sel = sel[s.goroutine[sel] >= 0]
        if not sel.size:
            return
        i = int(sel[np.argmax(s.delay[sel])])
        g = a.trace.goroutines
        k = g.index(int(s.goroutine[i]))
        if k >= 0:
            start = int(s.start[i])
            self.app.post_message(JumpTo(int(g.track[k]), start, start + int(s.delay[i])))

    def action_back(self) -> None:
        self.app.pop_screen()
