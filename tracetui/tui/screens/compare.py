"""Screens 2-5 of `tracetui view A --compare B`: both runs and what changed.

2: goroutine groups of A and B in one table, B - A per state, the largest change first;
3: a differential flame graph of a profile (v: A alone, B alone); 4: each latency histogram
of A and B on shared buckets with both runs' percentiles; 5: the two MMU curves.
The figures come from tracetui.analysis (rundiff); these screens only draw them.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, OptionList, Static

from tracetui.analysis.blocking import PROFILES, Samples
from tracetui.analysis.cpu import cpu_samples
from tracetui.analysis.histograms import Histogram
from tracetui.analysis.mmu import series, worst_window
from tracetui.analysis.rundiff import STATES, GroupDelta, bucket_pairs, group_deltas, profile_diff
from tracetui.model import Trace
from tracetui.sanitize import safe_text
from tracetui.tui.compare import Run
from tracetui.tui.screens.analysis import CPU, PROFILE_ORDER, Analysis, JumpTo
from tracetui.tui.screens.mmu import (
    AXIS,
    MMUPlot,
    MMUScreenBase,
    braille_lines,
    curve,
    decade_ticks,
    mark_track,
    window_sizes,
)
from tracetui.tui.timefmt import format_duration
from tracetui.tui.widgets.flame import FlameGraph, build_diff_flame, build_flame, signed_duration

A_STYLE, B_STYLE = "cyan", "magenta"


def _s(text: str) -> str:
    return safe_text(text, keep_newlines=False)


def change_text(a: float, b: float, duration: bool = True) -> str:
    """B - A with its share of A: `+1.2ms (+25%)`, `+3 (new)`, `±0`."""
    d = b - a
    main = signed_duration(int(d)) if duration else ("±0" if d == 0 else f"{d:+,.0f}")
    if d == 0:
        return main
    if not a:
        return f"{main} (new)"
    return f"{main} (x{b / a:,.0f})" if b >= 10 * a else f"{main} ({d / a:+.0%})"


def _change_style(a: float, b: float) -> str:
    return "red" if b > a else "blue" if b < a else "dim"


class CompareScreen(Screen[None]):
    """A screen of both runs' analyses (each computed once per model, shared with the
    single-run screens' cache)."""

    DEFAULT_CSS = "CompareScreen #wait { padding: 1 2; } CompareScreen #title { height: auto; padding: 0 1; }"

    def __init__(self, a: Run, b: Run, cache: dict[int, Analysis]) -> None:
        super().__init__()
        assert a.trace is not None and b.trace is not None
        self.run_a, self.run_b = a, b
        self.trace_a: Trace = a.trace
        self.trace_b: Trace = b.trace
        self.cache = cache
        self.a: Analysis | None = cache.get(id(a.trace))
        self.b: Analysis | None = cache.get(id(b.trace))

    def runs_text(self) -> str:
        return f"{self.run_a.label()} vs {self.run_b.label()}"

    def compose(self) -> ComposeResult:
        yield Static(Text("Analysing both runs…"), id="wait")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        if self.a is not None and self.b is not None:
            self.call_after_refresh(self.show)
        else:
            self.compute()

    @work(thread=True, exclusive=True, group="analysis")
    def compute(self) -> None:
        a = self.a or Analysis.of(self.trace_a)
        b = self.b or Analysis.of(self.trace_b)
        self.app.call_from_thread(self._ready, a, b)

    def _ready(self, a: Analysis, b: Analysis) -> None:
        self.cache[id(self.trace_a)], self.cache[id(self.trace_b)] = a, b
        self.a, self.b = a, b
        self.show()

    def show(self) -> None:
        self.query_one("#wait").display = False

    def action_back(self) -> None:
        self.app.pop_screen()


