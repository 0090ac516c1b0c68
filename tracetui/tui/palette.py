"""How each display state looks: a colour per colour system, and a glyph so NO_COLOR reads.

Display states (`Look`) refine the model's span states for the eye: blocked goroutines by
reason category, Ps running a GC worker, a P held by an M in the scheduler. In colour a
state is a cell background (idle: a dim dot, so it differs from no span at all); without
colour it is its glyph.

One meaning per look, in every colour system, wherever two looks can meet. A *place* is a
kind of row whose cells may show any of its looks side by side (`PLACES`):

- span rows (goroutines, Ps, Ms, GC, STW, assists, tasks, regions, host threads): every
  look but the chart series, each with its own colour and glyph. All 16-colour backgrounds
  but black are in use here: a new look drawn on these rows is a glyph in its colour over
  no background (`_INKED`, as idle), or goes on rows of its own (a new place);
- the heap chart (in use, goal), the goroutines chart (running, runnable, blocked) and
  counter charts are rows of their own: their series differ from each other, and may share
  a 16-colour name with a span look (16 colours are too few for more);
- goroutine group headers are rows of their own too: counts drawn as a running bar and
  the busy shades (runnable, blocked; see cells.DENSITY_GLYPHS), in the states' colours;
- CPU sample rows (the samples of all, a P, a goroutine or a folded group) are rows of
  their own: bars of lower eighths in the CPU look's colour over no background (with or
  without colour: the bar's height is the density).

Glyphs are unique over all looks, and differ from the marks drawn inside cells: the
left/lower eighth blocks of partial cells and the busy shades of cells with several state
changes (which appear in colour only; without colour a cell shows its longest state). The
legend (`legend_looks`) shows each look that can appear: its colour, or its glyph without
colour.
"""

from __future__ import annotations

from enum import IntEnum
from functools import lru_cache

from rich.style import Style


class Look(IntEnum):
    NONE = 0  # no span: before a goroutine exists, after it ended
    RUNNING = 1
    RUNNABLE = 2
    BLOCK_SYNC = 3  # channels, select, mutexes, sync.Cond
    BLOCK_NET = 4
    BLOCK_SLEEP = 5
    BLOCK_GC = 6  # waiting for the GC
    BLOCK_OTHER = 7
    SYSCALL = 8
    IDLE = 9
    GC = 10  # GC mark phase; a P running a GC worker
    STW = 11
    ASSIST = 12
    SWEEP = 13
    SCHED = 14  # a P held by an M with no goroutine running
    HEAP = 15  # chart series
    GOAL = 16
    TASK = 17  # user tasks; slices of other Perfetto files
    REGION = 18  # user regions
    COUNTER = 19  # a counter of another Perfetto file
    LOG = 20  # a user log (runtime/trace.Log): a mark drawn over the row
    CPU = 21  # CPU profile samples: density bars


N_LOOKS = len(Look)

# (name for the legend, glyph without colour, truecolor, 256-colour, 16-colour). The colour is
# the cell's background, except for the looks in _INKED (drawn as their glyph in that colour).
_TABLE: dict[Look, tuple[str, str, str, str, str]] = {
    Look.NONE: ("", " ", "", "", ""),
    Look.RUNNING: ("running", "█", "#2e9e5b", "color(35)", "green"),
    Look.RUNNABLE: ("runnable", "▓", "#e0b000", "color(178)", "yellow"),
    Look.BLOCK_SYNC: ("sync", ":", "#3b6fb6", "color(32)", "blue"),
    Look.BLOCK_NET: ("network", "~", "#36b3d9", "color(38)", "cyan"),
    Look.BLOCK_SLEEP: ("sleep", "z", "#6c7a89", "color(66)", "bright_black"),
    Look.BLOCK_GC: ("GC wait", "=", "#a77fcf", "color(140)", "bright_magenta"),
    Look.BLOCK_OTHER: ("blocked", "-", "#4a4f7a", "color(60)", "bright_blue"),
    Look.SYSCALL: ("syscall", "S", "#c05fc0", "color(170)", "magenta"),
    Look.IDLE: ("idle", "·", "#6c6c6c", "color(242)", "bright_black"),
    Look.GC: ("GC", "#", "#d1495b", "color(167)", "red"),
    Look.STW: ("STW", "!", "#ff2020", "color(196)", "bright_red"),
    Look.ASSIST: ("assist", "+", "#f08c3c", "color(208)", "bright_yellow"),
    Look.SWEEP: ("sweep", "%", "#a0522d", "color(130)", "white"),
    Look.SCHED: ("sched", "^", "#1f5f3f", "color(23)", "bright_green"),
    Look.HEAP: ("heap", "o", "#3aa0a0", "color(37)", "cyan"),
    Look.GOAL: ("goal", "─", "#f0a030", "color(214)", "bright_yellow"),
    Look.TASK: ("task", "T", "#2a9d8f", "color(30)", "bright_cyan"),
    Look.REGION: ("region", "R", "#8ab17d", "color(108)", "bright_white"),
    Look.COUNTER: ("counter", "*", "#6d8bd1", "color(68)", "bright_blue"),
    Look.LOG: ("log", "◆", "#ff5fd7", "color(206)", "bright_white"),
    Look.CPU: ("CPU samples", "▮", "#e8590c", "color(202)", "bright_red"),
}
# Drawn as a glyph in their colour (a dot, the goal line, a log's mark over the row), not as a background.
_INKED = {Look.IDLE, Look.GOAL, Look.LOG, Look.CPU}

