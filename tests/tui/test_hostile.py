"""Text from a trace (function and file names, block reasons) reaches the terminal inert."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from tests.test_hostile_text import HOSTILE, hostile_trace
from tests.tui.helpers import GCSTW, run_app
from tracetui.gotrace.reader import read_trace
from tracetui.load import LoadStep
from tracetui.model.from_gotrace import build_model

DANGEROUS = ("\x1b]0;", "\x1b[2J", "\x07", "\u202e", "\x9b")


def _terminal_bytes(app) -> str:  # type: ignore[no-untyped-def]
    """What the terminal would receive for a full repaint of the screen."""
    update = app.screen._compositor.render_update(full=True)
    return update.render_segments(app.console)


def _hostile_model():  # type: ignore[no-untyped-def]
    table = read_trace(GCSTW)
    s = table.strings.strings
    for i, x in enumerate(s):
        if x == "main.work.func1" or x.endswith("/main.go"):
            s[i] = HOSTILE + x
    return build_model(table)


def test_hostile_function_and_file_names(tmp_path: Path) -> None:
    trace = _hostile_model()
    gid = next(t.id for t in trace.tracks if t.name.startswith("G") and HOSTILE in t.name)

    def load(path: str, cancelled: Callable[[], bool]) -> Iterator[LoadStep]:
        yield LoadStep(1.0, trace.events, trace, done=True)

    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        await pilot.press("ctrl+g", *f"G{gid}", "enter", "full_stop", "full_stop", "enter")
        out = _terminal_bytes(app)
        for bad in DANGEROUS:
            assert bad not in out, f"{bad!r} reached the terminal"
        assert "\\x1b]0;pwned" in out  # shown, escaped
        assert "[bold red]boom" in out  # shown as text, not taken as markup
        await pilot.press("question_mark")
        assert not any(bad in _terminal_bytes(app) for bad in DANGEROUS)

    run_app(body, size=(160, 48), loader=load)


def test_hostile_block_reason_through_the_real_reader(tmp_path: Path) -> None:
    p = hostile_trace(tmp_path / "h.trace")

    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        await pilot.press("ctrl+g", *"G1", "enter", "full_stop", "enter")  # the blocked span's details
        assert "blocked" in str(app.query_one("#details-text").render())
        out = _terminal_bytes(app)
        assert not any(bad in out for bad in DANGEROUS)
        assert "\\x1b]0;pwned" in out

    run_app(body, path=str(p), size=(160, 48))


def test_hostile_names_in_the_profile_tree_and_flame_graph() -> None:
    from tests.tui.test_screens import _ready
    from tracetui.tui.widgets.flame import FlameGraph

    trace = _hostile_model()

    def load(path: str, cancelled: Callable[[], bool]) -> Iterator[LoadStep]:
        yield LoadStep(1.0, trace.events, trace, done=True)

    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        await pilot.press("3")
        screen = await _ready(app, pilot)
        tree = screen.query_one("Tree")
        for node in list(tree.root.children):  # unfold every caller, so main.work.func1 is drawn
            node.expand_all()
        await pilot.pause()
        seen = ""
        for _ in range(2):  # the tree, then the flame graph (f)
            out = _terminal_bytes(app)
            assert not any(bad in out for bad in DANGEROUS), "a control sequence reached the terminal"
            seen += out
            await pilot.press("f")
            await pilot.pause()
        flame = screen.query_one(FlameGraph)
        labels = []
        todo = [flame.root]
        while todo:
            n = todo.pop()
            labels.append(n.label())
            todo.extend(n.children)
        hostile = [x for x in labels if "pwned" in x]
        assert hostile and all(bad not in x for x in hostile for bad in DANGEROUS)
        assert "\\x1b]0;pwned" in seen  # shown, escaped

    run_app(body, size=(200, 60), loader=load)