class CompareGoroutinesScreen(CompareScreen):
    """Goroutine groups of both runs: counts and time per state, A → B and B - A, the
    largest change first; the line below gives every state of the highlighted group; Enter
    shows the group's longest-lived goroutine of run B (of A if B has none) on its timeline."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "back", "Back", id="cmp-groups-back")]
    DEFAULT_CSS = "CompareGoroutinesScreen #row { height: auto; padding: 0 1; border-top: solid $accent; }"

    def __init__(self, a: Run, b: Run, cache: dict[int, Analysis]) -> None:
        super().__init__(a, b, cache)
        self.deltas: list[GroupDelta] = []

    def compose(self) -> ComposeResult:
        yield Static(Text(f"Goroutines by start function, {self.runs_text()}"), id="title")
        yield DataTable(id="table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="row")
        yield from super().compose()

    def show(self) -> None:
        super().show()
        assert self.a is not None and self.b is not None
        self.deltas = group_deltas(self.a.stats, self.a.groups, self.b.stats, self.b.groups)
        table = self.query_one(DataTable)
        table.clear(columns=True)
        table.add_columns("start function", "count A→B", "largest change", "total A→B",
                          *(f"Δ {k}" for k in STATES))  # fmt: skip
        for d in self.deltas:
            big = d.largest
            ta, tb = d.times["total"]
            ca, cb = d.count
            table.add_row(
                Text(_s(d.name or "(unknown)")),
                Text(f"{ca:,}→{cb:,}", style=_change_style(ca, cb)),
                Text(f"{big} {signed_duration(d.delta(big))}", style=_change_style(*d.times[big])),
                f"{format_duration(ta)}→{format_duration(tb)}",
                *(Text(signed_duration(d.delta(k)), style=_change_style(*d.times[k])) for k in STATES),
                key=d.name,
            )  # fmt: skip
        self.query_one("#title", Static).update(
            Text(
                f"Goroutines by start function, {self.runs_text()}: B - A, the largest change first; Enter: the "
                "group's longest goroutine in B on the timeline; Esc back"
            )
        )
        table.focus()
        self.describe(0)

    def describe(self, i: int) -> None:
        """The line under the table: the group's every figure, A → B (change)."""
        if not 0 <= i < len(self.deltas):
            return
        d = self.deltas[i]
        parts = [f"{_s(d.name or '(unknown)')}: goroutines {d.count[0]:,} → {d.count[1]:,}"]
        for k in ("total", *STATES):
            a, b = d.times[k]
            if a or b:
                parts.append(f"{k} {format_duration(a)} → {format_duration(b)} {change_text(a, b)}")
        self.query_one("#row", Static).update(Text("; ".join(parts)))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.describe(event.cursor_row)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        name = str(event.row_key.value)
        for run, side in (("B", self.b), ("A", self.a)):
            grp = next((g for g in side.groups if g.name == name), None) if side is not None else None
            if side is None or grp is None:
                continue
            st = side.stats
            i = int(grp.rows[np.argmax(st.total[grp.rows])])
            g = side.trace.goroutines
            k = g.index(int(st.id[i]))
            if k < 0:
                continue
            start = int(st.creation[i])
            end = int(st.end[i]) if int(st.end[i]) >= 0 else int(side.trace.duration)
            self.app.post_message(JumpTo(int(g.track[k]), start, max(end, start + 1), run=run))
            return


