"""Perfetto packets -> typed columns of TrackEvents, through the protobuf runtime.

`Collector` takes packets one at a time, keeping each sequence's state as trace processor
does (validity, interning, defaults, incremental clocks), into `Events`: one column per
field, in file order, plus the track descriptors, trace attributes and interned tables.
Both the protobuf path (`reader`) and the fast path (`fastread`, for its rare packets) feed
one.
"""

from __future__ import annotations

import struct
from array import array
from dataclasses import dataclass, field

import numpy as np
from google.protobuf.message import DecodeError
from perfetto.protos.perfetto.trace import perfetto_trace_pb2 as pb

from tracetui.errors import TraceFormatError
from tracetui.gotrace.events import StringTable
from tracetui.perfetto import layout as L


@dataclass
class _Seq:
    valid: bool = False
    names: dict[int, str] = field(default_factory=dict)
    ann_names: dict[int, str] = field(default_factory=dict)
    strings: dict[int, bytes] = field(default_factory=dict)
    clock: int | None = None  # default timestamp clock id
    incremental: dict[int, int] = field(default_factory=dict)  # clock id -> last value
    track: int | None = None  # default track uuid


@dataclass
class Desc:
    name: str
    parent: int
    counter: bool
    rank: int


class Events:
    """Columns of every TrackEvent, in file order, plus descriptors and tables."""

    COLS = ("track", "ts", "typ", "name", "stack", "arg", "flow", "term", "value")

    def __init__(self) -> None:
        self.c = {k: array("q") for k in self.COLS}
        self.name_text = array("q")  # string id (in `self.strings`) of the event's name
        self.dbl = array("b")  # 1: `value` holds a double_counter_value's bits
        self.extra: dict[int, dict[str, int | bool]] = {}  # annotations beyond the arg
        self.descs: dict[int, Desc] = {}
        self.attrs: dict[str, str] = {}
        self.strings = StringTable()
        self.tables: pb.InternedData = pb.InternedData()  # of the tables sequence

    def __len__(self) -> int:
        return len(self.c["ts"])

    def np(self, k: str) -> np.ndarray:
        return np.frombuffer(self.c[k], np.int64) if len(self.c[k]) else np.zeros(0, np.int64)


def values(ev: Events, idx: np.ndarray) -> np.ndarray:
    """Counter values of events idx: float64 if any is a double, else int64."""
    v = ev.np("value")[idx]
    dbl = np.frombuffer(ev.dbl, np.int8)[idx] != 0 if len(ev.dbl) else np.zeros(0, bool)
    if not dbl.any():
        return v.copy()
    return np.where(dbl, v.view(np.float64), v.astype(np.float64))


_DOUBLE, _DOUBLE_BITS = struct.Struct("<q"), struct.Struct("<d")


class Collector:
    """Packets -> Events through perfetto_trace_pb2, with each sequence's state as trace
    processor keeps it (validity, interning, defaults, incremental clocks)."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.ev = Events()
        self.seqs: dict[int, _Seq] = {}

    def packet(self, off: int, mv: memoryview | bytes) -> int:
        """Take one packet; returns its sequence id."""
        ev, seqs, cols, path = self.ev, self.seqs, self.ev.c, self.path
        try:
            p = pb.TracePacket.FromString(mv)
        except DecodeError:
            raise TraceFormatError("corrupted Perfetto trace packet", path=path, offset=off) from None
        sid = p.trusted_packet_sequence_id
        seq = seqs.get(sid)
        if seq is None:
            seq = seqs[sid] = _Seq()
        if p.sequence_flags & L.CLEARED:
            seqs[sid] = seq = _Seq(valid=True)
        if p.HasField("track_descriptor"):
            d = p.track_descriptor
            name = d.name or d.static_name or d.atrace_name or d.process.process_name or d.thread.thread_name
            ev.descs[d.uuid] = Desc(name, d.parent_uuid, d.HasField("counter"), d.sibling_order_rank)
        if p.HasField("trace_attributes"):
            for a in p.trace_attributes.attribute:
                ev.attrs[a.key] = a.string_value
        if p.HasField("clock_snapshot"):
            for c in p.clock_snapshot.clocks:
                if c.is_incremental:
                    seq.incremental[c.clock_id] = c.timestamp
        if p.HasField("trace_packet_defaults"):
            dfl = p.trace_packet_defaults
            if dfl.HasField("timestamp_clock_id"):
                seq.clock = dfl.timestamp_clock_id
            if dfl.track_event_defaults.HasField("track_uuid"):
                seq.track = dfl.track_event_defaults.track_uuid
        if p.HasField("interned_data") and seq.valid:
            d = p.interned_data
            for e in d.event_names:
                seq.names[e.iid] = e.name
            for e in d.debug_annotation_names:
                seq.ann_names[e.iid] = e.name
            for e in d.debug_annotation_string_values:
                seq.strings[e.iid] = e.str
            if sid == L.TABLES_SEQ:
                ev.tables.MergeFrom(d)
        if not p.HasField("track_event"):
            return sid
        if p.sequence_flags & L.NEEDS_STATE and not seq.valid:
            return sid  # trace processor skips it too
        te = p.track_event
        clock = p.timestamp_clock_id if p.HasField("timestamp_clock_id") else seq.clock
        ts = p.timestamp
        if clock is not None and clock in seq.incremental:
            ts = seq.incremental[clock] = seq.incremental[clock] + ts
        if ts >= 1 << 63:
            raise TraceFormatError("negative timestamp in Perfetto trace", path=path, offset=off)
        track = te.track_uuid if te.HasField("track_uuid") else (seq.track or 0)
        cols["track"].append(track)
        cols["ts"].append(ts)
        cols["typ"].append(te.type)
        nm = te.name_iid if te.HasField("name_iid") else 0
        cols["name"].append(nm)
        text = seq.names.get(nm, "") if nm else te.name
        ev.name_text.append(ev.strings.intern(text) if text else 0)
        cols["stack"].append(te.callstack_iid)
        cols["flow"].append(te.flow_ids[0] if te.flow_ids else (te.flow_ids_old[0] if te.flow_ids_old else 0))
        cols["term"].append(te.terminating_flow_ids[0] if te.terminating_flow_ids else
                            (te.terminating_flow_ids_old[0] if te.terminating_flow_ids_old else 0))  # fmt: skip
        if te.HasField("double_counter_value"):
            cols["value"].append(_DOUBLE.unpack(_DOUBLE_BITS.pack(te.double_counter_value))[0])
            ev.dbl.append(1)
        else:
            cols["value"].append(te.counter_value)
            ev.dbl.append(0)
        arg = -1
        if te.debug_annotations:
            extra: dict[str, int | bool] = {}
            for a in te.debug_annotations:
                an = seq.ann_names.get(a.name_iid, "") if a.HasField("name_iid") else a.name
                if a.HasField("int_value"):
                    v: int | bool = a.int_value
                elif a.HasField("uint_value"):
                    v = a.uint_value
                elif a.HasField("bool_value"):
                    v = a.bool_value
                elif a.HasField("string_value_iid"):
                    v = a.string_value_iid
                else:
                    continue
                if an in L.ARG_NAMES and arg == -1 and not isinstance(v, bool):
                    arg = int(v)
                extra[an] = v
            if len(extra) > 1 or (extra and next(iter(extra)) not in L.ARG_NAMES):
                ev.extra[len(cols["ts"]) - 1] = extra
        cols["arg"].append(arg)
        return sid
