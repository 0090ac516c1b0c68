"""The process sampler's tracks as Perfetto packets, to append to (or make) a trace file.

Layout: one group track "Process tree (sampled, N Hz)"; under it a group per process with
counters (CPU and run-queue wait in cores, RSS in bytes, timeslices per second) and one
slice track per thread whose slices are its sampled states (running, sleeping, ...).
Timestamps are absolute CLOCK_MONOTONIC ns, the clock of Go traces, on one sequence of
our own. Track uuids start where the caller says (`first_uuid`, above every uuid of the
file they are added to; see `uuid_after`).

Events are encoded with numpy, many packets at once (each a row of a byte matrix); only
the few descriptors go through the protobuf runtime.
"""

from __future__ import annotations

import numpy as np
from perfetto.protos.perfetto.trace import perfetto_trace_pb2 as pb

from tracetui.model.trace import Trace
from tracetui.record.sampler import Samples

SEQ = 0x7472_6563  # trusted_packet_sequence_id of these packets (the writer's are track uuids)
BEGIN, END = 1, 2
STATE_NAMES = {"R": "running", "S": "sleeping", "D": "disk wait", "T": "stopped", "t": "traced", "Z": "zombie",
               "X": "dead", "I": "idle", "P": "parked", "W": "waking"}  # fmt: skip


