"""The summary leads with the findings: the longest pause, the worst scheduler latency, the
stacks that block most."""

from __future__ import annotations

import io

import numpy as np
from rich.console import Console

from tests.conftest import TRACES
from tracetui import report
from tracetui.analysis.blocking import PROFILES, by_stack, samples
from tracetui.load import open_model
from tracetui.units import format_duration


def test_findings_name_the_longest_pause_and_the_worst_waits() -> None:
    trace = open_model(str(TRACES / "go1.27.3" / "nethttp.trace")).trace
    found = dict(report.findings(trace))
    d = trace.stw.end - trace.stw.start
    kind = trace.string(int(trace.stw.reason[int(np.argmax(d))]))
    assert found["Longest stop-the-world"].startswith(f"{format_duration(int(d.max()))} ({kind})")
    sched = samples(trace, PROFILES["sched"])
    assert found["Worst scheduler latency"].startswith(format_duration(int(sched.delay.max())))
    net = by_stack(samples(trace, PROFILES["net"]))[0]
    leaf = trace.frames(net.stack)[0][0]
    assert (
        found["Blocks most (network)"].startswith(format_duration(net.delay)) and leaf in found["Blocks most (network)"]
    )


def test_the_text_report_shows_them_first() -> None:
    path = TRACES / "go1.27.3" / "gcstw.trace"
    console = Console(record=True, width=120, file=io.StringIO(), force_terminal=True)
    report.print_summary(str(path), open_model(str(path)).trace, console=console)
    text = console.export_text()
    assert text.index("Longest stop-the-world") < text.index("Go version")
