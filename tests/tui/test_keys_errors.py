"""Keys a new user reaches for first, and screen 4's event list."""

from __future__ import annotations

import asyncio
from typing import Any

from textual.pilot import Pilot

from tests.tui.helpers import GCSTW, run_app
from tracetui.tui.app import TraceApp
from tracetui.tui.widgets.timeline import Timeline


def test_ctrl_c_quits_like_q() -> None:
    async def body(app: TraceApp, pilot: Pilot[Any], tl: Timeline) -> None:
        await pilot.press("ctrl+c")

    app = run_app(body)
    assert app.return_code == 0
    assert not app.is_running


def test_ctrl_c_quits_while_typing_in_a_prompt() -> None:
    async def body(app: TraceApp, pilot: Pilot[Any], tl: Timeline) -> None:
        await pilot.press("slash", "x", "ctrl+c")

    app = run_app(body)
    assert app.return_code == 0


def test_ctrl_c_quits_while_loading() -> None:
    async def go() -> TraceApp:
        app = TraceApp(GCSTW)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("ctrl+c")
            await pilot.pause(0.1)
        return app

    app = asyncio.run(go())
    assert app.return_code == 0
