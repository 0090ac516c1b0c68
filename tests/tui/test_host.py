"""Host rows (a recording's sampler and GODEBUG rows) in the viewer: a foldable section per
program under the Go rows, or as the main rows of a model without a Go trace; and record's
own injected goroutines, hidden until `i`."""

from __future__ import annotations

import dataclasses

import numpy as np

from tests.test_hostile_text import HOSTILE
from tests.tui.helpers import (
    CHANNELS,
    GCSTW,
    HOST,
    HOST_STATES,
    model_loader,
    row_index,
    row_text,
    run_app,
    status,
    with_host,
)
from tracetui.load import open_model
from tracetui.model.trace import Flows, Spans, State, Trace, TrackKind
from tracetui.tui.palette import Look
from tracetui.tui.rows import RowKind, RowSet
from tracetui.units import format_bytes, format_duration


def _details(app) -> str:  # type: ignore[no-untyped-def]
    """The details pane's text (it must be open)."""
    assert app.query_one("#details").display, "the details pane is closed"
    return str(app.query_one("#details-text").render())


def _host_model() -> Trace:
    return with_host(open_model(GCSTW).trace)


def test_host_section_sits_under_the_go_rows_and_folds() -> None:
    trace = _host_model()
    cpu_track = next(t for t in trace.tracks if t.kind == TrackKind.HOST and t.name == "CPU")
    assert cpu_track.counter is not None

    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        rows = tl.rows.rows
        head = row_index(tl, f"▾ {HOST} (3)")
        assert rows[head].kind == RowKind.GROUP and rows[head].host
        # Under every runtime row: GC, the charts, P, M and every goroutine come before it.
        kinds = {tl.rows.track_of(r).kind for r in rows[:head] if r.track >= 0}  # type: ignore[union-attr]
        assert {TrackKind.GC, TrackKind.PROC, TrackKind.THREAD, TrackKind.GOROUTINE} <= kinds
        assert all(not r.host for r in rows[:head]) and all(r.host for r in rows[head:])
        assert [r.label.strip() for r in rows[head + 1 :]] == ["CPU", "RSS", "thread 4712"]
        assert "3 host rows · " + HOST in row_text(tl, head)
        # Counters are one-line charts with their scale; bytes as bytes.
        cpu, rss, thread = head + 1, head + 2, head + 3
        tl.set_row(rss)
        await pilot.pause()
        assert f"≤{format_bytes(int(trace.tracks[rows[rss].track].counter.value.max()))}" in row_text(tl, rss)
        assert any(ch in row_text(tl, cpu) for ch in "▁▂▃▄▅▆▇█")
        # Same clock as the Go rows: the counter's value at the cursor, with its unit.
        tl.set_row(cpu)
        tl.set_cursor_time(trace.duration // 2)
        await pilot.pause()
        value = float(cpu_track.counter.value_at(trace.duration // 2))
        assert f"{value:.6g} cores" in status(app)
        await pilot.press("enter")
        assert "CPU at " in _details(app) and f"{value:.6g} cores" in _details(app)
        await pilot.press("enter")
        # The thread's sampled states: their looks, and the kernel's state names in the details.
        sr = tl.rows.span_row(rows[thread])
        assert {Look.RUNNING, Look.BLOCK_OTHER} <= set(sr.present)
        spans = trace.tracks[rows[thread].track].spans
        i = int(np.flatnonzero(spans.state == State.WAITING)[0])
        tl.set_row(thread)
        tl.set_cursor_time(int(spans.start[i] + spans.end[i]) // 2)
        await pilot.press("enter")
        text = _details(app)
        assert f"thread 4712: {HOST_STATES[2]}\n" in text and f"sampled state (waiting) in {HOST}" in text
        assert f"duration {format_duration(int(spans.end[i] - spans.start[i]))}" in text
        assert f"{HOST_STATES[2]} {format_duration(int(spans.end[i] - spans.start[i]))}" in status(app)
        await pilot.press("enter")
        # Space on the header folds the section; again unfolds it.
        tl.set_row(head)
        n = len(tl.rows.rows)
        await pilot.press("space")
        assert len(tl.rows.rows) == n - 3 and tl.rows.rows[tl.cursor_row].label.startswith(f"▸ {HOST}")
        await pilot.press("space")
        assert len(tl.rows.rows) == n
        # On one of its rows, Space folds the section too; c folds every group and the section.
        tl.set_row(thread)
        await pilot.press("space")
        assert tl.rows.rows[tl.cursor_row].label.startswith(f"▸ {HOST}")
        await pilot.press("space", "c")
        labels = [r.label for r in tl.rows.rows]
        assert f"▸ {HOST} (3)" in labels and not any(lab.startswith("▾") for lab in labels)
        await pilot.press("c")
        assert len(tl.rows.rows) == n
        # Ctrl+G host: to the first host section, however many goroutines are above it.
        await pilot.press("g", "ctrl+g", *"host", "enter")
        assert tl.cursor_row == head

    run_app(body, size=(140, 60), loader=model_loader(trace))


def _godebug(trace: Trace) -> Trace:
    """A model as GODEBUG gives it: GC and STW spans, the heap, no scheduler rows; a host section."""
    keep = [t for t in trace.tracks if t.kind == TrackKind.GC]
    godebug = dataclasses.replace(
        trace, source="godebug", version=0, tracks=keep, goroutine_counts={}, thread_counts={},
        assists=Spans.empty(), flows=Flows.empty(),
    )  # fmt: skip
    return with_host(godebug)


def test_a_godebug_model_shows_gc_stw_heap_then_its_host_section() -> None:
    trace = _godebug(open_model(GCSTW).trace)
    stw = next(t for t in trace.tracks if t.name == "STW").spans
    assert stw is not None and len(stw)

    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        labels = [r.label.strip() for r in tl.rows.rows]
        assert labels[:3] == ["GC", "STW", "Heap"]
        assert labels[4:] == [f"▾ {HOST} (3)", "CPU", "RSS", "thread 4712"]
        assert "Assists" not in labels and "Goroutines" not in labels
        tl.set_row(1)
        await pilot.press("x", "enter")  # the longest pause, described
        assert "stop-the-world" in _details(app)
        assert Look.STW in tl.rows.span_row(tl.rows.rows[1]).present

    run_app(body, size=(120, 30), loader=model_loader(trace))


def test_a_host_only_model_is_its_host_section() -> None:
    base = open_model(CHANNELS).trace
    trace = with_host(dataclasses.replace(base, source="perfetto", version=0, tracks=[], flows=Flows.empty()))
    rows = RowSet(trace)
    assert [r.label.strip() for r in rows.rows] == [f"▾ {HOST} (3)", "CPU", "RSS", "thread 4712"]

    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        await pilot.press("j", "enter")
        assert "host counter of " + HOST in _details(app)

    run_app(body, size=(100, 24), loader=model_loader(trace))


def test_two_programs_two_sections_and_hostile_names_are_inert() -> None:
    trace = with_host(_host_model(), group=HOSTILE + " (pid 9)", thread=HOSTILE + "thread")
    rows = RowSet(trace)
    heads = [r for r in rows.rows if r.kind == RowKind.GROUP and r.host]
    assert len(heads) == 2 and heads[0].group_name == HOST
    assert all("\x1b" not in r.label and "\x07" not in r.label for r in rows.rows)

    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        await pilot.press("end", "enter")
        out = app.export_screenshot() + status(app) + _details(app)
        assert "\x1b]0;" not in out and "\x07" not in out
        assert "\\x1b]0;pwned" in _details(app)

    run_app(body, size=(160, 50), loader=model_loader(trace))


def test_injected_goroutines_are_hidden_until_i() -> None:
    trace = open_model(GCSTW).trace
    alone = next(t.id for t in trace.tracks if t.kind == TrackKind.GOROUTINE and t.group == "runtime.bgsweep")
    worker = next(t.id for t in trace.tracks if t.kind == TrackKind.GOROUTINE and t.group == "runtime.gcBgMarkWorker")
    trace.injected = np.array([alone, worker], np.int64)

    def goroutines(tl) -> set[int]:  # type: ignore[no-untyped-def]
        return {r.gid for r in tl.rows.rows if r.gid >= 0}

    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        every = {int(g) for g in trace.goroutines.id}
        assert goroutines(tl) == every - {alone, worker}
        labels = [r.label for r in tl.rows.rows]
        assert not any("runtime.bgsweep" in lab for lab in labels)  # its group was only it: gone
        assert "▾ runtime.gcBgMarkWorker (1)" in labels
        await pilot.press("i")
        assert goroutines(tl) == every and "▾ runtime.gcBgMarkWorker (2)" in [r.label for r in tl.rows.rows]
        assert "showing 2 goroutines of record's own code" in status(app)
        await pilot.press("i")
        assert goroutines(tl) == every - {alone, worker}
        assert "hid 2 goroutines" in status(app)
        # Going to one of them shows them again.
        await pilot.press("ctrl+g", *f"G{alone}", "enter")
        assert tl.current_row.gid == alone and tl.rows.show_injected

    run_app(body, size=(140, 50), loader=model_loader(trace))


def test_i_says_so_when_there_is_no_injected_code() -> None:
    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        n = len(tl.rows.rows)
        await pilot.press("i")
        assert "no goroutines of record's own code" in status(app) and len(tl.rows.rows) == n

    run_app(body, size=(120, 30))


def test_a_real_godebug_model() -> None:
    """The model GODEBUG's lines give (record's godebug_model): GC, STW, Heap, GOMAXPROCS
    on top, then the program's section (schedtrace counters, P and goroutine states)."""
    from tests.record.test_binary import DETAIL, GCLINE, T0, _log
    from tracetui.record.godebugmodel import godebug_model

    sched = b"SCHED %dms: gomaxprocs=2 idleprocs=0 threads=5 spinningthreads=0 needspinning=0 idlethreads=0 runqueue=1"
    log = _log([
        (sched % 0 + DETAIL, T0 + 300_000),
        (b"  P0: status=1 schedtick=1 syscalltick=0 m=0 runqsize=1 gfreecnt=0 timerslen=0", T0 + 300_000),
        (b"  G1: status=4(chan receive) m=nil lockedm=nil", T0 + 300_000),
        (GCLINE, T0 + 50_000_000),
        (sched % 100 + DETAIL, T0 + 100_300_000),
        (b"  P0: status=1 schedtick=1 syscalltick=0 m=0 runqsize=1 gfreecnt=0 timerslen=0", T0 + 100_300_000),
        (b"  G1: status=2() m=0 lockedm=0", T0 + 100_300_000),
    ])  # fmt: skip
    trace = godebug_model(log, section="app (pid 7)", go_version="go1.27.3", period_ms=100, start_ns=T0,
                          end_ns=T0 + 200_000_000)  # fmt: skip

    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        labels = [r.label.strip() for r in tl.rows.rows]
        assert labels[:3] == ["GC", "STW", "Heap"] and "GOMAXPROCS" in labels
        head = labels.index("▾ app (pid 7) (" + str(sum(t.kind == TrackKind.HOST for t in trace.tracks)) + ")")
        assert {"Threads", "P0", "G1"} <= set(labels[head:])
        tl.set_row(labels.index("G1"))
        tl.set_cursor_time(50_000_000)
        await pilot.press("enter")
        assert "G1: chan receive" in _details(app)
        tl.set_row(labels.index("STW"))
        await pilot.press("x")
        assert "stop-the-world" in _details(app)

    run_app(body, size=(120, 50), loader=model_loader(trace))


def test_goto_host_without_host_rows_says_so() -> None:
    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        await pilot.press("ctrl+g", *"host", "enter")
        assert tl.cursor_row == 0 and "no such row: host" in status(app)

    run_app(body, size=(120, 30))


def test_host_context_rows_draw_over_time() -> None:
    """A recording's host context: a "Host (system)" section (page cache, CPU MHz, NUMA) and
    the program's faults, disk bytes and migrations, on the trace's clock, with their units."""
    from tests.record.test_host import host_samples
    from tracetui.record.hosttracks import host_tracks, next_host_id

    trace = open_model(GCSTW).trace
    s = host_samples(trace.base_time, trace.duration)
    trace.tracks.extend(host_tracks(s, trace.base_time, trace.strings, duration=trace.duration,
                                    first_id=next_host_id(trace)))  # fmt: skip

    async def body(app, pilot, tl) -> None:  # type: ignore[no-untyped-def]
        labels = [r.label.strip() for r in tl.rows.rows]
        system = labels.index("▾ Host (system) (8)")
        assert labels[system + 1 : system + 4] == ["Page cache", "Dirty", "Writeback"]
        assert {"NUMA miss", "CPU0", "CPU1"} <= set(labels[system:])
        prog = next(i for i, lab in enumerate(labels) if lab.startswith("▾ reader (pid 10)"))
        assert {"Major faults", "Disk read", "Disk write", "Migrations", "Switches"} <= set(labels[prog:])
        # The disk bytes read so far, drawn as a chart with its scale in bytes.
        read = labels.index("Disk read")
        tl.set_row(read)
        await pilot.pause()
        assert "≤24.0 MiB" in row_text(tl, read) and any(ch in row_text(tl, read) for ch in "▁▂▃▄▅▆▇█")
        # A CPU's MHz at the cursor, with the unit; the page cache in the details.
        tl.set_row(labels.index("CPU1"))
        tl.set_cursor_time(trace.duration // 2)
        await pilot.pause()
        assert "3400 MHz" in status(app)
        tl.set_row(system + 1)
        await pilot.press("enter")
        assert "Page cache at " in _details(app) and "2.0 GiB" in _details(app)
        assert "host counter of Host (system), in bytes" in _details(app)

    run_app(body, size=(140, 80), loader=model_loader(trace))
