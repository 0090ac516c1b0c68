"""The viewer's queries, run in a thread: the `:` prompt's SQL over the model's tables and
view --fail-on's thresholds. Their answers become a results screen, or a note."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tracetui.model.trace import Trace
from tracetui.sanitize import safe_text
from tracetui.tui.screens.results import ResultsScreen, Target
from tracetui.tui.timefmt import format_time

if TYPE_CHECKING:
    import duckdb

    from tracetui.analysis.thresholds import Rule
    from tracetui.sql.memory import Result

Tables = tuple[Trace, "duckdb.DuckDBPyConnection"]  # a model and its tables


def run_query(made: Tables | None, trace: Trace, path: str, text: str) -> tuple[Tables | None, Result | str]:
    """The model's tables (made again only for another model), and the query's result or
    what went wrong."""
    from tracetui.errors import TracetuiError
    from tracetui.sql.memory import model_connection, query

    try:
        if made is None or made[0] is not trace:
            made = (trace, model_connection(trace, path))
        return made, query(made[1], text)
    except TracetuiError as e:
        return made, e.one_line().removeprefix("tracetui: ")
    except MemoryError:
        return made, "out of memory while making the tables"


def query_answer(text: str, result: Result | str) -> tuple[str, ResultsScreen | None]:
    """The note and the screen of rows (None when there are no rows to show)."""
    from tracetui.sql.memory import target

    if isinstance(result, str):
        return f"SQL: {safe_text(result, keep_newlines=False)}", None
    if not result.columns:
        return "SQL: done (no result)", None
    if not result.rows:
        return "SQL: no rows", None
    targets = [Target(*target(result.columns, r)) for r in result.rows]
    n = f"first {len(result.rows)} rows" if result.more else f"{len(result.rows)} row{'s' * (len(result.rows) != 1)}"
    how = (
        "Enter: the row's goroutine at its time"
        if any(t.any for t in targets)
        else "no column names a goroutine (g, gid, goroutine) or a time (start_ns, ts_ns, ts, at_ns, ...)"
    )
    title = f"{n} of: {text.strip()}  ({how}; Esc back)"
    return "", ResultsScreen(title, result.columns, result.rows, targets)


def breaches(trace: Trace, rules: list[Rule]) -> tuple[list[tuple[str, str]], list[Target]]:
    """view --fail-on's breaches (what, where) and where each happened if known."""
    from tracetui.analysis.histograms import latency_histograms, occurrences
    from tracetui.analysis.mmu import mmu, series
    from tracetui.analysis.thresholds import breached, place_of

    occ = occurrences(trace)
    found = breached(rules, latency_histograms(trace, occ), lambda name, w: mmu(series(trace, name == "mmu_sweep"), w))
    rows, targets = [], []
    for rule, text in found:
        place = place_of(rule, occ)
        where = "(no one place)"
        if place is not None:
            tr = trace.tracks[place.track] if 0 <= place.track < len(trace.tracks) else None
            where = f"{tr.name + ' ' if tr is not None else ''}at {format_time(place.start, trace.duration)}"
        rows.append((text, where))
        targets.append(Target(span=(place.track, place.start, place.end)) if place is not None else Target())
    return rows, targets
