"""An offline checker of a Perfetto TrackEvent trace against trace processor's import rules
(../shared/notes/perfetto.md, section 2), and of the protobuf runtime's view of each packet.

    python -m tracetui.perfetto.check FILE...     # prints problems; exit 1 if any error

Errors are what trace processor would drop, misparse or flag in its `stats` table, plus
what tracetui never writes on purpose (slices that never end, flows that never arrive).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from google.protobuf.message import DecodeError
from perfetto.protos.perfetto.trace import perfetto_trace_pb2 as pb

from tracetui.errors import TracetuiError
from tracetui.perfetto import layout as L
from tracetui.perfetto.wire import iter_packets, trace_bytes
from tracetui.sanitize import safe_text

MAX_DEPTH = 512
MAX_HIERARCHY = 100


@dataclass
class Problem:
    severity: str  # "error" or "warning"
    offset: int  # file (or chunk) offset of the packet, -1 if none
    message: str

    def __str__(self) -> str:
        at = f" (packet at byte {self.offset})" if self.offset >= 0 else ""
        return f"{self.severity}: {self.message}{at}"


@dataclass
class Report:
    packets: int = 0
    events: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


@dataclass
class _Seq:
    cleared: bool = False
    dicts: dict[str, dict[int, object]] = field(default_factory=dict)
    clocks: set[int] = field(default_factory=set)  # clock ids of its snapshots
    incremental: dict[int, int] = field(default_factory=dict)
    clock: int | None = None
    track: int | None = None


_DICTS = ("event_names", "debug_annotation_names", "debug_annotation_string_values", "function_names",
          "source_paths", "frames", "callstacks", "event_categories")  # fmt: skip
MAX_REPORTED = 50  # problems of one kind reported individually


class _Checker:
    def __init__(self) -> None:
        self.r = Report()
        self.seqs: dict[int, _Seq] = {}
        self.descs: dict[int, tuple[int, bool, int]] = {}  # uuid -> (parent, is counter, offset)
        self.counter_tracks: set[int] = set()  # counter descriptors seen so far (file order)
        self.kinds: dict[str, int] = {}
        # TrackEvent columns for the ordered pass.
        self.ev: dict[str, list[int]] = {k: [] for k in ("track", "ts", "typ", "off", "named", "flow", "term")}

    def add(self, severity: str, off: int, msg: str, kind: str | None = None) -> None:
        kind = kind or msg
        n = self.kinds.get(kind, 0) + 1
        self.kinds[kind] = n
        if n <= MAX_REPORTED:
            self.r.problems.append(Problem(severity, off, msg))

    def packet(self, off: int, raw: bytes) -> None:
        self.r.packets += 1
        try:
            p = pb.TracePacket.FromString(raw)
        except DecodeError:
            self.add("error", off, "packet does not parse as a TracePacket")
            return
        if p.SerializeToString() != raw:
            self.add("error", off, "packet does not round-trip through perfetto_trace_pb2 byte for byte")
        sid = p.trusted_packet_sequence_id
        seq = self.seqs.setdefault(sid, _Seq())
        if p.sequence_flags & L.CLEARED:
            if sid == 0:
                self.add("error", off, "incremental state cleared on sequence 0")
            self.seqs[sid] = seq = _Seq(cleared=True)
        needs = bool(p.sequence_flags & L.NEEDS_STATE)
        if needs and not seq.cleared:
            self.add("error", off, f"sequence {sid}: packet needs incremental state before any packet cleared it "
                                   "(trace processor skips it)", "needs-state")  # fmt: skip
        if p.HasField("clock_snapshot"):
            for c in p.clock_snapshot.clocks:
                seq.clocks.add(c.clock_id)
                if c.is_incremental:
                    seq.incremental[c.clock_id] = c.timestamp
        if p.HasField("trace_packet_defaults"):
            d = p.trace_packet_defaults
            if d.HasField("timestamp_clock_id"):
                seq.clock = d.timestamp_clock_id
            if d.track_event_defaults.HasField("track_uuid"):
                seq.track = d.track_event_defaults.track_uuid
        if p.HasField("interned_data"):
            self.interned(off, sid, seq, p.interned_data)
        if p.HasField("track_descriptor"):
            self.descriptor(off, p.track_descriptor)
        if p.HasField("track_event"):
            self.event(off, p, sid, seq, needs)

    def interned(self, off: int, sid: int, seq: _Seq, d: pb.InternedData) -> None:
        if not seq.cleared:
            self.add("error", off, f"sequence {sid}: interned data before incremental state was cleared (ignored)",
                     "interned-before-clear")  # fmt: skip
            return
        for name in _DICTS:
            table = seq.dicts.setdefault(name, {})
            for e in getattr(d, name):
                if e.iid == 0:
                    self.add("error", off, f"{name}: iid 0")
                    continue
                if name == "frames":
                    val: object = (e.function_name_id, e.source_path_iid, e.rel_pc, e.line_number)
                    for fld, dict_name in (("function_name_id", "function_names"), ("source_path_iid", "source_paths")):
                        ref = getattr(e, fld)
                        if (
                            ref
                            and ref not in seq.dicts.get(dict_name, {})
                            and ref not in {x.iid for x in getattr(d, dict_name)}
                        ):
                            self.add("error", off, f"frame {e.iid}: unknown {dict_name} iid {ref}", f"frame-{fld}")
                elif name == "callstacks":
                    val = tuple(e.frame_ids)
                    frames = seq.dicts.get("frames", {})
                    for fid in e.frame_ids:
                        if fid not in frames:
                            self.add("error", off, f"callstack {e.iid}: unknown frame {fid}", "callstack-frame")
                else:
                    val = e.name if hasattr(e, "name") else e.str
                old = table.get(e.iid)
                if old is not None and old != val:
                    self.add("error", off, f"{name}: iid {e.iid} re-interned with another value", f"reintern-{name}")
                table[e.iid] = val

    def descriptor(self, off: int, d: pb.TrackDescriptor) -> None:
        if not d.HasField("uuid"):
            self.add("error", off, "track descriptor without uuid (ignored)")
            return
        if d.HasField("thread") and not (d.thread.HasField("pid") and d.thread.HasField("tid")):
            self.add("error", off, f"track {d.uuid}: thread descriptor without pid and tid")
        if d.HasField("process") and not d.process.HasField("pid"):
            self.add("error", off, f"track {d.uuid}: process descriptor without pid")
        rec = (d.parent_uuid, d.HasField("counter"), off)
        old = self.descs.get(d.uuid)
        if old is not None and old[:2] != rec[:2]:
            self.add("error", off, f"track {d.uuid}: described again with another parent or type")
        self.descs[d.uuid] = rec
        if d.HasField("counter"):
            self.counter_tracks.add(d.uuid)

    def event(self, off: int, p: pb.TracePacket, sid: int, seq: _Seq, needs: bool) -> None:
        self.r.events += 1
        te = p.track_event
        if sid == 0:
            self.add("error", off, "track event without trusted_packet_sequence_id (dropped)")
            return
        if not p.HasField("timestamp"):
            self.add("error", off, "track event without timestamp (dropped)")
            return
        clock = p.timestamp_clock_id if p.HasField("timestamp_clock_id") else seq.clock
        ts = p.timestamp
        if clock is not None and 64 <= clock <= 127:
            if clock not in seq.clocks:
                self.add("error", off, f"sequence {sid}: clock {clock} without a clock snapshot", "clock")
                return
            if clock in seq.incremental:
                ts = seq.incremental[clock] = seq.incremental[clock] + ts
        if ts >= 1 << 63:
            self.add("error", off, "negative timestamp (dropped)")
            return
        if not te.HasField("type") or te.type == 0:
            self.add("error", off, "track event without type")
            return
        uses_state = (te.HasField("name_iid") or te.HasField("callstack_iid") or clock in seq.incremental
                      or any(a.HasField("name_iid") or a.HasField("string_value_iid") for a in te.debug_annotations))  # fmt: skip
        if uses_state and not needs:
            self.add("error", off, "track event uses incremental state without SEQ_NEEDS_INCREMENTAL_STATE",
                     "flags")  # fmt: skip
        names = seq.dicts.get("event_names", {})
        if te.HasField("name_iid") and te.name_iid not in names:
            self.add("error", off, f"unknown event name iid {te.name_iid}", "name-iid")
        anames = seq.dicts.get("debug_annotation_names", {})
        svals = seq.dicts.get("debug_annotation_string_values", {})
        for a in te.debug_annotations:
            if a.HasField("name_iid") and a.name_iid not in anames:
                self.add("error", off, f"unknown debug annotation name iid {a.name_iid}", "ann-iid")
            if a.HasField("string_value_iid") and a.string_value_iid not in svals:
                self.add("error", off, f"unknown debug annotation string iid {a.string_value_iid}", "str-iid")
        if te.HasField("callstack_iid") and te.callstack_iid not in seq.dicts.get("callstacks", {}):
            self.add("error", off, f"unknown callstack iid {te.callstack_iid}", "callstack-iid")
        track = te.track_uuid if te.HasField("track_uuid") else (seq.track or 0)
        if te.type == L.COUNTER:
            if track not in self.counter_tracks:
                self.add("error", off, f"counter event on track {track} before its counter descriptor (dropped)",
                         "counter-desc")  # fmt: skip
            if not (te.HasField("counter_value") or te.HasField("double_counter_value")):
                self.add("error", off, "counter event without a value", "counter-value")
        elif track in self.counter_tracks:
            self.add("error", off, f"slice event on counter track {track}", "slice-on-counter")
        if te.type == L.END and (te.HasField("name_iid") or te.HasField("name")):
            self.add("warning", off, "END with a name (trace processor matches it by name)", "end-name")
        ev = self.ev
        ev["track"].append(track)
        ev["ts"].append(ts)
        ev["typ"].append(te.type)
        ev["off"].append(off)
        ev["named"].append(1 if (te.HasField("name_iid") or te.HasField("name")) else 0)
        ev["flow"].append(te.flow_ids[0] if te.flow_ids else 0)
        ev["term"].append(te.terminating_flow_ids[0] if te.terminating_flow_ids else 0)
        if len(te.flow_ids) > 1 or len(te.terminating_flow_ids) > 1:
            self.extra_flows.append((ts, len(ev["ts"]) - 1, list(te.flow_ids), list(te.terminating_flow_ids)))

    extra_flows: list[tuple[int, int, list[int], list[int]]]

    def finish(self) -> Report:
        self.hierarchy()
        self.ordered()
        return self.r

    def hierarchy(self) -> None:
        for u, (parent, _, off) in self.descs.items():
            seen = {u}
            depth = 0
            while parent:
                if parent not in self.descs:
                    self.add("error", off, f"track {u}: parent {parent} has no descriptor", "parent")
                    break
                if parent in seen:
                    self.add("error", off, f"track {u}: parent loop", "loop")
                    break
                seen.add(parent)
                depth += 1
                if depth > MAX_HIERARCHY:
                    self.add("error", off, f"track {u}: hierarchy deeper than {MAX_HIERARCHY}", "deep")
                    break
                parent = self.descs[parent][0]
        used = set(self.ev["track"])
        for u in sorted(used - set(self.descs)):
            self.add("warning", -1, f"events on track {u} with no descriptor", "no-desc")

    def ordered(self) -> None:
        """Slices and flows as trace processor parses them: by (timestamp, file order)."""
        ev = {k: np.array(v, np.int64) for k, v in self.ev.items()}
        n = ev["ts"].size
        if n == 0:
            return
        o = np.lexsort((np.arange(n), ev["ts"]))
        track, typ, off = ev["track"][o].tolist(), ev["typ"][o].tolist(), ev["off"][o].tolist()
        ts = ev["ts"][o].tolist()
        depth: dict[int, int] = {}
        for tr, ty, of in zip(track, typ, off):
            if ty == L.BEGIN:
                d = depth.get(tr, 0) + 1
                if d >= MAX_DEPTH:
                    self.add("error", of, f"track {tr}: nesting deeper than {MAX_DEPTH}", "depth")
                depth[tr] = d
            elif ty == L.END:
                d = depth.get(tr, 0)
                if d == 0:
                    self.add("error", of, f"track {tr}: END with no open slice (ignored)", "end-without-begin")
                else:
                    depth[tr] = d - 1
        for tr, d in depth.items():
            if d:
                self.add("error", -1, f"track {tr}: {d} slice(s) never end", "unended")
        # Flows, in the same order.
        flow, term = ev["flow"][o].tolist(), ev["term"][o].tolist()
        extra = {i: (f, t) for _, i, f, t in self.extra_flows}
        inv = np.empty(n, np.int64)
        inv[o] = np.arange(n)
        open_: set[int] = set()
        for k in range(n):
            fids, tids = extra.get(int(o[k]), ([flow[k]] if flow[k] else [], [term[k]] if term[k] else []))
            for f in fids:
                open_.add(f)
            for t in tids:
                if t not in open_:
                    self.add("error", off[k], f"flow {t} terminates without a start", "flow-end-without-start")
                else:
                    open_.discard(t)
            if (fids or tids) and typ[k] == L.COUNTER:
                self.add("error", off[k], "flow on a counter event", "flow-counter")
        for f in sorted(open_)[:MAX_REPORTED]:
            self.add("error", -1, f"flow {f} never terminates (dangling)", "dangling")
        del ts


def check_bytes(data: bytes) -> Report:
    """Check a trace's bytes (gzip or not); framing errors are reported as errors."""
    c = _Checker()
    c.extra_flows = []
    try:
        raw = trace_bytes(data)
        for off, mv in iter_packets(raw):
            c.packet(off, bytes(mv))
    except TracetuiError as e:
        c.add("error", e.offset if e.offset is not None else -1, e.message)
    return c.finish()


def check_file(path: str) -> Report:
    with open(path, "rb") as f:
        return check_bytes(f.read())


def main(argv: Sequence[str] | None = None) -> int:
    """Print each file's problems; exit status 1 if any file has an error."""
    paths = list(sys.argv[1:] if argv is None else argv)
    if not paths:
        print("usage: python -m tracetui.perfetto.check FILE...", file=sys.stderr)
        return 2
    status = 0
    for path in paths:
        try:
            r = check_file(path)
        except OSError as e:
            print(f"{path}: cannot read: {e.strerror or e}", file=sys.stderr)
            status = 2
            continue
        for p in r.problems:  # problems quote names from the file: make them inert
            print(safe_text(f"{path}: {p}", keep_newlines=False))
        print(f"{path}: {r.packets} packets, {r.events} track events, {len(r.errors)} errors, "
              f"{len(r.warnings)} warnings")  # fmt: skip
        if r.errors:
            status = max(status, 1)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
