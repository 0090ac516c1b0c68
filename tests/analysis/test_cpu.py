"""CPU profile samples: the model's against Go's own parser (`go tool trace -d=parsed`), the
per-column density counts, the profile by stack, and `tracetui pprof --type cpu` read by
`go tool pprof`."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import TRACES, go_env
from tracetui.analysis.blocking import by_stack, known_stacks
from tracetui.analysis.cpu import PERIOD_NS, column_counts, cpu_samples, eighths, sample_index, top_functions
from tracetui.load import open_model
from tracetui.model.trace import Trace

CPU_TRACES = sorted(TRACES.glob("go1.*/cpuprofile.trace"))
CPU_TRACE = TRACES / "go1.27.3" / "cpuprofile.trace"
NO_SAMPLES = TRACES / "go1.27.3" / "channels.trace"
_EVENT = re.compile(r"M=(-?\d+) P=(-?\d+) G=(-?\d+) StackSample Time=(\d+)")


def _go_samples(gotool, path: Path) -> Counter[tuple[int, int, int, str]]:  # type: ignore[no-untyped-def]
    """(time, P, G, innermost function) of each StackSample event Go's parser prints."""
    out = gotool.parsed(path)
    assert out.returncode == 0, out.stderr.decode(errors="replace")[-300:]
    lines = out.stdout.decode(errors="replace").splitlines()
    found: Counter[tuple[int, int, int, str]] = Counter()
    for i, line in enumerate(lines):
        if m := _EVENT.search(line):
            leaf = ""
            if i + 2 < len(lines) and lines[i + 1] == "Stack=" and lines[i + 2].startswith("\t"):
                leaf = lines[i + 2].strip().rsplit(" @ ", 1)[0]
            found[(int(m.group(4)), int(m.group(2)), int(m.group(3)), leaf)] += 1
    return found


def _leaf(trace: Trace, stack: int) -> str:
    return trace.frames(stack)[0][0] if 0 < stack < len(trace.stacks.stacks) and trace.frames(stack) else ""


@pytest.mark.parametrize("path", CPU_TRACES, ids=lambda p: p.parent.name)
def test_samples_are_gos(gotool, path: Path) -> None:  # type: ignore[no-untyped-def]
    """Every StackSample event Go's parser sees, at its time, on its P and G, in its
    function, and no other."""
    trace = open_model(str(path)).trace
    cs = trace.cpu_samples
    ours = Counter(
        (int(t) + trace.base_time, int(p), int(g), _leaf(trace, int(s)))
        for t, p, g, s in zip(cs.ts.tolist(), cs.p.tolist(), cs.g.tolist(), cs.stack.tolist())
    )
    go = _go_samples(gotool, path)
    assert len(cs) >= 10
    assert ours == go


def test_column_counts_are_a_straight_count() -> None:
    rng = np.random.default_rng(7)
    ts = np.sort(rng.integers(0, 10_000, 500))
    edges = np.sort(rng.choice(np.arange(-50, 10_050), 41, replace=False))
    got = column_counts(ts, edges)
    want = [sum(1 for t in ts.tolist() if a <= t < b) for a, b in zip(edges[:-1].tolist(), edges[1:].tolist())]
    assert got.tolist() == want
    assert column_counts(ts, np.array([0, 10_000])).tolist() == [500]


def test_index_by_p_and_g_is_the_model_columns() -> None:
    trace = open_model(str(CPU_TRACE)).trace
    cs = trace.cpu_samples
    idx = sample_index(trace)
    assert sorted(idx.by_p) == sorted(set(cs.p.tolist()) - {-1})
    for who, col, by in (("p", cs.p, idx.by_p), ("g", cs.g, idx.by_g)):
        for k in by:
            rows = idx.rows(who, k)
            assert sorted(rows.tolist()) == np.flatnonzero(col == k).tolist()
            ts = idx.times(who, k)
            assert np.all(np.diff(ts) >= 0) and ts.tolist() == sorted(cs.ts[col == k].tolist())
    assert len(idx.rows("all")) == len(cs) == sum(len(v) for v in idx.by_p.values()) + int((cs.p < 0).sum())
    # Over the whole trace the columns hold every sample once.
    edges = np.linspace(0, trace.duration + 1, 97).astype(np.int64)
    assert int(column_counts(idx.times("all"), edges).sum()) == len(cs)


