"""The text report of `tracetui diff`: the largest changes first, then the figures the
question "what got slower?" needs (block time by reason, scheduler latency and STW
percentiles, GC, goroutine groups, MMU, CPU by function), then the host of each side."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from tracetui.analysis.diff import Change, ranked
from tracetui.analysis.host import host_line
from tracetui.sanitize import safe_text
from tracetui.units import format_duration

TOP = 10
_SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Block time", tuple(f"block.{r}.total_ns" for r in ("sync", "net", "syscall", "sched"))),
    ("Sched latency", tuple(f"histograms.sched_latency.{s}_ns" for s in ("p50", "p90", "p99", "max"))),
    ("Stop-the-world", ("stw.count", "stw.total_ns", "histograms.stw.p50_ns", "histograms.stw.p99_ns", "stw.max_ns")),
    ("GC", ("gc_cycles", "gc.assist_ns", "histograms.gc.total_ns")),
    ("MMU", ("mmu.1ms", "mmu.10ms", "mmu.100ms")),
)
_TOP_OF = (("Goroutine groups", "goroutine_groups.", ".total_ns"), ("CPU samples", "cpu.", ""))


def shown(path: str, v: float) -> str:
    """A metric's value in its unit."""
    if path.endswith("_ns"):
        return format_duration(int(v))
    if path.startswith(("mmu.", "mmu_sweep.")):
        return f"{v:.1%}"
    if path.endswith("_bytes") or "_bytes." in path:
        from tracetui.units import format_bytes

        return format_bytes(int(v))
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.2f}"


def how_much(c: Change) -> str:
    """`+25.0%`, `new`, `gone` (or the change in points for a utilization)."""
    if c.path.startswith(("mmu.", "mmu_sweep.")):
        return f"{c.change * 100:+.1f} pt"
    if c.a == c.b:
        return "="
    if c.ratio is None:
        return "new"
    if c.b == 0:
        return "gone"
    if c.ratio >= 9:
        return f"x{c.b / c.a:,.0f}"
    return f"{c.ratio:+.1%}"


def label(path: str) -> str:
    """A metric's short name: `sched_latency.p99` for `histograms.sched_latency.p99_ns`,
    `group main.worker time` for `goroutine_groups.main.worker.total_ns`."""
    if path.startswith("goroutine_groups."):
        name, _, stat = path.removeprefix("goroutine_groups.").rpartition(".")
        return f"group {name} {'time' if stat == 'total_ns' else stat}"
    return path.removeprefix("histograms.").removesuffix("_ns")


def _row(table: Table, section: str, c: Change) -> None:
    """One metric's row (the section named only on its first row)."""
    if table.rows and getattr(table, "_last_section", None) == section:
        section = ""
    else:
        table._last_section = section  # type: ignore[attr-defined]
    spread = {True: "beyond spread", False: "within spread", None: ""}[c.beyond_spread]
    style = "red" if c.beyond_spread or (c.beyond_spread is None and c.score > 0.2) else ""
    table.add_row(
        section,
        Text(safe_text(label(c.path), keep_newlines=False), overflow="fold"),
        Text(f"{shown(c.path, c.a)} -> {shown(c.path, c.b)}"),
        Text(how_much(c), style=style),
        Text(spread),
    )


def print_diff(
    a_paths: Sequence[str],
    b_paths: Sequence[str],
    a: Sequence[Mapping[str, Any]],
    b: Sequence[Mapping[str, Any]],
    changes: Mapping[str, Change],
    warnings: Sequence[str],
    console: Console | None = None,
) -> None:
    """The human report of a diff: the largest change on the first line."""
    console = console or Console()
    order = ranked(changes)
    many = max(len(a), len(b)) > 1
    if order:
        c = order[0]
        console.print(
            Text.assemble(
                ("Largest change: ", "bold"),
                safe_text(label(c.path), keep_newlines=False),
                f" {shown(c.path, c.a)} -> {shown(c.path, c.b)} ({how_much(c)})",
            )
        )
    else:
        console.print(Text("No change between A and B", style="bold"))
    for w in warnings:
        console.print(Text(f"Host differs: {safe_text(w, keep_newlines=False)}", style="bold yellow"))
    if warnings:
        console.print(Text("  (the host conditions may explain the change, not the program)", style="yellow"))
    sides = Table.grid(padding=(0, 2))
    sides.add_column(style="bold")
    sides.add_column()
    for name, paths in (("A", a_paths), ("B", b_paths)):
        kind = f" (medians of {len(paths)})" if many else ""
        sides.add_row(name, Text(safe_text(", ".join(paths), keep_newlines=False) + kind))
    console.print(sides)
    table = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
    for col in ("", "metric", "A -> B", "change", ""):
        table.add_column(col, overflow="fold")
    seen: set[tuple[str, float, float]] = set()
    for c in order:  # p99, p999 and max of one histogram often move alike: the first of them stands for all
        key = (c.path.rpartition(".")[0], c.a, c.b)
        if key not in seen and len(seen) < TOP:
            seen.add(key)
            _row(table, "Largest", c)
    for section, paths in _SECTIONS:
        for p in paths:
            if p in changes:
                _row(table, section, changes[p])
    for section, prefix, suffix in _TOP_OF:
        mine = [c for c in order if c.path.startswith(prefix) and c.path.endswith(suffix)]
        for c in mine[:5]:
            _row(table, section, c)
    console.print(table)
    host = Table.grid(padding=(0, 2))
    host.add_column(style="bold")
    host.add_column()
    for name, side in (("Host A", a), ("Host B", b)):
        lines = [host_line(s["host"]) if s.get("host") else "no host context (not a tracetui recording)" for s in side]
        host.add_row(name, Text(safe_text("; ".join(dict.fromkeys(lines)), keep_newlines=False)))
    console.print(host)
