"""Snapshot SVGs of the viewer at 80x24 and 160x48 on a committed trace.

Update after a deliberate change of the screens with `pytest tests/tui --snapshot-update`
and look at the SVGs under __snapshots__/ before committing them.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from tests.tui.helpers import CHANNELS, GCSTW, until_loaded
from tracetui.tui.app import TraceApp


async def _loaded(pilot: Pilot[Any]) -> None:
    app = pilot.app
    assert isinstance(app, TraceApp)
    await until_loaded(app, pilot)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
def test_timeline(snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(TraceApp(GCSTW, "256"), terminal_size=size, run_before=_loaded)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
def test_zoomed_with_details(snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    keys = ["ctrl+g", *"G1", "enter", "x", "enter"]
    assert snap_compare(TraceApp(CHANNELS, "256"), press=keys, terminal_size=size, run_before=_loaded)


def test_help(snap_compare, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TRACETUI_KEYS", "/etc/tracetui/keys.toml")  # shown in the help: the same everywhere
    assert snap_compare(TraceApp(GCSTW, "256"), press=["question_mark"], terminal_size=(80, 24), run_before=_loaded)


@pytest.mark.parametrize("system", ["16", "none"])
def test_other_colour_systems(snap_compare, system: str) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(TraceApp(GCSTW, system), terminal_size=(80, 24), run_before=_loaded)


def test_host_section(snap_compare) -> None:  # type: ignore[no-untyped-def]
    """A recording's host section under the Go rows: counters as charts, a thread's sampled
    states; the cursor on the thread row with its details."""
    from tests.tui.helpers import model_loader, with_host
    from tracetui.load import open_model

    trace = with_host(open_model(GCSTW).trace)
    app = TraceApp(GCSTW, "256", loader=model_loader(trace))
    assert snap_compare(app, press=["end", "l", "enter"], terminal_size=(120, 40), run_before=_loaded)
