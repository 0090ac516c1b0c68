"""Minimum mutator utilization (MMU), as go tool trace's /mmu computes it.

The utilization over time is the model's (`Trace.utilization`, or `utilization_sweep`
with sweeping counted as GC work too; see model/utilization.py). For a window w, the MMU
is the minimum over all windows [t, t + w] inside the series of the mean utilization: the
utilization is a step function, so the mean is piecewise linear in t and its minimum is
where an edge of the window meets a step; from the counter's prefix integral, exactly.
"""

from __future__ import annotations

import numpy as np

from tracetui.model import Counter, Trace

I64 = np.int64
FIRST_WINDOW = 1000  # ns: the curve starts at 1 µs


def series(trace: Trace, sweep: bool = False) -> Counter:
    """The utilization series the MMU is taken of: go tool trace's default definition
    (STW, background mark workers and assists are GC work), or with sweeping too."""
    return trace.utilization_sweep if sweep else trace.utilization


def _window_means(u: Counter, window: int) -> tuple[np.ndarray, np.ndarray]:
    """(start, mean utilization) of the windows of `window` ns (at most the series'
    length) that start or end at a step: among them is the least (O(n log n))."""
    ts, v = u.ts, u.value
    t0, t1 = int(ts[0]), int(ts[-1])
    window = max(min(int(window), t1 - t0), 1)
    integ = u.integral()

    def area(t: np.ndarray) -> np.ndarray:
        k = np.maximum(np.searchsorted(ts, t, "right") - 1, 0)
        return integ[k] + v[k] * (t - ts[k]).astype(np.float64)

    starts = np.concatenate([ts[ts <= t1 - window], ts[ts >= t0 + window] - window])
    return starts, (area(starts + window) - area(starts)) / window


def mmu(u: Counter, window: int) -> float:
    """The minimum mean utilization over the windows of `window` ns inside the series."""
    if len(u) < 2:
        return 1.0
    return float(max(_window_means(u, window)[1].min(), 0.0))


def windows(u: Counter, top: int | None = None, points: int = 50) -> np.ndarray:
    """int64 window sizes on a log scale from 1 µs to `top` (default: the length of the
    series; a longer window counts as the whole series, as in Go)."""
    if len(u) < 2:
        return np.zeros(0, I64)
    top = max(int(u.ts[-1] - u.ts[0]) if top is None else int(top), FIRST_WINDOW)
    return np.unique(np.geomspace(FIRST_WINDOW, top, points).astype(I64))


def mmu_curve(u: Counter, top: int | None = None, points: int = 50) -> list[tuple[int, float]]:
    """[(window ns, MMU)] on a log scale from 1 µs to `top` (see `windows`)."""
    return [(w, mmu(u, w)) for w in windows(u, top, points).tolist()]


def worst_window(u: Counter, window: int) -> tuple[int, float]:
    """(start, mean utilization) of the first window of `window` ns with the least mean
    utilization: where on the timeline the MMU at that window is reached."""
    if len(u) < 2:
        return 0, 1.0
    starts, means = _window_means(u, window)
    least = means.min()
    return int(starts[means == least].min()), float(max(least, 0.0))
