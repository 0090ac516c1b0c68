"""The viewer's `:` SQL prompt and `view --fail-on`: result rows that name a goroutine and a
time (or a breach's place) jump the timeline there."""

from __future__ import annotations

import time
from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable

from tests.tui.helpers import GCSTW, model_loader, run_app, status
from tests.tui.test_hostile import DANGEROUS, _hostile_model, _terminal_bytes
from tracetui.analysis.thresholds import parse_rule
from tracetui.model.kinds import GCTrack
from tracetui.model.trace import TrackKind
from tracetui.sql.memory import model_connection, query, target
from tracetui.tui.app import TraceApp
from tracetui.tui.screens.results import ResultsScreen
from tracetui.tui.widgets.prompt import Prompt

LONGEST_RUNNABLE = "select g, start_ns from states where state = 'runnable' order by end_ns - start_ns desc limit 5"


async def ask(app: TraceApp, pilot: Pilot[Any], sql: str, typed: bool = False) -> None:
    """`:`, the query (its head typed key by key if `typed`, the rest pasted: faster), Enter;
    wait for the answer."""
    head = sql[:18] if typed else ""  # keys right behind `:` go into the prompt
    await pilot.press("colon", *head)
    app.query_one(Prompt).insert_text_at_cursor(sql[len(head) :])
    assert app.query_one(Prompt).value == sql
    await pilot.press("enter")
    deadline = time.monotonic() + 60  # a loaded host: the first query converts the model to tables
    while time.monotonic() < deadline:
        await pilot.pause(0.02)
        if isinstance(app.screen, ResultsScreen) or (app.note and not app.note.startswith("running")):
            return
    raise AssertionError("the query never answered")


def _column_ns(app: TraceApp) -> int:
    tl = app.timeline
    assert tl is not None
    return max(tl.span // max(tl.size.width - 20, 1), 1) * 2


def test_colon_query_lists_rows_and_enter_jumps_to_the_goroutine_at_that_time() -> None:
    trace_rows = query(model_connection(_model_of(GCSTW), GCSTW), LONGEST_RUNNABLE)
    gid, t = target(trace_rows.columns, trace_rows.rows[0])
    assert gid is not None and t is not None and len(trace_rows.rows) == 5

    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        await ask(app, pilot, LONGEST_RUNNABLE, typed=True)
        assert isinstance(app.screen, ResultsScreen)
        table = app.screen.query_one(DataTable)
        assert table.row_count == 5
        assert f"G{gid}" not in status(app)  # (the cursor is not there yet)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is app.screen_stack[0]
        assert tl.current_row.gid == gid
        assert abs(tl.cursor_t - t) <= _column_ns(app)
        assert tl.t0 <= t < tl.t0 + tl.span

    run_app(body)


def _model_of(path: str):  # type: ignore[no-untyped-def]
    from tracetui.load import open_model

    return open_model(path).trace


def test_a_row_with_only_a_time_centres_the_cursor_there() -> None:
    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        row = tl.cursor_row
        await ask(app, pilot, "select start_ns, kind from stw order by end_ns - start_ns desc limit 3")
        assert isinstance(app.screen, ResultsScreen)
        want = int(app.screen.rows[0][0])
        await pilot.press("enter")
        await pilot.pause()
        assert abs(tl.cursor_t - want) <= _column_ns(app)
        assert tl.cursor_row == row  # no goroutine: the row stays

    run_app(body)


def test_bad_sql_is_one_status_line_big_results_are_cut_and_the_tables_reused() -> None:
    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        await ask(app, pilot, "selec g from states")
        assert app.screen is app.screen_stack[0]
        line = status(app)
        assert "SQL: Parser Error" in line and "selec" in line and "\n" not in line
        made = app._sql
        await ask(app, pilot, "select count(*) as n from nosuch")
        assert "Catalog Error" in status(app) and "nosuch" in status(app)
        assert app._sql is made  # the model's tables were made once
        await ask(app, pilot, "select 1 as x where false")
        assert "SQL: no rows" in status(app)
        await ask(app, pilot, "select range as n from range(1000)")
        assert isinstance(app.screen, ResultsScreen)
        assert app.screen.query_one(DataTable).row_count == 300 and "first 300 rows" in app.screen.title_text
        await pilot.press("escape")
        assert app.screen is app.screen_stack[0]

    run_app(body)


def test_hostile_text_in_results_is_shown_inert() -> None:
    trace = _hostile_model()

    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        await ask(app, pilot, "select g, func from goroutines where func like '%pwned%'")
        assert isinstance(app.screen, ResultsScreen)
        out = _terminal_bytes(app)
        for bad in DANGEROUS:
            assert bad not in out, f"{bad!r} reached the terminal"
        assert "\\x1b]0;pwned" in out  # shown, escaped
        assert "[bold red]boom" in out  # shown as text, not taken as markup

    run_app(body, size=(160, 40), loader=model_loader(trace))


def test_view_fail_on_lists_the_breach_and_enter_jumps_to_the_longest_stw() -> None:
    trace = _model_of(GCSTW)
    stw = trace.stw
    i = int((stw.end - stw.start).argmax())
    start, end = int(stw.start[i]), int(stw.end[i])

    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        for _ in range(500):
            if isinstance(app.screen, ResultsScreen):
                break
            await pilot.pause(0.02)
        assert isinstance(app.screen, ResultsScreen)
        assert len(app.screen.rows) == 1  # stw.count<1 holds not
        text, where = app.screen.rows[0]
        assert text.startswith("stw.max is") and "stw.max>1us" in text and where.startswith("STW at")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is app.screen_stack[0]
        row = tl.current_row
        assert row.track >= 0 and tl.trace.tracks[row.track].kind == TrackKind.GC
        assert tl.trace.tracks[row.track].id == GCTrack.STW
        assert tl.t0 <= start and end <= tl.t0 + tl.span and tl.span <= 4 * (end - start)

    rules = [parse_rule("stw.max>1us"), parse_rule("stw.count<1")]
    run_app(body, fail_on=rules)


def test_view_fail_on_without_a_breach_says_so() -> None:
    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        for _ in range(500):
            if "--fail-on" in app.note:
                break
            await pilot.pause(0.02)
        assert "--fail-on: no threshold breached (1 rule)" in status(app)
        assert app.screen is app.screen_stack[0]

    run_app(body, fail_on=[parse_rule("stw.max>3600s")])
