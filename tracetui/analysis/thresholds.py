"""`summary --fail-on 'sched_latency.p99>5ms'`: thresholds on the histograms for CI gates,
and on the MMU at a window (`mmu.10ms<0.5`, `mmu_sweep.1ms<40%`)."""

from __future__ import annotations

import difflib
import math
import operator
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

import numpy as np

from tracetui.analysis.histograms import Histogram, Occurrences
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
    return [text for _, text in breached(rules, histograms, mmu_at)]


@dataclass(frozen=True)
class Place:
    """Where a breach happened: a track (index into the model's tracks) and [start, end)."""

    track: int
    start: int
    end: int


def place_of(rule: Rule, occ: Mapping[str, Occurrences]) -> Place | None:
    """Where a `NAME.max` breach happened: the longest occurrence the histogram counts (the
    other statistics, counts and MMU rules have no one place: None)."""
    o = occ.get(rule.histogram)
    if rule.stat != "max" or o is None or not len(o.duration):
        return None
    i = int(np.argmax(o.duration))
    start = int(o.start[i])
    return Place(int(o.track[i]), start, start + max(int(o.duration[i]), 1))


def breached(
    rules: list[Rule], histograms: Mapping[str, Histogram], mmu_at: Callable[[str, int], float] | None = None
) -> list[tuple[Rule, str]]:
    """The rules that hold, each with the text `breaches` gives it."""
    out: list[tuple[Rule, str]] = []
    for r in rules:
        if r.stat == "window":
            mu = mmu_at(r.histogram, r.window) if mmu_at is not None else 1.0
            if _OPS[r.op](mu, r.value):
                out.append((r, f"{r.histogram} at {format_duration(r.window)} is {mu:.1%} ({r.text})"))
            continue
        h = histograms.get(r.histogram)
        value = float(getattr(h, _STATS[r.stat])) if h is not None else 0.0
        if _OPS[r.op](value, r.value):
            shown = f"{value:.0f}" if r.stat == "count" else format_duration(value)
            out.append((r, f"{r.histogram}.{r.stat} is {shown} ({r.text})"))
    return out


# `tracetui diff --fail-on`: PATH OP VALUE on the diff's metrics (paths as in `delta.metrics`,
# `histograms.` and a stat's `_ns` may be left out: `sched_latency.p99`). A signed VALUE is a
# change from A to B: `+10%` relative, `+5ms` absolute; an unsigned one is B's value (as summary's).
_DIFF_RULE = re.compile(
    r"^\s*([^<>=\s][^<>=]*?)\s*(>=|<=|==|>|<)\s*([+-])?([0-9]*\.?[0-9]+)\s*(ns|us|µs|ms|s|%|B|KiB|MiB|GiB)?\s*$"
)
_BYTES = {"B": 1.0, "KiB": 1024.0, "MiB": 1024.0**2, "GiB": 1024.0**3}
DIFF_PATHS = (
    "block.REASON.total_ns|count, histograms.NAME.STAT (or NAME.STAT: sched_latency.p99, stw.max), stw.*, "
    "gc_cycles, gc.assist_ns, goroutine_groups.NAME.total_ns|count, mmu.1ms|10ms|100ms, mmu_sweep.*, host.*, "
    "cpu.FUNCTION, duration_ns, goroutines"
)
_ZERO_WHEN_MISSING = ("histograms.block_", "histograms.stw_", "goroutine_groups.", "cpu.")


@dataclass(frozen=True)
class DiffRule:
    text: str
    path: str
    op: str
    value: float  # ns for times, bytes, a fraction for %, a plain number otherwise
    relative: bool  # a signed VALUE with %: (B - A) / A
    change: bool  # a signed VALUE: B - A; unsigned: B's value


def parse_diff_rule(text: str) -> DiffRule:
    """`PATH OP [+|-]VALUE[unit|%]`, e.g. `block.sync.total_ns>+10%`, `sched_latency.p99<-20%`,
    `stw.max>+1ms` (B - A), `sched_latency.p99>5ms` (B's value), `mmu.10ms<50%`."""
    m = _DIFF_RULE.match(text)
    if not m:
        raise UsageError(
            f"bad --fail-on {text!r}: want PATH OP [+|-]VALUE, OP one of > >= < <= ==, a signed VALUE a change "
            "from A to B ('+10%', '-5ms'), an unsigned one B's value ('5ms'); e.g. 'block.sync.total_ns>+10%'"
        )
    path, op, sign, number, unit = m.groups()
    value = float(number) * (-1.0 if sign == "-" else 1.0)
    if unit == "%":
        value /= 100.0
    elif unit in _BYTES:
        value *= _BYTES[unit]
    elif unit:
        value *= _UNIT[unit]
    return DiffRule(text.strip(), path, op, value, relative=bool(sign) and unit == "%", change=bool(sign))


def resolve_path(path: str, known: Collection[str]) -> str | None:
    """The metric a rule's PATH names among `known` (`sched_latency.p99` ->
    `histograms.sched_latency.p99_ns`), or None."""
    head, _, stat = path.rpartition(".")
    stats = [stat, _STATS.get(stat, stat), f"{stat}_ns"]
    for prefix in ("", "histograms."):
        for s in stats:
            cand = f"{prefix}{head}.{s}" if head else f"{prefix}{s}"
            if cand in known:
                return cand
    return None


def unknown_path_error(rule: DiffRule, known: Collection[str]) -> UsageError:
    near = difflib.get_close_matches(rule.path, list(known), n=1, cutoff=0.5)
    hint = f" (did you mean {near[0]!r}?)" if near else ""
    return UsageError(f"unknown --fail-on path {rule.path!r} in {rule.text!r}{hint}: paths are {DIFF_PATHS}")


def zero_when_missing(path: str) -> str | None:
    """The metric path a rule names when neither side has it but it is of a family that
    counts as 0 then (a block reason that never happened), else None."""
    stat = path.rpartition(".")[2]
    full = path if path.startswith(("histograms.", "goroutine_groups.", "cpu.")) else f"histograms.{path}"
    if full.startswith(("histograms.block_", "histograms.stw_")):
        return f"{full.rpartition('.')[0]}.{_STATS.get(stat, stat)}" if stat in _STATS or stat.endswith("_ns") else None
    return path if path.startswith(_ZERO_WHEN_MISSING[2:]) else None


def diff_breach(rule: DiffRule, path: str, a: float, b: float) -> str | None:
    """The one-line text of a rule `rule` breached by A's and B's values of `path`, or None."""
    if rule.relative:
        got = (b - a) / a if a else (math.inf if b > 0 else -math.inf if b < 0 else 0.0)
    else:
        got = b - a if rule.change else b
    if not _OPS[rule.op](got, rule.value):
        return None
    if rule.relative:
        how = f"{'+' if got >= 0 else ''}{got:.1%}" if math.isfinite(got) else "new (was 0)"
    elif rule.change:
        how = f"{'+' if got >= 0 else '-'}{_shown(path, abs(got))}"
    else:
        how = f"is {_shown(path, got)}"
    return f"{path} {how} ({_shown(path, a)} -> {_shown(path, b)}), breaching {rule.text!r}"


def _shown(path: str, v: float) -> str:
    if path.endswith("_ns"):
        return format_duration(v)
    if path.startswith(("mmu.", "mmu_sweep.")):
        return f"{v:.1%}"
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.3f}"