def test_density_in_eighths() -> None:
    edges = np.array([0, 100_000_000, 200_000_000, 201_000_000, 300_000_000])  # 100 ms, 100 ms, 1 ms, 99 ms
    k = eighths(np.array([0, 1, 1, 10]), edges)
    assert k.tolist() == [0, 1, 8, 8]  # none; one sample shows; narrower than a period; a full CPU
    assert eighths(np.array([5]), np.array([0, 100_000_000])).tolist() == [4]
    assert eighths(np.array([10]), np.array([0, 100_000_000]), cpus=2).tolist() == [4]


def test_profile_counts_per_stack_are_the_models() -> None:
    trace = open_model(str(CPU_TRACE)).trace
    cs = trace.cpu_samples
    s = cpu_samples(trace)
    want = Counter(known_stacks(trace, cs.stack).tolist())
    got = {st.stack: st.count for st in by_stack(s)}
    assert got == dict(want) and sum(got.values()) == len(cs) == 19
    assert all(st.delay == st.count * PERIOD_NS for st in by_stack(s))
    # Scoped: a P, a goroutine, a range: the same as masking the columns.
    g = int(np.bincount(cs.g[cs.g >= 0]).argmax())
    t0, t1 = int(np.median(cs.ts)), int(cs.ts.max())
    for kw, mask in (
        ({"proc": 1}, cs.p == 1),
        ({"goroutines": np.array([g])}, cs.g == g),
        ({"t0": t0, "t1": t1}, (cs.ts >= t0) & (cs.ts < t1)),
    ):
        part = cpu_samples(trace, **kw)  # type: ignore[arg-type]
        assert len(part) == int(mask.sum()) > 0, kw
        assert sorted(part.start.tolist()) == sorted(cs.ts[mask].tolist())
    leaf = Counter(_leaf(trace, int(x)) for x in cs.stack.tolist())
    assert top_functions(trace, np.arange(len(cs)), 3) == leaf.most_common(3)


def _pprof_top(go: str, f: Path) -> dict[str, int]:
    """Flat ns per function of `go tool pprof -top`."""
    out = subprocess.run(
        [go, "tool", "pprof", "-top", "-nodecount=1000", str(f)], capture_output=True, text=True,
        env=go_env(go), check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "Type: cpu" in out.stdout
    flat = {}
    row = re.compile(r"\s*([\d.]+)(ms|s|us|ns)?\s+[\d.]+%\s+[\d.]+%\s+[\d.]+(?:ms|s|us|ns)?\s+[\d.]+%\s+(\S+)")
    for line in out.stdout.splitlines():
        if m := row.match(line):
            scale = {"s": 1e9, "ms": 1e6, "us": 1e3, "ns": 1, None: 1}[m.group(2)]
            flat[m.group(3)] = round(float(m.group(1)) * scale)
    return {k: v for k, v in flat.items() if v}


def test_pprof_cpu_is_read_by_go_tool_pprof(go: str, tmp_path: Path) -> None:
    out = tmp_path / "cpu.pb.gz"
    env = dict(go_env(go), PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    p = subprocess.run([sys.executable, "-m", "tracetui", "pprof", "--type", "cpu", "-o", str(out), str(CPU_TRACE)],
                       capture_output=True, text=True, env=env, check=False)  # fmt: skip
    assert p.returncode == 0, p.stderr
    assert "CPU samples: 19" in p.stderr
    trace = open_model(str(CPU_TRACE)).trace
    leaf = Counter(_leaf(trace, int(x)) for x in trace.cpu_samples.stack.tolist())
    assert _pprof_top(go, out) == {fn: n * PERIOD_NS for fn, n in leaf.items()}
    # No samples: one line, exit 2, no file.
    none = tmp_path / "none.pb.gz"
    p = subprocess.run([sys.executable, "-m", "tracetui", "pprof", "--type", "cpu", "-o", str(none), str(NO_SAMPLES)],
                       capture_output=True, text=True, env=env, check=False)  # fmt: skip
    assert p.returncode == 2 and not none.exists()
    assert p.stderr.count("\n") == 1 and "no CPU profile samples" in p.stderr and "Traceback" not in p.stderr