class CompareProfilesScreen(CompareScreen):
    """A profile of both runs as a differential flame graph (red +: B waits longer there,
    blue -: less; each frame as wide as the larger side); v shows A alone, B alone, then the
    difference again; r the next profile; Enter the longest wait through a frame."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "next_profile", "Profile", id="cmp-profile-next"),
        Binding("v", "next_mode", "A / B / diff", id="cmp-profile-mode"),
        Binding("escape", "back", "Back", id="cmp-profile-back"),
    ]
    MODES = ("diff", "A", "B")

    def __init__(self, a: Run, b: Run, cache: dict[int, Analysis]) -> None:
        super().__init__(a, b, cache)
        both_cpu = len(self.trace_a.cpu_samples) and len(self.trace_b.cpu_samples)
        self.kinds = PROFILE_ORDER + ((CPU,) if both_cpu else ())
        self.kind = "sync"
        self.mode = "diff"

    def compose(self) -> ComposeResult:
        yield Static("", id="title")
        yield FlameGraph(id="flame")
        yield from super().compose()

    def show(self) -> None:
        super().show()
        self.fill()

    def profile(self, side: Analysis) -> Samples:
        if self.kind == CPU:
            return cpu_samples(side.trace)
        return side.profiles[self.kind]

    def fill(self) -> None:
        a, b = self.a, self.b
        if a is None or b is None:
            return
        sa, sb = self.profile(a), self.profile(b)
        desc = "CPU samples" if self.kind == CPU else (
            PROFILES[self.kind].description if self.kind in PROFILES else f"blocked in {self.kind}")  # fmt: skip
        keys = f"v: A / B / diff; r: next profile ({' / '.join(self.kinds)}); Enter: the longest wait; Esc back"
        flame = self.query_one(FlameGraph)
        if self.mode == "diff":
            root = profile_diff(a.trace, sa, b.trace, sb, f"{self.kind}: B - A {signed_duration(sb.total - sa.total)}")
            flame.set_root(build_diff_flame(root))
            head = (f"{desc}, {self.runs_text()}: A {format_duration(sa.total)} ({len(sa):,}) → B "
                    f"{format_duration(sb.total)} ({len(sb):,}); red +: B waits longer, blue -: less")  # fmt: skip
        else:
            run, side, s = (self.run_a, a, sa) if self.mode == "A" else (self.run_b, b, sb)
            flame.set_root(build_flame(side.trace, s, f"{self.kind}: {format_duration(s.total)}"))
            for n in _walk(flame.root):
                n.run = run.name
            head = f"{desc}, {run.label()} alone: {len(s):,} waits, {format_duration(s.total)} in all"
        self.query_one("#title", Static).update(Text(f"{head}\n{keys}"))
        flame.focus()

    def action_next_profile(self) -> None:
        self.kind = self.kinds[(self.kinds.index(self.kind) + 1) % len(self.kinds)]
        self.fill()

    def action_next_mode(self) -> None:
        self.mode = self.MODES[(self.MODES.index(self.mode) + 1) % len(self.MODES)]
        self.fill()

    def on_flame_graph_chosen(self, event: FlameGraph.Chosen) -> None:
        side = self.a if event.run == "A" else self.b
        if side is None or not event.run:
            return
        s = self.profile(side)
        sel = np.flatnonzero(s.stack == event.stack)
        if self.kind == CPU:
            sel = sel[s.goroutine[sel] >= 0]
        if not sel.size:
            return
        i = int(sel[np.argmax(s.delay[sel])])
        g = side.trace.goroutines
        k = g.index(int(s.goroutine[i]))
        if k >= 0:
            start = int(s.start[i])
            self.app.post_message(JumpTo(int(g.track[k]), start, start + max(int(s.delay[i]), 1), run=event.run))


def _walk(root: object) -> list:  # type: ignore[type-arg]
    out, todo = [], [root]
    while todo:
        n = todo.pop()
        out.append(n)
        todo.extend(getattr(n, "children", []))
    return out


class CompareHistogramsScreen(CompareScreen):
    """Each latency histogram of A and B: both runs' percentiles with B - A, and the
    buckets with a bar per run (cyan A, magenta B) on one scale."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "back", "Back", id="cmp-hist-back")]
    DEFAULT_CSS = """
    CompareHistogramsScreen #names { width: 30; max-width: 35%; }
    CompareHistogramsScreen #bars { height: auto; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(self, a: Run, b: Run, cache: dict[int, Analysis]) -> None:
        super().__init__(a, b, cache)
        self.hist_name = "sched_latency"
        self._names: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static(Text(f"Latency histograms, {self.runs_text()} (Esc back)"), id="title")
        with Horizontal():
            yield OptionList(id="names")
            with VerticalScroll(id="bars-box"):
                yield Static("", id="bars")
        yield from super().compose()

    def show(self) -> None:
        super().show()
        a, b = self.a, self.b
        assert a is not None and b is not None
        names = [n for n in dict.fromkeys([*a.histograms, *b.histograms]) if self._pair(n)[0].count or self._pair(n)[1].count]  # fmt: skip
        self._names = names
        ol = self.query_one(OptionList)
        ol.clear_options()
        ol.add_options([Text(_s(n)) for n in names])
        if self.hist_name in names:
            ol.highlighted = names.index(self.hist_name)
        elif names:
            self.hist_name = names[0]
        self.draw()
        ol.focus()

    def _pair(self, name: str) -> tuple[Histogram, Histogram]:
        from tracetui.analysis.histograms import histogram

        empty = histogram(np.zeros(0, np.int64))
        assert self.a is not None and self.b is not None
        return self.a.histograms.get(name, empty), self.b.histograms.get(name, empty)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.hist_name = self._names[event.option_index]
        self.draw()

    def on_resize(self) -> None:
        self.draw()

    def draw(self) -> None:
        if self.a is None or self.b is None:
            return
        ha, hb = self._pair(self.hist_name)
        box = self.query_one("#bars-box", VerticalScroll)
        width = max(box.scrollable_content_region.width - 2, 30) if box.size.width else 80
        out = Text(no_wrap=True)
        out.append(f"{_s(self.hist_name)}\n", style="bold")
        figures = [("events", ha.count, hb.count, False)] + [
            (k.removesuffix("_ns").replace("p999", "p99.9"), getattr(ha, k), getattr(hb, k), True)
            for k in ("p50_ns", "p90_ns", "p99_ns", "p999_ns", "max_ns")
        ]
        cells = [(name, *((format_duration(x) if dur else f"{x:,}") for x in (va, vb)), change_text(va, vb, dur), va, vb)
                 for name, va, vb, dur in figures]  # fmt: skip
        wa, wb = (max(len(c[i]) for c in cells) for i in (1, 2))
        out.append(f"{'':6} {'run A':>{wa}}  {'run B':>{wb}}  B - A\n", style="dim")
        for name, sa, sb, ch, va, vb in cells:
            out.append(f"{name:6} ")
            out.append(f"{sa:>{wa}}", style=A_STYLE)
            out.append("  ")
            out.append(f"{sb:>{wb}}", style=B_STYLE)
            out.append("  ")
            out.append(f"{ch}\n", style=_change_style(va, vb))
        pairs = bucket_pairs(ha, hb)
        if pairs:
            top = max(max(ca, cb) for _, _, ca, cb in pairs)
            rng = [f"{format_duration(lo)}–{format_duration(hi)}" for lo, hi, _, _ in pairs]
            wr = max(map(len, rng))
            wc = max(len(f"{max(ca, cb):,}") for _, _, ca, cb in pairs)
            room = max(min(40, width - (wr + wc + 5)), 1)
            out.append("\n")
            for k, (_, _, ca, cb) in enumerate(pairs):
                for i, (run, c, style) in enumerate((("A", ca, A_STYLE), ("B", cb, B_STYLE))):
                    out.append(f"{rng[k] if i == 0 else '':>{wr}} {run} {c:>{wc},} ")
                    out.append(("█" * max(int(room * c / top), 1) if c else "") + "\n", style=style)
        bars = self.query_one("#bars", Static)
        bars.update(out)


class CompareMMUPlot(MMUPlot):
    """Two MMU curves on one plot: A cyan, B magenta, white where they meet."""

    def __init__(self) -> None:
        super().__init__()
        self.values_b = np.zeros(0, np.float64)

    def set_curves(self, windows: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
        self.values_b = b
        self.set_curve(windows, a)

    def render(self) -> Text:
        if not self.values.size or self.values_b.size != self.values.size:
            return Text(self.message)
        height = max(self.size.height - 2, 2)
        la, lb = braille_lines(self.values, height), braille_lines(self.values_b, height)
        out = Text(no_wrap=True, overflow="crop")
        for r in range(height):
            frac = 1.0 - r / max(height - 1, 1)
            out.append(f"{frac:4.0%} ┤" if r in (0, height // 2, height - 1) else "     │", style="dim")
            for c, (x, y) in enumerate(zip(la[r], lb[r], strict=True)):
                bits = (ord(x) - 0x2800 if x != " " else 0) | (ord(y) - 0x2800 if y != " " else 0)
                ch = chr(0x2800 + bits) if bits else " "
                style = "white" if x != " " and y != " " else A_STYLE if x != " " else B_STYLE
                if c == self.cursor:
                    out.append(ch if ch != " " else "│", style=f"reverse {style if ch != ' ' else 'dim'}")
                else:
                    out.append(ch, style=style)
            out.append("\n")
        axis = ["─"] * self.values.size
        labels = [" "] * (self.values.size + 12)
        for c, text in decade_ticks(self.windows):
            axis[c] = "┬"
            if all(ch == " " for ch in labels[c : c + len(text) + 1]):
                labels[c : c + len(text)] = list(text)
        out.append(" " * (AXIS - 1) + "└" + "".join(axis) + "\n", style="dim")
        out.append(" " * AXIS + "".join(labels).rstrip(), style="dim")
        return out


class CompareMMUScreen(MMUScreenBase):
    """The MMU curves of both runs on the same windows; ←/→ move the window, s counts
    sweeping too, Enter shows B's worst window of that size on the timeline."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left,h", "move(-1)", "Smaller window", id="cmp-mmu-left"),
        Binding("right,l", "move(1)", "Larger window", id="cmp-mmu-right"),
        Binding("H,shift+left", "move(-10)", "Far smaller", id="cmp-mmu-far-left", show=False),
        Binding("L,shift+right", "move(10)", "Far larger", id="cmp-mmu-far-right", show=False),
        Binding("s", "toggle_sweep", "Sweep", id="cmp-mmu-sweep"),
        Binding("enter", "show_worst", "B's worst", id="cmp-mmu-show"),
        Binding("escape", "back", "Back", id="cmp-mmu-back"),
    ]
    DEFAULT_CSS = "CompareMMUScreen #title, CompareMMUScreen #status { height: auto; padding: 0 1; }"
    PLOT = CompareMMUPlot

    def __init__(self, a: Run, b: Run) -> None:
        super().__init__()
        assert a.trace is not None and b.trace is not None
        self.run_a, self.run_b = a, b
        self.trace_a: Trace = a.trace
        self.trace_b: Trace = b.trace

    @property
    def plot(self) -> CompareMMUPlot:
        return self.query_one(CompareMMUPlot)

    def _title(self) -> None:
        what = "sweeping counted as GC work" if self.sweep else "STW, mark workers and assists as GC work"
        head = Text("Minimum mutator utilization, ", style="bold")
        head.append(self.run_a.label(), style=f"bold {A_STYLE}")
        head.append(" vs ", style="bold")
        head.append(self.run_b.label(), style=f"bold {B_STYLE}")
        head.append(f" ({what})", style="bold")
        self.query_one("#title", Static).update(head)

    def recompute(self) -> None:
        self._columns = self.plot.plot_columns()
        ua, ub = series(self.trace_a, self.sweep), series(self.trace_b, self.sweep)
        if len(ua) < 2 or len(ub) < 2:
            self.plot.message = "No utilization data in one of the runs: not a Go trace, or no GOMAXPROCS event."
            self.plot.refresh()
            return
        top = max(self.trace_a.duration, self.trace_b.duration)
        self._compute(window_sizes(top, self._columns), self.sweep)

    @work(thread=True, exclusive=True, group="mmu")
    def _compute(self, windows: np.ndarray, sweep: bool) -> None:
        a = curve(series(self.trace_a, sweep), windows)
        b = curve(series(self.trace_b, sweep), windows)
        self.app.call_from_thread(self._ready, windows, a, b, sweep)

    def _ready(self, windows: np.ndarray, a: np.ndarray, b: np.ndarray, sweep: bool) -> None:
        if sweep != self.sweep:
            return
        self.plot.set_curves(windows, a, b)
        self._status()

    def values(self) -> tuple[float, float]:
        p = self.plot
        return float(p.values[p.cursor]), float(p.values_b[p.cursor])

    def _status(self) -> None:
        w = self.window()
        if not w:
            return
        a, b = self.values()
        text = Text(f"window {format_duration(w)}: MMU ")
        text.append(f"A {a:.1%}", style=A_STYLE)
        text.append(", ")
        text.append(f"B {b:.1%}", style=B_STYLE)
        text.append(f" ({(b - a) * 100:+.1f} pt)", style=_change_style(b, a))  # a lower MMU is worse
        text.append("  (←/→ window, s sweep, Enter B's worst window)", style="dim")
        self.query_one("#status", Static).update(text)

    def action_show_worst(self) -> None:
        w = self.window()
        if not w:
            return
        at, _ = worst_window(series(self.trace_b, self.sweep), w)
        self.app.post_message(JumpTo(mark_track(self.trace_b), at, at + w, run="B"))


def compare_screen(n: int, a: Run, b: Run, cache: dict[int, Analysis]) -> Screen[None]:
    """Screen n (2-5) of view --compare."""
    if n == 2:
        return CompareGoroutinesScreen(a, b, cache)
    if n == 3:
        return CompareProfilesScreen(a, b, cache)
    if n == 4:
        return CompareHistogramsScreen(a, b, cache)
    return CompareMMUScreen(a, b)
