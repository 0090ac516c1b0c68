"""The non-interactive summary: a short Rich report, or JSON, computed from the model (so a
Go trace and the Perfetto file exported from it give the same summary)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table
from rich.text import Text

from tracetui.gotrace.events import EventTable
from tracetui.goversion import go_version_text
from tracetui.model.trace import Trace, TrackKind
from tracetui.sanitize import safe_text
from tracetui.units import format_bytes, format_duration


def summary_stats(trace: Trace) -> dict[str, Any]:
    """The summary's figures, as Go's parser counts them: events, goroutines (with a state
    transition), procs, threads (Ms), GC cycles (begun in the trace), stop-the-world
    pauses, duration, GOMAXPROCS (last, max) and the trace format's Go version."""
    dur = trace.stw.end - trace.stw.start
    procs = np.asarray(trace.gomaxprocs.value, np.int64)
    gmp = {"last": int(procs[-1]) if procs.size else 0, "max": int(procs.max()) if procs.size else 0}
    out: dict[str, Any] = {
        "events": int(trace.events),
        "goroutines": len(trace.goroutines),
        "procs": len(trace.proc_ids),
        "threads": len(trace.thread_ids),
        "gc_cycles": int(np.count_nonzero(trace.gc.arg >= 0)),
        "stw": {"count": int(dur.size), "total_ns": int(dur.sum()), "max_ns": int(dur.max()) if dur.size else 0},
        "duration_ns": int(trace.duration),
        "gomaxprocs": gmp,
        "go_version": trace.go_version.removeprefix("go") or (f"1.{trace.version}" if trace.version else "unknown"),
        "source": trace.source,
    }
    if trace.source == "godebug":  # events = runtime lines; Ps, threads and runnable goroutines as schedtrace saw them
        out |= {"procs": gmp["max"], "threads": _host_max(trace, "Threads"),
                "runnable_goroutines": _host_max(trace, "Runnable goroutines", "Global run queue")}  # fmt: skip
    return out


_EVENTS = {"godebug": "GODEBUG runtime lines", "host": "Process samples"}  # what a model's events are


def _host_max(trace: Trace, *names: str) -> int:
    """The largest value of the first HOST counter with one of these names (record/godebugmodel.py's), or 0."""
    for name in names:
        for t in trace.tracks:
            if t.kind == TrackKind.HOST and t.name == name and t.counter is not None and len(t.counter):
                return int(np.max(t.counter.value))
    return 0


def partial_info(table: EventTable) -> dict[str, Any] | None:
    """What was lost of a truncated or corrupted Go trace (None if it is whole)."""
    if table.error is None:
        return None
    return {
        "error": table.error.split("\n")[0],
        "error_offset": table.error_offset,
        "valid_bytes": table.valid_size,
        "total_bytes": table.size,
    }


def summary_json(trace: Trace, partial: dict[str, Any] | None = None, show_injected: bool = False) -> str:
    """`tracetui summary --json` (block, histograms and goroutine groups without the code
    `tracetui record` added to the program unless `show_injected`)."""
    from tracetui.analysis.blocking import totals

    data = summary_stats(trace)
    from tracetui.analysis.histograms import latency_histograms

    data["block"] = totals(trace, show_injected)  # as go tool trace -pprof=net|sync|syscall|sched counts them
    hist = latency_histograms(trace, show_injected=show_injected)
    data["histograms"] = {name: h.as_json() for name, h in hist.items()}
    from tracetui.analysis.goroutines import group_table

    data["goroutine_groups"] = group_table(trace, show_injected)
    from tracetui.analysis.mmu import mmu_curve, series

    # go tool trace's default definition (STW, background mark workers, assists), then with sweeping too
    data["mmu"] = [[w, u] for w, u in mmu_curve(series(trace), trace.duration)]
    data["mmu_sweep"] = [[w, u] for w, u in mmu_curve(series(trace, sweep=True), trace.duration)]
    from tracetui.analysis.host import host_context

    data["host"] = host_context(trace)  # null without a recording's sampler
    from tracetui.analysis.trigger import flight_trigger

    data["trigger"] = flight_trigger(trace)  # a flight-recorder snapshot's reason and moment; null otherwise
    if partial is not None:
        data["partial"] = partial
    return json.dumps(data, indent=2, sort_keys=False)


def partial_warning(path: str, table: EventTable) -> str:
    """One line: how much of a broken trace was lost and why."""
    lost = max(0, table.size - table.valid_size)
    pct = 100.0 * lost / table.size if table.size else 0.0
    err = safe_text((table.error or "").split("\n")[0], keep_newlines=False)
    at = f" at byte {table.error_offset}" if table.error_offset is not None else ""
    return (
        f"tracetui: {safe_text(path, keep_newlines=False)}: warning: {err}{at}; using the complete generations, "
        f"lost {pct:.2f}% of the trace data ({format_bytes(lost)} of {format_bytes(table.size)})"
    )


def _gomaxprocs(v: object) -> str:
    if isinstance(v, dict):
        last, top = v.get("last"), v.get("max")
        return f"{last}" if last == top else f"{last} (max {top})"
    return "?" if v is None else str(v)


def _injected_note(trace: Trace, shown: bool) -> str:
    """How many goroutines are `tracetui record`'s own, and whether the figures leave them out."""
    n = len(trace.injected)
    if not n:
        return ""
    if shown:
        return f" ({n} of them tracetui record's own, included)"
    return f" ({n} of them tracetui record's own, left out of the findings; --show-injected)"