def _varints(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each value's varint bytes as a row of an (n, width) matrix, and the widths."""
    x = np.asarray(v, np.uint64).copy()
    n = x.size
    out = np.zeros((n, 10), np.uint8)
    width = np.ones(n, np.int64)
    for i in range(10):
        low = (x & np.uint64(0x7F)).astype(np.uint8)
        x >>= np.uint64(7)
        more = x != 0
        out[:, i] = low | (more.astype(np.uint8) << 7)
        width += more
        if not more.any():
            return out[:, : i + 1], width
    return out, width


def _const(data: bytes, n: int) -> tuple[np.ndarray, np.ndarray]:
    return np.tile(np.frombuffer(data, np.uint8), (n, 1)), np.full(n, len(data), np.int64)


def _join(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise concatenation of variable-width parts -> (n, width) matrix, widths."""
    mats = np.concatenate([m for m, _ in parts], axis=1)
    mask = np.concatenate([np.arange(m.shape[1]) < w[:, None] for m, w in parts], axis=1)
    width = sum((w for _, w in parts), np.zeros(mats.shape[0], np.int64))
    # Move each row's kept bytes to its front, so the matrix can be cut at the widest row.
    order = np.argsort(~mask, axis=1, kind="stable")
    packed = np.take_along_axis(mats, order, axis=1)
    return packed[:, : int(width.max()) if width.size else 0], width


def _flatten(mat: np.ndarray, width: np.ndarray) -> bytes:
    return mat[np.arange(mat.shape[1]) < width[:, None]].tobytes()


def _field(key: bytes, payload: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """A length-delimited field (key, length, payload) per row."""
    return _join([_const(key, payload[0].shape[0]), _varints(payload[1]), payload])


def encode_events(ts: np.ndarray, track: np.ndarray, typ: np.ndarray, *, name: list[bytes] | None = None,
                  name_idx: np.ndarray | None = None, value: np.ndarray | None = None) -> bytes:  # fmt: skip
    """Framed TracePackets with one TrackEvent each: timestamp, our sequence, type and
    track, then a name (name[name_idx]) for slice begins or a double counter value."""
    n = ts.size
    if n == 0:
        return b""
    inner = [_const(b"\x48", n), _varints(typ), _const(b"\x58", n), _varints(track)]  # type=9, track_uuid=11
    if value is not None:  # double_counter_value = 44 (fixed64)
        raw = np.asarray(value, "<f8").view(np.uint8).reshape(n, 8)
        inner += [_const(b"\xe1\x02", n), (raw, np.full(n, 8, np.int64))]
    if name is not None and name_idx is not None:  # name = 23
        table = [b"\xba\x01" + bytes([len(s)]) + s for s in name]
        width = max(len(t) for t in table)
        mat = np.zeros((len(table), width), np.uint8)
        for i, t in enumerate(table):
            mat[i, : len(t)] = np.frombuffer(t, np.uint8)
        tw = np.array([len(t) for t in table], np.int64)
        inner.append((mat[name_idx], np.where(typ == BEGIN, tw[name_idx], 0)))
    seq = _varints(np.array([SEQ]))[0][0].tobytes()
    body = _join([_const(b"\x40", n), _varints(ts), _const(b"\x50" + seq, n), _field(b"\x5a", _join(inner))])
    return _flatten(*_field(b"\x0a", body))


def descriptor(uuid: int, name: str, parent: int | None, *, counter: int | None = None, rank: int = 0) -> bytes:
    p = pb.TracePacket()
    d = p.track_descriptor
    d.uuid = uuid
    d.name = name
    if parent is not None:
        d.parent_uuid = parent
    d.sibling_order_rank = rank
    if counter is not None:
        d.counter.unit = counter
    p.trusted_packet_sequence_id = SEQ
    raw = p.SerializeToString()
    return _flatten(*_varints(np.array([len(raw)]))).join((b"\x0a", raw))


def _thread_spans(s: Samples, rows: np.ndarray, period: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs of one state in a thread's samples: (start, end, state letter)."""
    ts, st = s.ts[rows], s.state[rows]
    change = np.flatnonzero(np.r_[True, st[1:] != st[:-1]])
    start = ts[change]
    end = np.r_[ts[change[1:]], ts[-1] + period]
    return start, end, st[change]


def uuid_after(trace: Trace) -> int:
    """A uuid above all those tracetui's writer gives a model's file (perfetto/layout.py:
    16 + one per track, then goroutine groups (at most one per track) and extra lanes
    (at most one per STW, assist or sweep span)), with room to spare."""
    lanes = len(trace.stw) + len(trace.assists) + len(trace.sweeps)
    return 16 + 2 * len(trace.tracks) + lanes + 1024


def encode_samples(s: Samples, first_uuid: int = 16) -> bytes:
    """Every track of the samples, descriptors first, with uuids from first_uuid on."""
    if len(s) == 0:
        return b""
    period = int(1e9 / s.hz)
    root = first_uuid
    out = [descriptor(root, f"Process tree (sampled by tracetui, {s.hz:g} Hz)", None, rank=1000)]
    next_uuid = root + 1
    letters = sorted({chr(c) for c in np.unique(s.state).tolist()})
    names = [STATE_NAMES.get(c, f"state {c}").encode() for c in letters]
    code = np.zeros(256, np.int64)
    for i, c in enumerate(letters):
        code[ord(c)] = i
    for rank, pid in enumerate(np.unique(s.pid).tolist()):
        group = next_uuid
        next_uuid += 1
        out.append(descriptor(group, f"{s.process_names.get(pid, 'process')} {pid}", root, rank=rank))
        prow = np.flatnonzero(s.ppid == pid)
        trow = np.flatnonzero(s.pid == pid)
        counters = _process_counters(s, pid, trow, prow)
        for k, (label, unit, ts, val) in enumerate(counters):
            out.append(descriptor(next_uuid, label, group, counter=unit, rank=k))
            out.append(encode_events(ts, np.full(ts.size, next_uuid), np.full(ts.size, 4), value=val))
            next_uuid += 1
        tids = s.tid[trow]
        for k, tid in enumerate(np.unique(tids).tolist()):
            rows = trow[tids == tid]
            start, end, st = _thread_spans(s, rows, period)
            out.append(descriptor(next_uuid, f"{s.thread_names.get(tid, 'thread')} {tid}", group, rank=10 + k))
            m = start.size
            ts = np.empty(2 * m, np.int64)
            ts[0::2], ts[1::2] = start, end
            typ = np.tile(np.array([BEGIN, END]), m)
            idx = np.repeat(code[st], 2)
            out.append(encode_events(ts, np.full(2 * m, next_uuid), typ, name=names, name_idx=idx))
            next_uuid += 1
    return b"".join(out)


def _process_counters(s: Samples, pid: int, trow: np.ndarray,
                      prow: np.ndarray) -> list[tuple[str, int, np.ndarray, np.ndarray]]:  # fmt: skip
    """(name, unit, ts, values) of a process's counters."""
    unit = pb.CounterDescriptor
    out: list[tuple[str, int, np.ndarray, np.ndarray]] = []
    if prow.size:
        out.append(("RSS (bytes)", unit.UNIT_SIZE_BYTES, s.pts[prow], s.rss[prow].astype(np.float64)))
    if trow.size == 0:
        return out
    ts, tid = s.ts[trow], s.tid[trow]
    order = np.lexsort((ts, tid))
    first = np.r_[True, tid[order][1:] != tid[order][:-1]]
    ticks, at = np.unique(ts, return_inverse=True)
    if ticks.size < 2:
        return out
    dt = np.diff(ticks).astype(np.float64)
    for label, col, u in (("CPU (cores)", s.cpu_ns, unit.UNIT_UNSPECIFIED),
                          ("Run-queue wait (cores)", s.wait_ns, unit.UNIT_UNSPECIFIED),
                          ("Timeslices (/s)", s.slices, unit.UNIT_COUNT)):  # fmt: skip
        v = col[trow][order]
        d = np.where(first, 0, np.r_[0, np.diff(v)])
        per_tick = np.bincount(at[order], weights=d.astype(np.float64), minlength=ticks.size)
        scale = 1e9 if col is s.slices else 1.0  # slices per second; ns per ns = cores
        out.append((label, u, ticks[1:], per_tick[1:] / dt * scale))
    return out
