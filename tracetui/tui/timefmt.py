"""Times for people: ruler ticks, time stamps and durations, and parsing what users type."""

from __future__ import annotations

import math
import re

from tracetui.units import format_duration

__all__ = ["duration_text", "format_duration", "format_offset", "format_time", "parse_time", "tick_step"]

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


def duration_text(ns: int, resolution: float | None = None) -> str:
    """A span's duration as the status line and the details pane both print it: three
    significant digits (`format_duration`), and more where a column of the view
    (`resolution` ns) is finer than the last of them, so that two spans whose lengths differ
    by a column never print alike: 12.3 ms at the whole trace, 12.346 ms at 1 µs a column."""
    text = format_duration(ns)
    if resolution is None or resolution <= 0 or abs(ns) < 1000:
        return text
    unit, scale = next((u, s) for u, s in _UNITS if abs(ns) >= s)
    need = min(math.ceil(math.log10(scale / resolution) - 1e-9), round(math.log10(scale)))
    number = text.split(" ", 1)[0]
    have = len(number.split(".", 1)[1]) if "." in number else 0
    if need <= have:
        return text
    return f"{ns / scale:.{need}f} {unit}"


def parse_time(text: str) -> int | None:
    """Nanoseconds from `1.5ms`, `200us`, `3s`, `120ns`; None if it is not a time."""
    m = _TIME_RE.match(text)
    if not m:
        return None
    return round(float(m.group(1)) * _PARSE_UNITS[m.group(2).lower()])
