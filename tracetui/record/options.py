"""What `tracetui record` was asked to do, and the parsing of its durations and sizes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tracetui.errors import UsageError

if TYPE_CHECKING:
    from tracetui.record.flight import Trigger

MODES = ("auto", "source", "test", "binary", "pprof", "plain")

_UNITS_S = {"": 1.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "m": 60.0, "h": 3600.0}
_UNITS_B = {"": 1, "b": 1, "k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "kib": 1 << 10,
            "mib": 1 << 20, "gib": 1 << 30}  # fmt: skip


@dataclass
class RecordOptions:
    command: list[str]
    mode: str = "auto"
    output: str | None = None
    duration: float | None = None  # seconds
    max_size: int | None = None  # bytes of raw trace
    sample: bool = True
    sample_hz: float = 25.0
    pprof: str | None = None
    foreground: bool = False
    godebug_period_ms: int = 100
    scheddetail: bool = False
    cpu_profile: bool = False  # run the CPU profiler during the trace (its samples go into it)
    flight: bool = False  # a flight recorder: snapshots of the last `flight_window` s when a trigger fires
    flight_window: float = 10.0
    flight_max_bytes: int = 64_000_000
    flight_cooldown: float = 10.0  # s between two snapshots by rules
    triggers: list[Trigger] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)


def parse_duration(text: str) -> float:
    """'10s', '1.5', '500ms', '2m' -> seconds (> 0)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|us|s|m|h)?\s*", text)
    if not m:
        raise UsageError(f"bad duration {text!r} (say 10s, 1.5, 500ms or 2m)")
    value = float(m.group(1)) * _UNITS_S[m.group(2) or ""]
    if value <= 0:
        raise UsageError(f"bad duration {text!r}: must be more than 0")
    return value


def parse_size(text: str) -> int:
    """'100MB', '1G', '512MiB', '1000000' -> bytes (> 0)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d*)?)\s*([a-zA-Z]*)\s*", text)
    unit = m.group(2).lower() if m else ""
    if not m or unit not in _UNITS_B:
        raise UsageError(f"bad size {text!r} (say 100MB, 1GB or 512MiB)")
    value = int(float(m.group(1)) * _UNITS_B[unit])
    if value <= 0:
        raise UsageError(f"bad size {text!r}: must be more than 0")
    return value
