"""Which screen a number key opens (2 goroutines, 3 block or CPU profiles, 4 histograms,
5 MMU), from the timeline's cursor."""

from __future__ import annotations

from textual.screen import Screen

from tracetui.sanitize import safe_text
from tracetui.tui.rows import RowKind
from tracetui.tui.screens.analysis import Analysis, CPUScope, GoroutinesScreen, HistogramsScreen, ProfilesScreen
from tracetui.tui.screens.mmu import MMUScreen
from tracetui.tui.timefmt import format_time
from tracetui.tui.widgets.timeline import Timeline


def screen_for(n: int, tl: Timeline, analyses: dict[int, Analysis]) -> Screen[None] | None:
    """Screen n over the timeline's model (None for 1, the timeline itself)."""
    screens = {2: GoroutinesScreen, 3: ProfilesScreen, 4: HistogramsScreen}
    if n == 3 and (scope := cpu_scope(tl)) is not None:
        return ProfilesScreen(tl.trace, analyses, scope)
    if n in screens:
        return screens[n](tl.trace, analyses)
    if n == 5:
        return MMUScreen(tl.trace)
    return None


def cpu_scope(tl: Timeline) -> CPUScope | None:
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
