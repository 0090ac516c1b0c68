"""User logs (runtime/trace.Log) and goroutine labels for the viewer, columnar.

Logs are marks: on their goroutine's row, on their task's lane and on a row per category.
Each of those rows gets the sorted times of its logs once (one stable argsort per key, no
object per log); a frame counts the logs per cell with two binary searches.

Labels are what Go's execution trace records as goroutine labels (`GoLabel` events): the
runtime sets them on GC mark workers ("GC (dedicated)", "GC (fractional)", "GC (idle)").
pprof labels set with `pprof.Do` are not in execution traces at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from tracetui.model.trace import Trace, TrackKind
from tracetui.sanitize import safe_text
from tracetui.tui.navigate import goroutine_matches

I64 = np.int64
NO_CATEGORY = "(no category)"


def matcher(query: str) -> Callable[[str], bool]:
    """Case-insensitive: the query as a substring, or as a regular expression if it is one
    (`GC (idle)` finds the label as written; `id=\\d` is a pattern)."""
    low = query.lower()
    try:
        rx = re.compile(query, re.IGNORECASE)
    except re.error:
        return lambda s: low in s.lower()
    return lambda s: low in s.lower() or rx.search(s) is not None


class _Grouped:
    """Row positions by an integer key: `get(k)` is ascending (a stable sort of `keys`)."""

    def __init__(self, keys: np.ndarray) -> None:
        self.order = np.argsort(keys, kind="stable")
        self.keys = keys[self.order]

    def get(self, key: int) -> np.ndarray:
        lo = int(np.searchsorted(self.keys, key, "left"))
        hi = int(np.searchsorted(self.keys, key, "right"))
        return self.order[lo:hi]


class LogIndex:
    """The trace's logs sorted by time, with per-row selections (goroutine track, task lane,
    category) made on first use and kept."""

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        lg = trace.logs
        o = np.argsort(lg.ts, kind="stable")
        self.ts = lg.ts[o]
        self.message = lg.string[o]
        self.stack = lg.stack[o]
        self.track = lg.track[o]
        self.task = lg.task[o]
        strings = trace.strings.strings
        raw = lg.arg[o]
        # Categories by name (ids of equal strings, and -1 or 0, fold together).
        ids = np.unique(raw)
        names = [strings[int(i)] if 0 < int(i) < len(strings) else "" for i in ids.tolist()]
        self.categories: list[str] = sorted(set(names), key=lambda s: (s == "", s))
        code = self._cat_index = {name: k for k, name in enumerate(self.categories)}
        per_id = np.array([code[n] for n in names] or [0], I64)
        self.cat = per_id[np.searchsorted(ids, raw)] if len(raw) else np.zeros(0, I64)
        self.lane = self._lanes()
        self._by: dict[str, _Grouped] = {}
        self._ts: dict[tuple[str, int], np.ndarray] = {}

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    def _lanes(self) -> np.ndarray:
        """The task lane (TASK track id) of each log's task, -1 without one."""
        tasks = self.trace.tasks
        if not len(tasks) or not len(self.task):
            return np.full(len(self.task), -1, I64)
        o = np.argsort(tasks.id, kind="stable")
        sid = tasks.id[o]
        j = np.minimum(np.searchsorted(sid, self.task), len(sid) - 1)
        found = (sid[j] == self.task) & (self.task > 0)
        return np.where(found, tasks.lane[o][j], -1).astype(I64)

    def category_index(self, name: str) -> int:
        """The index of a category (-1 if the trace has none of that name)."""
        return self._cat_index.get(name, -1)

    def category_name(self, k: int) -> str:
        return self.categories[k] or NO_CATEGORY

    def select(self, by: str, key: int) -> np.ndarray:
        """Indices (ascending time) of the logs whose `by` ("track", "lane", "cat") is key."""
        g = self._by.get(by)
        if g is None:
            g = _Grouped({"track": self.track, "lane": self.lane, "cat": self.cat}[by].astype(I64))
            self._by[by] = g
        return g.get(key)

    def times(self, by: str, key: int) -> np.ndarray:
        """Sorted times of the logs of one row (kept)."""
        t = self._ts.get((by, key))
        if t is None:
            t = self.ts[self.select(by, key)]
            self._ts[(by, key)] = t
        return t

    def between(self, by: str, key: int, a: int, b: int) -> np.ndarray:
        """Indices of the row's logs with a <= ts < b."""
        t = self.times(by, key)
        sel = self.select(by, key)
        return sel[int(np.searchsorted(t, a, "left")) : int(np.searchsorted(t, b, "left"))]

    def search(self, query: str) -> np.ndarray:
        """Indices (by time) of the logs whose message or category matches the query."""
        q = query.strip()
        if not q or not len(self):
            return np.zeros(0, I64)
        match = matcher(q)
        strings = self.trace.strings.strings
        ids = np.unique(self.message)
        hit_ids = [i for i in ids.tolist() if 0 <= i < len(strings) and match(strings[i])]
        cats = [k for k, name in enumerate(self.categories) if match(name or NO_CATEGORY)]
        hit = np.isin(self.message, hit_ids) | np.isin(self.cat, cats)
        return np.flatnonzero(hit).astype(I64)

    def goroutine(self, i: int) -> int:
        """The goroutine id of log i, or -1."""
        tr = int(self.track[i])
        tracks = self.trace.tracks
        if 0 <= tr < len(tracks) and tracks[tr].kind == TrackKind.GOROUTINE:
            return int(tracks[tr].id)
        return -1

    def text(self, i: int) -> tuple[str, str]:
        """(category, message) of log i, sanitised; the message keeps its newlines escaped."""
        strings = self.trace.strings.strings
        m = int(self.message[i])
        msg = strings[m] if 0 <= m < len(strings) else ""
        return safe_text(self.category_name(int(self.cat[i])), keep_newlines=False), safe_text(msg)


