"""`tracetui diff A B`: what changed between two runs, computed from their `summary --json`
dicts (and CPU samples by function, when both sides have them).

Metrics are flat dotted paths into the summary JSON (`block.sync.total_ns`,
`histograms.sched_latency.p99_ns`, `host.read_bytes`): every numeric leaf of the summary's
objects, plus a few derived ones (`goroutine_groups.NAME.total_ns|count`, `gc.assist_ns`
= the groups' GC mark assist time, `mmu.1ms|10ms|100ms` and `mmu_sweep.*` read off the MMU
curves, `cpu.FUNCTION` = CPU samples whose leaf is FUNCTION).

Several traces per side: each side's value is the median of its traces, its spread the
min..max, and a change is "beyond the spread" when the two ranges do not overlap (null with
one trace on a side).

"Largest change": the score of a metric is |log((b + f) / (a + f))|, the size of the change
as a ratio, where f is a floor per kind of figure (for times 0.1% of the longer trace's
duration and at least 10 µs, 1 MiB for bytes, 5 for counts, 0.05 for utilizations, 1 CPU
sample) so that changes small beside the run do not rank high (0 -> 1 ms is not "infinite").
Ties go to the larger absolute change. Host figures are reported apart, not ranked (nor is
the event count).
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tracetui.analysis.host import COLD_BYTES
from tracetui.model.trace import Trace

Summary = Mapping[str, Any]
MMU_WINDOWS = {"1ms": 10**6, "10ms": 10**7, "100ms": 10**8}
ASSIST = "GC mark assist"
_SKIP = {"buckets", "processes", "partial", "nodes"}  # not compared (lists, per-pid sections)


def flatten(summary: Summary, cpu: Mapping[str, int] | None = None) -> dict[str, float]:
    """The comparable metrics of one summary, by path."""
    out: dict[str, float] = {}
    _walk(summary, "", out)
    assist = 0
    for g in summary.get("goroutine_groups") or []:
        name = str(g.get("name"))
        out[f"goroutine_groups.{name}.total_ns"] = float(g.get("total_ns") or 0)
        out[f"goroutine_groups.{name}.count"] = float(g.get("count") or 0)
        assist += int((g.get("breakdown_ns") or {}).get(ASSIST) or 0)
    out["gc.assist_ns"] = float(assist)
    for key in ("mmu", "mmu_sweep"):
        curve = summary.get(key) or []
        for label, w in MMU_WINDOWS.items():
            u = mmu_at(curve, w)
            if u is not None:
                out[f"{key}.{label}"] = u
    for fn, n in (cpu or {}).items():
        out[f"cpu.{fn}"] = float(n)
    return out


def _walk(obj: Any, prefix: str, out: dict[str, float]) -> None:
    if isinstance(obj, bool) or obj is None:
        return
    if isinstance(obj, int | float):
        out[prefix] = float(obj)
    elif isinstance(obj, Mapping):
        for k, v in obj.items():
            if k not in _SKIP and not (prefix == "" and k in ("goroutine_groups", "mmu", "mmu_sweep")):
                _walk(v, f"{prefix}.{k}" if prefix else str(k), out)


def mmu_at(curve: Sequence[Sequence[float]], window: int) -> float | None:
    """The MMU at `window` ns, interpolated (in log window) on a summary's `[[window, mmu]]`
    curve; None outside the curve's windows."""
    if not curve or window < curve[0][0] or window > curve[-1][0]:
        return None
    for (w0, u0), (w1, u1) in itertools.pairwise(curve):
        if w0 <= window <= w1:
            if w1 == w0:
                return float(u1)
            t = (math.log(window) - math.log(w0)) / (math.log(w1) - math.log(w0))
            return float(u0 + t * (u1 - u0))
    return float(curve[-1][1])


