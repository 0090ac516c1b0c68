"""Run A against run B for `tracetui view A --compare B`: the goroutine groups of both with
B - A per state, a differential callee tree of a profile, two histograms on shared buckets.
Pure functions over the two models' analyses (the viewer only draws them).

Frames of the two runs are matched by function name along the calling context (not by
file and line: another Go release or an edit moves lines and GOROOT), so a frame's A and B
are the delay through that function in that context in each run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tracetui.analysis.blocking import Samples, by_stack
from tracetui.analysis.goroutines import GoroutineStats, Group
from tracetui.analysis.histograms import Histogram
from tracetui.model.trace import Trace

STATES = ("execution", "sched wait", "blocked", "syscall", "syscall block", "unknown")


def group_times(stats: GoroutineStats, rows: np.ndarray) -> dict[str, int]:
    """The time (ns) the goroutines `rows` spent in each of STATES, and `total`."""
    r = np.asarray(rows, np.int64)
    blocked = sum(int(v[r].sum()) for v in stats.block.values())
    cols = (stats.execution, stats.sched_wait, None, stats.syscall, stats.syscall_block, stats.unknown)
    out = {name: blocked if c is None else int(c[r].sum()) for name, c in zip(STATES, cols, strict=True)}
    out["total"] = int(stats.total[r].sum())
    return out


@dataclass(frozen=True)
class GroupDelta:
    """One start function in both runs: goroutine counts and time per state, (A, B)."""

    name: str
    count: tuple[int, int]
    times: dict[str, tuple[int, int]]  # STATES and "total" -> (A ns, B ns)

    def delta(self, what: str) -> int:
        a, b = self.times[what]
        return b - a

    @property
    def change(self) -> int:
        """The largest change of a state's time, signed: what sorts the rows."""
        return self.delta(self.largest)

    @property
    def largest(self) -> str:
        """The state whose time changed most."""
        return max(STATES, key=lambda k: abs(self.delta(k)))


def group_deltas(
    stats_a: GoroutineStats, groups_a: list[Group], stats_b: GoroutineStats, groups_b: list[Group]
) -> list[GroupDelta]:
    """Every start function of either run (absent: 0 goroutines, 0 ns), the largest change
    of a state's time first (then the count's, then by name)."""
    zero = dict.fromkeys((*STATES, "total"), 0)
    a = {g.name: (g.count, group_times(stats_a, g.rows)) for g in groups_a}
    b = {g.name: (g.count, group_times(stats_b, g.rows)) for g in groups_b}
    out = []
    for name in dict.fromkeys([*a, *b]):
        ca, ta = a.get(name, (0, zero))
        cb, tb = b.get(name, (0, zero))
        out.append(GroupDelta(name, (ca, cb), {k: (ta[k], tb[k]) for k in zero}))
    out.sort(key=lambda d: (-abs(d.change), -abs(d.count[1] - d.count[0]), d.name))
    return out


@dataclass(eq=False)
class FrameDelta:
    """A function in one calling context of both runs: the delay and waits through it in A
    and in B, and each run's heaviest stack through it (0: none)."""

    func: str
    file: str
    depth: int
    parent: FrameDelta | None = None
    a: int = 0
    b: int = 0
    a_count: int = 0
    b_count: int = 0
    a_stack: int = 0
    b_stack: int = 0
    _a_top: int = -1
    _b_top: int = -1
    children: list[FrameDelta] = field(default_factory=list)
    _index: dict[str, FrameDelta] = field(default_factory=dict, repr=False)

    @property
    def delta(self) -> int:
        return self.b - self.a

    def child(self, func: str, file: str) -> FrameDelta:
        node = self._index.get(func)
        if node is None:
            node = self._index[func] = FrameDelta(func, file, self.depth + 1, parent=self)
            self.children.append(node)
        return node

    def walk(self) -> list[FrameDelta]:
        """This frame and every frame under it."""
        out, todo = [], [self]
        while todo:
            n = todo.pop()
            out.append(n)
            todo.extend(n.children)
        return out


def profile_diff(trace_a: Trace, samples_a: Samples, trace_b: Trace, samples_b: Samples, name: str) -> FrameDelta:
    """The callee tree of both profiles (outermost frame first) matched by function name;
    the root's A and B are the profiles' totals. Children heaviest first by max(A, B)."""
    root = FrameDelta(name, "", -1)
    for side, trace, s in (("a", trace_a, samples_a), ("b", trace_b, samples_b)):
        for st in by_stack(s):
            frames = trace.frames(st.stack) if st.stack else [("(no stack)", "", 0)]
            _add(root, side, st.delay, st.count, st.stack)
            node = root
            for fn, file, _ in reversed(frames):
                node = node.child(fn, file)
                _add(node, side, st.delay, st.count, st.stack)
    for n in root.walk():
        n.children.sort(key=lambda c: (-max(c.a, c.b), c.func))
    return root


def _add(node: FrameDelta, side: str, delay: int, count: int, stack: int) -> None:
    if side == "a":
        node.a += delay
        node.a_count += count
        if delay > node._a_top:
            node.a_stack, node._a_top = stack, delay
    else:
        node.b += delay
        node.b_count += count
        if delay > node._b_top:
            node.b_stack, node._b_top = stack, delay


def frame_totals(root: FrameDelta, func: str) -> tuple[int, int]:
    """(A, B) delay through `func` anywhere in the tree (counted once per stack: the
    outermost frame of it on each path)."""
    a = b = 0
    todo = [root]
    while todo:
        n = todo.pop()
        if n.func == func and n.parent is not None:
            a, b = a + n.a, b + n.b
            continue
        todo.extend(n.children)
    return a, b


def bucket_pairs(a: Histogram, b: Histogram) -> list[tuple[int, int, int, int]]:
    """(from ns, to ns, A count, B count) of every bucket either histogram has, in order."""
    counts: dict[tuple[int, int], list[int]] = {}
    for i, h in enumerate((a, b)):
        for lo, hi, c in h.buckets:
            counts.setdefault((lo, hi), [0, 0])[i] = c
    return [(lo, hi, ca, cb) for (lo, hi), (ca, cb) in sorted(counts.items())]
