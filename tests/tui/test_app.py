"""Pilot tests of the viewer: every key binding, the mouse, loading and cancelling.

Expected values come from the model (spans, flows, STW pauses) or from arithmetic on the
view, never from the widget's own helpers.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from tests.tui.helpers import CHANNELS, GCSTW, row_index, run_app, status, until_first_screen, until_loaded
from tracetui.load import LoadStep, open_model
from tracetui.model.trace import FlowKind, State, TrackKind
from tracetui.tui.app import TraceApp
from tracetui.tui.keymap import APP_BINDINGS, TIMELINE_BINDINGS, help_rows
from tracetui.tui.rows import RowKind
from tracetui.tui.screens.help import HelpScreen
from tracetui.tui.widgets.prompt import Prompt


def test_every_binding_has_an_id_and_help() -> None:
    ids = [b.id for b in (*TIMELINE_BINDINGS, *APP_BINDINGS)]
    assert all(ids) and len(ids) == len(set(ids))
    assert all(text for _, text, _ in help_rows())


def test_loads_and_shows_the_rows_in_order() -> None:
    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        labels = [r.label.strip() for r in tl.rows.rows]
        assert labels[:3] == ["GC", "STW", "Assists"]
        assert labels[3] == "Heap" and labels[5] == "Goroutines"
        procs = [lab for lab in labels if lab.startswith("P") and lab[1:].isdigit()]
        assert procs == [f"P{p}" for p in sorted(tl.trace.proc_ids.tolist())]
        assert labels.index("P0") < labels.index(next(lab for lab in labels if lab.startswith("M")))
        # Goroutines under groups by start function, every goroutine of the trace once.
        gids = [r.gid for r in tl.rows.rows if r.gid >= 0]
        assert sorted(gids) == sorted(tl.trace.goroutines.id.tolist())
        g1 = row_index(tl, "G1 ")
        assert tl.rows.rows[g1 - 1].kind == RowKind.GROUP and "main.main" in tl.rows.rows[g1 - 1].label
        assert app.loading is False

    run_app(body)


def test_zoom_keys_keep_the_cursor_column() -> None:
    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        full = tl.span
        await pilot.press(*["l"] * 30)
        col = (tl.cursor_t - tl.t0) * tl.cells // tl.span
        await pilot.press("w")
        assert tl.span == full // 2
        assert abs((tl.cursor_t - tl.t0) * tl.cells // tl.span - col) <= 1
        await pilot.press("plus")
        assert tl.span == full // 4
        await pilot.press("minus")
        assert tl.span == full // 2
        await pilot.press("s")
        assert tl.span == full and tl.t0 == 0

    run_app(body)


def test_pan_and_fit() -> None:
    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        full = tl.span
        await pilot.press("w", "w")
        span, t0 = tl.span, tl.t0
        await pilot.press("d")
        assert tl.t0 == t0 + span // 4
        await pilot.press("a", "a")
        assert tl.t0 == max(t0 - span // 4, 0)
        await pilot.press("0")
        assert (tl.t0, tl.span) == (0, full)

    run_app(body)


def test_cursor_moves_in_time_and_rows() -> None:
    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        step = tl.span // tl.cells
        t = tl.cursor_t
        await pilot.press("l", "right")
        assert tl.cursor_t == t + 2 * step
        await pilot.press("h")
        assert tl.cursor_t == t + step
        await pilot.press("L")
        assert tl.cursor_t == t + 11 * step
        await pilot.press("H", "left")
        assert tl.cursor_t == t
        await pilot.press("j", "down", "j")
        assert tl.cursor_row == 3
        await pilot.press("k", "up")
        assert tl.cursor_row == 1
        await pilot.press("end")
        assert tl.cursor_row == len(tl.rows.rows) - 1
        await pilot.press("home")
        assert tl.cursor_row == 0
        await pilot.press("G")
        assert tl.cursor_row == len(tl.rows.rows) - 1
        await pilot.press("g")
        assert tl.cursor_row == 0
        height = tl.scrollable_content_region.height
        await pilot.press("pagedown")
        assert tl.cursor_row == height - 1
        assert tl.scroll_offset.y >= 0
        await pilot.press("pageup")
        assert tl.cursor_row == 0
        assert "GC" in status(app)

    run_app(body, size=(100, 24))


def test_cursor_pans_the_view_at_the_edge() -> None:
    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        await pilot.press("w", "w", "w")
        t0 = tl.t0
        await pilot.press(*["L"] * 20)
        assert tl.t0 > t0 and tl.t0 <= tl.cursor_t < tl.t0 + tl.span

    run_app(body)


def _goroutine_with_block(tl) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    """(row, start, end) of a blocked span of a goroutine that a flow unblocked."""
    tr = tl.trace
    f = tr.flows
    for k in np.flatnonzero(f.kind == FlowKind.UNBLOCK).tolist():
        track = tr.tracks[int(f.to_track[k])]
        if track.kind != TrackKind.GOROUTINE or int(f.from_track[k]) < 0:
            continue
        sp = track.spans.flat
        # The blocked span that ends at the unblock (the flow starts where the wait ends).
        j = np.flatnonzero((sp.state == State.WAITING) & (sp.end == f.from_ts[k]))
        if j.size:
            idx = tl.rows.reveal(track.id)
            return idx, int(sp.start[j[0]]), int(sp.end[j[0]])
    raise AssertionError("no unblocked goroutine in the trace")


def test_follow_the_unblocker_and_back() -> None:
    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        idx, start, end = _goroutine_with_block(tl)
        tl.set_row(idx)
        tl.centre_on((start + end) // 2)
        await pilot.pause()
        here_row, here_t = tl.cursor_row, tl.cursor_t
        await pilot.press("right_square_bracket")
        # Go's semantics: the unblocker was running at the moment the wait ended.
        assert tl.cursor_t == end
        src = tl.current_row
        track = tl.trace.tracks[src.track]
        i = track.spans.flat.index_at(end)
        assert i >= 0 and int(track.spans.flat.state[i]) == State.RUNNING
        assert "unblocked by" in status(app)
        await pilot.press("left_square_bracket")
        assert (tl.cursor_row, tl.cursor_t) == (here_row, here_t)
        await pilot.press("left_square_bracket")
        assert "nothing to go back to" in status(app)

    run_app(body, path=CHANNELS)


def test_details_show_the_span_and_its_stack() -> None:
    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        idx, start, end = _goroutine_with_block(tl)
        tl.set_row(idx)
        tl.centre_on((start + end) // 2)
        await pilot.press("enter")
        details = app.query_one("#details")
        assert details.display
        text = str(app.query_one("#details-text").render())
        assert tl.current_row.label.strip() in text
        assert "blocked" in text and "stack:" in text
        track = tl.trace.tracks[tl.current_row.track]
        sp = track.spans.flat
        k = sp.index_at(tl.cursor_t)
        fn = tl.trace.frames(int(sp.stack[k]))[0][0]
        assert fn in text
        await pilot.press("enter")
        assert not details.display
        await pilot.press("enter", "escape")
        assert not details.display

    run_app(body, path=CHANNELS)


def test_enter_and_space_fold_groups() -> None:
    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        g = row_index(tl, "▾ main.main")
        tl.set_row(g)
        n = len(tl.rows.rows)
        await pilot.press("enter")
        assert len(tl.rows.rows) == n - 1 and tl.rows.rows[g].label.startswith("▸")
        await pilot.press("space")
        assert len(tl.rows.rows) == n
        await pilot.press("c")
        groups = [r for r in tl.rows.rows if r.kind == RowKind.GROUP]
        assert all(r.gid < 0 for r in tl.rows.rows) and all(r.label.startswith("▸") for r in groups)
        await pilot.press("c")
        assert len(tl.rows.rows) == n

    run_app(body)


def test_focus_span_and_longest_stw() -> None:
    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        tl.set_row(row_index(tl, "STW"))
        await pilot.press("x")
        stw = tl.trace.stw
        longest = int((stw.end - stw.start).max())
        sp = tl.span_under_cursor()
        assert sp is not None and sp[1] - sp[0] == longest
        assert tl.span <= 1.25 * longest + 2
        assert "stop-the-world" in status(app)
        await pilot.press("0", "j", "j", "j", "j", "j", "j", "j")  # a P row
        await pilot.press(*["l"] * 40)
        sp = tl.span_under_cursor()
        if sp is not None:
            await pilot.press("f")
            assert tl.t0 <= sp[0] and sp[1] <= tl.t0 + tl.span

    run_app(body)


def test_next_and_previous_event_on_the_row() -> None:
    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        idx = row_index(tl, "G1 ")
        tl.set_row(idx)
        sp = tl.trace.tracks[tl.current_row.track].spans.flat
        t = tl.cursor_t
        await pilot.press("full_stop")
        expected = int(sp.start[np.searchsorted(sp.start, t, "right")])
        assert tl.cursor_t == expected
        await pilot.press("full_stop", "full_stop", "comma")
        assert tl.cursor_t == int(sp.start[np.searchsorted(sp.start, expected, "right")])

    run_app(body)


def test_marks_and_undo() -> None:
    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        step = tl.span // tl.cells
        await pilot.press("m", *["l"] * 10, "m")
        assert tl.marks == [0, 10 * step]
        assert "A→B" in status(app)
        await pilot.press("m")
        assert len(tl.marks) == 1
        full = (tl.t0, tl.span)
        await pilot.press("w", "w", "d")
        assert (tl.t0, tl.span) != full
        await pilot.press("ctrl+z", "ctrl+z", "ctrl+z")
        assert (tl.t0, tl.span) == full
        await pilot.press("ctrl+z")
        assert "nothing to undo" in status(app)

    run_app(body)


def test_help_lists_every_binding() -> None:
    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        shot = app.export_screenshot()
        for keys, text, _ in help_rows()[:12]:
            assert text.split()[0] in shot
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)

    run_app(body, size=(120, 60))


def test_search_and_next_match() -> None:
    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        await pilot.press("slash")
        prompt = app.query_one(Prompt)
        assert prompt.display and prompt.has_focus
        await pilot.press(*"runtime", "enter")
        assert not prompt.display and tl.has_focus
        gids = sorted(
            int(t.id) for t in tl.trace.tracks if t.kind == TrackKind.GOROUTINE and "runtime" in t.group.lower()
        )
        assert app.matches == gids
        assert tl.current_row.gid == gids[0]
        await pilot.press("n")
        assert tl.current_row.gid == gids[1]
        await pilot.press("N", "N")
        assert tl.current_row.gid == gids[-1]
        assert f"match {len(gids)}/{len(gids)}" in status(app)
        await pilot.press("slash", *"nosuchthing", "enter")
        assert "no goroutine matches" in status(app)
        await pilot.press("slash", "x", "escape")
        assert not prompt.display

    run_app(body)


def test_search_reveals_a_folded_goroutine() -> None:
    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        await pilot.press("c")
        await pilot.press("slash", "G", "1", "enter")
        assert tl.current_row.gid == 1

    run_app(body)


def test_goto_time_goroutine_and_bad_input() -> None:
    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        await pilot.press("w", "w", "w")
        await pilot.press("ctrl+g", *"10ms", "enter")
        assert tl.cursor_t == 10_000_000 and tl.t0 <= tl.cursor_t < tl.t0 + tl.span
        await pilot.press("ctrl+g", *"G1", "enter")
        assert tl.current_row.gid == 1
        await pilot.press("ctrl+g", *"P1", "enter")
        assert tl.current_row.label.strip() == "P1"
        await pilot.press("ctrl+g", *"zzz", "enter")
        assert "not a time or a goroutine" in status(app)
        await pilot.press("ctrl+g", *"99s", "enter")
        assert "outside the trace" in status(app)

    run_app(body)


def test_mouse_click_selects_and_wheel_zooms() -> None:
    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        await pilot.click("#timeline", offset=(tl.label_width + 50, 8))
        assert tl.cursor_row == 8
        assert tl.cursor_t == tl.time_of_column(50)
        full = tl.span
        await pilot.mouse_down("#timeline", offset=(tl.label_width + 50, 8))
        await pilot.mouse_up("#timeline", offset=(tl.label_width + 50, 8))
        from textual.events import MouseScrollUp

        tl.post_message(MouseScrollUp(tl, tl.label_width + 50, 8, 0, 0, 0, False, False, False, screen_x=0, screen_y=0))
        await pilot.pause()
        assert tl.span < full

    run_app(body)


def test_quit_key() -> None:
    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        await pilot.press("q")

    app = run_app(body)
    assert app.return_code == 0


def test_bad_file_exits_with_one_line(tmp_path: Path) -> None:
    p = tmp_path / "x.trace"
    p.write_text("not a trace")

    said: list[str] = []

    async def go() -> TraceApp:
        app = TraceApp(str(p))
        real_exit = app.exit

        def exit_(result=None, return_code=0, message=None) -> None:  # type: ignore[no-untyped-def]
            said.append(str(message))
            real_exit(result, return_code, message)

        app.exit = exit_  # type: ignore[method-assign]
        async with app.run_test(size=(80, 24)) as pilot:
            await until_loaded(app, pilot)
        return app

    app = asyncio.run(go())
    assert app.return_code == 2
    assert len(said) == 1 and "\n" not in said[0]
    assert said[0].startswith(f"tracetui: {p}: ") and "not a Go execution trace" in said[0]


def _slow(loader_steps: Callable[[], Iterator[LoadStep]], delay: float):  # type: ignore[no-untyped-def]
    def load(path: str, cancelled: Callable[[], bool]) -> Iterator[LoadStep]:
        for step in loader_steps():
            if cancelled():
                return
            time.sleep(delay)
            yield step

    return load


def test_screen_appears_before_the_load_ends_and_fills_in() -> None:
    full = open_model(GCSTW).trace
    part = open_model(CHANNELS).trace  # stands for the first part of a trace

    def steps() -> Iterator[LoadStep]:
        yield LoadStep(0.3, 100, part)
        for i in range(10):
            yield LoadStep(0.3 + i * 0.05, 200)
        yield LoadStep(1.0, full.events, full, done=True)

    async def go() -> None:
        app = TraceApp(GCSTW, loader=_slow(steps, 0.1))
        async with app.run_test(size=(100, 30)) as pilot:
            await until_first_screen(app, pilot)
            assert app.timeline is not None and app.loading
            assert app.timeline.trace is part
            assert "loading" in status(app)
            await pilot.press("w")  # the UI answers while loading
            assert app.timeline.span == part.duration // 2
            await until_loaded(app, pilot)
            assert app.timeline.trace is full and not app.loading
            assert "loading" not in status(app)

    asyncio.run(go())


def test_escape_after_the_first_screen_keeps_what_was_read() -> None:
    part = open_model(CHANNELS).trace

    def steps() -> Iterator[LoadStep]:
        yield LoadStep(0.5, 100, part)
        for i in range(200):
            yield LoadStep(0.5, 100)

    async def go() -> None:
        app = TraceApp(GCSTW, loader=_slow(steps, 0.05))
        async with app.run_test(size=(100, 30)) as pilot:
            await until_first_screen(app, pilot)
            await pilot.press("escape")
            assert app.timeline is not None and not app.loading
            assert "loading stopped at 50%" in status(app)
            await pilot.press("j")
            assert app.timeline.cursor_row == 1

    asyncio.run(go())


def test_keys_typed_ahead_of_the_prompt_go_into_it() -> None:
    """A burst (a fast typist, keys batched over SSH): nothing is lost or misrouted."""
    from textual import events

    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        burst = [("ctrl+g", "\x07"), ("G", "G"), ("5", "5"), ("enter", "\r"), ("j", "j")]
        for key, char in burst:
            app.post_message(events.Key(key, char))
        await pilot.pause(0.3)
        g5 = tl.rows.index_of(tl.rows.goroutine_key(5))
        assert tl.cursor_row == g5 + 1  # went to G5, then one row down
        for key, char in [("slash", "/"), *[(c, c) for c in "runtime/trace"], ("enter", "\r")]:
            app.post_message(events.Key(key, char))
        await pilot.pause(0.3)
        assert app.matches and all("runtime/trace" in tl.trace.goroutine_track(g).group for g in app.matches)

    run_app(body, path=CHANNELS)


def test_folding_all_from_a_goroutine_row_keeps_the_cursor_on_its_group() -> None:
    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        await pilot.press("end")
        last = tl.current_row
        assert last.gid >= 0
        await pilot.press("c")
        assert tl.current_row.key == ("group", last.group)
        assert all(r.kind == RowKind.GROUP or r.gid < 0 for r in tl.rows.rows)
        await pilot.press("c")
        assert tl.current_row.key == ("group", last.group)
        await pilot.press("ctrl+g", *f"G{last.gid}", "enter")
        assert tl.current_row.key == last.key

    run_app(body, path=str(Path(GCSTW).parent / "manygoroutines.trace"))


def test_users_remap_keys_by_binding_id(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    keys = tmp_path / "keys.toml"
    keys.write_text('[keys]\nzoom-in = "i"\nquit = "ctrl+q, q"\n')
    monkeypatch.setenv("TRACETUI_KEYS", str(keys))

    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        full = tl.span
        await pilot.press("w")
        assert tl.span == full  # w is no longer zoom-in
        await pilot.press("i")
        assert tl.span == full // 2
        await pilot.press("question_mark")
        shot = app.export_screenshot()
        assert "around" in shot and "keys.toml" in shot
        rows = {ident: k for k, _, ident in help_rows(app.user_keys)}
        assert rows["zoom-in"] == "i" and rows["zoom-out"] == "s / -"

    run_app(body, size=(120, 72))  # the whole help fits


def test_a_bad_keys_file_is_one_warning_and_the_defaults_stay(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    keys = tmp_path / "keys.toml"
    keys.write_text('[keys]\nzoom-inn = "i"\n')
    monkeypatch.setenv("TRACETUI_KEYS", str(keys))

    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        notes = [n.message for n in app._notifications]
        assert any("zoom-inn" in m and "ignored" in m for m in notes)
        full = tl.span
        await pilot.press("w")
        assert tl.span == full // 2

    run_app(body)
    keys.write_text("[keys\n")
    from tracetui.tui.keymap import load_keymap

    assert load_keymap(str(keys))[0] == {} and "ignored" in (load_keymap(str(keys))[1] or "")
    assert load_keymap(str(tmp_path / "none.toml")) == ({}, None)
