"""A Perfetto trace -> the model.

Files tracetui wrote (they carry `tracetui.model` metadata, see `layout`) come back as the
model they were written from (`Ours`, with the compact columns of `columns`), their hot
packets decoded by `fastread`. Other TrackEvent files open as generic tracks (`generic`):
one slice track (nested spans, `reason` = the slice name) or counter track per Perfetto track.

Events are collected into typed columns (`collect`; no object per event), put in trace
processor's order (timestamp, then file order) and paired per track as it does: an END
closes the innermost open slice.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any, BinaryIO, cast

import numpy as np

from tracetui.errors import TraceFormatError, TracetuiError, UnsupportedTraceError
from tracetui.gotrace.events import StackTable, StringTable
from tracetui.model.kinds import GOROUTINE_STATES, THREAD_STATES, CounterTrack, GCTrack, HeapTrack
from tracetui.model.spans import SpanSet, flatten_overlaps, goroutine_counters, thread_counters, zeros32
from tracetui.model.trace import (
    I64,
    Counter,
    CPUSamples,
    FlowKind,
    Flows,
    Goroutines,
    InstantKind,
    Instants,
    Regions,
    Spans,
    State,
    Trace,
    Track,
    TrackKind,
)
from tracetui.perfetto import layout as L
from tracetui.perfetto.collect import Collector, Events, values
from tracetui.perfetto.columns import (
    TRIM_EVERY,
    GoroutineSet,
    compact,
    concat,
    narrow,
    tables,
    task_table,
    trim,
    utilization,
    with_implicit,
)
from tracetui.perfetto.decode import Fallback
from tracetui.perfetto.fastread import HotData, HotTrack, count_packets, read_hot
from tracetui.perfetto.generic import pair, read_generic
from tracetui.perfetto.wire import GZIP_MAGIC, ZSTD_MAGIC, iter_packets, trace_bytes


def is_perfetto(first_bytes: bytes) -> bool:
    """Whether a file starting with these bytes (64 are plenty) is a Perfetto trace:
    a `Trace.packet` record, or a gzip/zstd stream (whose content is checked on reading)."""
    b = bytes(first_bytes[:4])
    if b[:2] == GZIP_MAGIC or b == ZSTD_MAGIC:
        return True
    return len(b) >= 2 and b[0] == 0x0A and not b.startswith(b"go ")


def read_model(
    path: str, progress: Callable[[float], None] | None = None, cancelled: Callable[[], bool] | None = None
) -> Trace:
    """The model of a Perfetto trace file; bad or foreign files raise a one-line
    TracetuiError naming the file. `progress(fraction)` is called as the file is read
    (tracetui's own files, on the fast path), which stops with fastread.Cancelled once
    `cancelled()` is true."""
    if not os.path.exists(path):
        raise TracetuiError("no such file", path=path)
    if os.path.isdir(path):
        raise TracetuiError("is a directory, not a trace file", path=path)
    try:
        with open(path, "rb") as f:
            if f.read(1) == b"\x0a":
                f.seek(0)
                try:
                    return read_ours_fast(f, path, progress, cancelled)  # chunk by chunk, not the whole file in memory
                except NOT_FAST as e:
                    broken = getattr(e, "broken", None)
                    if broken is None and str(e) in _BROKEN and _head_is_ours(f):
                        broken = "truncated or corrupted Perfetto trace"
                    if broken is not None:
                        raise TraceFormatError(broken, path=path) from None
            size = os.fstat(f.fileno()).st_size
            if size > MEMORY_BUDGET // 2:  # the protobuf path holds the whole file, and more per packet
                big = _read_big_plain(f, path)
                if big is not None:
                    return big
                raise UnsupportedTraceError(f"too big for tracetui: {size >> 20:,} MB, more than the "
                                            f"{MEMORY_BUDGET >> 21:,} MB it reads of files other than its own; "
                                            "open it in ui.perfetto.dev", path=path)  # fmt: skip
            f.seek(0)
            data = f.read()
    except OSError as e:
        raise TraceFormatError(f"cannot read: {e.strerror or e}", path=path) from None
    return read_bytes(data, path)


def _read_big_plain(f: BinaryIO, path: str) -> Trace | None:
    """A big uncompressed file of ours (`export --no-compress`), mapped rather than read;
    None if it is not one the fast path takes."""
    import mmap

    f.seek(0)
    if f.read(1) != b"\x0a":
        return None
    try:
        mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)  # closed when the last view of it goes
        return read_ours_fast(cast(bytes, memoryview(mm)), path)
    except (OSError, *NOT_FAST):
        return None


def read_bytes(data: bytes, path: str | None = None) -> Trace:
    """The model of a Perfetto trace held in memory (see read_model)."""
    raw = trace_bytes(data, path, MEMORY_BUDGET // 2)
    if not raw:
        raise TraceFormatError("empty Perfetto trace", path=path)
    try:
        return read_ours_fast(raw, path)
    except NOT_FAST:
        pass  # not one of ours, or not as the writer makes them: the protobuf path decides
    ev = _collect(raw, path)
    meta = ev.attrs.get(L.META_KEY)
    if meta is not None:
        try:
            m = json.loads(meta)
        except ValueError:
            raise TraceFormatError("corrupted tracetui metadata in Perfetto trace", path=path) from None
        try:
            return Ours(ev, m, path).build()
        except (KeyError, IndexError, TypeError, ValueError) as e:
            raise TraceFormatError(f"inconsistent tracetui Perfetto trace ({type(e).__name__}: {e})",
                                   path=path) from None  # fmt: skip
    if _written_by_us(ev):
        raise TraceFormatError("truncated Perfetto trace (tracetui's metadata at its end is missing)", path=path)
    return read_generic(ev, path)


# What sends a file from the fast path to the protobuf path (which then reports any error).
NOT_FAST = (Fallback, TracetuiError, KeyError, IndexError, TypeError, ValueError)


def read_ours_fast(raw: bytes | BinaryIO, path: str | None = None, progress: Callable[[float], None] | None = None,
                   cancelled: Callable[[], bool] | None = None) -> Trace:  # fmt: skip
    """The model of a Perfetto file tracetui wrote (its Trace bytes, or the open file),
    its hot packets decoded with numpy (`fastread`); raises Fallback for any other file."""
    c = Collector(path)
    try:
        hot = read_hot(raw, c, progress, cancelled)
    except Fallback as e:
        if str(e) in _BROKEN and _written_by_us(c.ev):
            e.broken = "truncated or corrupted Perfetto trace"  # type: ignore[attr-defined]
        raise
    meta = c.ev.attrs.get(L.META_KEY)
    if meta is None:
        missing = Fallback("no tracetui metadata")
        if _written_by_us(c.ev):
            missing.broken = "truncated Perfetto trace (tracetui's metadata at its end is missing)"  # type: ignore[attr-defined]
        raise missing
    return Ours(c.ev, json.loads(meta), path, hot).build()


CHUNK_HEAD = 1 << 21  # bytes read to find the first packets (a compressed chunk is at most ~1 MB)

# The fast path's reasons that mean a file of ours was cut or damaged: the protobuf path would
# only fail later (or refuse the file as too big for it), so they are reported at once.
_BROKEN = frozenset(("truncated", "corrupted chunk", "framing", "bad packet framing"))


def _head_is_ours(f: BinaryIO) -> bool:
    """Whether the file's first packets (its first chunk, inflated) hold our root track's
    descriptor: a file the fast path stopped on before it collected them (read ahead)."""
    f.seek(0)
    head = f.read(CHUNK_HEAD)
    try:
        for _, pkt in iter_packets(head):
            return b"(tracetui)" in bytes(pkt)  # the writer's first packets: the root descriptor first
    except TracetuiError:
        return False
    return False


def _written_by_us(ev: Events) -> bool:
    root = ev.descs.get(L.ROOT)
    return root is not None and root.name.endswith("(tracetui)")


# ---- collecting events -------------------------------------------------------------------


MEMORY_BUDGET = 4 << 30  # bytes the protobuf path may take; files that would take more are refused
BYTES_PER_PACKET = 300  # what it takes per packet, whoever wrote the file (measured: 270-290 B)


def _collect(raw: bytes, path: str | None) -> Events:
    """Every packet through the protobuf runtime, once the file is known to fit in
    MEMORY_BUDGET with its bytes (its packets counted with numpy first, a chunk at a time)."""
    n = count_packets(raw)
    if len(raw) + n * BYTES_PER_PACKET > MEMORY_BUDGET:
        raise UnsupportedTraceError(f"too big for tracetui: {n:,} Perfetto packets, more than the "
                                    f"{MEMORY_BUDGET // BYTES_PER_PACKET:,} it reads of files other than its own "
                                    f"(about {MEMORY_BUDGET >> 30} GB of memory); open it in ui.perfetto.dev",
                                    path=path)  # fmt: skip
    c = Collector(path)
    for off, mv in iter_packets(raw, path):
        c.packet(off, mv)
    return c.ev


# ---- our files ---------------------------------------------------------------------------------


class Ours:
    """The model of a file tracetui wrote, from its collected events and `tracetui.model`
    metadata (and the fast path's hot data, if it read them): `build()`."""

    def __init__(self, ev: Events, meta: dict, path: str | None, hot: HotData | None = None) -> None:  # type: ignore[type-arg]
        self.ev, self.m, self.path, self.hot = ev, meta, path, hot
        self.base = int(meta["base_time"])
        self.names = meta["names"]
        if hot is not None:
            roles = np.array([r for r, _, _, _ in self.names], np.int64)
            shown = np.isin(roles, [L.Role.LOG, L.Role.LABEL, L.Role.SAMPLE])
            for nm in hot.begin_names + hot.instant_names:
                if nm.size and (int(nm.max()) >= roles.size or shown[nm].any()):
                    raise Fallback("a hot event the protobuf path would read as a log, label or sample")
        self.ts = ev.np("ts") - self.base
        self.sl, _ = pair(ev)
        if (self.sl.end < 0).any():
            raise ValueError("a slice never ends")
        tr = self.sl.track
        self.bounds = np.searchsorted(tr, np.arange(0, int(tr.max()) + 2)) if tr.size else np.zeros(2, np.int64)

    def slices_of(self, uuid: int) -> np.ndarray:
        """Indices into self.sl of a track's slices, in time order."""
        if uuid + 1 >= self.bounds.size:
            return np.zeros(0, np.int64)
        return np.arange(self.bounds[uuid], self.bounds[uuid + 1])

    def spans(self, uuid: int, with_depth: bool = False) -> Spans:
        """The spans (BEGIN-made slices) of a track; state/reason from the names table."""
        ev, sl = self.ev, self.sl
        k = self.slices_of(uuid)
        k = k[ev.np("typ")[sl.begin[k]] == L.BEGIN]
        h = self.hot.tracks.get(uuid) if self.hot is not None else None
        if h is not None and (h.begin or h.end or h.last != L.END):
            if k.size or with_depth:
                raise Fallback("hot and rare slices on one track")
            return self._hot_spans(h, uuid)
        if k.size and self._gset is not None and uuid in self._gset.at:
            raise Fallback("a goroutine track of rare slices")
        b, e = sl.begin[k], sl.end[k]
        nm = ev.np("name")[b]
        keys = self._keys(nm)
        arg_ann = ev.np("arg")[b]
        arg = np.where(keys[:, 3] == _NO_ARG, arg_ann, keys[:, 3])
        st = keys[:, 1]
        return Spans(self.ts[b], self.ts[e], st.astype(np.uint8), keys[:, 2].astype(np.int32),
                     ev.np("stack")[b].astype(np.int32), arg.astype(I64),
                     sl.depth[k].astype(np.uint16) if with_depth else None)  # fmt: skip

    def _shared_goroutine_spans(self, tmeta: list[list[int]]) -> GoroutineSet | None:
        """With hot data: one set of columns for all goroutine tracks, each track's spans a
        view of it, as the model from a Go trace has them."""
        if self.hot is None:
            return None
        at, n, lo, hi, wide = {}, 0, [], [], False
        for i, (kind, _, _) in enumerate(tmeta):
            if kind == TrackKind.GOROUTINE:
                h = self.hot.tracks.get(L.FIRST_TRACK + i)
                k = sum(b.size for b in h.begin) if h is not None else 0
                wide |= h is not None and any(a.dtype != np.int32 for a in h.arg)
                at[L.FIRST_TRACK + i] = slice(n, n + k)
                lo.append(n)
                hi.append(n + k)
                n += k + 1  # and a slot
        return GoroutineSet(n, at, np.array(lo, I64), np.array(hi, I64), I64 if wide else np.int32)

    def _hot_spans(self, h: HotTrack, uuid: int) -> Spans:
        """A track's spans from its hot events: into the shared goroutine columns for a
        goroutine track, else in new compact columns."""
        if h.last != L.END:
            raise Fallback("a slice never ends")
        b, e, nm, stack, arg_ann = h.take_spans()
        n = b.size
        self._freed = getattr(self, "_freed", 0) + 21 * n
        if self._freed >= TRIM_EVERY:
            self._freed = 0
            trim()
        if e.size != n:
            raise Fallback("BEGIN/END counts")
        self._keys(nm[:0])  # builds the table
        k = self._ktab
        if n and (int(nm.max()) >= len(k) or int(nm.min()) <= 0):
            raise Fallback("unknown event name")
        luts = getattr(self, "_luts", None)
        if luts is None:
            luts = self._luts = (k[:, 1].astype(np.uint8), k[:, 2].astype(np.int32), k[:, 3].copy())
        karg = luts[2][nm]
        arg = np.where(karg == _NO_ARG, arg_ann, karg)
        del karg, arg_ann
        slot = self._gset.at.get(uuid) if self._gset is not None else None
        if slot is not None:
            if slot.stop - slot.start != n:
                raise Fallback("goroutine span count")
            assert self._gset is not None
            return self._gset.fill(slot, b - self.base, e - self.base, luts[0][nm], luts[1][nm], stack, arg)
        b -= self.base
        e -= self.base
        reason = luts[1][nm]
        return Spans(b, e, luts[0][nm], reason if reason.any() else zeros32(n),
                     stack if stack is not None else zeros32(n), narrow(arg))  # fmt: skip

    def _keys(self, nm: np.ndarray) -> np.ndarray:
        table = getattr(self, "_ktab", None)
        if table is None:
            table = np.array([[r, s, rs, _NO_ARG if a is None else a] for r, s, rs, a in self.names], np.int64)
            self._ktab = table
        if nm.size and (nm.max() >= len(table) or nm.min() <= 0):
            raise ValueError("unknown event name")
        return table[nm] if nm.size else np.zeros((0, 4), np.int64)

    def events_with_role(self, roles: tuple[L.Role, ...]) -> np.ndarray:
        """Event indices whose name has one of these roles, in (ts, file) order."""
        nm = self.ev.np("name")
        keys_role = np.array([r for r, _, _, _ in self.names], np.int64)
        ok = (nm > 0) & (nm < keys_role.size)
        sel = np.flatnonzero(ok)
        sel = sel[np.isin(keys_role[nm[sel]], [int(r) for r in roles])]
        return sel[np.lexsort((sel, self.ts[sel]))]

    def lanes(self, uuids: list[int]) -> Spans:
        """Spans of several lane tracks, merged by (start, lane) (see writer._lanes)."""
        parts = [self.spans(u) for u in uuids]
        if not parts:
            return Spans.empty()
        lane = np.concatenate([np.full(len(p), i, np.int64) for i, p in enumerate(parts)])
        pos = np.concatenate([np.arange(len(p)) for p in parts])
        cat = Spans(*(np.concatenate([getattr(p, c) for p in parts]) for c in ("start", "end", "state", "reason",
                                                                            "stack", "arg")))  # fmt: skip
        return cat.take(np.lexsort((pos, lane, cat.start)))

    def build(self) -> Trace:
        m, ev = self.m, self.ev
        strings, stacks = tables(ev.tables)
        tmeta = m["tracks"]
        tracks: list[Track] = []
        desc = ev.descs
        extent = m.get("proc_extent", {})
        host = m.get("host", {})
        self._gset = self._shared_goroutine_spans(tmeta)
        for i, (kind, ident, group) in enumerate(tmeta):
            kind = TrackKind(kind)
            u = L.FIRST_TRACK + i
            d = desc.get(u)
            if d is None:
                raise ValueError(f"no descriptor for track {i}")
            tr = Track(kind, int(ident), d.name, group)
            if kind in (TrackKind.GOROUTINE, TrackKind.THREAD) or (kind == TrackKind.GC and ident == GCTrack.MARK):
                tr.spans = self.spans(u)
            elif kind == TrackKind.PROC:
                tr.spans = with_implicit(self.spans(u), extent.get(str(i), []))
            if kind in (TrackKind.PROC, TrackKind.THREAD) and self.hot is not None and tr.spans is not None:
                tr.spans = compact(tr.spans)
            elif kind == TrackKind.REGION:
                tr.spans = self.spans(u, with_depth=True)
            elif kind == TrackKind.HOST:
                self._host(tr, u, host[str(i)])
            tracks.append(tr)
        tracks += self._sampled_processes(strings)
        lanes = m["lanes"]
        stw = self.lanes(lanes["stw"])
        assists = self.lanes(lanes["assists"])
        sweeps = self.lanes(lanes["sweeps"])
        for tr in tracks:
            if tr.kind == TrackKind.GC and tr.id == GCTrack.STW:
                tr.spans = flatten_overlaps(stw)
        gtab = m["goroutines"]
        gids = np.array(gtab["id"], np.int64)
        gidx = {(int(t.kind), t.id): i for i, t in enumerate(tracks)}
        goroutines = Goroutines(
            id=gids,
            track=np.array([gidx[(int(TrackKind.GOROUTINE), int(g))] for g in gids.tolist()], np.int64),
            func=np.array(gtab["func"], np.int32), created=np.array(gtab["created"], I64),
            ended=np.array(gtab["ended"], I64), creator=np.array(gtab["creator"], I64),
            create_stack=np.array(gtab["create_stack"], np.int32), start_stack=np.array(gtab["start_stack"], np.int32),
        )  # fmt: skip
        kinds = [t.kind for t in tracks]
        proc_tracks = np.array([i for i, k in enumerate(kinds) if k == TrackKind.PROC], np.int64)
        thread_tracks = np.array([i for i, k in enumerate(kinds) if k == TrackKind.THREAD], np.int64)
        counters = self._counters(tracks, goroutines)
        tasks, task_lanes = task_table(m["tasks"])
        for tr in tracks:
            if tr.kind == TrackKind.TASK:
                tr.spans = task_lanes[tr.id] if tr.id < len(task_lanes) else Spans.empty()
        regions = self._regions(tracks)
        logs, labels, cpu = self._instants(tracks, goroutines)
        for tr in tracks:
            if tr.kind == TrackKind.CPU:
                gtr = np.array([gidx.get((int(TrackKind.GOROUTINE), int(g)), -1) for g in cpu.g.tolist()], np.int32)
                tr.instants = Instants(cpu.ts, np.full(len(cpu), InstantKind.CPU_SAMPLE, np.uint8),
                                       np.zeros(len(cpu), np.int32), cpu.stack, gtr, cpu.g.copy(),
                                       np.full(len(cpu), -1, I64))  # fmt: skip
        heap_alloc = counters.get((TrackKind.HEAP, HeapTrack.IN_USE), Counter.empty())
        heap_goal = counters.get((TrackKind.HEAP, HeapTrack.GOAL), Counter.empty())
        gomaxprocs = counters.get((TrackKind.COUNTER, CounterTrack.GOMAXPROCS), Counter.empty())
        gcounts = {st: counters[(TrackKind.COUNTER, CounterTrack.GOROUTINES + k)]
                   for k, st in enumerate(GOROUTINE_STATES)
                   if (TrackKind.COUNTER, CounterTrack.GOROUTINES + k) in counters}  # fmt: skip
        tcounts = {st: counters[(TrackKind.COUNTER, CounterTrack.THREADS + k)] for k, st in enumerate(THREAD_STATES)
                   if (TrackKind.COUNTER, CounterTrack.THREADS + k) in counters}  # fmt: skip
        gc = next((t.spans for t in tracks if t.kind == TrackKind.GC and t.id == GCTrack.MARK and t.spans is not None),
                  Spans.empty())  # fmt: skip
        return Trace(
            version=int(m["version"]), base_time=self.base, duration=int(m["duration"]), strings=strings,
            stacks=stacks, tracks=tracks, goroutines=goroutines,
            proc_ids=np.array([tracks[i].id for i in proc_tracks.tolist()], np.int64), proc_tracks=proc_tracks,
            thread_ids=np.array([tracks[i].id for i in thread_tracks.tolist()], np.int64),
            thread_tracks=thread_tracks, gc=gc, stw=stw, assists=assists, sweeps=sweeps, heap_alloc=heap_alloc,
            heap_goal=heap_goal, gomaxprocs=gomaxprocs, goroutine_counts=gcounts, thread_counts=tcounts,
            tasks=tasks, regions=regions, logs=logs, labels=labels, cpu_samples=cpu, flows=self._flows(),
            sync_times=np.array(m["sync_times"], I64), events=int(m["events"]), error=m.get("error"),
            utilization=utilization(m, "default"), utilization_sweep=utilization(m, "sweep"),
            source=str(m.get("source", "gotrace")), go_version=str(m.get("go_version", "")),
            injected=self._injected(goroutines, strings, stacks), host_facts=dict(m.get("host_facts") or {}),
        )  # fmt: skip

    def _injected(self, gs: Goroutines, strings: StringTable, stacks: StackTable) -> np.ndarray:
        """The injected goroutines: from the metadata, or (files written before it kept
        them) found as the Go reader finds them."""
        inj = self.m.get("injected")
        if inj is not None:
            return np.array(inj, I64)
        from tracetui.model.injected import injected_goroutines, injected_stacks

        return injected_goroutines(gs.id, gs.creator, gs.create_stack, gs.start_stack,
                                   injected_stacks(stacks, strings))  # fmt: skip

    def _host(self, tr: Track, uuid: int, info: list[Any]) -> None:
        """A host row: its unit, and its counter (in the dtype it was written from) or spans."""
        unit, dtype = info
        tr.unit = str(unit)
        if dtype is None:
            tr.spans = self.spans(uuid)
            return
        ev = self.ev
        sel = np.flatnonzero((ev.np("track") == uuid) & (ev.np("typ") == L.COUNTER))
        sel = sel[np.lexsort((sel, self.ts[sel]))]
        tr.counter = Counter(self.ts[sel].copy(), values(ev, sel).astype(np.dtype(dtype)))

    def _sampled_processes(self, strings: StringTable) -> list[Track]:
        """HOST tracks from the process sampler's tracks that `record` appended to files before
        it wrote them as the model's: a "Process tree (sampled ...)" group, a group per
        process ("name pid") of counters ("CPU (cores)") and thread slice tracks ("name tid")
        whose slices are the sampled states; named as record names them now (record/hosttracks.py)."""
        descs = self.ev.descs
        roots = {u for u, d in descs.items() if not d.parent and d.name.startswith("Process tree (sampled")}
        if not roots:
            return []
        procs = sorted((d.rank, u) for u, d in descs.items() if d.parent in roots)
        out: list[Track] = []
        ev = self.ev
        track, typ = ev.np("track"), ev.np("typ")
        for _, g in procs:
            name, _, pid = descs[g].name.rpartition(" ")
            group = f"{name} (pid {pid})" if name and pid.isdigit() else descs[g].name
            for _, u in sorted((d.rank, u) for u, d in descs.items() if d.parent == g):
                d = descs[u]
                tr = Track(TrackKind.HOST, len(out), d.name, group)
                if d.counter:
                    label, _, unit = d.name.partition(" (")
                    if unit.endswith(")"):
                        tr.name, tr.unit = label, unit[:-1]
                    sel = np.flatnonzero((track == u) & (typ == L.COUNTER))
                    sel = sel[np.lexsort((sel, self.ts[sel]))]
                    tr.counter = Counter(self.ts[sel].copy(), values(ev, sel))
                else:
                    thread, _, tid = d.name.rpartition(" ")
                    if thread and tid.isdigit():
                        tr.name = f"{thread} (tid {tid})"
                    tr.spans = self._sampled_states(u, strings)
                out.append(tr)
        return out

    def _sampled_states(self, uuid: int, strings: StringTable) -> Spans:
        """A sampled thread's slices as spans: RUNNING, IDLE (sleeping, idle) or WAITING,
        with the state's name as reason."""
        k = self.slices_of(uuid)
        b, e = self.sl.begin[k], self.sl.end[k]
        k = np.flatnonzero(self.ev.np("typ")[b] == L.BEGIN)
        b, e = b[k], e[k]
        text = np.frombuffer(self.ev.name_text, np.int64)[b] if b.size else np.zeros(0, np.int64)
        ids, inv = np.unique(text, return_inverse=True)
        names = [self.ev.strings.strings[int(i)] for i in ids.tolist()]
        reason = np.array([strings.intern(n) for n in names], np.int32)[inv] if b.size else zeros32(0)
        state = np.array([_SAMPLED_STATE.get(n, State.WAITING) for n in names], np.uint8)[inv] if b.size else \
            np.zeros(0, np.uint8)  # fmt: skip
        n = b.size
        return Spans(self.ts[b].copy(), self.ts[e].copy(), state, reason.astype(np.int32), zeros32(n),
                     np.full(n, -1, I64))  # fmt: skip

    def _counters(self, tracks: list[Track], goroutines: Goroutines) -> dict[tuple[TrackKind, int], Counter]:
        ev = self.ev
        out: dict[tuple[TrackKind, int], Counter] = {}
        typ, track = ev.np("typ"), ev.np("track")
        gsp = [t.spans for t in tracks if t.kind == TrackKind.GOROUTINE and t.spans is not None]
        tsp = [t.spans for t in tracks if t.kind == TrackKind.THREAD and t.spans is not None]
        derived: dict[int, Counter] = {}
        if any(t.kind == TrackKind.COUNTER and t.id >= CounterTrack.GOROUTINES for t in tracks):
            if self._gset is not None:
                gset = self._gset.span_set()
            else:
                lens = np.array([len(s) for s in gsp], np.int64)
                hi = np.cumsum(lens)
                gset = SpanSet(concat(gsp), hi - lens, hi)
            gc = goroutine_counters(gset, goroutines.ended)
            tc = thread_counters(concat(tsp), int(self.m["duration"]))
            derived = {CounterTrack.GOROUTINES + k: c for k, c in enumerate(gc.values())} | {
                CounterTrack.THREADS + k: c for k, c in enumerate(tc.values())
            }
        for i, tr in enumerate(tracks):
            if tr.kind not in (TrackKind.HEAP, TrackKind.COUNTER):
                continue
            if tr.kind == TrackKind.COUNTER and tr.id >= CounterTrack.GOROUTINES:
                tr.counter = derived[tr.id]
            else:
                sel = np.flatnonzero((track == L.FIRST_TRACK + i) & (typ == L.COUNTER))
                sel = sel[np.lexsort((sel, self.ts[sel]))]
                h = self.hot.tracks.get(L.FIRST_TRACK + i) if self.hot is not None else None
                if h is not None and h.counter_ts:
                    if sel.size:
                        raise Fallback("hot and rare counter events on one track")
                    ts = np.concatenate(h.counter_ts) - self.base  # in file order = time order (deltas >= 0)
                    tr.counter = Counter(ts, np.concatenate(h.counter_value))
                else:
                    tr.counter = Counter(self.ts[sel].copy(), ev.np("value")[sel].copy())
            out[(tr.kind, tr.id)] = tr.counter
        return out

    def _regions(self, tracks: list[Track]) -> Regions:
        parts = []
        ev = self.ev
        for i, tr in enumerate(tracks):
            if tr.kind != TrackKind.REGION or tr.spans is None:
                continue
            sp = tr.spans
            k = self.slices_of(L.FIRST_TRACK + i)
            b = self.sl.begin[k[ev.np("typ")[self.sl.begin[k]] == L.BEGIN]]
            hb = np.array([not ev.extra.get(int(j), {}).get("no_begin", False) for j in b.tolist()], bool)
            he = np.array([not ev.extra.get(int(j), {}).get("no_end", False) for j in b.tolist()], bool)
            parts.append((np.full(len(sp), tr.id, I64), sp, hb, he))
        if not parts:
            z = np.zeros(0, I64)
            zi = np.zeros(0, np.int32)
            return Regions(z, z, zi, z, z, np.zeros(0, np.uint16), zi, np.zeros(0, bool), np.zeros(0, bool))
        return Regions(
            g=np.concatenate([p[0] for p in parts]), task=np.concatenate([p[1].arg for p in parts]),
            name=np.concatenate([p[1].reason for p in parts]), start=np.concatenate([p[1].start for p in parts]),
            end=np.concatenate([p[1].end for p in parts]),
            depth=np.concatenate([p[1].depth for p in parts]).astype(np.uint16),  # type: ignore[misc]
            stack=np.concatenate([p[1].stack for p in parts]), has_begin=np.concatenate([p[2] for p in parts]),
            has_end=np.concatenate([p[3] for p in parts]),
        )  # fmt: skip

    def _track_of(self, uuid: np.ndarray) -> np.ndarray:
        t = uuid - L.FIRST_TRACK
        return np.where((t >= 0) & (t < len(self.m["tracks"])), t, -1).astype(np.int32)

    def _instants(self, tracks: list[Track], goroutines: Goroutines) -> tuple[Instants, Instants, CPUSamples]:
        ev = self.ev
        track, stack, arg = ev.np("track"), ev.np("stack"), ev.np("arg")

        def ann(idx: np.ndarray, key: str, default: int) -> np.ndarray:
            return np.array([int(ev.extra.get(int(j), {}).get(key, default)) for j in idx.tolist()], I64)

        out = []
        for role, kind, sname in ((L.Role.LOG, InstantKind.LOG, "message"), (L.Role.LABEL, InstantKind.LABEL, "label")):
            idx = self.events_with_role((role,))
            out.append(Instants(
                ts=self.ts[idx].copy(), kind=np.full(idx.size, kind, np.uint8),
                string=ann(idx, sname, 0).astype(np.int32), stack=stack[idx].astype(np.int32),
                track=self._track_of(track[idx]), arg=ann(idx, "arg", -1), task=ann(idx, "task", -1),
            ))  # fmt: skip
        idx = self.events_with_role((L.Role.SAMPLE,))
        cpu = CPUSamples(self.ts[idx].copy(), ann(idx, "m", -1), ann(idx, "p", -1), ann(idx, "g", -1),
                         stack[idx].astype(np.int32))  # fmt: skip
        del arg
        return out[0], out[1], cpu

    def _flows(self) -> Flows:
        ev = self.ev
        src = self.events_with_role((L.Role.FLOW_UNBLOCK, L.Role.FLOW_CREATE))
        flow, term, track = ev.np("flow"), ev.np("term"), ev.np("track")
        src = src[flow[src] > 0]
        dst = np.flatnonzero(term > 0)
        if self.hot is not None:
            return self._hot_flows(src, dst)
        n = src.size
        if dst.size != n:
            raise ValueError(f"{n} flow sources but {dst.size} flow ends")
        so = src[np.argsort(flow[src], kind="stable")]
        do = dst[np.argsort(term[dst], kind="stable")]
        if not np.array_equal(flow[so], term[do]):
            raise ValueError("flow ids do not match")
        roles = np.array([r for r, _, _, _ in self.names], np.int64)[ev.np("name")[so]]
        from_track = np.where(track[so] == L.UNKNOWN_FLOWS, -1, self._track_of(track[so])).astype(np.int32)
        return Flows(
            from_track=from_track,
            from_ts=self.ts[so].copy(),
            to_track=self._track_of(track[do]),
            to_ts=self.ts[do].copy(),
            kind=np.where(roles == L.Role.FLOW_CREATE, FlowKind.CREATE, FlowKind.UNBLOCK).astype(np.uint8),
        )

    def _hot_flows(self, src: np.ndarray, dst: np.ndarray) -> Flows:
        """Flows from the hot tables by id, with the rare events' flows added."""
        ev, hot = self.ev, self.hot
        assert hot is not None
        flow, term, track, ts, name = ev.np("flow"), ev.np("term"), ev.np("track"), ev.np("ts"), ev.np("name")
        hot.src.put(flow[src].astype(np.uint64), track=track[src].astype(np.int32), ts=ts[src],
                    name=name[src].astype(np.int32))  # fmt: skip
        hot.dst.put(term[dst].astype(np.uint64), track=track[dst].astype(np.int32), ts=ts[dst])
        n = hot.src.rows
        if hot.dst.rows != n or hot.src.top != n or hot.dst.top != n:
            raise Fallback("flow ids are not 1..n on both ends")
        roles = np.array([r for r, _, _, _ in self.names], np.int64)
        nm = hot.src.column("name", n)
        if n and (int(nm.max()) >= roles.size or int(nm.min()) <= 0):
            raise Fallback("flow name")
        role = roles[nm]
        del nm
        if not np.isin(role, [L.Role.FLOW_UNBLOCK, L.Role.FLOW_CREATE]).all():
            raise Fallback("flow source of another role")
        kind = np.where(role == L.Role.FLOW_CREATE, FlowKind.CREATE, FlowKind.UNBLOCK).astype(np.uint8)
        del role
        fu = hot.src.column("track", n)
        from_track = np.where(fu == L.UNKNOWN_FLOWS, -1, self._track_of(fu)).astype(np.int32)
        del fu
        from_ts = hot.src.column("ts", n)
        from_ts -= self.base
        to_track = self._track_of(hot.dst.column("track", n))
        to_ts = hot.dst.column("ts", n)
        to_ts -= self.base
        trim()
        return Flows(from_track=from_track, from_ts=from_ts, to_track=to_track, to_ts=to_ts, kind=kind)


_NO_ARG = -(1 << 62)
_SAMPLED_STATE = {"running": State.RUNNING, "sleeping": State.IDLE, "idle": State.IDLE}  # others: WAITING
