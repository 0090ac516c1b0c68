"""Progressive loading: models of growing prefixes, then the whole trace."""

from __future__ import annotations

import pytest

from tests.conftest import TRACES
from tracetui import load
from tracetui.cli import color_system
from tracetui.errors import TracetuiError
from tracetui.model.trace import TrackKind

GENERATIONS = str(TRACES / "go1.27.3" / "generations.trace")


def test_prefix_models_grow_and_end_with_the_whole_trace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(load, "GROWTH", 1.0)
    monkeypatch.setattr(load, "MIN_INTERVAL_S", 0.0)
    steps = list(load.load_progressively(GENERATIONS))
    models = [s for s in steps if s.trace is not None]
    assert len(models) >= 3, "a multi-generation trace should give several prefix models"
    assert steps[-1].done and steps[-1].fraction == 1.0 and not any(s.done for s in steps[:-1])
    events = [s.trace.events for s in models]  # type: ignore[union-attr]
    assert events == sorted(events) and events[0] < events[-1]
    whole, warning = load.open_model(GENERATIONS)[:2]
    last = models[-1].trace
    assert warning is None and last is not None
    assert (last.events, last.duration) == (whole.events, whole.duration)
    # A prefix is a consistent trace: every goroutine it knows, the whole trace knows.
    first = models[0].trace
    assert first is not None
    assert set(first.goroutines.id.tolist()) <= set(whole.goroutines.id.tolist())
    fractions = [s.fraction for s in steps]
    assert fractions == sorted(fractions)


def test_cancelled_loading_stops_without_a_last_step(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[load.LoadStep] = []
    for step in load.load_progressively(GENERATIONS, cancelled=lambda: len(seen) >= 1):
        seen.append(step)  # noqa: PERF402 - the loop is what is under test
    assert seen and not any(s.done for s in seen)


def test_errors_name_the_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TracetuiError, match="no such file"):
        list(load.load_progressively(str(tmp_path / "missing.trace")))
    with pytest.raises(TracetuiError, match="is a directory"):
        list(load.load_progressively(str(tmp_path)))
    bad = tmp_path / "bad.trace"
    bad.write_bytes(b"go 1.22 trace\x00\x00\x00" + b"\xff" * 64)
    with pytest.raises(TracetuiError) as e:
        list(load.load_progressively(str(bad)))
    assert e.value.one_line().startswith(f"tracetui: {bad}: ")


def test_truncated_trace_keeps_complete_generations_with_a_warning(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    data = Path(GENERATIONS).read_bytes()
    cut = tmp_path / "cut.trace"
    cut.write_bytes(data[: int(len(data) * 0.8)])
    steps = list(load.load_progressively(str(cut)))
    assert steps[-1].done and steps[-1].warning and "warning" in steps[-1].warning
    whole = load.open_model(GENERATIONS).trace
    assert 0 < steps[-1].trace.events < whole.events  # type: ignore[union-attr]
    assert any(t.kind == TrackKind.PROC for t in steps[-1].trace.tracks)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "choice, env, expected",
    [
        ("auto", {"TERM": "xterm-256color"}, "256"),  # over SSH COLORTERM is not sent
        ("auto", {"TERM": "screen", "COLORTERM": "truecolor"}, "truecolor"),
        ("auto", {"TERM": "xterm", "COLORTERM": "24bit"}, "truecolor"),
        ("auto", {"TERM": "xterm-256color", "NO_COLOR": "1"}, "none"),
        ("auto", {"TERM": "dumb"}, "none"),
        ("16", {"COLORTERM": "truecolor"}, "16"),
        ("none", {}, "none"),
    ],
)
def test_colour_system_choice(choice: str, env: dict[str, str], expected: str) -> None:
    assert color_system(choice, env) == expected


def test_view_command_errors_are_one_line(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    from tracetui.cli import main

    assert main(["view", str(tmp_path / "missing.trace")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "missing.trace: no such file" in err[0]
    assert main(["view", "--color", "rainbow", GENERATIONS]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "invalid choice" in err[0]


def test_the_readme_shows_every_key() -> None:
    from tests.conftest import ROOT
    from tracetui.tui.keymap import markdown_table

    assert markdown_table() in (ROOT / "README.md").read_text(), "README's key table is out of date"
