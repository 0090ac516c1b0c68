"""The model -> a Perfetto TrackEvent trace (see `layout` for the file's structure).

Hot tracks (goroutines, Ps, Ms, counters) are encoded with numpy (`records`), a piece of
at most PIECE spans at a time; rare packets (descriptors, interned tables, GC, tasks,
regions, logs) through the protobuf runtime. Packets go out in zlib `compressed_packets`
chunks, compressed in a worker thread, so memory stays bounded whatever the trace size.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
from perfetto.protos.perfetto.trace import perfetto_trace_pb2 as pb

from tracetui.model.kinds import CounterTrack, GCTrack, counted_by
from tracetui.model.spans import interval_lanes
from tracetui.model.trace import Counter, FlowKind, Spans, State, Trace, Track, TrackKind
from tracetui.perfetto import layout as L
from tracetui.perfetto.records import Const, Fixed64, Msg, Varint, encode
from tracetui.perfetto.wire import field_bytes, packet_record

PIECE = 1 << 15  # spans (or counter points) encoded at once
SMALL = 1 << 10  # packets: a piece smaller than this is encoded together with the next ones
CHUNK = 1 << 20  # uncompressed bytes per compressed_packets chunk
FLOW_BLOCK = 1 << 20  # flows indexed at once (by their source or target track)
FLOW_PIECE = 1 << 20  # flows scanned at once
MAX_COUNTER_POINTS = 1 << 18  # derived counters with more points are resampled
NONE = -1
U64 = np.uint64


@dataclass
class WriteStats:
    packets: int = 0
    raw_bytes: int = 0
    file_bytes: int = 0


class _Sink:
    """Framed packets -> file, raw or in zlib `compressed_packets` chunks (compressed in a
    worker thread; at most a few chunks in flight)."""

    def __init__(self, f: BinaryIO, compress: bool, stats: WriteStats) -> None:
        self.f, self.compress, self.stats = f, compress, stats
        self.buf: list[bytes | memoryview] = []
        self.size = 0
        self.pool = ThreadPoolExecutor(max_workers=1) if compress else None
        self.pending: list[Future[bytes]] = []

    def packet(self, msg: pb.TracePacket | bytes) -> None:
        raw = msg if isinstance(msg, bytes) else msg.SerializeToString()
        rec = packet_record(raw)
        self.stats.packets += 1
        self._add(rec)

    def records(self, blob: bytes | memoryview, lengths: np.ndarray) -> None:
        """Many framed packets (their byte lengths in `lengths`)."""
        self.stats.packets += int(lengths.size)
        if not self.compress or len(blob) + self.size <= CHUNK:
            self._add(blob)
            return
        view = memoryview(blob)
        ends = np.cumsum(lengths)
        lo = 0
        while lo < len(blob):
            room = CHUNK - self.size
            cut = int(np.searchsorted(ends, lo + room, "right"))
            hi = int(ends[cut - 1]) if cut > 0 else 0
            if hi <= lo:  # the next packet alone exceeds the room: flush, then take it
                if self.size:
                    self._flush()
                    continue
                hi = int(ends[np.searchsorted(ends, lo, "right")])
            self._add(view[lo:hi])
            lo = hi

    def _add(self, data: bytes | memoryview) -> None:
        self.stats.raw_bytes += len(data)
        if not self.compress:
            self.f.write(data)
            self.stats.file_bytes += len(data)
            return
        self.buf.append(data)
        self.size += len(data)
        if self.size >= CHUNK:
            self._flush()

    def _flush(self) -> None:
        if not self.size:
            return
        data = b"".join(self.buf)
        self.buf.clear()
        self.size = 0
        assert self.pool is not None
        self.pending.append(self.pool.submit(_chunk, data))
        while len(self.pending) > 3:
            self._write(self.pending.pop(0).result())

    def _write(self, data: bytes) -> None:
        self.f.write(data)
        self.stats.file_bytes += len(data)

    def close(self) -> None:
        if self.compress:
            self._flush()
            for fut in self.pending:
                self._write(fut.result())
            self.pending.clear()
            assert self.pool is not None
            self.pool.shutdown()


def _chunk(data: bytes) -> bytes:
    """A `compressed_packets` packet of framed packets."""
    return packet_record(field_bytes(50, zlib.compress(data, 1)))


def _text(s: str) -> str:
    """Valid UTF-8 for a protobuf string field (undecodable bytes shown as U+FFFD)."""
    return s.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _raw(s: str) -> bytes:
    """A trace string's original bytes."""
    return s.encode("utf-8", "surrogateescape")


class _Names:
    """Event names with global iids: key (role, state, reason, arg) -> iid."""

    def __init__(self) -> None:
        self.iid: dict[tuple[int, int, int, int | None], int] = {}
        self.text: list[str] = [""]
        self.keys: list[tuple[int, int, int, int | None]] = [(0, 0, 0, None)]

    def get(self, key: tuple[int, int, int, int | None], text: str) -> int:
        i = self.iid.get(key)
        if i is None:
            i = self.iid[key] = len(self.text)
            self.text.append(_text(text))
            self.keys.append(key)
        return i


_STATE_TEXT: dict[int, str] = {State.RUNNING: "running", State.RUNNABLE: "runnable", State.WAITING: "blocked",
               State.SYSCALL: "syscall", State.IDLE: "idle"}  # fmt: skip
_G_ARG: dict[int, str] = {State.RUNNING: "p", State.SYSCALL: "m", State.RUNNABLE: "by"}


