"""Reading the Perfetto files tracetui writes, fast: the hot packets (goroutine, P, M and
counter sequences, see `decode`) are decoded with numpy a batch of ~BATCH bytes at a
time, straight into per-track columns; the other packets (descriptors, tables, headers,
the rare events) go through the protobuf runtime (`collect.Collector`), in file order.

Anything unexpected (a foreign file, a packet shape or order the writer never makes)
raises `decode.Fallback`, and the reader takes the protobuf path for the whole file, so
the result is always the protobuf path's.
"""

from __future__ import annotations

import itertools
import os
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import BinaryIO

import numpy as np

from tracetui.perfetto import layout as L
from tracetui.perfetto.collect import Collector
from tracetui.perfetto.decode import Fallback, Hot, frame, parse_hot
from tracetui.perfetto.wire import compressed_payload, packet_record, read_varint

BATCH = 1 << 22  # uncompressed bytes decoded at once
AHEAD = 6  # chunks decompressed ahead in a worker thread
DECODERS = 1  # worker threads framing and parsing the next batches
FLOW_BLOCK = 1 << 20  # flow ids per block of the flow tables
_ANN = {iid: name for name, iid in L.ANN.items()}
_ANN_OK = np.zeros(max(L.ANN.values()) + 1, bool)  # annotation iids a hot event may carry (0: none)
_ANN_OK[[0] + [L.ANN[n] for n in L.ARG_NAMES]] = True


