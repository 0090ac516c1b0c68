"""`summary --fail-on 'sched_latency.p99>5ms'`: thresholds on the histograms for CI gates,
and on the MMU at a window (`mmu.10ms<0.5`, `mmu_sweep.1ms<40%`)."""

from __future__ import annotations

import difflib
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from tracetui.analysis.histograms import Histogram
from tracetui.errors import UsageError
from tracetui.units import format_duration

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt, "==": operator.eq,
}  # fmt: skip
_STATS = {"count": "count", "total": "total_ns", "p50": "p50_ns", "p90": "p90_ns", "p99": "p99_ns",
          "p999": "p999_ns", "max": "max_ns"}  # fmt: skip
_RULE = re.compile(r"^\s*([A-Za-z0-9_ ().*/-]+?)\.(\w+)\s*(>=|<=|==|>|<)\s*([0-9.]+)\s*(ns|us|µs|ms|s)?\s*$")
_UNIT = {"ns": 1.0, "us": 1e3, "µs": 1e3, "ms": 1e6, "s": 1e9}
_NAMES = ("sched_latency", "syscall", "gc", "stw", "region", "task")  # as latency_histograms names them
_PREFIXES = ("stw_", "block_")  # stw_<kind>, block_<reason>: the names the trace's strings give
VALID_NAMES = "sched_latency, syscall, gc, stw, stw_<kind>, block_<reason>, region, task, mmu.WINDOW, mmu_sweep.WINDOW"
_MMU_RULE = re.compile(r"^\s*(mmu|mmu_sweep)\.([0-9.]+)(ns|us|µs|ms|s)\s*(>=|<=|==|>|<)\s*([0-9.]+)\s*(%)?\s*$")


@dataclass(frozen=True)
class Rule:
    text: str
    histogram: str
    stat: str
    op: str
    value: float  # ns for times, a plain number for count, a fraction for an MMU
    window: int = 0  # an MMU rule's window (ns)


def parse_rule(text: str) -> Rule:
    """`NAME.STAT OP VALUE[unit]`, e.g. `stw.max>1ms`, `block_select.count>=100`; or
    `mmu.WINDOW OP FRACTION[%]`, e.g. `mmu.10ms<0.5` (mmu_sweep counts sweeping too)."""
    if (mm := _MMU_RULE.match(text)) is not None:
        name, number, unit, op, value, pct = mm.groups()
        try:
            window, frac = int(float(number) * _UNIT[unit]), float(value) / (100.0 if pct else 1.0)
        except ValueError:
            window, frac = 0, -1.0
        if window <= 0 or not 0.0 <= frac <= 1.0:
            raise UsageError(f"bad --fail-on {text!r}: an MMU rule is mmu.WINDOW OP FRACTION, e.g. 'mmu.10ms<0.5'")
        return Rule(text.strip(), name, "window", op, frac, window)
    m = _RULE.match(text)
    if not m or m.group(2) not in _STATS:
        raise UsageError(
            f"bad --fail-on {text!r}: want NAME.STAT OP VALUE, STAT one of {', '.join(_STATS)}, "
            "OP one of > >= < <= ==, VALUE a number with ns/us/ms/s for times (e.g. 'stw.max>1ms'); "
            f"NAME one of {VALID_NAMES}"
        )
    name, stat, op, number, unit = m.groups()
    if name not in _NAMES and not any(name.startswith(p) and len(name) > len(p) for p in _PREFIXES):
        near = difflib.get_close_matches(name, [*_NAMES, "mmu", "mmu_sweep"], n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        raise UsageError(f"unknown --fail-on metric {name!r} in {text!r}{hint}: names are {VALID_NAMES}")
    if stat == "count" and unit:
        raise UsageError(f"bad --fail-on {text!r}: a count has no unit")
    return Rule(text.strip(), name, stat, op, float(number) * _UNIT[unit or "ns"])


def breaches(
    rules: list[Rule], histograms: Mapping[str, Histogram], mmu_at: Callable[[str, int], float] | None = None
) -> list[str]:
    """One text per rule that holds (the thresholds it breaches). A histogram the trace
    does not have counts as empty (0); `mmu_at(name, window)` answers the MMU rules."""
    out = []
    for r in rules:
        if r.stat == "window":
            mu = mmu_at(r.histogram, r.window) if mmu_at is not None else 1.0
            if _OPS[r.op](mu, r.value):
                out.append(f"{r.histogram} at {format_duration(r.window)} is {mu:.1%} ({r.text})")
            continue
        h = histograms.get(r.histogram)
        value = float(getattr(h, _STATS[r.stat])) if h is not None else 0.0
        if _OPS[r.op](value, r.value):
            shown = f"{value:.0f}" if r.stat == "count" else format_duration(value)
            out.append(f"{r.histogram}.{r.stat} is {shown} ({r.text})")
    return out