# Where looks meet (see the module docstring). Span rows hold every look no chart is made of.
CHART_LOOKS = frozenset({Look.HEAP, Look.GOAL, Look.COUNTER})
PLACES: dict[str, tuple[Look, ...]] = {
    "span rows": tuple(k for k in Look if k not in CHART_LOOKS and k != Look.CPU),
    "heap chart": (Look.NONE, Look.HEAP, Look.GOAL),
    "goroutines chart": (Look.NONE, Look.RUNNING, Look.RUNNABLE, Look.BLOCK_SYNC),
    "counter charts": (Look.NONE, Look.COUNTER),
    "CPU sample rows": (Look.NONE, Look.CPU),
}
# Every look of the legend, in its order: goroutine states, then P/M/GC rows, then the rest.
LEGEND = (
    Look.RUNNING, Look.RUNNABLE, Look.BLOCK_SYNC, Look.BLOCK_NET, Look.BLOCK_SLEEP, Look.BLOCK_GC,
    Look.BLOCK_OTHER, Look.SYSCALL, Look.ASSIST, Look.IDLE, Look.SCHED, Look.GC, Look.STW, Look.SWEEP,
    Look.HEAP, Look.GOAL, Look.TASK, Look.REGION, Look.COUNTER, Look.LOG, Look.CPU,
)  # fmt: skip
# Text on a coloured cell: dark on light backgrounds, light on dark ones.
_DARK_TEXT = {
    Look.RUNNING, Look.RUNNABLE, Look.BLOCK_NET, Look.ASSIST, Look.HEAP, Look.GOAL, Look.BLOCK_GC, Look.REGION,
}  # fmt: skip
_LIGHT_16 = {"green", "yellow", "cyan", "white", "bright_green", "bright_yellow", "bright_cyan", "bright_white",
             "bright_magenta"}  # fmt: skip

# Looks on which a log's mark takes the text colour instead of its own (too close to it).
_MARK_CLASH = {Look.SYSCALL, Look.BLOCK_GC, Look.GC, Look.STW, Look.LOG}

LEFT_EIGHTHS = " ▏▎▍▌▋▊▉█"  # k/8 of the cell filled from the left
LOWER_EIGHTHS = " ▁▂▃▄▅▆▇█"  # k/8 filled from the bottom
BUSY_FEW, BUSY_MANY = "░", "▒"  # a cell with several state changes (drawn in colour only)
LOG_MARKS = "◆◈"  # one log in a cell, several


def look_name(look: int) -> str:
    return _TABLE[Look(look)][0]


class Palette:
    """Styles for one colour system: "truecolor", "256", "16" or "none"."""

    SYSTEMS = ("truecolor", "256", "16", "none")

    def __init__(self, system: str) -> None:
        if system not in self.SYSTEMS:
            raise ValueError(f"unknown colour system {system!r}")
        self.system = system
        self.colour = system != "none"
        col = {"truecolor": 2, "256": 3, "16": 4}.get(system)
        self._colours = [(_TABLE[Look(i)][col] or None) if col else None for i in range(N_LOOKS)]
        # As a cell background: none for the looks drawn as a glyph in their colour.
        self._bg = [None if Look(i) in _INKED else c for i, c in enumerate(self._colours)]

    def colour_of(self, look: int) -> str | None:
        return self._colours[look]

    def glyph(self, look: int) -> str:
        return _TABLE[Look(look)][1]

    def solid(self, look: int) -> tuple[str, Style]:
        """What a cell wholly in `look` shows: its character and style."""
        if not self.colour:
            return self.glyph(look), Style.null()
        if Look(look) in _INKED:
            return self.glyph(look), self.cell(look, 0)
        return " ", self.cell(0, look)

    @lru_cache(maxsize=4096)  # noqa: B019 - a palette lives as long as the app
    def cell(self, fg: int, bg: int, reverse: bool = False) -> Style:
        """A cell drawn with `fg` as glyph colour over `bg` (Look values; 0 = terminal default)."""
        if not self.colour:
            return Style.null()
        return Style(color=self._colours[fg], bgcolor=self._bg[bg], reverse=reverse or None)

    @lru_cache(maxsize=64)  # noqa: B019
    def text_on(self, look: int) -> Style:
        """Text (labels inside spans) on a cell of `look`."""
        if not self.colour:
            return Style(bold=True)
        if self.system == "16":
            fg = "black" if self._colours[look] in _LIGHT_16 else "bright_white"
        else:
            fg = "black" if look in _DARK_TEXT else "white"
        return Style(color=fg, bgcolor=self._bg[look])

    @lru_cache(maxsize=64)  # noqa: B019
    def busy(self, look: int) -> Style:
        """A busy cell: the shade glyph over the dominant state's colour (in its colour over
        no background for a look drawn as a glyph)."""
        if not self.colour:
            return Style.null()
        if self._bg[look] is None:
            return Style(color=self._colours[look])
        return Style(color="black", bgcolor=self._bg[look])

    def mark(self, look: int, under: int) -> Style:
        """A mark (a log) in `look` over a cell of `under`: in its own colour, unless that
        colour does not stand out on `under` (reds, magentas); then the text colour there."""
        if not self.colour or not self._colours[under]:
            return self.cell(look, 0)
        if under in _MARK_CLASH or self._colours[look] == self._bg[under]:
            return self.text_on(under)
        return self.cell(look, under)

    def swatch(self, look: int) -> tuple[str, Style]:
        """The legend's sample of a look: one cell, as the look is drawn."""
        return self.solid(look)