@dataclass
class HotTrack:
    """Pieces (one per batch) of a track's hot events, in file order."""

    begin: list[np.ndarray] = field(default_factory=list)  # ts
    name: list[np.ndarray] = field(default_factory=list)
    stack: list[np.ndarray | None] = field(default_factory=list)
    arg: list[np.ndarray] = field(default_factory=list)
    end: list[np.ndarray] = field(default_factory=list)
    counter_ts: list[np.ndarray] = field(default_factory=list)
    counter_value: list[np.ndarray] = field(default_factory=list)
    last: int = L.END  # type of the last BEGIN/END

    def take_spans(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
        """(begin ts, end ts, name, stack or None if all 0, annotation arg), emptying the pieces."""
        n = sum(a.size for a in self.begin)
        stack = None
        if any(s is not None for s in self.stack):
            stack = _cat([s if s is not None else np.zeros(b.size, np.int32) for s, b in zip(self.stack, self.begin)],
                         np.int32)  # fmt: skip
        args = self.arg if all(a.dtype == np.int32 for a in self.arg) else [a.astype(np.int64) for a in self.arg]
        out = (_cat(self.begin, np.int64), _cat(self.end, np.int64), _cat(self.name, np.int32), stack,
               _cat(args, np.int32))  # fmt: skip
        self.begin, self.end, self.name, self.stack, self.arg = [], [], [], [], []
        assert out[0].size == n
        return out


def _cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    if len(parts) == 1:
        return parts[0]
    if not parts:
        return np.zeros(0, dtype)
    return np.concatenate(parts)


class _FlowTable:
    """Flow ends by flow id (1..n), in blocks of FLOW_BLOCK ids allocated on first use."""

    def __init__(self, cols: dict[str, type]) -> None:
        self.cols = cols
        self.blocks: dict[int, dict[str, np.ndarray]] = {}
        self.rows = 0
        self.top = 0

    def put(self, ids: np.ndarray, **vals: np.ndarray) -> None:
        if not ids.size:
            return
        if int(ids.min()) < 1 or int(ids.max()) >= 1 << 40:
            raise Fallback("flow id out of range")
        self.rows += ids.size
        self.top = max(self.top, int(ids.max()))
        i = ids.astype(np.int64) - 1
        blk = i >> 20
        b0, b1 = int(blk.min()), int(blk.max())
        groups: list[tuple[int, slice | np.ndarray]]
        if b0 == b1:
            groups = [(b0, slice(None))]
        else:
            o = np.argsort(blk, kind="stable")
            cut = np.searchsorted(blk[o], np.arange(b0, b1 + 2))
            groups = [(b, o[cut[b - b0] : cut[b - b0 + 1]]) for b in range(b0, b1 + 1) if cut[b - b0 + 1] > cut[b - b0]]
        for b, sel in groups:
            blkd = self.blocks.get(b)
            if blkd is None:
                blkd = self.blocks[b] = {k: np.zeros(FLOW_BLOCK, t) for k, t in self.cols.items()}
                blkd["seen"] = np.zeros(FLOW_BLOCK, bool)
            j = i[sel] - b * FLOW_BLOCK
            if blkd["seen"][j].any():
                raise Fallback("flow id twice")
            blkd["seen"][j] = True
            for k, v in vals.items():
                blkd[k][j] = v[sel]

    def column(self, k: str, n: int) -> np.ndarray:
        """The first n ids' column k (blocks of it freed)."""
        out: np.ndarray = np.empty(n, self.cols[k])
        for b in range(-(-n // FLOW_BLOCK)):
            lo, hi = b * FLOW_BLOCK, min(n, (b + 1) * FLOW_BLOCK)
            blk = self.blocks.get(b)
            if blk is None or not blk["seen"][: hi - lo].all():
                raise Fallback("flow ids are not dense")
            out[lo:hi] = blk.pop(k)[: hi - lo]
        return out


class HotData:
    """What the hot packets of a file hold, by track uuid."""

    def __init__(self) -> None:
        self.tracks: dict[int, HotTrack] = {}
        self.src = _FlowTable({"track": np.int32, "ts": np.int64, "name": np.int32})
        self.dst = _FlowTable({"track": np.int32, "ts": np.int64})
        self.instant_names: list[np.ndarray] = []  # names of instants without a flow
        self.begin_names: list[np.ndarray] = []  # (unique) names of BEGINs
        self.seq_track: dict[int, int] = {}


class _Reader:
    def __init__(self, collector: Collector) -> None:
        self.c = collector
        self.hot = HotData()
        self.ann_ok: set[int] = set()  # ids of _Seq objects whose annotation names are ours

    def apply(self, data: bytes | memoryview, decoded: _Decoded, taken: set[int] | None = None) -> int:
        """Take a decoded batch: its other packets through the collector, in file order,
        then its hot packets; returns where the batch ends. With `taken` (the sequences
        of the packets before: a plain tail after compressed chunks), every packet must be
        a rare one on a sequence of its own."""
        starts, ends, last, h = decoded
        if h is None:
            return last
        if taken is not None and h.ok.any():
            raise Fallback("hot packets after the compressed chunks")
        cold_idx = np.flatnonzero(~h.ok)
        hot_idx = np.flatnonzero(h.ok) if cold_idx.size else None
        n = h.ok.size if hot_idx is None else hot_idx.size
        rs = np.r_[0, np.flatnonzero(h.seq[1:] != h.seq[:-1]) + 1] if n else np.zeros(0, np.int64)
        first_hot: dict[int, int] = {}
        if hot_idx is not None and n:
            hs = h.seq[hot_idx]
            hr = np.r_[0, np.flatnonzero(hs[1:] != hs[:-1]) + 1]
            for s, f in zip(hs[hr].tolist(), hot_idx[hr].tolist()):
                first_hot.setdefault(s, f)
        if cold_idx.size:
            body = starts[cold_idx]
            mv = memoryview(data)
            for k, a, b in zip(cold_idx.tolist(), body.tolist(), ends[cold_idx].tolist()):
                pkt = mv[a:b]
                if compressed_payload(pkt) is not None:
                    raise Fallback("nested compressed packets")
                sid = self.c.packet(0, pkt)
                if taken is not None and sid in taken:
                    raise Fallback("plain packets after the compressed chunks on a sequence of theirs")
                if first_hot.get(sid, k) < k:
                    raise Fallback("a sequence's packets out of the writer's order")
        if n:
            self._hot(h, rs)
        return last

    def _hot(self, h: Hot, rs: np.ndarray) -> None:
        n = h.ok.size
        typ = h.typ
        if ((typ < L.BEGIN) | (typ > L.COUNTER))[h.ok].any():
            raise Fallback("event type")
        dt = h.dt
        if (dt < 0).any():
            raise Fallback("negative delta")
        is_b, is_e, is_i, is_c = typ == L.BEGIN, typ == L.END, typ == L.INSTANT, typ == L.COUNTER
        extra = (h.name != 0) | (h.ann != 0) | (h.flow != 0) | (h.term != 0) | (h.stack != 0)
        if (extra & (is_e | is_c)).any() or (h.has_value != is_c).any():
            raise Fallback("fields of END or COUNTER events")
        if ((is_b | is_i) & (h.name <= 0)).any() or (is_b & (h.flow != 0)).any():
            raise Fallback("BEGIN/INSTANT without a name, or BEGIN with a flow")
        if (is_i & ((h.ann != 0) | (h.stack != 0))).any():
            raise Fallback("INSTANT with annotations")
        if ((h.ann < 0) | (h.ann >= _ANN_OK.size)).any() or not _ANN_OK[h.ann].all():
            raise Fallback("annotation name")
        if int(h.name.max()) >= 1 << 31 or int(h.stack.max()) >= 1 << 31:
            raise Fallback("iid out of range")
        # Timestamps: each sequence's incremental clock, run by run.
        cs = np.cumsum(dt)
        nr = rs.size
        ends = np.r_[rs[1:], n]
        run_base = np.empty(nr, np.int64)
        run_track = np.empty(nr, np.int64)
        seqs = self.c.seqs
        hot = self.hot
        for r, (s, a, b) in enumerate(zip(h.seq[rs].tolist(), rs.tolist(), ends.tolist())):
            seq = seqs.get(s)
            if seq is None or not seq.valid or seq.clock != L.INCREMENTAL_CLOCK or seq.track is None:
                raise Fallback("hot packet on a sequence without incremental clock or default track")
            base = seq.incremental.get(L.INCREMENTAL_CLOCK)
            if base is None or base >= 1 << 62:
                raise Fallback("incremental clock")
            if id(seq) not in self.ann_ok:
                if any(seq.ann_names.get(i) != nm for i, nm in _ANN.items()):
                    raise Fallback("annotation names")
                self.ann_ok.add(id(seq))
            if hot.seq_track.setdefault(seq.track, s) != s:
                raise Fallback("two sequences on one track")
            before = int(cs[a - 1]) if a else 0
            run_base[r] = base - before
            last = base + int(cs[b - 1]) - before
            if last >= 1 << 63:
                raise Fallback("timestamp overflow")
            seq.incremental[L.INCREMENTAL_CLOCK] = last
            run_track[r] = seq.track
        lens = ends - rs
        ts = cs + np.repeat(run_base, lens)
        run_of = np.repeat(np.arange(nr), lens)
        # BEGIN/END alternate on each track.
        be = np.flatnonzero(is_b | is_e)
        tb = typ[be]
        if be.size > 1 and ((run_of[be[1:]] == run_of[be[:-1]]) & (tb[1:] == tb[:-1])).any():
            raise Fallback("BEGIN/END do not alternate")
        be_lo, be_hi = _positions(be, rs, ends)
        bi, ei, ci = np.flatnonzero(is_b), np.flatnonzero(is_e), np.flatnonzero(is_c)
        b_lo, b_hi = _positions(bi, rs, ends)
        e_lo, e_hi = _positions(ei, rs, ends)
        c_lo, c_hi = _positions(ci, rs, ends)
        if bi.size:
            bts, bname = ts[bi], h.name[bi].astype(np.int32)
            bstack = h.stack[bi].astype(np.int32)
            barg = np.where(h.ann[bi] != 0, h.ann_value[bi], -1)
            if barg.size and int(barg.min()) >= -(1 << 31) and int(barg.max()) < 1 << 31:
                barg = barg.astype(np.int32)
            hot.begin_names.append(_present(bname))
        ets = ts[ei]
        cts, cval = ts[ci], h.value[ci]
        for r, u in enumerate(run_track.tolist()):
            tr = hot.tracks.get(u)
            if tr is None:
                tr = hot.tracks[u] = HotTrack()
            if be_hi[r] > be_lo[r]:
                if int(tb[be_lo[r]]) == tr.last:
                    raise Fallback("BEGIN/END do not alternate")
                tr.last = int(tb[be_hi[r] - 1])
            if b_hi[r] > b_lo[r]:
                sl = slice(b_lo[r], b_hi[r])
                tr.begin.append(bts[sl])
                tr.name.append(bname[sl])
                st = bstack[sl]
                tr.stack.append(st if st.any() else None)
                tr.arg.append(barg[sl])
            if e_hi[r] > e_lo[r]:
                tr.end.append(ets[e_lo[r] : e_hi[r]])
            if c_hi[r] > c_lo[r]:
                tr.counter_ts.append(cts[c_lo[r] : c_hi[r]])
                tr.counter_value.append(cval[c_lo[r] : c_hi[r]])
        track = run_track[run_of]
        fi = np.flatnonzero(h.flow != 0)
        hot.src.put(h.flow[fi], track=track[fi].astype(np.int32), ts=ts[fi], name=h.name[fi].astype(np.int32))
        ti = np.flatnonzero(h.term != 0)
        hot.dst.put(h.term[ti], track=track[ti].astype(np.int32), ts=ts[ti])
        plain = np.flatnonzero(is_i & (h.flow == 0))
        if plain.size:
            hot.instant_names.append(_present(h.name[plain]))


def _positions(rows: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[list[int], list[int]]:
    """Per run [lo, hi): where its rows start and end in the sorted `rows`."""
    a: list[int] = np.searchsorted(rows, lo).tolist()
    b: list[int] = np.searchsorted(rows, hi).tolist()
    return a, b


def _present(v: np.ndarray) -> np.ndarray:
    """The distinct values of v (non-negative ints)."""
    if int(v.max()) < 1 << 20:
        return np.flatnonzero(np.bincount(v))
    return np.unique(v)


_Decoded = tuple[np.ndarray, np.ndarray, int, "Hot | None"]


def decode_batch(data: bytes | memoryview, buf: np.ndarray, lo: int, hi: int) -> _Decoded:
    """Frame and parse a batch (numpy only, no shared state: runs in a worker thread)."""
    starts, ends, last = frame(buf, lo, hi, data)
    return starts, ends, last, parse_hot(buf, starts, ends) if starts.size else None


class Cancelled(Exception):
    """The read was stopped: `cancelled()` became true."""


def read_hot(
    source: bytes | BinaryIO,
    collector: Collector,
    progress: Callable[[float], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> HotData:
    """Decode a whole file (its Trace bytes, or the open file, read chunk by chunk): hot
    packets into HotData, the others into `collector`. Raises Fallback when the file is
    not one this decoder knows. Batches of compressed chunks are framed and parsed in a
    worker thread while the previous one is taken (numpy releases the GIL). Plain packets
    after compressed chunks (a recorder's packets appended to the file) are taken as rare
    packets when they are on sequences of their own. `progress(fraction of the file read)`
    is called as an open file is read (at most once per percent). Raises Cancelled once
    `cancelled()` is true (checked before each batch)."""
    rd = _Reader(collector)
    first = True
    pool = ThreadPoolExecutor(max_workers=DECODERS)
    queue: list[tuple[Future[_Decoded], bytes | memoryview]] = []
    taken: set[int] | None = None  # the sequences before the first plain tail

    def take() -> None:
        nonlocal first
        fut, data = queue.pop(0)
        if rd.apply(data, fut.result()) != len(data):
            raise Fallback("truncated")
        first = _check_first(collector, first)

    try:
        for data, kind in _batches(source, progress):
            if cancelled is not None and cancelled():
                raise Cancelled
            buf = np.frombuffer(data, np.uint8)
            if kind != _CHUNKS:
                while queue:
                    take()
                if kind == _TAIL and taken is None:
                    taken = set(collector.seqs)
                pos, n = 0, buf.size
                while pos < n:
                    pos = rd.apply(data, decode_batch(data, buf, pos, min(n, pos + BATCH)),
                                   taken if kind == _TAIL else None)  # fmt: skip
                    first = _check_first(collector, first)
                if pos != n:
                    raise Fallback("truncated")
                continue
            queue.append((pool.submit(decode_batch, data, buf, 0, buf.size), data))
            if len(queue) > DECODERS:
                take()
        while queue:
            take()
    finally:
        pool.shutdown(cancel_futures=True)
    return rd.hot


def count_packets(raw: bytes | memoryview) -> int:
    """Packets in a file's Trace bytes (those of compressed chunks counted one by one),
    framed with numpy a batch at a time, one chunk inflated at a time. The count stops at
    bad framing or a corrupted chunk (where the protobuf path stops reading)."""
    total = 0
    buf = np.frombuffer(raw, np.uint8)
    pos, n = 0, buf.size
    while pos < n:
        broken = False
        try:
            starts, ends, pos = frame(buf, pos, min(n, pos + BATCH), raw)
        except Fallback:
            starts, ends, broken = _walk_until_broken(raw, pos, min(n, pos + BATCH))
        chunk = (buf.take(starts, mode="clip") == 0x92) & (buf.take(starts + 1, mode="clip") == 0x03)
        total += int(starts.size - np.count_nonzero(chunk))
        for a, b in zip(starts[chunk].tolist(), ends[chunk].tolist()):
            inner = compressed_payload(memoryview(raw)[a:b])
            try:
                total += 1 if inner is None else count_packets(zlib.decompress(inner))
            except zlib.error:
                return total
        if broken:
            break
    return total


def _walk_until_broken(raw: bytes | memoryview, pos: int, hi: int) -> tuple[np.ndarray, np.ndarray, bool]:
    """Body starts and ends of the packets from pos, walked one by one up to hi or to bad
    framing; whether the framing broke."""
    starts, ends = [], []
    n = len(raw)
    while pos < hi:
        if raw[pos] != L_PACKET_KEY:
            break
        try:
            ln, p = read_varint(raw, pos + 1)
        except (ValueError, IndexError):
            break
        if p + ln > n:
            break
        starts.append(p)
        ends.append(p + ln)
        pos = p + ln
    return np.array(starts, np.int64), np.array(ends, np.int64), True


def _check_first(collector: Collector, first: bool) -> bool:
    if first:
        root = collector.ev.descs.get(L.ROOT)
        if root is None or not root.name.endswith("(tracetui)"):
            raise Fallback("not a tracetui file")
    return False


_CHUNKS, _PLAIN, _TAIL = 0, 1, 2  # batch kinds: inflated chunks, a plain file, plain packets after chunks


def _batches(
    source: bytes | BinaryIO, progress: Callable[[float], None] | None = None
) -> Iterator[tuple[bytes | memoryview, int]]:
    """The packet stream in batches: (bytes of whole packets, kind: inflated chunks, the
    file's own plain packets, or plain packets following compressed chunks). Compressed
    chunks are inflated in a worker thread."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        mv = memoryview(source)
        top = ((a, b) for a, b in _top_level(mv))
        first = next(top, None)
        if first is None:
            return
        if compressed_payload(mv[first[0] : first[1]]) is None:
            yield mv, _PLAIN  # plain packets: framed by `decode.frame`
            return
        chunks: Iterator[bytes | memoryview] = (mv[a:b] for a, b in itertools.chain([first], top))
    else:
        chunks = _file_packets(source, progress)
    pool = ThreadPoolExecutor(max_workers=1)
    pending: list[Future[bytes]] = []
    try:
        parts: list[bytes] = []
        size = 0
        plain: list[bytes] = []  # framed plain packets after chunks
        chunked = False
        for pkt in chunks:
            inner = compressed_payload(memoryview(pkt))
            if inner is None:
                if not chunked:
                    raise Fallback("plain packets before the compressed chunks")
                for f in pending:
                    parts.append(_result(f))
                pending.clear()
                if parts:
                    yield b"".join(parts), _CHUNKS
                    parts, size = [], 0
                plain.append(packet_record(bytes(pkt)))
                continue
            if plain:
                yield b"".join(plain), _TAIL
                plain = []
            chunked = True
            pending.append(pool.submit(zlib.decompress, inner))
            if len(pending) > AHEAD:
                d = _result(pending.pop(0))
                parts.append(d)
                size += len(d)
                if size >= BATCH:
                    yield b"".join(parts), _CHUNKS
                    parts, size = [], 0
        for f in pending:
            parts.append(_result(f))
        pending.clear()
        if parts:
            yield b"".join(parts), _CHUNKS
        if plain:
            yield b"".join(plain), _TAIL
    finally:
        for f in pending:
            f.cancel()
        pool.shutdown()


def _file_packets(f: BinaryIO, progress: Callable[[float], None] | None = None) -> Iterator[bytes]:
    """The top-level packets of an open file, read one by one (the compressed chunks)."""
    size, shown, start = 0, -1, 0
    if progress is not None:
        try:
            size = os.fstat(f.fileno()).st_size - f.tell()
        except (OSError, AttributeError, ValueError):
            size = 0
        start = f.tell()
    while True:
        if size and progress is not None:
            pct = (f.tell() - start) * 100 // size
            if pct > shown:
                shown = pct
                progress(min(pct / 100, 1.0))
        k = f.read(1)
        if not k:
            return
        if k[0] != L_PACKET_KEY:
            raise Fallback("framing")
        ln = shift = 0
        while True:
            b = f.read(1)
            if not b or shift > 28:
                raise Fallback("truncated")
            ln |= (b[0] & 0x7F) << shift
            if b[0] < 0x80:
                break
            shift += 7
        pkt = f.read(ln)
        if len(pkt) != ln:
            raise Fallback("truncated")
        yield pkt


def _result(f: Future[bytes]) -> bytes:
    try:
        return f.result()
    except zlib.error:
        raise Fallback("corrupted chunk") from None


def _top_level(mv: memoryview) -> Iterator[tuple[int, int]]:
    """(start, end) of each top-level packet's bytes (a Python loop: for compressed files
    these are the few chunks)."""
    pos, n = 0, len(mv)
    while pos < n:
        if mv[pos] != L_PACKET_KEY:
            raise Fallback("framing")
        try:
            ln, p = read_varint(mv, pos + 1)
        except ValueError:
            raise Fallback("framing") from None
        if p + ln > n:
            raise Fallback("truncated")
        yield p, p + ln
        pos = p + ln


L_PACKET_KEY = 0x0A
