"""The preview of a big Perfetto file of ours (head and tail only): every track and rare
event of the whole model, the hot rows empty; the viewer's load shows it first, then the
whole model, which is read_model's."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import TRACES
from tracetui import load
from tracetui.gotrace.reader import read_trace
from tracetui.model import Trace, build_model
from tracetui.model.trace import TrackKind
from tracetui.perfetto import preview, writer
from tracetui.perfetto.reader import read_model
from tracetui.perfetto.writer import write_trace

HOT = (TrackKind.GOROUTINE, TrackKind.PROC, TrackKind.THREAD)
RARE = ("gc", "stw", "assists", "sweeps", "tasks", "regions", "logs", "labels", "cpu_samples", "goroutines")


@pytest.fixture
def chunked(monkeypatch: pytest.MonkeyPatch) -> Callable[[str, Path], Path]:
    """Writes a committed trace's export in small chunks (many, as a big file has) and
    lets the preview take small files."""

    def make(name: str, tmp_path: Path) -> Path:
        monkeypatch.setattr(writer, "CHUNK", 1 << 12)
        out = tmp_path / f"{name}.pftrace"
        write_trace(build_model(read_trace(TRACES / "go1.27.3" / f"{name}.trace")), str(out))
        monkeypatch.undo()
        monkeypatch.setattr(preview, "MIN_BYTES", 0)
        return out

    return make


def _columns(x: object) -> list[np.ndarray]:
    return [np.asarray(v) for k, v in sorted(vars(x).items()) if isinstance(v, np.ndarray)]


@pytest.mark.parametrize("name", ["annotations", "gcstw", "cpuprofile"])
def test_preview_has_every_track_and_rare_event_and_empty_hot_rows(
    name: str, tmp_path: Path, chunked: Callable[[str, Path], Path]
) -> None:
    out = chunked(name, tmp_path)
    pv, whole = preview.read_preview(str(out)), read_model(str(out))
    assert pv is not None
    key = [(t.kind, t.id, t.name, t.group, t.unit) for t in whole.tracks]
    assert [(t.kind, t.id, t.name, t.group, t.unit) for t in pv.tracks] == key
    assert (pv.duration, pv.base_time, pv.events, pv.version) == (whole.duration, whole.base_time, whole.events,
                                                                   whole.version)  # fmt: skip
    assert pv.strings.strings == whole.strings.strings and pv.stacks.stacks == whole.stacks.stacks
    for f in RARE:
        a, b = _columns(getattr(pv, f)), _columns(getattr(whole, f))
        assert len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b)), f
    for t, w in zip(pv.tracks, whole.tracks):
        if t.kind in HOT:
            assert t.spans is not None and len(t.spans) == 0
        elif t.kind == TrackKind.REGION:
            assert t.spans is not None and w.spans is not None
            assert np.array_equal(t.spans.start, w.spans.start) and np.array_equal(t.spans.reason, w.spans.reason)
    assert len(pv.flows) == 0
    assert sum(len(t.spans) for t in whole.tracks if t.kind in HOT and t.spans is not None) > 0


def test_the_load_shows_the_preview_first_then_read_models_model(
    tmp_path: Path, chunked: Callable[[str, Path], Path], same_model: Callable[[Trace, Trace], None]
) -> None:
    out = chunked("annotations", tmp_path)
    steps = list(load.load_progressively(str(out)))
    models = [s for s in steps if s.trace is not None]
    assert len(models) == 2 and not models[0].done and models[1].done and steps[-1] is models[1]
    first, last = models[0].trace, models[1].trace
    assert first is not None and last is not None
    assert sum(len(t.spans) for t in first.tracks if t.kind in HOT and t.spans is not None) == 0
    assert [t.name for t in first.tracks] == [t.name for t in last.tracks]
    same_model(read_model(str(out)), last)


def test_a_load_cancelled_after_the_preview_stops(tmp_path: Path, chunked: Callable[[str, Path], Path]) -> None:
    out = chunked("gcstw", tmp_path)
    seen: list[load.LoadStep] = []
    for step in load.load_progressively(str(out), cancelled=lambda: any(s.trace is not None for s in seen)):
        seen.append(step)  # noqa: PERF402 - the loop is what is under test
    assert [s.trace is not None for s in seen] == [False, True] and not seen[-1].done


def test_no_preview_of_small_plain_or_foreign_files(tmp_path: Path, chunked: Callable[[str, Path], Path]) -> None:
    model = build_model(read_trace(TRACES / "go1.27.3" / "channels.trace"))
    one = tmp_path / "one.pftrace"
    write_trace(model, str(one))  # one chunk: head and tail meet, nothing to skip
    plain = tmp_path / "plain.pftrace"
    write_trace(model, str(plain), compress=False)
    big = chunked("gcstw", tmp_path)
    assert preview.read_preview(str(big)) is not None
    cut = tmp_path / "cut.pftrace"
    cut.write_bytes(big.read_bytes()[:-100])
    foreign = tmp_path / "foreign.pftrace"
    foreign.write_bytes(b"\x0a\x02\x08\x01" * 10)
    for p in (one, plain, cut, foreign, tmp_path / "missing.pftrace"):
        assert preview.read_preview(str(p)) is None, p.name
    steps = list(load.load_progressively(str(one)))
    assert [s.trace is not None for s in steps] == [False, True]


def test_old_recordings_with_appended_packets_have_a_preview(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, same_model: Callable[[Trace, Trace], None]
) -> None:
    from tests.perfetto.test_perfetto_host import _old_recording

    monkeypatch.setattr(writer, "CHUNK", 1 << 12)
    _, out = _old_recording(tmp_path)
    monkeypatch.setattr(preview, "MIN_BYTES", 0)
    pv, whole = preview.read_preview(str(out)), read_model(str(out))
    assert pv is not None
    assert [(t.kind, t.name, t.group) for t in pv.tracks] == [(t.kind, t.name, t.group) for t in whole.tracks]
    host = [t for t in pv.tracks if t.kind == TrackKind.HOST]
    assert len(host) == 2 and host[0].counter is not None and host[0].counter.value.tolist() == [0.5, 1.25, 0.75]


def test_the_viewer_draws_the_preview_then_the_whole_model(
    tmp_path: Path, chunked: Callable[[str, Path], Path]
) -> None:
    """Pilot: the timeline is mounted on the preview while the rest of the file is read,
    and takes the whole model when it comes."""
    import asyncio
    import threading
    from collections.abc import Iterator

    from tracetui.tui.app import TraceApp

    out = str(chunked("gcstw", tmp_path))
    gate = threading.Event()

    def loader(path: str, cancelled: Callable[[], bool]) -> Iterator[load.LoadStep]:
        for step in load.load_progressively(path, cancelled):
            yield step
            if step.trace is not None and not step.done:
                gate.wait(10)  # the rest of the file, as slow as a big one

    def spans(t: Trace) -> int:
        return sum(len(tr.spans) for tr in t.tracks if tr.kind in HOT and tr.spans is not None)

    async def go() -> None:
        app = TraceApp(out, "256", loader=loader)
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(250):
                if app.timeline is not None:
                    break
                await pilot.pause(0.02)
            assert app.timeline is not None and app.loading and spans(app.timeline.trace) == 0
            rows = len(app.timeline.rows.rows)
            gate.set()
            for _ in range(500):
                if not app.loading:
                    break
                await pilot.pause(0.02)
            assert not app.loading and spans(app.timeline.trace) == spans(read_model(out)) > 0
            assert len(app.timeline.rows.rows) == rows
            await pilot.press("q")

    asyncio.run(go())


def test_a_load_cancelled_while_reading_the_whole_file_stops_the_reader(
    tmp_path: Path, chunked: Callable[[str, Path], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fast path checks the flag before each batch: the read stops early, with no last step."""
    from tracetui.perfetto import fastread

    out = str(chunked("gcstw", tmp_path))
    monkeypatch.setattr(fastread, "BATCH", 1 << 14)  # batches of a few chunks
    full: list[load.LoadStep] = []
    list(load.load_progressively(out, report=full.append))
    reported: list[load.LoadStep] = []
    steps = list(load.load_progressively(out, cancelled=lambda: len(reported) >= 2, report=reported.append))
    assert not any(s.done for s in steps) and [s.trace is not None for s in steps] == [False, True]
    assert 2 <= len(reported) < len(full) and reported[-1].phase == "Reading Perfetto file"