class _Writer:
    def __init__(self, trace: Trace, sink: _Sink) -> None:
        self.t, self.sink = trace, sink
        self.names = _Names()
        # Small pieces waiting to be encoded together, and the sink's order meanwhile:
        # an int is a piece (index into _small), a packet is a header written after it.
        self._small: list[tuple] = []  # type: ignore[type-arg]
        self._queue: list[int | pb.TracePacket] = []
        self._small_rows = 0
        # Perfetto's clocks are unsigned: a converted Go 1.11-1.21 trace starts at -1 (Go's
        # first Sync is 1 ns before the first event, at 0), so it moves to 0.
        self.base = max(int(trace.base_time), 0)
        self.ntracks = len(trace.tracks)
        self.next_uuid = L.FIRST_TRACK + self.ntracks
        self.meta: dict[str, object] = {}
        fl = trace.flows
        self.by_from = _ByTrack(fl.from_track, self.ntracks)
        self.by_to = _ByTrack(fl.to_track, self.ntracks)
        gs = trace.goroutines
        self.gfunc = {int(g): trace.string(f) for g, f in zip(gs.id.tolist(), gs.func.tolist())}
        self.proc_extent: dict[str, list[int]] = {}  # P track -> its extent and holes (see _extent)
        self.interned1: set[int] = set()  # event names interned on the tables sequence
        self.progress: Callable[[float], None] = lambda _fraction: None

    def uuid(self, i: int) -> int:
        return L.FIRST_TRACK + i

    def new_uuid(self) -> int:
        u = self.next_uuid
        self.next_uuid += 1
        return u

    # ---- descriptors ------------------------------------------------------------------

    def descriptor(self, uuid: int, name: str, parent: int | None, rank: int, *, explicit: bool = False,
                   counter: pb.CounterDescriptor | None = None, description: str = "") -> None:  # fmt: skip
        p = pb.TracePacket()
        d = p.track_descriptor
        d.uuid = uuid
        d.name = _text(name)
        if parent is not None:
            d.parent_uuid = parent
        if counter is not None:
            d.counter.CopyFrom(counter)
        if explicit:
            d.child_ordering = pb.TrackDescriptor.EXPLICIT
        d.sibling_order_rank = rank
        d.sibling_merge_behavior = pb.TrackDescriptor.SIBLING_MERGE_BEHAVIOR_NONE
        if description:
            d.description = description
        self.sink.packet(p)

    def descriptors(self) -> None:
        t = self.t
        ver = f"Go 1.{t.version} trace" if t.version else "trace"
        self.descriptor(L.ROOT, f"{ver} (tracetui)", None, 0, explicit=True)
        for rank, g in enumerate((L.GC, L.PROCS, L.THREADS, L.GOROUTINES, L.TASKS)):
            self.descriptor(g, L.GROUP_NAMES[g], L.ROOT, rank + 1, explicit=True)
        # Goroutines under per-function groups, ordered by their first goroutine id.
        fgroups: dict[str, int] = {}
        gtracks = [i for i, tr in enumerate(t.tracks) if tr.kind == TrackKind.GOROUTINE]
        for i in sorted(gtracks, key=lambda i: t.tracks[i].id):
            grp = t.tracks[i].group
            if grp not in fgroups:
                fgroups[grp] = self.new_uuid()
                self.descriptor(fgroups[grp], grp or "(unknown function)", L.GOROUTINES, 100 + len(fgroups),
                                explicit=True)  # fmt: skip
        # Host sections (a recording's sampler and GODEBUG rows): a group per program, after the runtime's.
        self.hgroups: dict[str, int] = {}
        for tr in t.tracks:
            if tr.kind == TrackKind.HOST and tr.group not in self.hgroups:
                self.hgroups[tr.group] = self.new_uuid()
                self.descriptor(self.hgroups[tr.group], tr.group or "Host", L.ROOT, L.HOST_RANK + len(self.hgroups),
                                explicit=True)  # fmt: skip
        self.regions_parent: dict[int, int] = {}
        for i, tr in enumerate(t.tracks):
            parent, rank, counter = self._place(i, tr, fgroups)
            self.descriptor(self.uuid(i), tr.name, parent, rank, explicit=True, counter=counter)
        self.meta["tracks"] = [[int(tr.kind), int(tr.id), tr.group] for tr in t.tracks]
        self.meta["fgroups"] = fgroups
        self.meta["host"] = {str(i): [tr.unit, None if tr.counter is None else str(_points(tr.counter)[1].dtype)]
                             for i, tr in enumerate(t.tracks) if tr.kind == TrackKind.HOST}  # fmt: skip
        lanes: dict[str, list[int]] = {}
        stw_i = next((i for i, tr in enumerate(t.tracks) if tr.kind == TrackKind.GC and tr.id == GCTrack.STW), None)
        for key, spans, name, rank in (("stw", t.stw, "STW", 3), ("assists", t.assists, "Mark assists", 4),
                                       ("sweeps", t.sweeps, "Sweeps", 5)):  # fmt: skip
            n = int(interval_lanes(spans.start, spans.end).max()) + 1 if len(spans) else 0
            uu = []
            for k in range(n):
                if key == "stw" and k == 0 and stw_i is not None:
                    uu.append(self.uuid(stw_i))
                    continue
                u = self.new_uuid()
                uu.append(u)
                self.descriptor(u, name if k == 0 else f"{name} ({k + 1})", L.GC, rank * 100 + k)
            lanes[key] = uu
        self.meta["lanes"] = lanes
        self.unknown_flows = bool(len(t.flows)) and bool((t.flows.from_track < 0).any())
        if self.unknown_flows:
            self.descriptor(L.UNKNOWN_FLOWS, "Flows from unknown sources", L.ROOT, 90)
        self.orphans = self.new_uuid()  # instants of no track
        self.descriptor(self.orphans, "Events of no goroutine", L.ROOT, 91)
        self.meta["orphans"] = self.orphans

    def _place(self, i: int, tr: Track, fgroups: dict[str, int]) -> tuple[int, int, pb.CounterDescriptor | None]:
        k = tr.kind
        if k == TrackKind.PROC:
            return L.PROCS, 10 + int(tr.id), None
        if k == TrackKind.THREAD:
            return L.THREADS, 10 + i, None
        if k == TrackKind.GOROUTINE:
            return fgroups[tr.group], 0, None
        if k == TrackKind.REGION:
            g = self.t.track_index(TrackKind.GOROUTINE, tr.id)
            return (self.uuid(g) if g >= 0 else L.GOROUTINES), 0, None
        if k == TrackKind.GC:
            return L.GC, 1 + int(tr.id), None
        if k == TrackKind.TASK:
            return L.TASKS, int(tr.id), None
        if k == TrackKind.HOST:
            return self.hgroups[tr.group], i, None if tr.counter is None else _unit(tr.unit)
        if k in (TrackKind.HEAP, TrackKind.COUNTER):
            c = pb.CounterDescriptor()
            if k == TrackKind.HEAP:
                c.unit = pb.CounterDescriptor.UNIT_SIZE_BYTES
                c.y_axis_share_key = "heap"
                return L.GC, 10 + int(tr.id), c
            c.unit = pb.CounterDescriptor.UNIT_COUNT
            return self._counter_parent(int(tr.id)), int(tr.id), c
        return L.ROOT, 80 + i, None

    def _counter_parent(self, ident: int) -> int:
        """The group of a COUNTER track of a Go trace's model, by its id: GOMAXPROCS under the
        Procs, the counts of goroutines and threads under theirs; another tool's at the root."""
        if self.t.source == "perfetto":
            return L.ROOT
        if ident == CounterTrack.GOMAXPROCS:
            return L.PROCS
        counted = counted_by(ident)
        if counted is None:
            return L.ROOT
        return L.GOROUTINES if counted[0] == TrackKind.GOROUTINE else L.THREADS

    # ---- tables (sequence 1) ------------------------------------------------------------

    def tables(self) -> None:
        t = self.t
        p = pb.TracePacket()
        p.trusted_packet_sequence_id = L.TABLES_SEQ
        p.sequence_flags = L.CLEARED | L.NEEDS_STATE
        d = p.interned_data
        for name, iid in L.ANN.items():
            d.debug_annotation_names.add(iid=iid, name=name)
        strings = t.strings.strings
        for sid in range(1, len(strings)):
            d.debug_annotation_string_values.add(iid=sid, str=_raw(strings[sid]))
        st = t.stacks
        self._intern_frames(d, range(len(st.frame_pc)), set(range(1, len(st.stacks))))
        self.sink.packet(p)

    def _intern_frames(self, d: pb.InternedData, frames: range | list[int], stacks: set[int]) -> None:
        st, strings = self.t.stacks, self.t.strings.strings
        funcs, files = set(), set()
        for f in frames:
            fn, fl = st.frame_func[f], st.frame_file[f]
            fr = d.frames.add(iid=f + 1, rel_pc=st.frame_pc[f], line_number=st.frame_line[f])
            if fn:
                fr.function_name_id = fn
                funcs.add(fn)
            if fl:
                fr.source_path_iid = fl
                files.add(fl)
        for s in sorted(funcs):
            d.function_names.add(iid=s, str=_raw(strings[s]))
        for s in sorted(files):
            d.source_paths.add(iid=s, str=_raw(strings[s]))
        for s in sorted(stacks):
            d.callstacks.add(iid=s, frame_ids=[f + 1 for f in reversed(st.stacks[s])])

    # ---- hot sequences ----------------------------------------------------------------

    def hot_tracks(self) -> None:
        for i, tr in enumerate(self.t.tracks):
            self.progress(0.05 + 0.85 * i / self.ntracks)
            if tr.kind == TrackKind.HOST:
                continue  # few events: written with the rare ones
            if tr.kind in (TrackKind.GOROUTINE, TrackKind.PROC, TrackKind.THREAD) and tr.spans is not None:
                self._span_track(i, tr)
            elif tr.counter is not None:
                self._counter_track(i, tr)
        self._flush_small()
        self.meta["proc_extent"] = self.proc_extent

    def _header(self, uuid: int, names: list[int], stacks: list[int]) -> None:
        p = pb.TracePacket()
        p.trusted_packet_sequence_id = uuid
        p.sequence_flags = L.CLEARED | L.NEEDS_STATE
        cs = p.clock_snapshot
        cs.clocks.add(clock_id=L.BOOTTIME, timestamp=self.base)
        cs.clocks.add(clock_id=L.INCREMENTAL_CLOCK, timestamp=self.base, is_incremental=True)
        p.trace_packet_defaults.timestamp_clock_id = L.INCREMENTAL_CLOCK
        p.trace_packet_defaults.track_event_defaults.track_uuid = uuid
        d = p.interned_data
        for name, iid in L.ANN.items():
            d.debug_annotation_names.add(iid=iid, name=name)
        for n in names:
            d.event_names.add(iid=n, name=self.names.text[n])
        if stacks:
            st = self.t.stacks
            frames = sorted({f for s in stacks for f in st.stacks[s]})
            self._intern_frames(d, frames, set(stacks))
        self._packet(p)

    # ---- small pieces, encoded together --------------------------------------------------

    def _packet(self, p: pb.TracePacket) -> None:
        """A packet of a hot sequence, in order behind any rows still waiting."""
        if self._queue:
            self._queue.append(p)
        else:
            self.sink.packet(p)

    def _flush_small(self) -> None:
        """Encode the waiting rows (of many small tracks) in one call, then write them and
        the packets queued among them in their order: the same bytes as one at a time."""
        batch, queue = self._small, self._queue
        if not batch:
            for p in queue:
                self.sink.packet(p)  # type: ignore[arg-type]
            queue.clear()
            return
        counts = np.array([b[1].size for b in batch], np.int64)
        uuids = np.repeat(np.array([b[0] for b in batch], U64), counts)
        cols = [np.concatenate([b[k] for b in batch]) for k in range(1, 9)]
        blob, lengths = self._rows(uuids, *cols[:8], None)  # type: ignore[arg-type, call-arg]
        rows = np.concatenate([[0], np.cumsum(counts)])
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        view = memoryview(blob)
        k = 0
        for item in queue:
            if isinstance(item, int):
                a, b = int(rows[k]), int(rows[k + 1])
                self.sink.records(view[int(offsets[a]) : int(offsets[b])], lengths[a:b])
                k += 1
            else:
                self.sink.packet(item)
        self._small, self._queue, self._small_rows = [], [], 0

    def _name_of(self, kind: TrackKind, state: int, other: int) -> int:
        t = self.t
        if kind == TrackKind.GOROUTINE:
            reason = other
            text = t.string(reason) if (state == State.WAITING and reason) else _STATE_TEXT.get(state, _sname(state))
            return self.names.get((L.Role.SPAN, state, reason, None), text)
        arg = other - 1
        if kind == TrackKind.PROC:
            if state == State.RUNNING and arg >= 0:
                fn = self.gfunc.get(arg, "")
                text = f"G{arg} {fn}" if fn else f"G{arg}"
            elif state == State.SYSCALL and arg >= 0:
                text = f"G{arg} syscall"
            else:
                text = _STATE_TEXT.get(state, _sname(state))
        else:
            if state == State.RUNNING and arg >= 0:
                text = f"P{arg}"
            elif state == State.SYSCALL and arg >= 0:
                text = f"syscall G{arg}"
            else:
                text = _STATE_TEXT.get(state, _sname(state))
        return self.names.get((L.Role.SPAN, state, 0, arg), text)

    def _flow_name(self, kind: int) -> int:
        if kind == FlowKind.UNBLOCK:
            return self.names.get((L.Role.FLOW_UNBLOCK, 0, 0, None), "unblock")
        return self.names.get((L.Role.FLOW_CREATE, 0, 0, None), "create")

    def _span_track(self, i: int, tr: Track) -> None:
        """A goroutine, P or M track, PIECE spans at a time (P spans RUNNING with no
        goroutine are left out: the reader rebuilds them from the P's extent)."""
        sp = tr.spans
        assert sp is not None
        uuid = self.uuid(i)
        n = len(sp)
        proc = tr.kind == TrackKind.PROC
        if proc:
            self.proc_extent[str(i)] = _extent(sp)
        # Names (registered in key order, as for the whole track at once) and stacks used.
        keys, used_keys, stacks = [], [], []
        for a in range(0, n, PIECE):
            k = self._span_keys(tr, sp, a, min(n, a + PIECE))
            keys.append(np.unique(k))
            if proc:
                k = k[self._emitted(sp, a, min(n, a + PIECE))]
            used_keys.append(np.unique(k))
            if tr.kind == TrackKind.GOROUTINE:
                stacks.append(np.unique(sp.stack[a : a + PIECE]))
        key_set = np.unique(np.concatenate(keys)) if keys else np.zeros(0, np.int64)
        iids = np.array([self._name_of(tr.kind, State(kk % 16) if kk % 16 < 13 else kk % 16, kk // 16)
                         for kk in key_set.tolist()], U64)  # fmt: skip
        lut = (key_set, iids)
        used = set(iids[np.searchsorted(key_set, np.unique(np.concatenate(used_keys)))].tolist()) if keys else set()
        stack_ids = [s for s in np.unique(np.concatenate(stacks)).tolist() if s] if stacks else []
        src = self.by_from(i)
        fl = self.t.flows
        fkinds = fl.kind[src]
        flow_names = {int(kd): self._flow_name(int(kd)) for kd in np.unique(fkinds).tolist()}
        used |= set(flow_names.values())
        self._header(uuid, sorted(used), stack_ids)
        # Flow targets: the span (of those written) starting at to_ts in RUNNING, else an instant.
        dst = self.by_to(i)
        j = _running_at(sp, fl.to_ts[dst], proc) if dst.size else np.zeros(0, np.int64)
        ok = j >= 0
        o = np.argsort(j[ok], kind="stable")
        term_at, term_id = j[ok][o], (dst[ok][o] + 1).astype(U64)
        extra_dst = dst[~ok]
        ins_t = np.concatenate([fl.from_ts[src], fl.to_ts[extra_dst]])
        kind_lut = np.zeros(256, U64)
        for kd, nm in flow_names.items():
            kind_lut[kd] = nm
        ins_name = np.concatenate([kind_lut[fkinds],
                                   np.full(extra_dst.size, self.names.get((L.Role.SPAN, -1, 0, None), "flow end"), U64)])  # fmt: skip
        ins_flow = np.concatenate([(src + 1).astype(U64), np.zeros(extra_dst.size, U64)])
        ins_term = np.concatenate([np.zeros(src.size, U64), (extra_dst + 1).astype(U64)])
        o = np.argsort(ins_t, kind="stable")
        ins = (ins_t[o], ins_name[o], ins_flow[o], ins_term[o])
        del ins_t, ins_name, ins_flow, ins_term, o
        # Pieces of the track: its spans merged with the instants, in time order.
        prev, q = 0, 0
        for a in range(0, n, PIECE):
            b = min(n, a + PIECE)
            keep = self._emitted(sp, a, b) if proc else None
            piece = sp.take(slice(a, b))
            names = lut[1][np.searchsorted(lut[0], self._span_keys(tr, sp, a, b))]
            stack = piece.stack if tr.kind == TrackKind.GOROUTINE else None
            ann = self._annotations(tr, piece)
            t0, t1 = np.searchsorted(term_at, [a, b])
            term = np.zeros(b - a, U64)
            term[term_at[t0:t1] - a] = term_id[t0:t1]
            if keep is not None:
                kept = np.flatnonzero(keep)
                piece, names, term, ann = piece.take(kept), names[kept], term[kept], ann[kept]
                stack = None
            if not len(piece):
                continue
            # Instants before the piece's last packet (an END) go in this piece; the rest later.
            qhi = int(np.searchsorted(ins[0], piece.end[-1], "left")) if b < n else ins[0].size
            prev = self._piece(uuid, piece, names, stack, ann, term, tuple(x[q:qhi] for x in ins), prev)
            q = qhi
        if q < ins[0].size or n == 0:
            prev = self._piece(uuid, Spans.empty(), np.zeros(0, U64), None, np.zeros(0, np.uint8), np.zeros(0, U64),
                               tuple(x[q:] for x in ins), prev)  # fmt: skip

    def _emitted(self, sp: Spans, a: int, b: int) -> np.ndarray:
        """Which of a P's spans [a, b) are written: all but RUNNING with no goroutine."""
        return ~((sp.state[a:b] == State.RUNNING) & (sp.arg[a:b] == -1))

    def _span_keys(self, tr: Track, sp: Spans, a: int, b: int) -> np.ndarray:
        """The name key (other * 16 + state) of spans [a, b): other is the reason for a
        goroutine, arg + 1 for a P or M."""
        other = sp.reason[a:b].astype(np.int64) if tr.kind == TrackKind.GOROUTINE else sp.arg[a:b].astype(np.int64) + 1
        return other * 16 + sp.state[a:b]

    def _annotations(self, tr: Track, sp: Spans) -> np.ndarray:
        ann = np.zeros(len(sp), np.uint8)
        if tr.kind == TrackKind.GOROUTINE:
            for st_, nm in _G_ARG.items():
                ann[sp.state == st_] = L.ANN[nm]
            ann[(ann == 0) & (sp.arg != -1)] = L.ANN["arg"]
            ann[sp.arg == -1] = 0
        return ann

    def _piece(self, uuid: int, sp: Spans, names: np.ndarray, stack: np.ndarray | None, ann: np.ndarray,
               term: np.ndarray, ins: tuple[np.ndarray, ...], prev: int) -> int:  # fmt: skip
        """Encode spans (BEGIN/END pairs) merged with instants (each after every packet
        at or before its time); returns the last timestamp."""
        m = len(sp)
        k = ins[0].size
        total = 2 * m + k
        if total == 0:
            return prev
        # Instant q lands after the span packets at or before it: at ip + q.
        ip = np.searchsorted(sp.start, ins[0], "right") + np.searchsorted(sp.end, ins[0], "right")
        ins_at = ip + np.arange(k)
        span_at = np.arange(2 * m) + np.searchsorted(ip, np.arange(2 * m), "right")
        typ = np.empty(total, U64)
        t = np.empty(total, np.int64)
        name = np.zeros(total, U64)
        stk = np.zeros(total, U64)
        annk = np.zeros(total, U64)
        annv = np.zeros(total, U64)
        flow = np.zeros(total, U64)
        trm = np.zeros(total, U64)
        bi, ei = span_at[0::2], span_at[1::2]
        typ[bi], typ[ei] = L.BEGIN, L.END
        t[bi], t[ei] = sp.start, sp.end
        name[bi] = names
        if stack is not None:
            stk[bi] = stack
        annk[bi] = ann
        annv[bi] = sp.arg.astype(np.int64).view(U64)
        trm[bi] = term
        typ[ins_at] = L.INSTANT
        t[ins_at] = ins[0]
        name[ins_at] = ins[1]
        flow[ins_at] = ins[2]
        trm[ins_at] = ins[3]
        dt = np.empty(total, np.int64)
        dt[0] = t[0] - prev
        np.subtract(t[1:], t[:-1], out=dt[1:])
        self._encode(uuid, typ, dt, name, stk, annk, annv, flow, trm, None)
        return int(t[-1])

    def _encode(self, uuid: int, typ: np.ndarray, dt: np.ndarray, name: np.ndarray, stk: np.ndarray,
                annk: np.ndarray, annv: np.ndarray, flow: np.ndarray, trm: np.ndarray,
                value: np.ndarray | None) -> None:  # fmt: skip
        """Packets of one sequence (`uuid`); a small piece waits to be encoded with others
        (the per-call cost dominates tracks of a few spans: short-lived goroutines)."""
        if value is None and typ.size < SMALL:
            self._small.append((uuid, typ, dt, name, stk, annk, annv, flow, trm))
            self._queue.append(len(self._small) - 1)
            self._small_rows += typ.size
            if self._small_rows >= PIECE:
                self._flush_small()
            return
        self._flush_small()
        blob, lengths = self._rows(np.full(typ.size, uuid, U64), typ, dt, name, stk, annk, annv, flow, trm, value)
        self.sink.records(blob, lengths)

    def _rows(self, uuid: np.ndarray, typ: np.ndarray, dt: np.ndarray, name: np.ndarray, stk: np.ndarray,
              annk: np.ndarray, annv: np.ndarray, flow: np.ndarray, trm: np.ndarray,
              value: np.ndarray | None) -> tuple[bytes, np.ndarray]:  # fmt: skip
        """The framed TracePackets of the rows, and each one's length."""
        n = typ.size
        has_name = name != 0
        has_ann = annk != 0
        annv = np.where(has_ann, annv, U64(0))
        te: list[Const | Varint | Fixed64 | Msg] = [
            Msg(b"\x22", [Const(b"\x08"), Varint(annk), Const(b"\x20"), Varint(annv)], has_ann),
            Const(b"\x48"), Varint(typ),
            Const(b"\x50", has_name), Varint(name, has_name),
        ]  # fmt: skip
        if value is not None:
            te += [Const(b"\xf0\x01"), Varint(value.astype(np.int64).view(U64))]
        if flow.any():
            te += [Const(b"\xf9\x02", flow != 0), Fixed64(flow, flow != 0)]
        if trm.any():
            te += [Const(b"\x81\x03", trm != 0), Fixed64(trm, trm != 0)]
        if stk.any():
            te += [Const(b"\xc0\x03", stk != 0), Varint(stk, stk != 0)]
        parts = [
            Msg(b"\x0a", [
                Const(b"\x40"), Varint(dt.view(U64)),
                Const(b"\x50"), Varint(uuid),
                Msg(b"\x5a", te),
                Const(b"\x68\x02"),
            ])
        ]  # fmt: skip
        return encode(parts, n)

    def _counter_track(self, i: int, tr: Track) -> None:
        c = tr.counter
        assert c is not None
        uuid = self.uuid(i)
        counted = counted_by(int(tr.id)) if tr.kind == TrackKind.COUNTER else None
        st = counted[1] if counted is not None else None
        spans = [x.spans for x in self.t.tracks if counted is not None and x.kind == counted[0] and x.spans is not None]
        if (
            st is not None
            and not c.computed
            and sum(int(np.count_nonzero(s.state == st)) for s in spans) > MAX_COUNTER_POINTS
        ):
            ts, val = _sampled(spans, st, self.t.duration)
        else:
            ts, val = _points(c)
        self._header(uuid, [], [])
        prev = 0
        for a in range(0, ts.size, PIECE):
            b = min(ts.size, a + PIECE)
            t = ts[a:b].astype(np.int64)
            n = t.size
            dt = np.empty(n, np.int64)
            dt[0] = t[0] - prev
            np.subtract(t[1:], t[:-1], out=dt[1:])
            z = np.zeros(n, U64)
            self._encode(uuid, np.full(n, L.COUNTER, U64), dt, z, z, z, z, z, z, val[a:b])
            prev = int(t[-1])

    # ---- rare events (sequence 1, absolute times) ----------------------------------------

    def _ev(self, uuid: int, ts: int, typ: int, name: int = 0, stack: int = 0,
            ann: dict[str, int | bool] | None = None, strs: dict[str, int] | None = None) -> pb.TracePacket:  # fmt: skip
        p = pb.TracePacket()
        p.timestamp = self.base + int(ts)
        p.trusted_packet_sequence_id = L.TABLES_SEQ
        p.sequence_flags = L.NEEDS_STATE
        e = p.track_event
        e.type = typ
        e.track_uuid = uuid
        if name:
            e.name_iid = name
            if name not in self.interned1:
                self.interned1.add(name)
                p.interned_data.event_names.add(iid=name, name=self.names.text[name])
        if stack:
            e.callstack_iid = int(stack)
        for k, v in (ann or {}).items():
            a = e.debug_annotations.add(name_iid=L.ANN[k])
            if isinstance(v, bool):
                a.bool_value = v
            else:
                a.int_value = int(v)
        for k, v in (strs or {}).items():
            e.debug_annotations.add(name_iid=L.ANN[k], string_value_iid=int(v))
        return p

    def rare(self) -> None:
        t = self.t
        for i, tr in enumerate(t.tracks):
            if tr.kind == TrackKind.GC and tr.id == GCTrack.MARK and tr.spans is not None:
                self._rare_spans([self.uuid(i)], tr.spans, "seq", lambda r: "GC")
            elif tr.kind == TrackKind.REGION and tr.spans is not None:
                self._regions(i, tr)
        lanes = self.meta["lanes"]
        assert isinstance(lanes, dict)
        self._rare_spans(lanes["stw"], t.stw, "g", lambda r: f"STW: {t.string(r)}" if r else "STW")
        self._rare_spans(lanes["assists"], t.assists, "g", lambda r: "mark assist")
        self._rare_spans(lanes["sweeps"], t.sweeps, "p", lambda r: "sweep")
        self._tasks()
        self._instants()
        for i, tr in enumerate(t.tracks):
            if tr.kind == TrackKind.HOST:
                self._host(self.uuid(i), tr)
        if self.unknown_flows:
            fl = t.flows
            for j in np.flatnonzero(fl.from_track < 0).tolist():
                p = self._ev(L.UNKNOWN_FLOWS, int(fl.from_ts[j]), L.INSTANT, self._flow_name(int(fl.kind[j])))
                p.track_event.flow_ids.append(j + 1)  # flow ids: 1 + the flow's index
                self.sink.packet(p)

    def _rare_spans(self, uuids: list[int], sp: Spans, arg_name: str, text: Callable[[int], str]) -> None:
        if not len(sp):
            return
        lane = interval_lanes(sp.start, sp.end) if len(uuids) > 1 or arg_name != "seq" else np.zeros(len(sp), np.int64)
        for k, u in enumerate(uuids):
            sel = np.flatnonzero(lane == k)
            for j in sel.tolist():
                st, r = int(sp.state[j]), int(sp.reason[j])
                nm = self.names.get((L.Role.SPAN, st, r, None), text(r))
                arg = int(sp.arg[j])
                self.sink.packet(self._ev(u, int(sp.start[j]), L.BEGIN, nm, int(sp.stack[j]),
                                          {arg_name: arg} if arg != -1 else None))  # fmt: skip
                self.sink.packet(self._ev(u, int(sp.end[j]), L.END))

    def _host(self, uuid: int, tr: Track) -> None:
        """A host row: its counter's points (double values for a float counter), or its
        sampled thread states as slices named after the kernel's state name."""
        if tr.counter is not None:
            ts, val = _points(tr.counter)
            dbl = val.dtype.kind == "f"
            for t_, v in zip(ts.tolist(), val.tolist()):
                p = self._ev(uuid, t_, L.COUNTER)
                if dbl:
                    p.track_event.double_counter_value = v
                else:
                    p.track_event.counter_value = int(v)
                self.sink.packet(p)
        sp = tr.spans
        if sp is None:
            return
        for j in range(len(sp)):
            st, r, arg = int(sp.state[j]), int(sp.reason[j]), int(sp.arg[j])
            nm = self.names.get((L.Role.SPAN, st, r, None), self.t.string(r) or _sname(st))
            self.sink.packet(self._ev(uuid, int(sp.start[j]), L.BEGIN, nm, int(sp.stack[j]),
                                      {"arg": arg} if arg != -1 else None))  # fmt: skip
            self.sink.packet(self._ev(uuid, int(sp.end[j]), L.END))

    def _regions(self, i: int, tr: Track) -> None:
        sp = tr.spans
        assert sp is not None and sp.depth is not None
        rg = self.t.regions
        g = tr.id
        lo = int(np.searchsorted(rg.g, g, "left"))
        uuid = self.uuid(i)
        open_: list[tuple[int, int]] = []  # (depth, end)
        for j in range(len(sp)):
            d = int(sp.depth[j])
            while open_ and open_[-1][0] >= d:
                self.sink.packet(self._ev(uuid, open_.pop()[1], L.END))
            r = int(sp.reason[j])
            nm = self.names.get((L.Role.SPAN, int(sp.state[j]), r, None), self.t.string(r) or "region")
            ann: dict[str, int | bool] = {}
            if int(sp.arg[j]) != -1:
                ann["task"] = int(sp.arg[j])
            if not rg.has_begin[lo + j]:
                ann["no_begin"] = True
            if not rg.has_end[lo + j]:
                ann["no_end"] = True
            self.sink.packet(self._ev(uuid, int(sp.start[j]), L.BEGIN, nm, int(sp.stack[j]), ann))
            open_.append((d, int(sp.end[j])))
        while open_:
            self.sink.packet(self._ev(uuid, open_.pop()[1], L.END))

    def _tasks(self) -> None:
        t = self.t
        tk = t.tasks
        lanes = {int(tr.id): self.uuid(i) for i, tr in enumerate(t.tracks) if tr.kind == TrackKind.TASK}
        cols = ("id", "parent", "name", "start", "end", "begin_g", "end_g", "begin_stack", "end_stack",
                "has_begin", "has_end", "lane")  # fmt: skip
        self.meta["tasks"] = {c: getattr(tk, c).astype(np.int64).tolist() for c in cols}
        for j in range(len(tk)):
            u = lanes.get(int(tk.lane[j]))
            if u is None:
                continue
            nm = self.names.get((L.Role.TASK, 0, int(tk.name[j]), None), t.string(int(tk.name[j])) or "task")
            ann = {"task": int(tk.id[j]), "parent": int(tk.parent[j]), "begin_g": int(tk.begin_g[j])}
            self.sink.packet(self._ev(u, int(tk.start[j]), L.BEGIN, nm, int(tk.begin_stack[j]), ann))
            self.sink.packet(self._ev(u, int(tk.end[j]), L.END, 0, 0, {"end_g": int(tk.end_g[j])}))

    def _track_uuid(self, track: int) -> int:
        return self.uuid(track) if track >= 0 else self.orphans

    def _instants(self) -> None:
        t = self.t
        lg = t.logs
        for j in range(len(lg)):
            cat = int(lg.arg[j])
            nm = self.names.get((L.Role.LOG, 0, 0, None), "log")
            strs = {"message": int(lg.string[j])}
            if cat > 0:
                strs["category"] = cat
            p = self._ev(self._track_uuid(int(lg.track[j])), int(lg.ts[j]), L.INSTANT, nm, int(lg.stack[j]),
                         {"task": int(lg.task[j]), "arg": cat}, strs)  # fmt: skip
            self.sink.packet(p)
        lb = t.labels
        for j in range(len(lb)):
            nm = self.names.get((L.Role.LABEL, 0, 0, None), "label")
            p = self._ev(self._track_uuid(int(lb.track[j])), int(lb.ts[j]), L.INSTANT, nm, int(lb.stack[j]),
                         {"arg": int(lb.arg[j]), "task": int(lb.task[j])}, {"label": int(lb.string[j])})  # fmt: skip
            self.sink.packet(p)
        cpu = t.cpu_samples
        ci = next((i for i, tr in enumerate(t.tracks) if tr.kind == TrackKind.CPU), None)
        if len(cpu):
            u = self.uuid(ci) if ci is not None else self.orphans
            nm = self.names.get((L.Role.SAMPLE, 0, 0, None), "CPU sample")
            for j in range(len(cpu)):
                p = self._ev(u, int(cpu.ts[j]), L.INSTANT, nm, int(cpu.stack[j]),
                             {"m": int(cpu.m[j]), "p": int(cpu.p[j]), "g": int(cpu.g[j])})  # fmt: skip
                self.sink.packet(p)

    # ---- metadata -----------------------------------------------------------------------

    def metadata(self) -> None:
        t = self.t
        gs = t.goroutines
        self.meta.update(
            format=L.FORMAT,
            version=int(t.version),
            base_time=self.base,
            duration=int(t.duration),
            events=int(t.events),
            error=t.error,
            source=t.source,
            go_version=t.go_version,
            host_facts=t.host_facts,
            injected=np.asarray(t.injected, np.int64).tolist(),
            sync_times=np.asarray(t.sync_times, np.int64).tolist(),
            names=[[k[0], k[1], k[2], k[3]] for k in self.names.keys],
            goroutines={c: getattr(gs, c).astype(np.int64).tolist()
                        for c in ("id", "func", "created", "ended", "creator", "create_stack", "start_stack")},
            utilization={k: [c.ts.astype(np.int64).tolist(), c.value.astype(np.float64).tolist()]
                         for k, c in (("default", t.utilization), ("sweep", t.utilization_sweep))},
        )  # fmt: skip
        p = pb.TracePacket()
        p.trace_attributes.attribute.add(key=L.META_KEY, string_value=json.dumps(self.meta, separators=(",", ":")))
        p.trace_attributes.attribute.add(key="go_version", string_value=f"1.{t.version}")
        self.sink.packet(p)


_UNITS = {"bytes": pb.CounterDescriptor.UNIT_SIZE_BYTES, "count": pb.CounterDescriptor.UNIT_COUNT,
          "ns": pb.CounterDescriptor.UNIT_TIME_NS}  # fmt: skip


def _unit(unit: str) -> pb.CounterDescriptor:
    """A host counter's descriptor: a built-in unit, or the unit's name."""
    c = pb.CounterDescriptor()
    if unit in _UNITS:
        c.unit = _UNITS[unit]
    elif unit:
        c.unit_name = _text(unit)
    return c


def _sname(state: int) -> str:
    try:
        return State(state).name.lower()
    except ValueError:
        return f"state {state}"


class _ByTrack:
    """i -> the indices of the flows with track == i, in flow order, for i increasing. Made
    a block of tracks at a time (at most FLOW_BLOCK flows, or 1/16 of them, or one track's)
    by a scan of the track column in pieces, so it holds one block, not an index of all."""

    def __init__(self, track: np.ndarray, ntracks: int) -> None:
        self.track = np.asarray(track)
        n = self.track.size
        self.counts = np.zeros(ntracks, np.int64)
        for a in range(0, n, FLOW_PIECE):
            t = self.track[a : a + FLOW_PIECE]
            self.counts += np.bincount(t[(t >= 0) & (t < ntracks)], minlength=ntracks)
        self.block = max(FLOW_BLOCK, n // 16)
        self.lo = self.hi = 0
        self.idx = np.zeros(0, np.int64)
        self.bounds = np.zeros(1, np.int64)

    def __call__(self, i: int) -> np.ndarray:
        if not self.lo <= i < self.hi:
            self._load(i)
        k = i - self.lo
        return self.idx[self.bounds[k] : self.bounds[k + 1]]

    def _load(self, i: int) -> None:
        c = np.cumsum(self.counts[i:])
        hi = i + max(1, int(np.searchsorted(c, self.block, "right")))
        tr = self.track
        parts = [np.flatnonzero((tr[a : a + FLOW_PIECE] >= i) & (tr[a : a + FLOW_PIECE] < hi)) + a
                 for a in range(0, tr.size, FLOW_PIECE)]  # fmt: skip
        sel = np.concatenate(parts) if parts else np.zeros(0, np.int64)
        self.idx = sel[np.argsort(tr[sel], kind="stable")]
        self.bounds = np.searchsorted(tr[self.idx], np.arange(i, hi + 1))
        self.lo, self.hi = i, hi


def _running_at(sp: Spans, ts: np.ndarray, proc: bool = False) -> np.ndarray:
    """Index of the first RUNNING span starting at each ts (-1 if none); on a P, only
    the ones with a goroutine (the written ones)."""
    j = np.searchsorted(sp.start, ts, "left")
    out = np.full(ts.size, -1, np.int64)
    todo = np.arange(ts.size)
    n = len(sp)
    while todo.size:
        jj = j[todo]
        ok = jj < n
        todo, jj = todo[ok], jj[ok]
        at = sp.start[jj] == ts[todo]
        todo, jj = todo[at], jj[at]
        run = sp.state[jj] == State.RUNNING
        if proc:
            run &= sp.arg[jj] != -1
        out[todo[run]] = jj[run]
        todo = todo[~run]
        j[todo] += 1
    return out


def _extent(sp: Spans) -> list[int]:
    """A P track's [first start, last end, hole start, hole end, ...]: where it has no span."""
    if not len(sp):
        return []
    holes = np.flatnonzero(sp.start[1:] != sp.end[:-1])
    out = [int(sp.start[0]), int(sp.end[-1])]
    for h in holes.tolist():
        out += [int(sp.end[h]), int(sp.start[h + 1])]
    return out


def _points(c: Counter) -> tuple[np.ndarray, np.ndarray]:
    """A counter's points, without keeping a lazy counter's points in the model."""
    return c.points()


def _sampled(spans: list[Spans], state: int, duration: int) -> tuple[np.ndarray, np.ndarray]:
    """How many spans are in `state`, sampled on a grid of a power-of-ten step with at most
    MAX_COUNTER_POINTS points (for derived counters too fine to show exactly): O(spans)."""
    step = 1
    while max(duration, 1) // step > MAX_COUNTER_POINTS:
        step *= 10
    cells = duration // step + 2
    diff = np.zeros(cells + 1, np.int64)
    for sp in spans:
        sel = sp.state == state
        # [s, e) covers grid point k*step iff ceil(s/step) <= k < ceil(e/step).
        diff += np.bincount(np.minimum(-(-sp.start[sel] // step), cells), minlength=cells + 1)
        diff -= np.bincount(np.minimum(-(-sp.end[sel] // step), cells), minlength=cells + 1)
    v = np.cumsum(diff)[: duration // step + 1]
    keep = np.r_[True, v[1:] != v[:-1]]
    return np.flatnonzero(keep).astype(np.int64) * step, v[keep]


def write_trace(
    trace: Trace, path: str, *, compress: bool = True, progress: Callable[[float], None] | None = None
) -> WriteStats:
    """Write `trace` as a Perfetto trace at `path` (zlib `compressed_packets` chunks unless
    `compress` is False). Returns packet and byte counts. `progress(fraction)` is called as
    it goes (an exception it raises stops the writing)."""
    stats = WriteStats()
    with open(path, "wb") as f:
        sink = _Sink(f, compress, stats)
        try:
            w = _Writer(trace, sink)
            if progress is not None:
                w.progress = progress
            w.descriptors()
            w.tables()
            w.hot_tracks()
            w.rare()
            w.metadata()
        finally:
            sink.close()
    return stats
