"""Reading the v1 wire format: one scan over the bytes that does the work of Go's two reads.

Go reads a v1 trace twice: `collectBatchesAndCPUSamples` skims every event (framing, batch
offsets, CPU samples) and fails on the first framing error anywhere in the file; later
`loadBatch` re-reads one batch at a time, as the ordering asks for it, decoding everything
and failing on errors the skim does not see (strings, argument counts, stacks). We scan once:
framing errors are raised at once, and each batch keeps its first decoding error (`Batch.err`)
for the ordering to raise when, and only if, Go would load that batch.

Ordinary events (numbers only) of a batch that still decodes cleanly go the fast way: with
the compiled kernel (`_kv1scan.run`) straight into the final event columns (`Built`, which
`columns` then hands out); without it, hopped over with `fastscan`'s tables and decoded with
numpy afterwards. Everything else, errors included, goes through the event-by-event code here.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field

import numpy as np

from tracetui.gotrace import kernel
from tracetui.gotrace.v1 import spec as S
from tracetui.gotrace.v1.fastscan import Chunk, ordinary

KERNEL = "tracetui.gotrace.v1._kv1scan"
LIMIT = 1 << 62  # at most this many events per kernel call (tests make it small)

MALFORMED = "malformatted base-128 varint"
_I64 = 1 << 63
_U64 = 1 << 64
_MAX_U64 = _U64 - 1
_MAX_I32 = (1 << 31) - 1


class ScanError(Exception):
    """A v1 parse error: Go's message and the byte offset of the event it concerns (or None)."""

    def __init__(self, message: str, offset: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


def i64(v: int) -> int:
    """Go's int64(uint64)."""
    return v - _U64 if v >= _I64 else v


def _uvarint(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    """Go's binary.Uvarint on buf[pos:end]: (value, new position), position -1 if malformed."""
    x = 0
    s = 0
    for i in range(10):
        if pos >= end:
            return 0, -1
        b = buf[pos]
        pos += 1
        if b < 0x80:
            if i == 9 and b > 1:
                return 0, -1
            return x | (b << s), pos
        x |= (b & 0x7F) << s
        s += 7
    return 0, -1


def _varints(buf: bytes, pos: int, end: int) -> list[int] | None:
    """All varints of buf[pos:end] (Go's readValFrom loop), None if one is malformed."""
    out = []
    while pos < end:
        b = buf[pos]
        if b < 0x80:
            out.append(b)
            pos += 1
            continue
        v, pos = _uvarint(buf, pos, end)
        if pos < 0:
            return None
        out.append(v)
    return out


@dataclass
class Batch:
    """One batch (the events from an EvBatch up to the next one) and what loading it does."""

    pid: int
    ts: int  # the header's timestamp (ticks), Go's Timestamp(int64)
    offset: int  # of its EvBatch
    first: int = 0  # its events are rows first:end of `Scan`'s event columns
    end: int = 0
    # The first error loading it raises: (raw event number in the batch, message, offset).
    err: tuple[int, str, int] | None = None
    strings: list[tuple[int, int, bytes, int]] = field(default_factory=list)  # (raw no, id, bytes, offset)
    stacks: list[tuple[int, tuple[int, ...], list[tuple[int, int, int, int]]]] = field(default_factory=list)
    freqs: list[int] = field(default_factory=list)
    timers: list[int] = field(default_factory=list)
    logs: list[tuple[int, bytes]] = field(default_factory=list)  # (event row, EvUserLog's value string)


@dataclass
class Built:
    """The final event columns (`columns.Columns`' fields), built by the kernel during the scan."""

    ts: np.ndarray
    g: np.ndarray
    p: np.ndarray
    typ: np.ndarray
    stk: np.ndarray
    args: np.ndarray


@dataclass
class Scan:
    """The events of all batches in file order (rows), then the CPU samples (Go's ProfileP)."""

    batches: list[Batch]
    queues: dict[int, list[int]]  # P -> its batches (indices into `batches`), in file order
    typ: np.ndarray  # uint8
    batch: np.ndarray  # int32, -1 for CPU samples
    raw: np.ndarray  # uint64 (n, 5): the event's arguments as on the wire (timestamp delta first); (0, 5) if built
    cpu_ts: list[int]  # Go's Timestamp(Args[0]): the sample's own time, in ticks
    cpu_p: list[int]  # int32(Args[1])
    cpu_a1: list[int]  # Args[1] as written
    cpu_g: list[int]
    cpu_stk: list[int]
    built: Built | None = None  # the kernel's columns (then raw is empty)


def _table(version: int) -> bytes:
    """The kernel's 4 bytes per type: argument count (0: not ordinary), named arguments, stack, G class."""
    ok = ordinary(version)
    out = bytearray(256)
    for t in range(64):
        if ok[t] and S.ARG_NUM[t] <= 5 and len(S.ARG_NAMES[t]) <= 4:  # the kernel's bounds
            cls = 1 if t in S.G_START else 2 if t in S.G_STOP else 3 if t in S.G_OWN else 0
            out[4 * t : 4 * t + 4] = bytes((S.ARG_NUM[t], len(S.ARG_NAMES[t]), S.HAS_STACK[t], cls))
    return bytes(out)


class _Out:
    """Preallocated final columns: every event takes two bytes at least, so `cap` rows always suffice."""

    def __init__(self, cap: int) -> None:
        self.ts = np.empty(cap, np.int64)
        self.g = np.empty(cap, np.uint64)
        self.p = np.empty(cap, np.int32)
        self.typ = np.empty(cap, np.uint8)
        self.stk = np.empty(cap, np.uint32)
        self.args = np.empty((cap, 4), np.uint64)
        self.batch = np.empty(cap, np.int32)


def scan(buf: bytes, pos: int, version: int) -> Scan:
    """Scan the events of buf from pos (just after the header) for a trace of Go 1.`version`."""
    n = len(buf)
    min_version = S.MIN_VERSION
    arg_num = S.ARG_NUM
    names = S.NAMES
    batches: list[Batch] = []
    queues: dict[int, list[int]] = {}
    ev_typ = array("B")
    ev_raw: array[int] = array("Q")
    ev_pos: array[int] = array("q")
    zeros5 = (0, 0, 0, 0, 0)
    cpu_ts: list[int] = []
    cpu_p: list[int] = []
    cpu_a1: list[int] = []
    cpu_g: list[int] = []
    cpu_stk: list[int] = []
    cur: Batch | None = None  # the batch whose region we are in (Go's loadBatch view)
    bno = -1
    rno = 0  # raw event number within the current batch
    # The vectorised path for ordinary events (see fastscan), while the batch decodes cleanly.
    fast = False
    kinds = ordinary(version)
    chunk: Chunk | None = None
    clo = chi = 0
    hops: list[int] = []
    hop = hops.append
    nx: memoryview = memoryview(b"")
    fast_parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    # The compiled path: rows written to `out` as they come, with the running state per batch.
    k = kernel.module(KERNEL)
    out = _Out((n - pos) // 2 + 1) if k is not None else None
    table = _table(version)
    row = 0
    ts_run = 0  # the current batch's time so far (int64)
    last_g = 0  # Go's lastG of its P
    last_g_of: dict[int, int] = {}  # per P, at the end of its last batch

    def put(typ: int, args: list[int]) -> None:
        """Write one row as the kernel does (events it leaves to this loop: EvUserLog)."""
        nonlocal row, ts_run, last_g
        assert out is not None and cur is not None
        na = len(S.ARG_NAMES[typ])
        a = args[1 : 1 + na] + [0] * (4 - na)
        out.stk[row] = args[1 + na] & 0xFFFFFFFF if S.HAS_STACK[typ] else 0
        ts_run = i64((ts_run + args[0]) & _MAX_U64)
        out.ts[row] = ts_run
        if typ in S.G_START or typ in S.G_OWN:
            out.g[row] = a[0]
        else:
            out.g[row] = last_g
        if typ in S.G_START:
            last_g = a[0]
        elif typ in S.G_STOP:
            last_g = 0
        out.p[row] = cur.pid
        out.typ[row] = typ
        out.args[row] = a
        out.batch[row] = bno
        row += 1

    def flush() -> None:
        if chunk is not None and hops:
            starts = np.array(hops, dtype=np.int64)
            fast_parts.append((starts, *chunk.decode(starts)))
            hops.clear()

    def fail2(message: str, at: int) -> None:
        """Record the current batch's first load error."""
        nonlocal fast
        assert cur is not None
        if cur.err is None:
            cur.err = (rno, message, at)
        fast = False

    while pos < n:
        if fast and out is not None:
            assert k is not None and cur is not None
            was = row
            pos, row, ts_run, last_g = k.run(
                buf, pos, LIMIT, table, out.ts, out.g, out.p, out.typ, out.stk, out.args, out.batch,
                row, ts_run, last_g, cur.pid, bno,
            )  # fmt: skip
            rno += row - was
            if pos >= n:
                break
        elif fast:
            if pos >= chi or pos < clo:
                flush()
                chunk = Chunk(buf, pos, kinds)
                clo, chi, nx = chunk.lo, chunk.hi, chunk.next
            q = nx[pos - clo]
            if q:
                was = len(hops)
                while True:
                    hop(pos)
                    pos = q
                    if pos >= chi:
                        break
                    q = nx[pos - clo]
                    if not q:
                        break
                rno += len(hops) - was
                continue
        start = pos
        b = buf[pos]
        pos += 1
        typ = b & 0x3F
        narg = (b >> 6) + 1
        if typ == S.EvNone or typ >= S.EvCount or min_version[typ] > version:
            raise ScanError(f"unknown event type {typ}", start)
        if cur is not None:
            rno += 1
        live = cur is not None and cur.err is None  # does Go's loadBatch still decode here?
        if typ == S.EvString:
            sid, pos = _uvarint(buf, pos, n)
            if pos < 0:
                raise ScanError(MALFORMED, start)
            ln, pos = _uvarint(buf, pos, n)
            if pos < 0:
                raise ScanError(MALFORMED, start)
            if ln > n - pos:
                raise ScanError("failed to read trace: EOF", start)
            if live:
                assert cur is not None
                if sid == 0:
                    fail2("string has invalid id 0", start)
                else:
                    cur.strings.append((rno, sid, buf[pos : pos + ln], start))
                    if ln == 0:
                        fail2("string has invalid length 0", start)
                    elif ln > 1_000_000:
                        fail2(f"string has too large length {ln}", start)
            pos += ln
            continue
        if typ == S.EvBatch:
            if narg != 2:
                raise ScanError(f"EvBatch has wrong number of arguments: got {narg}, want 2", start)
            pid, pos = _uvarint(buf, pos, n)
            if pos < 0:
                raise ScanError(MALFORMED, start)
            if pid != _MAX_U64 and pid > _MAX_I32:
                raise ScanError(f"processor ID {pid} is larger than maximum of {_MAX_U64}", start)
            ticks, pos = _uvarint(buf, pos, n)
            if pos < 0:
                raise ScanError(MALFORMED, start)
            pid32 = -1 if pid == _MAX_U64 else pid
            if cur is not None:
                cur.end = row
                last_g_of[cur.pid] = last_g
            cur = Batch(pid32, i64(ticks), start, first=row)
            ts_run = cur.ts
            last_g = last_g_of.get(pid32, 0)
            batches.append(cur)
            bno += 1
            queues.setdefault(pid32, []).append(bno)
            rno = 0
            fast = True
            continue
        # Any other event: inline arguments, or a byte length and then the arguments.
        args: list[int] | None
        log: bytes | None = None
        if narg <= 3:
            args = []
            for _ in range(narg):
                if pos < n and buf[pos] < 0x80:
                    args.append(buf[pos])
                    pos += 1
                    continue
                v, pos = _uvarint(buf, pos, n)
                if pos < 0:
                    raise ScanError(f"failed to read event {typ} argument: {MALFORMED}", start)
                args.append(v)
            p1args: list[int] = []  # Go's skim drops inline arguments
        else:
            ln, pos = _uvarint(buf, pos, n)
            if pos < 0:
                raise ScanError(f"failed to read event {typ} argument: {MALFORMED}", start)
            if ln > 2048:
                raise ScanError(
                    f"failed to read event {typ} argument: length-prefixed argument too big: {ln} bytes, limit is 2048",
                    start,
                )
            short = pos >= n or pos + ln > n  # Go's readFull refuses to read at the end, even 0 bytes
            if typ == S.EvCPUSample:
                if short:
                    raise ScanError("failed to read trace: unexpected EOF", start)
                args = _varints(buf, pos, pos + ln)
                if args is None:
                    raise ScanError(MALFORMED, start)
                p1args = args
            else:
                if pos + ln > n:
                    raise ScanError("failed to read trace: EOF", start)
                args = None
                if live:
                    if short:
                        fail2("failed to read trace: unexpected EOF", start)
                    else:
                        args = _varints(buf, pos, pos + ln)
                        if args is None:
                            fail2(MALFORMED, start)
            pos += ln
            if typ == S.EvUserLog:
                sz, pos = _uvarint(buf, pos, n)
                if pos < 0:
                    raise ScanError(MALFORMED, start)
                if live:
                    if sz > 1_000_000:
                        fail2(f"string is too large (len={sz})", start)
                    elif sz and pos + sz > n:
                        fail2("failed to read trace: unexpected EOF", start)
                if pos + sz > n:
                    break  # Go's skim takes this for the end of the trace (io.EOF)
                log = buf[pos : pos + sz]
                pos += sz
        if cur is None:
            raise ScanError(f"read event {typ} with current P of 0, but P has no batches yet", start)
        if typ == S.EvCPUSample:
            if len(p1args) != 5:
                raise ScanError(f"CPU sample has wrong number of arguments: want 5, got {len(p1args)}", start)
            cpu_ts.append(i64(p1args[1]))
            p32 = p1args[2] & 0xFFFFFFFF
            cpu_p.append(p32 - (1 << 32) if p32 >= 1 << 31 else p32)
            cpu_a1.append(p1args[2])
            cpu_g.append(p1args[3])
            cpu_stk.append(p1args[4] & 0xFFFFFFFF)
            continue
        if not live or args is None or cur.err is not None:
            continue
        # Go's parseEvent.
        if typ == S.EvStack:
            if len(args) < 2:
                fail2(f"EvStack has wrong number of arguments: want at least 2, got {len(args)}", start)
                continue
            size = args[1]
            if size > 1000:
                fail2(f"EvStack has bad number of frames: {size}", start)
                continue
            if len(args) != 2 + 4 * size:
                fail2(f"EvStack has wrong number of arguments: want {2 + 4 * size}, got {len(args)}", start)
                continue
            sid = args[0] & 0xFFFFFFFF
            if sid != 0 and size > 0:
                frames = [(args[k], args[k + 1], args[k + 2], i64(args[k + 3])) for k in range(2, 2 + 4 * size, 4)]
                cur.stacks.append((sid, tuple(f[0] for f in frames), frames))
            continue
        want = arg_num[typ]
        if len(args) != want:
            fail2(f"{names[typ]} has wrong number of arguments: want {want}, got {len(args)}", start)
            continue
        if typ == S.EvFrequency:
            if i64(args[0]) <= 0:
                fail2("time stamps out of order", start)
            else:
                cur.freqs.append(args[0])
            continue
        if typ == S.EvTimerGoroutine:
            cur.timers.append(args[0])
            continue
        if log is not None:
            cur.logs.append((len(ev_typ) if out is None else row, log))
        if out is not None:
            put(typ, args)
            continue
        ev_typ.append(typ)
        ev_pos.append(start)
        ev_raw.extend(args)
        ev_raw.extend(zeros5[len(args) :])
    flush()
    if out is not None:
        if cur is not None:
            cur.end = row
        return _built(out, row, batches, queues, cpu_ts, cpu_p, cpu_a1, cpu_g, cpu_stk)
    typ_a, raw_a, batch_a = _assemble(batches, ev_typ, ev_raw, ev_pos, fast_parts)
    return Scan(
        batches=batches,
        queues=queues,
        typ=typ_a,
        batch=batch_a,
        raw=raw_a,
        cpu_ts=cpu_ts,
        cpu_p=cpu_p,
        cpu_a1=cpu_a1,
        cpu_g=cpu_g,
        cpu_stk=cpu_stk,
    )


def _built(
    out: _Out,
    n: int,
    batches: list[Batch],
    queues: dict[int, list[int]],
    cpu_ts: list[int],
    cpu_p: list[int],
    cpu_a1: list[int],
    cpu_g: list[int],
    cpu_stk: list[int],
) -> Scan:
    """The kernel path's Scan: the CPU samples, sorted by their own time, become rows n onwards."""
    ts = np.array(cpu_ts, dtype=np.int64)
    order = np.argsort(ts, kind="stable")
    end = n + len(order)
    out.ts[n:end] = ts[order]
    out.g[n:end] = np.array(cpu_g, dtype=np.uint64)[order]
    out.p[n:end] = np.array(cpu_p, dtype=np.int32)[order]
    out.typ[n:end] = S.EvCPUSample
    out.stk[n:end] = np.array(cpu_stk, dtype=np.uint64)[order]
    out.args[n:end] = 0
    out.args[n:end, 1] = np.array(cpu_a1, dtype=np.uint64)[order]
    out.args[n:end, 2] = out.g[n:end]
    return Scan(
        batches=batches,
        queues=queues,
        typ=out.typ[:n],
        batch=out.batch[:n],
        raw=np.zeros((0, 5), np.uint64),
        cpu_ts=cpu_ts,
        cpu_p=cpu_p,
        cpu_a1=cpu_a1,
        cpu_g=cpu_g,
        cpu_stk=cpu_stk,
        built=Built(out.ts[:end], out.g[:end], out.p[:end], out.typ[:end], out.stk[:end], out.args[:end]),
    )


def _assemble(
    batches: list[Batch],
    ev_typ: array[int],
    ev_raw: array[int],
    ev_pos: array[int],
    fast_parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The events of both paths in file order: types, raw arguments, batch numbers.

    Sets each batch's rows (first, end) and moves its EvUserLog rows to the new numbering.
    """
    n_slow = len(ev_typ)
    pos = (
        np.concatenate([np.frombuffer(ev_pos, np.int64)] + [p[0] for p in fast_parts])
        if len(ev_pos) or fast_parts
        else np.zeros(0, np.int64)
    )
    typ = (
        np.concatenate([np.frombuffer(ev_typ, np.uint8)] + [p[1] for p in fast_parts])
        if len(pos)
        else np.zeros(0, np.uint8)
    )
    slow_raw = np.frombuffer(ev_raw, np.uint64).reshape(-1, 5) if n_slow else np.zeros((0, 5), np.uint64)
    raw = np.concatenate([slow_raw] + [p[2] for p in fast_parts]) if len(pos) else np.zeros((0, 5), np.uint64)
    if len(pos) > 1 and bool(np.any(pos[1:] < pos[:-1])):
        order = np.argsort(pos, kind="stable")
        pos = pos[order]
        typ = typ[order]
        raw = raw[order]
    else:
        order = np.arange(len(pos))
    offsets = np.array([b.offset for b in batches], dtype=np.int64)
    batch = (np.searchsorted(offsets, pos, side="right") - 1).astype(np.int32)
    firsts = np.searchsorted(pos, offsets).tolist()
    for k, b in enumerate(batches):
        b.first = firsts[k]
        b.end = firsts[k + 1] if k + 1 < len(batches) else len(pos)
    if any(b.logs for b in batches):
        new_row = np.empty(len(order), np.int64)
        new_row[order] = np.arange(len(order))
        for b in batches:
            b.logs = [(int(new_row[row]), text) for row, text in b.logs]
    return typ, raw, batch