def floor(path: str, duration: float = 0.0) -> float:
    """The change below which a metric's ratio does not count (see the module's doc);
    `duration` is the longer trace's (ns)."""
    if path.startswith(("mmu", "mmu_sweep")):
        return 0.05
    if path.startswith("cpu."):
        return 1.0
    if path.endswith("_ns"):
        return max(10_000.0, duration / 1000)
    if "bytes" in path:
        return float(1 << 20)
    if "cpu_mhz" in path:
        return 100.0
    return 5.0


def score(path: str, a: float, b: float, duration: float = 0.0) -> float:
    """The size of a change A -> B as a ratio (see the module's doc)."""
    f = floor(path, duration)
    if a + f <= 0 or b + f <= 0:
        return abs(b - a)
    return abs(math.log((b + f) / (a + f)))


@dataclass(frozen=True)
class Change:
    path: str
    a: float  # median of side A
    b: float
    a_range: tuple[float, float]
    b_range: tuple[float, float]
    n: tuple[int, int]  # traces per side
    duration: float = 0.0  # the longer side's (median) duration, ns: scales the floor of times

    @property
    def change(self) -> float:
        return self.b - self.a

    @property
    def ratio(self) -> float | None:
        """(b - a) / a, or None when a is 0."""
        return (self.b - self.a) / self.a if self.a else None

    @property
    def beyond_spread(self) -> bool | None:
        if min(self.n) < 2:
            return None
        return self.b_range[0] > self.a_range[1] or self.b_range[1] < self.a_range[0]

    @property
    def score(self) -> float:
        return score(self.path, self.a, self.b, self.duration)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"a": _num(self.a), "b": _num(self.b), "change": _num(self.change)}
        out["ratio"] = None if self.ratio is None else round(self.ratio, 6)
        if max(self.n) > 1:
            out["a_range"] = [_num(x) for x in self.a_range]
            out["b_range"] = [_num(x) for x in self.b_range]
            out["beyond_spread"] = self.beyond_spread
        return out


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else round(x, 6)


def compare(
    a: Sequence[Summary],
    b: Sequence[Summary],
    cpu_a: Sequence[Mapping[str, int]] | None = None,
    cpu_b: Sequence[Mapping[str, int]] | None = None,
) -> dict[str, Change]:
    """Every metric of either side, A's and B's medians and ranges. A metric one side lacks
    counts as 0 there (a block reason that never happened), except MMU windows, host figures
    and CPU functions, which are compared only when both sides have them (CPU functions: when
    both sides have CPU samples)."""
    both_cpu = bool(cpu_a) and bool(cpu_b) and all(cpu_a or []) and all(cpu_b or [])
    fa = [flatten(s, cpu_a[i] if both_cpu and cpu_a else None) for i, s in enumerate(a)]
    fb = [flatten(s, cpu_b[i] if both_cpu and cpu_b else None) for i, s in enumerate(b)]
    paths = list(dict.fromkeys(p for f in (*fa, *fb) for p in f))
    duration = max(statistics.median(f.get("duration_ns", 0.0) for f in side) for side in (fa, fb))
    out: dict[str, Change] = {}
    for p in paths:
        if p.startswith(("mmu", "host.")) and not (all(p in f for f in fa) and all(p in f for f in fb)):
            continue
        va = [f.get(p, 0.0) for f in fa]
        vb = [f.get(p, 0.0) for f in fb]
        out[p] = Change(p, statistics.median(va), statistics.median(vb), (min(va), max(va)), (min(vb), max(vb)),
                        (len(va), len(vb)), duration)  # fmt: skip
    return out


def ranked(changes: Mapping[str, Change]) -> list[Change]:
    """The changed metrics, largest change first (host figures and the event count, which
    says how big the trace is rather than how the program ran, left out)."""
    moved = [c for p, c in changes.items() if c.change != 0 and not p.startswith("host.") and p != "events"]
    return sorted(moved, key=lambda c: (-c.score, -abs(c.change), c.path))


