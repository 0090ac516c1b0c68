"""The rows of the timeline, in order, and what each row draws (no Textual here).

GC, STW and mark-assist rows; two-line charts of the heap and of goroutines by state; a
row per P and per M; then the goroutines, one row each, under collapsible groups by start
function (record's own injected goroutines hidden unless asked; big groups folded at
first; their order and their header's drawing from `tracetui.tui.groups`); then the host sections
(a recording's sampler and GODEBUG rows, one foldable section per program). A model
without a Go trace (GODEBUG) shows the runtime rows it has, then its host sections;
another tool's Perfetto file shows its own tracks. A row's drawing data (`SpanRow`) is
prepared on first use and kept. A trace with CPU profile samples adds density rows: "CPU
samples" under the charts, and a "cpu" row under each P and goroutine that samples name
(under a folded group's header: its goroutines' samples together).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

import numpy as np

from tracetui.analysis.cpu import SampleIndex, sample_index
from tracetui.model.trace import Counter, Spans, State, Trace, Track, TrackKind
from tracetui.sanitize import safe_text
from tracetui.tui.cells import SpanRow
from tracetui.tui.groups import (
    FOLD_ABOVE,
    FOLD_SECTION_ABOVE,
    UNKNOWN_GROUP,
    Activity,
    group_activity,
    next_order,
    order_groups,
    procs_of,
    running_times,
)
from tracetui.tui.logs import LabelIndex, LogIndex
from tracetui.tui.navigate import FlowIndex
from tracetui.tui.palette import N_LOOKS, Look

CHART_LINES = 2
CHART_STATES = (State.RUNNING, State.RUNNABLE, State.WAITING)  # the goroutines chart, bottom up
PREPARED_HEADERS = 300  # prepare() draws the group headers among the first rows ahead
HOST_KEY = "host:"  # prefix of a host section's group key: apart from goroutine groups of the same name


class RowKind(Enum):
    SPANS = "spans"  # a track of spans: P, M, goroutine, GC, STW, assists
    CHART = "chart"  # one line of a counter chart
    GROUP = "group"  # a goroutine group or host section header
    MARKS = "marks"  # marks only: the logs of one category (key ("logs", category))
    SAMPLES = "samples"  # CPU profile sample density: key ("cpu", "all" | "p" | "g", id)


@dataclass(eq=False)
class Row:
    key: tuple[object, ...]  # identity that survives collapsing and reloading
    kind: RowKind
    label: str  # sanitised, ready for the terminal
    track: int = -1  # index into trace.tracks (SPANS rows of tracks)
    chart: str = ""  # "heap" or "goroutines" (CHART rows)
    line: int = 0  # line of the chart, 0 = top
    group: str = ""  # goroutine group (GROUP rows and their goroutines)
    count: int = 0  # goroutines in the group (GROUP rows)
    gid: int = -1  # goroutine id (goroutine rows)
    lines: int = CHART_LINES  # lines of the chart (CHART rows)
    host: bool = False  # a host section's header or one of its rows

    @property
    def group_name(self) -> str:
        """The group's name as shown (a host section's without its key prefix)."""
        return self.group.removeprefix(HOST_KEY) if self.host else self.group


def _s(text: str) -> str:
    return safe_text(text, keep_newlines=False)


def _block_category(reason: str) -> Look:
    r = reason.lower()
    if r == "network" or "netpoll" in r or r.startswith("io"):
        return Look.BLOCK_NET
    if r == "sleep" or "timer" in r:
        return Look.BLOCK_SLEEP
    if "gc" in r.split():
        return Look.BLOCK_GC
    if "chan" in r or "select" in r or "sync" in r or "mutex" in r or "cond" in r or "waitgroup" in r:
        return Look.BLOCK_SYNC
    return Look.BLOCK_OTHER


class RowSet:
    """The rows of one trace and their drawing data."""

    def __init__(
        self, trace: Trace, collapsed: set[str] | None = None, show_injected: bool = False, order: str = "running"
    ) -> None:
        """`collapsed` None: the big groups start folded (see `auto_folded`)."""
        self.trace = trace
        self.show_injected = show_injected
        self.order = order
        self._running: dict[str, int] = {}
        self._activity: dict[str, Activity] = {}
        self._span_rows: dict[tuple[object, ...], SpanRow] = {}
        self._reason_look: np.ndarray | None = None
        self._gc_workers: np.ndarray | None = None
        self._assists_by_g: dict[int, Spans] | None = None
        self._flows: FlowIndex | None = None
        self._logs: LogIndex | None = None
        self._labels: LabelIndex | None = None
        self._group_samples: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.groups = self._groups()
        self.host_groups = self._host_groups()
        self.collapsed: set[str] = self.auto_folded() if collapsed is None else set(collapsed)
        self.rows: list[Row] = []
        self.rebuild()

    # --- the row list ------------------------------------------------------------------

    @property
    def generic(self) -> bool:
        """Another tool's Perfetto file: its own tracks, no Go rows."""
        tr = self.trace
        return tr.source == "perfetto" or (tr.version == 0 and tr.source != "godebug")

    @property
    def sparse(self) -> bool:
        """A model without a Go trace (GODEBUG): only the runtime rows that have data."""
        return not self.generic and (self.trace.source == "godebug" or self.trace.version == 0)

    @property
    def injected(self) -> np.ndarray:
        """Ids of record's own injected goroutines (hidden unless `show_injected`)."""
        return np.asarray(self.trace.injected, np.int64)

    def injected_count(self) -> int:
        """How many goroutines of the trace are record's own code (shown or hidden)."""
        return sum(1 for g in self._injected_set() if self.trace.goroutine_track(g) is not None)

    def _injected_set(self) -> set[int]:
        return set(self.injected.tolist())

    def set_show_injected(self, show: bool) -> None:
        """Show (or hide) the rows of record's own injected goroutines."""
        if show != self.show_injected:
            self.show_injected = show
            self.groups = self._groups()
            self.rebuild()

    def _groups(self) -> list[tuple[str, list[int]]]:
        """(group, track indices): goroutines by start function (sorted by id, the groups
        in `order`); for another tool's file, its tracks by parent track."""
        tracks = self.trace.tracks
        by: dict[str, list[int]] = {}
        if self.generic:
            for i, t in enumerate(tracks):
                if t.kind in (TrackKind.REGION, TrackKind.COUNTER, TrackKind.TASK):
                    by.setdefault(t.group or "(tracks)", []).append(i)
            return list(by.items())
        hide = set() if self.show_injected else self._injected_set()
        for i, t in enumerate(tracks):
            if t.kind == TrackKind.GOROUTINE and t.id not in hide:
                by.setdefault(t.group or UNKNOWN_GROUP, []).append(i)
        for members in by.values():
            members.sort(key=lambda i: tracks[i].id)
        groups = list(by.items())
        self._running = running_times(tracks, groups)
        self._activity.clear()
        return order_groups(groups, tracks, self.order, self._running)

    def auto_folded(self) -> set[str]:
        """The groups that start folded: goroutine groups of more than FOLD_ABOVE goroutines,
        host sections and another tool's track groups only when huge."""
        limit = FOLD_SECTION_ABOVE if self.generic else FOLD_ABOVE
        out = {g for g, m in self.groups if len(m) > limit}
        return out | {g for g, m in self.host_groups if len(m) > FOLD_SECTION_ABOVE}

    def carry(self, old: RowSet) -> None:
        """Take the folding and order of the rows of an older model of the same file (it
        grew while loading): groups new since then fold by size."""
        if old.show_injected != self.show_injected:
            self.show_injected = old.show_injected
            self.groups = self._groups()
        if old.order != self.order:
            self.order = old.order
            if not self.generic:
                self.groups = order_groups(self.groups, self.trace.tracks, self.order, self._running)
        known = {g for g, _ in (*old.groups, *old.host_groups)}
        self.collapsed = set(old.collapsed) | (self.auto_folded() - known)
        self.rebuild()

    def cycle_order(self) -> str:
        """The goroutine groups in the next order (running time, first id, name); it."""
        self.order = next_order(self.order)
        if not self.generic:
            self.groups = order_groups(self.groups, self.trace.tracks, self.order, self._running)
            self.rebuild()
        return self.order

    def running_time(self, group: str) -> int:
        """Total running time (ns) of a goroutine group."""
        return self._running.get(group, 0)

    def activity(self, group: str) -> Activity | None:
        """How many of a goroutine group's goroutines run, wait to run, are blocked over
        time (computed once per group); None for other groups."""
        act = self._activity.get(group)
        if act is None and not self.generic:
            members = next((m for g, m in self.groups if g == group), None)
            if members is None:
                return None
            act = group_activity(self.trace.tracks, members)
            self._activity[group] = act
        return act

    def procs(self) -> int:
        """The Ps a group's header bar is measured against."""
        return procs_of(self.trace.gomaxprocs, len(self.trace.proc_ids))

    def any_open(self) -> bool:
        """Whether some group or section is unfolded."""
        return any(g not in self.collapsed for g, _ in (*self.groups, *self.host_groups))

    def _host_groups(self) -> list[tuple[str, list[int]]]:
        """(section key, track indices): the HOST tracks by program, in the model's order."""
        by: dict[str, list[int]] = {}
        for i, t in enumerate(self.trace.tracks):
            if t.kind == TrackKind.HOST and (t.counter is not None or t.spans is not None):
                by.setdefault(HOST_KEY + (t.group or "host"), []).append(i)
        return list(by.items())

    def rebuild(self) -> None:
        """Lay the rows out again (after collapsing or expanding a group)."""
        rows: list[Row] = [] if self.generic else self._go_rows()
        tracks = self.trace.tracks
        regions_of = {t.id: i for i, t in enumerate(tracks) if t.kind == TrackKind.REGION and not self.generic}
        for name, members in self.groups:
            closed = name in self.collapsed
            mark = "▸" if closed else "▾"
            label = safe_text(f"{mark} {name} ({len(members)})", keep_newlines=False)
            rows.append(Row(("group", name), RowKind.GROUP, label, group=name, count=len(members)))
            if closed:
                rows.extend(self._cpu_group_row(name, members))
                continue
            for i in members:
                t = tracks[i]
                if t.kind == TrackKind.GOROUTINE:
                    key = ("track", int(TrackKind.GOROUTINE), t.id)
                    rows.append(Row(key, RowKind.SPANS, _s(" " + t.name), track=i, group=name, gid=t.id))
                    r = regions_of.get(t.id)
                    if r is not None:
                        rows.append(Row(("track", int(TrackKind.REGION), t.id), RowKind.SPANS, "   regions", track=r,
                                        group=name))  # fmt: skip
                    rows.extend(self._cpu_row("g", t.id, "   cpu", name))
                elif t.kind == TrackKind.COUNTER:
                    rows.append(Row(("counter", i), RowKind.CHART, _s(" " + t.name), track=i, chart=f"track:{i}",
                                    group=name, lines=1))  # fmt: skip
                else:
                    rows.append(Row(("track", int(t.kind), i), RowKind.SPANS, _s(" " + t.name), track=i, group=name))
        rows.extend(self._host_rows())
        self.rows = rows
        self._index = {r.key: k for k, r in enumerate(rows)}

    def _host_rows(self) -> list[Row]:
        """The host sections: a header per program, then its counters (one-line charts) and
        sampled thread states."""
        tracks = self.trace.tracks
        rows: list[Row] = []
        for key, members in self.host_groups:
            closed = key in self.collapsed
            label = _s(f"{'▸' if closed else '▾'} {key.removeprefix(HOST_KEY)} ({len(members)})")
            rows.append(Row(("group", key), RowKind.GROUP, label, group=key, count=len(members), host=True))
            if closed:
                continue
            for i in members:
                t = tracks[i]
                rk = ("track", int(TrackKind.HOST), t.id)
                if t.counter is not None:
                    rows.append(Row(rk, RowKind.CHART, _s(" " + t.name), track=i, chart=f"track:{i}", group=key,
                                    lines=1, host=True))  # fmt: skip
                else:
                    rows.append(Row(rk, RowKind.SPANS, _s(" " + t.name), track=i, group=key, host=True))
        return rows

    def _go_rows(self) -> list[Row]:
        """GC, STW, assists, the charts, task lanes, Ps and Ms (for a model without a Go
        trace, those that have data)."""
        tr = self.trace
        sparse = self.sparse
        rows: list[Row] = []
        for i, t in enumerate(tr.tracks):
            if t.kind == TrackKind.GC and t.spans is not None and not (sparse and not len(t.spans)):
                rows.append(Row(("gc", t.name), RowKind.SPANS, t.name, track=i))
        if not sparse or len(tr.assists):
            rows.append(Row(("assists",), RowKind.SPANS, "Assists"))
        charts = [("heap", "Heap"), ("goroutines", "Goroutines")]
        if sparse:
            has = {"heap": len(tr.heap_alloc) + len(tr.heap_goal) > 0,
                   "goroutines": any(len(tr.goroutine_counts.get(st, ())) for st in CHART_STATES)}  # fmt: skip
            charts = [c for c in charts if has[c[0]]]
        for chart, title in charts:
            for line in range(CHART_LINES):
                rows.append(
                    Row(("chart", chart, line), RowKind.CHART, title if line == 0 else "", chart=chart, line=line)
                )
        rows.extend(self._cpu_row("all", -1, "CPU samples"))
        if sparse:  # GODEBUG's counters of its own (GOMAXPROCS): one-line charts
            for i, t in enumerate(tr.tracks):
                if t.kind == TrackKind.COUNTER and t.counter is not None and len(t.counter):
                    rows.append(Row(("counter", t.id), RowKind.CHART, _s(t.name), track=i, chart=f"track:{i}", lines=1))
        for i, t in enumerate(tr.tracks):
            if t.kind == TrackKind.TASK and t.spans is not None and len(t.spans):
                rows.append(Row(("track", int(TrackKind.TASK), t.id), RowKind.SPANS, _s(t.name), track=i))
        rows.extend(self._log_rows())
        for kind in (TrackKind.PROC, TrackKind.THREAD):
            ks = [i for i, t in enumerate(tr.tracks) if t.kind == kind]
            ks.sort(key=lambda i: tr.tracks[i].id)
            for i in ks:
                rows.append(Row(("track", int(kind), tr.tracks[i].id), RowKind.SPANS, tr.tracks[i].name, track=i))
                if kind == TrackKind.PROC:
                    rows.extend(self._cpu_row("p", tr.tracks[i].id, "  cpu"))
        return rows

    def _log_rows(self) -> list[Row]:
        """A row of marks per log category (with the task lanes)."""
        if not len(self.trace.logs):
            return []
        lg = self.logs
        return [
            Row(("logs", name), RowKind.MARKS, _s(f"Log: {lg.category_name(k)}"))
            for k, name in enumerate(lg.categories)
        ]

    @property
    def logs(self) -> LogIndex:
        """The trace's logs, indexed for drawing and search (built once)."""
        if self._logs is None:
            self._logs = LogIndex(self.trace)
        return self._logs

    @property
    def labels(self) -> LabelIndex:
        """The goroutines' labels (built once)."""
        if self._labels is None:
            self._labels = LabelIndex(self.trace)
        return self._labels

    def log_key(self, row: Row) -> tuple[str, int] | None:
        """Which logs a row marks: ("track", goroutine track), ("lane", task lane) or
        ("cat", category); None for a row without logs."""
        if self.generic or not len(self.trace.logs):
            return None
        if row.kind == RowKind.MARKS:
            return "cat", self.logs.category_index(str(row.key[1]))
        if row.gid >= 0 and row.key[:2] == ("track", int(TrackKind.GOROUTINE)):
            return "track", row.track
        if row.key[:2] == ("track", int(TrackKind.TASK)):
            return "lane", int(self.trace.tracks[row.track].id)
        return None

    # --- CPU samples ---------------------------------------------------------------------

    @property
    def samples(self) -> SampleIndex | None:
        """The trace's CPU samples by P and goroutine (None: it has none)."""
        return sample_index(self.trace) if len(self.trace.cpu_samples) else None

    def _cpu_row(self, who: str, ident: int, label: str, group: str = "") -> list[Row]:
        """The density row of all samples or of a P's or goroutine's, if it has any."""
        idx = self.samples
        if idx is None or (who != "all" and not len(idx.rows(who, ident))):
            return []
        return [Row(("cpu", who, ident), RowKind.SAMPLES, label, group=group)]

    def _cpu_group_row(self, name: str, members: list[int]) -> list[Row]:
        """A folded group's density row: its goroutines' samples, if they have any."""
        idx = self.samples
        tracks = self.trace.tracks
        if idx is None or not any(tracks[i].id in idx.by_g for i in members):
            return []
        return [Row(("cpu", "grp", name), RowKind.SAMPLES, "   cpu", group=name)]

    def group_gids(self, name: str) -> list[int]:
        """The goroutine ids of a goroutine group."""
        members = dict(self.groups).get(name, [])
        return [self.trace.tracks[i].id for i in members]

    def _group_sampled(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        hit = self._group_samples.get(name)
        idx = self.samples
        if hit is None and idx is not None:
            rows = idx.of_goroutines(self.group_gids(name))
            hit = self._group_samples[name] = (rows, idx.ts[rows].astype(np.int64))
        return hit or (np.zeros(0, np.int64), np.zeros(0, np.int64))

    def sample_rows(self, row: Row) -> np.ndarray:
        """The CPU sample rows (indices into `trace.cpu_samples`, time order) a SAMPLES row draws."""
        return self._sampled(row)[0]

    def sample_times(self, row: Row) -> np.ndarray:
        """The sorted times of `sample_rows(row)`."""
        return self._sampled(row)[1]

    def _sampled(self, row: Row) -> tuple[np.ndarray, np.ndarray]:
        """(sample rows, their times) of a SAMPLES row: a group's, or one P's or goroutine's."""
        idx = self.samples
        if idx is None or row.kind != RowKind.SAMPLES:
            z = np.zeros(0, np.int64)
            return z, z
        _, who, ident = row.key
        if who == "grp":
            return self._group_sampled(str(ident))
        return idx.rows(str(who), int(ident)), idx.times(str(who), int(ident))  # type: ignore[call-overload]

    def index_of(self, key: tuple[object, ...]) -> int:
        return self._index.get(key, -1)

    def goroutine_key(self, gid: int) -> tuple[object, ...]:
        return ("track", int(TrackKind.GOROUTINE), gid)

    def reveal(self, gid: int) -> int:
        """Expand the group of goroutine `gid` if needed; its row index, or -1."""
        t = self.trace.goroutine_track(gid)
        if t is None:
            return -1
        if not self.show_injected and gid in self._injected_set():
            self.set_show_injected(True)
        group = t.group or UNKNOWN_GROUP
        if group in self.collapsed:
            self.collapsed.discard(group)
            self.rebuild()
        return self.index_of(self.goroutine_key(gid))

    def toggle(self, group: str) -> None:
        self.collapsed ^= {group}
        self.rebuild()

    def set_all_collapsed(self, collapsed: bool) -> None:
        self.collapsed = {g for g, _ in (*self.groups, *self.host_groups)} if collapsed else set()
        self.rebuild()

    def chart_counters(self, row: Row) -> list[Counter]:
        """The counters a chart row draws."""
        tr = self.trace
        if row.chart == "heap":
            return [tr.heap_alloc, tr.heap_goal]
        if row.chart == "goroutines":
            return [c for st, c in tr.goroutine_counts.items() if st in CHART_STATES]
        counter = tr.tracks[row.track].counter if row.track >= 0 else None
        return [counter] if counter is not None else []

    def track_of(self, row: Row) -> Track | None:
        return self.trace.tracks[row.track] if row.track >= 0 else None

    # --- drawing data --------------------------------------------------------------------

    def span_row(self, row: Row) -> SpanRow | None:
        """The spans of a SPANS row with their looks (computed once per row)."""
        if row.kind != RowKind.SPANS:
            return None
        sr = self._span_rows.get(row.key)
        if sr is None:
            sr = self._make_span_row(row)
            self._span_rows[row.key] = sr
        return sr

    def _make_span_row(self, row: Row) -> SpanRow:
        tr = self.trace
        if row.key == ("assists",):
            sp = _union(tr.assists)
            return SpanRow(sp[0], sp[1], np.full(sp[0].shape, Look.ASSIST, np.uint8))
        track = tr.tracks[row.track]
        spans = track.spans
        assert spans is not None
        flat = spans.flat
        look = self.looks(track, flat)
        sr = SpanRow(flat.start, flat.end, look)
        if track.kind == TrackKind.PROC:
            sr.labels = self._proc_labels(flat)
        elif track.kind in (TrackKind.TASK, TrackKind.REGION):
            sr.labels = self._name_labels(flat)
        elif track.kind == TrackKind.GOROUTINE:
            assists = self.assists_of(track.id)
            if assists is not None:
                sr = _overlay(sr, *_union(assists), Look.ASSIST)
        return sr

    def looks(self, track: Track, flat: Spans) -> np.ndarray:
        """Look per span of a track."""
        st = flat.state
        if track.kind == TrackKind.GC:
            return np.where(st == State.STW, Look.STW, np.where(st == State.GC, Look.GC, Look.NONE)).astype(np.uint8)
        lut = np.zeros(256, np.uint8)
        lut[State.RUNNING] = Look.RUNNING
        lut[State.RUNNABLE] = Look.RUNNABLE
        lut[State.SYSCALL] = Look.SYSCALL
        lut[State.IDLE] = Look.IDLE
        lut[State.GC] = Look.GC
        lut[State.STW] = Look.STW
        lut[State.SWEEP] = Look.SWEEP
        lut[State.MARK_ASSIST] = Look.ASSIST
        lut[State.TASK] = Look.TASK
        lut[State.REGION] = Look.REGION
        look = lut[st]
        if track.kind in (TrackKind.GOROUTINE, TrackKind.HOST):  # HOST: a sampled thread (or GODEBUG goroutine)
            waiting = st == State.WAITING
            if waiting.any():
                look[waiting] = self.reason_looks()[flat.reason[waiting]]
        elif track.kind == TrackKind.PROC:
            run = st == State.RUNNING
            look[run & (flat.arg < 0)] = Look.SCHED
            gcw = self.gc_workers()
            if gcw.size:
                look[run & np.isin(flat.arg, gcw)] = Look.GC
        return look

    def reason_looks(self) -> np.ndarray:
        """Look of a blocked span per reason string id (strings may grow while loading)."""
        strings = self.trace.strings.strings
        lut = self._reason_look
        if lut is None or len(lut) < len(strings):
            lut = np.array([_block_category(s) for s in strings] or [Look.BLOCK_OTHER], np.uint8)
            self._reason_look = lut
        return lut

    def gc_workers(self) -> np.ndarray:
        """Ids of the goroutines that are GC mark workers."""
        if self._gc_workers is None:
            g = self.trace.goroutines
            names = self.trace.strings.strings
            fid = [i for i, s in enumerate(names) if s == "runtime.gcBgMarkWorker"]
            self._gc_workers = g.id[np.isin(g.func, fid)] if fid else np.zeros(0, np.int64)
        return self._gc_workers

    def _proc_labels(self, flat: Spans) -> Callable[[list[int]], list[str]]:
        """`G123 main.worker` for spans where a goroutine runs (or is in a syscall) on the P."""
        g = self.trace.goroutines
        strings = self.trace.strings.strings

        def labels(idx: list[int]) -> list[str]:
            out = []
            for i in idx:
                if int(flat.state[i]) not in (State.RUNNING, State.SYSCALL) or int(flat.arg[i]) < 0:
                    out.append("")
                    continue
                gid = int(flat.arg[i])
                k = g.index(gid)
                fn = strings[int(g.func[k])] if k >= 0 and int(g.func[k]) else ""
                out.append(safe_text(f"G{gid} {fn}" if fn else f"G{gid}", keep_newlines=False))
            return out

        return labels

    @property
    def flows(self) -> FlowIndex:
        """Who unblocked or created whom, indexed by destination (built once)."""
        if self._flows is None:
            self._flows = FlowIndex(self.trace)
        return self._flows

    def prepare(self) -> None:
        """Do the one-time work of drawing the non-goroutine rows (looks, prefix sums, the
        lazy counters), so that the first frame is fast; meant for the loading thread."""
        tr = self.trace
        for row in self.rows:
            if row.kind == RowKind.SPANS and row.gid < 0:
                sr = self.span_row(row)
                assert sr is not None
                for look in sr.present:
                    sr.cumulative(look)
                sr.gap_ends  # noqa: B018 - computed and kept
        probe = np.zeros(1, np.int64)
        for c in (tr.heap_alloc, tr.heap_goal):
            c.max_between(probe, probe + 1)
        for st in CHART_STATES:
            count = tr.goroutine_counts.get(st)
            if count is not None:
                count.mean_between(probe, probe + 1)
        for row in self.rows:
            if row.kind == RowKind.CHART and row.track >= 0:
                for c in self.chart_counters(row):
                    c.mean_between(probe, probe + 1)
        for row in self.rows[:PREPARED_HEADERS]:  # the group headers of the first screens
            act = self.activity(row.group) if row.kind == RowKind.GROUP and not row.host else None
            if act is not None:
                for c in (act.running, act.runnable, act.blocked):
                    c.mean_between(probe, probe + 1)
        self.reason_looks()
        self.flows  # noqa: B018 - built and kept

    def _name_labels(self, flat: Spans) -> Callable[[list[int]], list[str]]:
        """The name (the span's reason string) of task, region and other slices."""
        strings = self.trace.strings.strings

        def labels(idx: list[int]) -> list[str]:
            return [_s(strings[int(flat.reason[i])]) for i in idx]

        return labels

    def assists_of(self, gid: int) -> Spans | None:
        """The mark-assist ranges of one goroutine."""
        if self._assists_by_g is None:
            a = self.trace.assists
            order = np.argsort(a.arg, kind="stable")
            by: dict[int, Spans] = {}
            if len(a):
                keys = a.arg[order]
                bounds = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1], True])
                for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
                    by[int(keys[lo])] = a.take(order[lo:hi])
            self._assists_by_g = by
        return self._assists_by_g.get(gid)


