"""A Go 1.21 trace through every entry point: summary (agreeing with Go's dump), block
profiles, goroutine pages and MMU (equal to go tool trace's), export, the viewer; and a
broken v1 file: one line, a non-zero exit, nothing kept (Go keeps nothing either).

Until our parser lands, files are read with Go's parse and our converter (`v1_reader`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.analysis import test_blocking, test_goroutines, test_mmu
from tests.conftest import TRACES, GoTool
from tests.test_summary import go_figures
from tests.tui.helpers import run_app
from tracetui.cli import _check_trace_head, main
from tracetui.load import open_model
from tracetui.tui.app import TraceApp
from tracetui.tui.widgets.timeline import Timeline

V1 = TRACES / "v1" / "go1.21.13"
GCSTW, CHANNELS, ANNOTATIONS, CPU = (V1 / f"{n}.trace" for n in ("gcstw", "channels", "annotations", "cpuprofile"))


@pytest.mark.parametrize("path", [GCSTW, ANNOTATIONS], ids=lambda p: p.stem)
def test_summary_json_agrees_with_go(
    path: Path, v1_reader: str, gotool: GoTool, capfd: pytest.CaptureFixture[str]
) -> None:
    assert main(["summary", "--json", str(path)]) == 0
    ours = json.loads(capfd.readouterr().out)
    want = go_figures(gotool.parsed(path).stdout)
    for key in ("events", "goroutines", "procs", "threads", "gc_cycles", "stw", "duration_ns"):
        assert ours[key] == want[key], f"{key}: ours {ours[key]} vs Go's {want[key]}"
    assert ours["go_version"] == "1.21"
    assert ours["histograms"]["sched_latency"]["count"] > 0


def test_summary_text_names_the_format(v1_reader: str, capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", str(CHANNELS)]) == 0
    assert "Go 1.21 trace" in capfd.readouterr().out


def test_block_profiles_equal_go_tool_trace(v1_reader: str, go: str, tmp_path: Path) -> None:
    test_blocking._check(go, CHANNELS, tmp_path)


def test_goroutine_pages_equal_go_tool_trace(v1_reader: str, go: str) -> None:
    test_goroutines._check(go, CHANNELS)


def test_mmu_equals_go_tool_trace(v1_reader: str, go: str, tmp_path: Path) -> None:
    test_mmu._check(go, GCSTW, tmp_path)


def test_export_and_cpu_samples(v1_reader: str, gotool: GoTool, tmp_path: Path) -> None:
    out = tmp_path / "cpu.pftrace"
    assert main(["export", str(CPU), "-o", str(out)]) == 0
    _check_trace_head(str(out))
    again = open_model(str(out)).trace
    model = open_model(str(CPU)).trace
    go_samples = gotool.parsed(CPU).stdout.count(b" StackSample ")
    assert go_samples > 0 and model.cpu_samples is not None and len(model.cpu_samples.ts) == go_samples
    assert again.events == model.events


def test_viewer_shows_a_v1_trace(v1_reader: str) -> None:
    async def body(app: TraceApp, pilot: Pilot[Any], tl: Timeline) -> None:
        text = "\n".join("".join(seg.text for seg in tl.render_line(y)) for y in range(tl.size.height))
        for label in ("G1 main.main", "P0", "M0", "main.work.func5 (8)", "Heap"):
            assert label in text, label

    run_app(body, str(CHANNELS))


def test_view_head_check_lets_a_v1_trace_through(v1_reader: str) -> None:
    _check_trace_head(str(CHANNELS))


@pytest.mark.parametrize("cmd", ["dump", "summary", "export"])
def test_a_truncated_v1_trace_is_one_line(
    cmd: str, v1_reader: str, gotool: GoTool, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    cut = tmp_path / "cut.trace"
    data = GCSTW.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    go = gotool.parsed(cut)
    assert go.returncode != 0 and go.stdout == b""  # Go keeps nothing of a broken v1 trace
    argv = [cmd, str(cut)] + (["-o", str(tmp_path / "x.pftrace")] if cmd == "export" else [])
    assert main(argv) == 2
    out, err = capfd.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"tracetui: {cut}: "), lines


def test_the_stream_hands_on_the_first_slice_then_the_whole_and_the_loader_models_the_first(
    v1_reader: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tracetui.gotrace import v1 as v1mod
    from tracetui.gotrace.reader import TraceStream
    from tracetui.load import load_progressively

    data = GCSTW.read_bytes()
    whole = v1mod.read_v1(data, str(GCSTW))
    monkeypatch.setattr(v1mod, "SLICE", 1000)
    monkeypatch.setattr(v1mod, "HEAD", 2000)
    stream = TraceStream(data, str(GCSTW))
    offsets, counts = [], []
    for off in stream:
        offsets.append(off)
        counts.append(stream.events)
    # The first slice; two steps of the read that add no event (progress only); every event.
    assert counts == [1000, 1000, 1000, len(whole)] and offsets == sorted(offsets)
    assert offsets[0] < offsets[1] < offsets[2] < offsets[3] == len(data)
    t = stream.table()
    for c in ("time", "typ", "m", "p", "g", "a0", "a1", "a2", "a3"):
        assert (getattr(t, c).astype("int64") == getattr(whole, c).astype("int64")).all(), c
    assert t.strings.strings == whole.strings.strings and t.valid_events == len(t) == len(whole)
    steps = list(load_progressively(str(GCSTW)))
    models = [s.trace for s in steps if s.trace is not None]
    assert len(models) >= 2 and models[0].events < models[-1].events == len(whole) and steps[-1].done


def test_the_viewer_loader_names_a_truncated_v1_trace(v1_reader: str, tmp_path: Path) -> None:
    from tracetui.errors import TracetuiError
    from tracetui.load import load_progressively

    cut = tmp_path / "cut.trace"
    data = CHANNELS.read_bytes()
    cut.write_bytes(data[: len(data) * 3 // 4])
    _check_trace_head(str(cut))  # the head is a v1 trace's: the screen opens, then the load fails
    with pytest.raises(TracetuiError) as e:
        list(load_progressively(str(cut)))
    assert e.value.one_line().startswith(f"tracetui: {cut}: ")