def _where(trace: Trace, stack: int, frames: int = 2) -> str:
    """The innermost frames of a stack: `runtime.chanrecv1 <- main.worker (main.go:42)`."""
    fr = trace.frames(stack)[:frames] if stack else []
    if not fr:
        return "(no stack)"
    names = " <- ".join(f for f, _, _ in fr)
    _, file, line = fr[-1]
    return f"{names} ({file.rsplit('/', 1)[-1]}:{line})"


def _mmu_finding(trace: Trace) -> str:
    """The MMU at 1 ms, 10 ms and 100 ms windows, and where the worst 1 ms window starts
    ("" when the GC never took a P from the program)."""
    from tracetui.analysis.mmu import mmu, series, worst_window

    u = series(trace)
    if len(u) < 2 or float(np.min(u.value)) >= 1.0:
        return ""
    span = int(u.ts[-1] - u.ts[0])
    parts = [f"{format_duration(w)} {mmu(u, w):.0%}" for w in (10**6, 10**7, 10**8) if w <= span]
    if not parts:
        return ""
    at, _ = worst_window(u, min(10**6, span))
    return f"least in any window: {', '.join(parts)}; the worst 1 ms starts at {format_duration(at)}"


def findings(trace: Trace, show_injected: bool = False) -> list[tuple[str, str]]:
    """What to look at first: the longest pause, the worst scheduler latency, the stacks
    that block most (as (title, text), sanitised; without the recorder's injected code
    unless `show_injected`)."""
    from tracetui.analysis.blocking import PROFILES, by_stack, samples

    out: list[tuple[str, str]] = []
    stw = trace.stw
    if len(stw):
        i = int(np.argmax(stw.end - stw.start))
        kind = trace.string(int(stw.reason[i])) or "unknown kind"
        took = format_duration(int(stw.end[i] - stw.start[i]))
        out.append(("Longest stop-the-world", f"{took} ({kind}), at {format_duration(int(stw.start[i]))}"))
    sched = samples(trace, PROFILES["sched"], show_injected)
    if len(sched):
        i = int(np.argmax(sched.delay))
        g = trace.goroutine_track(int(sched.goroutine[i]))
        who = g.name if g is not None else f"G{int(sched.goroutine[i])}"
        p99 = int(np.sort(sched.delay)[max(int(np.ceil(0.99 * len(sched))) - 1, 0)])
        worst = format_duration(int(sched.delay[i]))
        when = format_duration(int(sched.start[i]))
        out.append(("Worst scheduler latency", f"{worst} ({who}, at {when}); p99 {format_duration(p99)}"))
    mmu_line = _mmu_finding(trace)
    if mmu_line:
        out.append(("Mutator utilization", mmu_line))
    titles = {"sync": "Blocks most (sync)", "net": "Blocks most (network)", "syscall": "Blocks most (syscall)"}
    for kind, title in titles.items():
        top = by_stack(samples(trace, PROFILES[kind], show_injected))
        if top:
            t = top[0]
            waits = f"{t.count:,} wait{'s' if t.count != 1 else ''}"
            out.append((title, f"{format_duration(t.delay)} in {waits} at {_where(trace, t.stack)}"))
    from tracetui.analysis.host import host_context, host_findings

    out += host_findings(host_context(trace))
    return [(a, safe_text(b, keep_newlines=False)) for a, b in out]


def print_summary(
    path: str, trace: Trace | EventTable, console: Console | None = None, show_injected: bool = False
) -> None:
    """The short human report (of a model, or of a Go event table, modelled here)."""
    if isinstance(trace, EventTable):
        from tracetui.model.from_gotrace import build_model

        trace = build_model(trace)
    s = summary_stats(trace)
    console = console or Console()
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    stw = s["stw"]
    godebug = trace.source == "godebug"
    version = go_version_text(trace)
    if trace.go_version:
        version += " (the binary's build info)"
    rows = [
        ("Trace", Text(safe_text(path, keep_newlines=False))),
        ("Go version", Text(version)),
        ("Duration", Text(format_duration(s["duration_ns"]))),
        (_EVENTS.get(trace.source, "Events"), Text(f"{s['events']:,}")),
        ("GOMAXPROCS", Text(_gomaxprocs(s.get("gomaxprocs")))),
        ("Runnable goroutines", Text(f"{s['runnable_goroutines']:,} at most (run queues, schedtrace)"))
        if godebug
        else ("Goroutines", Text(f"{s['goroutines']:,}{_injected_note(trace, show_injected)}")),
        ("Ps / threads", Text(f"{s['procs']} / {s['threads']} at most (schedtrace)"))
        if godebug
        else ("Procs / threads", Text(f"{s['procs']} / {s['threads']}")),
        ("GC cycles", Text(f"{s['gc_cycles']:,}")),
        (
            "Stop-the-world",
            Text(
                f"{stw['count']} pause{'' if stw['count'] == 1 else 's'}, {format_duration(stw['total_ns'])} total, "
                f"longest {format_duration(stw['max_ns'])}"
            ),
        ),
    ]
    from tracetui.analysis.host import host_context, host_line

    host = host_context(trace)
    if host is not None:
        rows.append(("Host", Text(host_line(host))))
    from tracetui.analysis.trigger import flight_trigger

    trigger = flight_trigger(trace)
    if trigger is not None:
        what = safe_text(trigger["reason"], keep_newlines=False)
        rows.insert(
            1, ("Snapshot of", Text(f"a flight recorder, triggered by {what} at {format_duration(trigger['at_ns'])}"))
        )
    for k, v in rows:
        grid.add_row(k, v)
    found = findings(trace, show_injected)
    if found:
        lead = Table.grid(padding=(0, 2))
        lead.add_column(style="bold yellow")
        lead.add_column()
        for title, text in found:
            lead.add_row(title, Text(text))
        console.print(lead)
        console.print()
    console.print(grid)