def _overlay(sr: SpanRow, starts: np.ndarray, ends: np.ndarray, look: Look) -> SpanRow:
    """`sr` with `look` wherever a span of it overlaps one of the sorted disjoint ranges."""
    pts = np.sort(np.concatenate([sr.start, sr.end, starts, ends]))
    pts = pts[np.r_[True, pts[1:] != pts[:-1]]]
    if len(pts) < 2:
        return sr
    s, e = pts[:-1], pts[1:]
    base = sr.look_at(s)
    i = np.searchsorted(starts, s, "right") - 1
    inside = (i >= 0) & (ends[np.maximum(i, 0)] > s)
    lk = np.where(inside & (base != Look.NONE), look, base).astype(np.uint8)
    keep = lk != Look.NONE
    s, e, lk = s[keep], e[keep], lk[keep]
    if not len(s):
        return sr
    # Merge touching pieces of one look.
    new = np.r_[True, (lk[1:] != lk[:-1]) | (s[1:] != e[:-1])]
    last = np.r_[np.flatnonzero(new)[1:] - 1, len(s) - 1]
    return SpanRow(s[new], e[last], lk[new])


def _union(sp: Spans) -> tuple[np.ndarray, np.ndarray]:
    """The union of possibly overlapping ranges, as sorted disjoint (start, end)."""
    if len(sp) == 0:
        z = np.zeros(0, np.int64)
        return z, z.copy()
    order = np.argsort(sp.start, kind="stable")
    s, e = sp.start[order], sp.end[order]
    reach = np.maximum.accumulate(e)
    new = np.r_[True, s[1:] > reach[:-1]]
    starts = s[new]
    last = np.r_[np.flatnonzero(new)[1:] - 1, len(s) - 1]
    return starts, reach[last]


assert N_LOOKS < 256