def host_warnings(a: Sequence[Summary], b: Sequence[Summary]) -> list[str]:
    """How the host conditions of A and B differ enough to explain a change (empty when they
    look alike or neither side has host context)."""
    ha: list[Any] = [s.get("host") for s in a]
    hb: list[Any] = [s.get("host") for s in b]
    if not any(ha) and not any(hb):
        return []
    if not all(ha) or not all(hb):
        side = "A" if all(ha) else "B" if all(hb) else "only some traces"
        return [f"host context only on {side}: the host conditions cannot be compared"]
    out: list[str] = []
    reads = [[h.get("read_bytes") or 0 for h in side] for side in (ha, hb)]
    cold = [max(r) >= COLD_BYTES for r in reads]
    if cold[0] != cold[1]:
        which, other = ("A", "B") if cold[0] else ("B", "A")
        i = 0 if cold[0] else 1
        out.append(
            f"page cache cold on {which} only: {_bytes(max(reads[i]))} read from disk, "
            f"{_bytes(max(reads[1 - i]))} on {other}"
        )
    faults = [max(h.get("major_faults") or 0 for h in side) for side in (ha, hb)]
    if max(faults) >= 100 and min(faults) * 10 < max(faults) and cold[0] == cold[1]:
        out.append(f"major page faults differ: {faults[0]:,} on A, {faults[1]:,} on B")
    mhz = [[h["cpu_mhz"] for h in side if h.get("cpu_mhz")] for side in (ha, hb)]
    if mhz[0] and mhz[1]:
        lo = [min(m["min"] for m in side) for side in mhz]
        hi = [max(m["max"] for m in side) for side in mhz]
        mean = [statistics.median(m["mean"] for m in side) for side in mhz]
        if hi[0] < lo[1] or hi[1] < lo[0]:
            out.append(f"CPU frequency ranges do not overlap: {_ghz(lo[0], hi[0])} GHz on A, {_ghz(lo[1], hi[1])} on B")
        elif max(mean) > 1.15 * min(mean):
            out.append(f"mean CPU frequency differs: {mean[0] / 1000:.2f} GHz on A, {mean[1] / 1000:.2f} on B")
    gov = [sorted({str(h.get("governor")) for h in side}) for side in (ha, hb)]
    if gov[0] != gov[1]:
        out.append(f"CPU governor differs: {','.join(gov[0])} on A, {','.join(gov[1])} on B")
    nodes = [sorted({str((h.get("numa") or {}).get("nodes")) for h in side}) for side in (ha, hb)]
    if nodes[0] != nodes[1]:
        out.append("NUMA nodes differ between A and B")
    return out


def _bytes(n: float) -> str:
    from tracetui.units import format_bytes

    return format_bytes(int(n))


def _ghz(lo: float, hi: float) -> str:
    return f"{lo / 1000:.2f}-{hi / 1000:.2f}"


def delta_json(changes: Mapping[str, Change], warnings: Sequence[str], top: int = 20) -> dict[str, Any]:
    """The `delta` object of `diff --json`: `largest` (paths, largest change first),
    `metrics` (path -> a, b, change, ratio[, a_range, b_range, beyond_spread]) and
    `host_warnings`."""
    return {
        "largest": [c.path for c in ranked(changes)[:top]],
        "host_warnings": list(warnings),
        "metrics": {p: c.as_json() for p, c in changes.items()},
    }


def cpu_functions(trace: Trace, show_injected: bool = False) -> dict[str, int]:
    """CPU samples by leaf function ({} without CPU samples)."""
    from tracetui.analysis.cpu import cpu_samples

    s = cpu_samples(trace, show_injected)
    if not len(s.stack):
        return {}
    ids, counts = np.unique(s.stack, return_counts=True)
    out: dict[str, int] = {}
    for sid, c in zip(ids.tolist(), counts.tolist(), strict=True):
        frames = trace.frames(sid) if sid > 0 else []
        fn = frames[0][0] if frames else "(no stack)"
        out[fn] = out.get(fn, 0) + int(c)
    return out
