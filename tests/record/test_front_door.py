"""record -> view, the front door: the viewer opens on the Go trace as soon as the program
ends, with the sampler's host rows; the Perfetto file is written from the viewer's model
afterwards and reads back with the same counts; conversions show progress and stop on
Ctrl+C without leaving a partial file; `dump` of a Perfetto file is one line."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.record.conftest import Recorder, go_run
from tracetui.gotrace.reader import read_trace
from tracetui.model.from_gotrace import build_model
from tracetui.model.trace import TrackKind
from tracetui.perfetto.reader import read_model
from tracetui.record import progress as progress_mod
from tracetui.record.progress import ConvertProgress


def host_tracks(trace: Any) -> list[Any]:
    return [t for t in trace.tracks if t.kind == TrackKind.HOST]


@pytest.mark.slow
def test_viewer_on_the_gotrace_with_host_rows_then_pftrace(
    recorder: Recorder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tracetui.record.options import RecordOptions
    from tracetui.record.recorder import record
    from tracetui.record.session import Session
    from tracetui.tui.app import TraceApp

    for k, v in recorder.env.items():
        monkeypatch.setenv(k, v)
    out = tmp_path / "run.pftrace"
    opts = RecordOptions(command=go_run("chan", "200000"), output=str(out), sample_hz=50)
    session = Session(opts, view=True)
    assert record(opts, session) == 0
    [bw] = session.deferred
    assert bw.gotrace == str(tmp_path / "run.gotrace")
    assert not out.exists()  # nothing converted before the viewer: it opens at once
    seen: dict[str, Any] = {}

    async def view() -> None:
        app = TraceApp(bw.gotrace, "256", loader=bw.loader)
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(3000):
                await pilot.pause(0.02)
                if app.timeline is not None and not app.loading:
                    break
            assert app.timeline is not None
            trace = app.timeline.trace
            seen["host"] = host_tracks(trace)
            seen["events"] = trace.events
            await pilot.press("q")

    asyncio.run(view())
    host = seen["host"]
    assert host and all(t.group.startswith("workload (pid ") or t.group == "Host (system)" for t in host)
    assert any(t.counter is not None for t in host) and any(t.spans is not None for t in host)

    session.write_deferred()  # after the viewer: from its model (no second read of the Go trace)
    assert session.written == [str(out)]
    back = read_model(str(out))
    gomodel = build_model(read_trace(bw.gotrace))
    assert back.events == gomodel.events == seen["events"]
    assert len(host_tracks(back)) == len(host)
    assert {t.name for t in host_tracks(back)} == {t.name for t in host}


def test_plain_progress_is_a_few_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress_mod, "QUIET_S", 0.0)
    err = io.StringIO()
    with ConvertProgress("converting run.gotrace", stream=err, tty=False) as p:
        for i in range(1001):
            p.update(i / 1000, "reading")
    lines = err.getvalue().splitlines()
    assert 3 <= len(lines) <= 6, lines
    assert lines[0] == "tracetui: converting run.gotrace: 0 %"
    assert all(line.startswith("tracetui: converting run.gotrace: ") and line.endswith(" %") for line in lines)


def test_quick_conversion_shows_nothing() -> None:
    err = io.StringIO()
    with ConvertProgress("converting run.gotrace", stream=err, tty=False) as p:
        p.update(0.5)
        p.update(1.0)
    assert err.getvalue() == ""


@pytest.mark.slow
def test_ctrl_c_during_conversion(recorder: Recorder, tmp_path: Path) -> None:
    """Plain progress lines while converting (stderr not a terminal); SIGINT to tracetui
    stops it at once: no partial .pftrace, one line saying how to make it, the program's
    exit status."""
    p = subprocess.Popen(recorder.argv("-o", "big.pftrace", "--no-sample", "--", *go_run("chan", "1500000")),
                         cwd=tmp_path, env=recorder.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)  # fmt: skip
    assert p.stderr is not None
    lines = []
    for raw in p.stderr:
        lines.append(raw.decode())
        if ": converting " in lines[-1]:
            break
    else:
        raise AssertionError(f"no progress line: {lines}")
    os.kill(p.pid, signal.SIGINT)
    rest = p.stderr.read().decode().splitlines()
    assert p.wait(timeout=30) == 0, rest
    assert lines[-1].startswith("tracetui: converting big.gotrace: ")
    stopped = (
        "tracetui: stopped: big.pftrace was not written (make it with `tracetui export big.gotrace -o big.pftrace`)"
    )
    assert rest == [stopped]
    assert not (tmp_path / "big.pftrace").exists()
    assert (tmp_path / "big.gotrace").stat().st_size > 0


@pytest.mark.slow
def test_dump_of_a_pftrace_is_one_line(recorder: Recorder, tmp_path: Path) -> None:
    p = recorder.run("-o", "d.pftrace", "--no-sample", "--", *go_run("chan", "1000"), cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    d = subprocess.run([sys.executable, "-m", "tracetui", "dump", "d.pftrace"], cwd=tmp_path, env=recorder.env,
                       capture_output=True, check=False)  # fmt: skip
    assert d.returncode == 2 and d.stdout == b""
    [line] = d.stderr.decode().splitlines()
    assert line.startswith("tracetui: d.pftrace: a Perfetto trace: dump prints the events of a Go execution trace")
    assert line.endswith("; try `tracetui dump d.gotrace`")
    ok = subprocess.run([sys.executable, "-m", "tracetui", "dump", "d.gotrace"], cwd=tmp_path, env=recorder.env,
                        capture_output=True, check=False)  # fmt: skip
    assert ok.returncode == 0 and ok.stdout


def test_convert_progress_and_cancel(tmp_path: Path) -> None:
    from tests.conftest import TRACES
    from tracetui.record.output import convert
    from tracetui.record.progress import Cancelled

    src = str(TRACES / "go1.27.3" / "channels.trace")
    seen: list[tuple[float, str]] = []
    out = tmp_path / "c.pftrace"
    conv = convert(src, str(out), progress=lambda f, phase: seen.append((f, phase)))
    assert conv is not None and out.stat().st_size > 0
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and 0 <= fractions[0] and fractions[-1] <= 1
    assert list(dict.fromkeys(p for _, p in seen)) == ["reading", "modelling", "writing"]

    def stop_when_writing() -> bool:
        return bool(seen) and seen[-1][1] == "writing"

    seen.clear()
    with pytest.raises(Cancelled):
        convert(src, str(out), progress=lambda f, phase: seen.append((f, phase)), cancelled=stop_when_writing)
    assert not out.exists()  # the partial file removed
