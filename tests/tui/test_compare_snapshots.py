"""Snapshot SVGs of view --compare's screens 2-5 at 120x40, on committed traces of the same
programs by Go 1.26.6 (A) and 1.27.3 (B). Update with `--snapshot-update` and look at them."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from tests.tui.test_compare import GCSTW_A, GCSTW_B, SYNC_A, SYNC_B, screen_of, until_both
from tracetui.tui.app import TraceApp


def _opened(key: str, *more: str) -> Any:
    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, TraceApp)
        await until_both(app, pilot)
        await screen_of(app, pilot, key)
        if more:
            await pilot.press(*more)
        await pilot.pause(0.1)

    return run_before


@pytest.mark.parametrize(
    ("key", "a", "b", "more"),
    [("2", SYNC_A, SYNC_B, ()), ("3", SYNC_A, SYNC_B, ("right",)), ("4", SYNC_A, SYNC_B, ()),
     ("5", GCSTW_A, GCSTW_B, ("left",) * 8)],
    ids=["groups", "flame", "histograms", "mmu"],
)  # fmt: skip
def test_compare_screen(snap_compare, key: str, a: str, b: str, more: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(TraceApp(a, "256", compare=b), terminal_size=(120, 40), run_before=_opened(key, *more))
