"""Times for people: ruler ticks, time stamps and durations, and parsing what users type."""

from __future__ import annotations

import math
import re

from tracetui.units import format_duration

__all__ = ["format_duration", "format_offset", "format_time", "parse_time", "tick_step"]

_UNITS = (("s", 1_000_000_000), ("ms", 1_000_000), ("µs", 1_000), ("ns", 1))
_PARSE_UNITS = {"s": 1e9, "ms": 1e6, "us": 1e3, "µs": 1e3, "ns": 1.0}
_TIME_RE = re.compile(r"^\s*([+-]?\d+(?:\.\d*)?|[+-]?\.\d+)\s*(s|ms|us|µs|ns)\s*$", re.IGNORECASE)


def tick_step(span: int, cells: int, min_cells: int = 12) -> int:
    """A 1-2-5 step in ns such that ticks are at least `min_cells` apart."""
    if cells <= 0 or span <= 0:
        return max(span, 1)
    raw = span * min_cells / cells
    mag = 10 ** math.floor(math.log10(max(raw, 1)))
    for m in (1, 2, 5, 10):
        if m * mag >= raw:
            return int(m * mag)
    return int(10 * mag)


def _unit_for(step: int) -> tuple[str, int]:
    for name, scale in _UNITS:
        if step >= scale:
            return name, scale
    return "ns", 1


def format_offset(ns: int, step: int) -> str:
    """`ns` with just the precision a tick step of `step` needs: 20ms, 1.5s, 250µs."""
    unit, scale = _unit_for(max(abs(ns), step))
    decimals = 0
    while decimals < 9 and (step % scale) * 10**decimals % scale != 0:
        decimals += 1
    if ns == 0:
        return "0"
    return f"{ns / scale:.{decimals}f}{unit}"


def format_time(ns: int, span: int | None = None) -> str:
    """A time stamp from the trace start, precise enough for a view of width `span`."""
    if span is None:
        span = max(abs(ns), 1)
    precision = max(1, tick_step(span, 100, 1))  # about 1/100 of the view
    digits = max(0, 9 - math.floor(math.log10(precision)))
    return f"{ns / 1e9:.{min(digits, 9)}f}s"


def parse_time(text: str) -> int | None:
    """Nanoseconds from `1.5ms`, `200us`, `3s`, `120ns`; None if it is not a time."""
    m = _TIME_RE.match(text)
    if not m:
        return None
    return round(float(m.group(1)) * _PARSE_UNITS[m.group(2).lower()])