def mark_counts(ts: np.ndarray, edges: np.ndarray, last_inclusive: bool) -> np.ndarray:
    """How many of the sorted times fall in each cell [edges[k], edges[k+1]); the last cell
    also takes its right edge when it is the trace's end."""
    if not len(ts):
        return np.zeros(len(edges) - 1, I64)
    e = edges
    if last_inclusive:
        e = edges.copy()
        e[-1] += 1
    c = np.searchsorted(ts, e, "left")
    return np.diff(c)


class LabelIndex:
    """Goroutine labels (GoLabel): per goroutine track, the labels in time order."""

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        lb = trace.labels
        o = np.argsort(lb.ts, kind="stable")
        self.ts = lb.ts[o]
        self.string = lb.string[o]
        self.track = lb.track[o]
        self._by = _Grouped(self.track.astype(I64))

    def of_track(self, track: int) -> tuple[np.ndarray, np.ndarray]:
        """(times, label string ids) of one goroutine track."""
        sel = self._by.get(track)
        return self.ts[sel], self.string[sel]

    def goroutines(self, query: str) -> list[int]:
        """Ids of the goroutines that carried a label matching the query."""
        q = query.strip()
        if not q or not len(self.ts):
            return []
        match = matcher(q)
        strings = self.trace.strings.strings
        ids = [i for i in np.unique(self.string).tolist() if 0 <= i < len(strings) and match(strings[i])]
        tracks = np.unique(self.track[np.isin(self.string, ids)])
        all_tracks = self.trace.tracks
        out = {
            int(all_tracks[t].id)
            for t in tracks.tolist()
            if 0 <= t < len(all_tracks) and all_tracks[t].kind == TrackKind.GOROUTINE
        }
        return sorted(out)


def search(trace: Trace, logs: LogIndex, labels: LabelIndex, query: str) -> tuple[list[int], np.ndarray]:
    """The `/` search: (goroutine ids, log positions by time). `label:X` finds goroutines that
    carried a label matching X, `log:X` logs whose message or category matches X; anything
    else both goroutines (id or start function) and logs."""
    q = query.strip()
    none = np.zeros(0, I64)
    if q.startswith("label:"):
        return labels.goroutines(q.removeprefix("label:")), none
    if q.startswith("log:"):
        return [], logs.search(q.removeprefix("log:"))
    return goroutine_matches(trace, q), logs.search(q)
