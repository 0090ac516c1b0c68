"""Human units for durations, sizes and counts, shared by the report and the viewer."""

from __future__ import annotations


def format_duration(ns: float) -> str:
    """A duration with a unit a human reads at a glance: 1.23 ms, 456 ns."""
    ns = float(ns)
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if abs(ns) >= scale:
            v = ns / scale
            return f"{v:.3g} {unit}" if abs(v) < 100 else f"{v:.0f} {unit}"
    return f"{ns:.0f} ns"


def format_bytes(n: int) -> str:
    """Bytes in B, KiB, MiB or GiB."""
    v = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if v < 1024 or unit == "GiB":
            return f"{v:.0f} {unit}" if unit == "B" else f"{v:.1f} {unit}"
        v /= 1024
    return f"{v:.1f} GiB"


def count_text(n: int) -> str:
    """`950`, `12.3 k`, `12.3 M`."""
    if n < 1000:
        return str(n)
    if n < 1_000_000:
        return f"{n / 1000:.1f} k"
    return f"{n / 1e6:.1f} M"
