"""Helpers for the Perfetto tests: comparing two models column by column."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from tracetui.model import Trace

_COLUMNS = (
    "start", "end", "state", "reason", "stack", "arg", "depth", "ts", "value", "kind", "string", "track", "task",
    "m", "p", "g", "from_track", "from_ts", "to_track", "to_ts", "id", "func", "created", "ended", "creator",
    "create_stack", "start_stack", "parent", "name", "begin_g", "end_g", "begin_stack", "end_stack", "has_begin",
    "has_end", "lane",
)  # fmt: skip


def _same_columns(a: object, b: object, where: str) -> None:
    if a is None or b is None:
        assert a is None and b is None, f"{where}: {a!r} vs {b!r}"
        return
    for k in _COLUMNS:
        va = getattr(a, k, None)
        if va is None and not isinstance(getattr(type(a), k, None), property):
            assert getattr(b, k, None) is None, f"{where}.{k}: missing on the original"
            continue
        va, vb = np.asarray(va), np.asarray(getattr(b, k))
        assert va.shape == vb.shape, f"{where}.{k}: shape {va.shape} vs {vb.shape}"
        assert np.array_equal(va, vb), f"{where}.{k} differs: {va[:8]} vs {vb[:8]}"


def assert_same_model(m: Trace, r: Trace) -> None:
    """Every column, table and scalar of two models is equal (dtypes aside)."""
    for f in ("version", "base_time", "duration", "events", "error"):
        assert getattr(m, f) == getattr(r, f), f
    assert np.array_equal(m.sync_times, r.sync_times)
    assert m.strings.strings == r.strings.strings
    for f in ("stacks", "frame_pc", "frame_func", "frame_file", "frame_line"):
        assert getattr(m.stacks, f) == getattr(r.stacks, f), f
    assert [(t.kind, t.id, t.name, t.group, t.unit) for t in m.tracks] == [
        (t.kind, t.id, t.name, t.group, t.unit) for t in r.tracks
    ]
    assert (m.source, m.go_version) == (r.source, r.go_version)
    assert np.array_equal(m.injected, r.injected)
    for i, (a, b) in enumerate(zip(m.tracks, r.tracks)):
        for part in ("spans", "counter", "instants"):
            _same_columns(getattr(a, part), getattr(b, part), f"track {i} ({a.name}).{part}")
    for f in ("gc", "stw", "assists", "sweeps", "heap_alloc", "heap_goal", "gomaxprocs", "tasks", "regions", "logs",
              "labels", "cpu_samples", "flows", "goroutines", "utilization", "utilization_sweep"):  # fmt: skip
        _same_columns(getattr(m, f), getattr(r, f), f)
    assert list(m.goroutine_counts) == list(r.goroutine_counts)
    assert list(m.thread_counts) == list(r.thread_counts)
    for s in m.goroutine_counts:
        _same_columns(m.goroutine_counts[s], r.goroutine_counts[s], f"goroutine_counts[{s.name}]")
    for s in m.thread_counts:
        _same_columns(m.thread_counts[s], r.thread_counts[s], f"thread_counts[{s.name}]")
    for f in ("proc_ids", "proc_tracks", "thread_ids", "thread_tracks"):
        assert np.array_equal(getattr(m, f), getattr(r, f)), f


@pytest.fixture
def same_model() -> Callable[[Trace, Trace], None]:
    return assert_same_model
