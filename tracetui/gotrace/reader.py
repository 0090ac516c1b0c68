"""The trace reader: generations in a stream, ordered across Ms (Go's reader.go).

`read_trace` returns the whole `EventTable`; `GoTraceReader(data).chunks()` yields the
columns generation by generation (big generations in slices), so consumers can start
before the last byte is read.
"""

from __future__ import annotations

import bisect
import os
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from tracetui.errors import TraceFormatError, UnsupportedTraceError
from tracetui.gotrace import kernel
from tracetui.gotrace import spec as S
from tracetui.gotrace import transitions as T
from tracetui.gotrace.cursor import DECODE, MEvents, MSource
from tracetui.gotrace.events import (
    COLUMNS,
    DTYPES,
    STACK_ARGS,
    STRING_ARGS,
    EventTable,
    StackTable,
    StringTable,
    SyncInfo,
    empty_columns,
)
from tracetui.gotrace.generation import Generation, finish, is_end_of_generation, process_batch
from tracetui.gotrace.gosort import go_sort_by_key
from tracetui.gotrace.order import NO_G, NO_M, NO_P, OrderError, Ordering
from tracetui.gotrace.wire import EndOfData, WireError, header_length, read_batch, read_header

if TYPE_CHECKING:
    from tracetui.gotrace.v1 import V1Reader

_U64 = (1 << 64) - 1
NIL_SYNC = _U64  # a1 of a Sync event without a generation table
FLUSH_EVERY = 1 << 16  # events turned into columns at a time (bounds the transient memory)


class _Stop(Exception):
    """Parsing stops: Go's ReadEvent returned this error."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


@dataclass
class Chunk:
    """The events of one step of the stream: a generation, or a slice of a big one."""

    columns: dict[str, np.ndarray]
    end_offset: int  # bytes of the file read so far
    # The columns hold every event of the stream, from its first (those sent before included:
    # the same events, though their string and stack ids may be another table's, as the
    # reader's tables are replaced with this chunk): the stream takes them as its own
    # instead of copying the new rows.
    whole: bool = False


class _Cursor:
    """A cursor over one M's decoded events (Go's batchCursor)."""

    __slots__ = ("a0", "a1", "base", "cid", "ev", "i", "m", "n", "src", "time", "times", "typ")

    def __init__(self, ev: MEvents, base: int, cid: int = -1, src: MSource | None = None) -> None:
        self.cid = cid  # index of the M's columns in the generation (for the compiled path)
        self.m = ev.m
        self.src = src  # the M's slices not decoded yet
        self.load(ev, base)

    def load(self, ev: MEvents, base: int) -> None:
        """Point at a slice of the M's events (`base`: its first event's index among the
        generation's decoded events)."""
        self.ev = ev
        self.i = 0
        self.n = ev.n
        self.base = base
        self.typ = ev.typ
        self.a0 = ev.a0
        self.a1 = ev.a1
        self.times = ev.time
        self.time = ev.time[0] if ev.n else 0


class GoTraceReader:
    """Reads a Go 1.22+ execution trace from a buffer, generation by generation."""

    def __init__(self, buf: bytes, path: str | None = None) -> None:
        self.buf = buf
        self.path = path
        self.size = len(buf)
        try:
            self.version = read_header(buf)
        except WireError as e:
            raise TraceFormatError(e.message, path=path, offset=e.offset) from None
        if self.version in S.V1_VERSIONS:
            raise UnsupportedTraceError(f"Go 1.{self.version} trace: read it with open_reader", path=path)
        if self.version not in S.SUPPORTED_VERSIONS:
            raise UnsupportedTraceError(f"unknown or unsupported trace version go 1.{self.version}", path=path)
        self.pos = header_length(buf)
        self.strings = StringTable()
        self.stacks = StackTable()
        self.syncs: list[SyncInfo] = []
        self.n_syncs = 0
        self.last_ts = 0
        self.out = array("q")  # flat rows of (source row, m, p, g); see Ordering.out
        self.full: list[tuple[int, ...]] = []
        self._gen: Generation | None = None
        self._decoded: list[MEvents | None] = []  # None once no row can refer to the slice
        self._bases_list: list[int] = []  # index of each decoded slice's first event
        self._retired: list[int] = []  # slices left by their cursor: dropped at the next _flush
        self.order = Ordering(self.version, self.out, self.full, self._string_of)
        self._extra_done = 0
        self._extra_gids: list[int] = []
        # Set when parsing stops early.
        self.error: str | None = None
        self.error_offset: int | None = None
        self.valid_size = 0
        self.printed = 0  # events Go would print (including those after the last Sync)
        self.valid_events = 0  # events up to the last Sync (what go tool trace keeps)
        self._cut_error: _Stop | None = None
        self._cut_stop: _Stop | None = None
        self._gen_maps: tuple[_IdMap, _IdMap] | None = None
        # Where _flush writes a chunk's typ, time and a0..a3: fresh arrays, or (TraceStream)
        # the final columns' next rows, so they are written once, in place.
        self.reserve: Callable[[int], dict[str, np.ndarray]] = _fresh_columns

    # --- generations -----------------------------------------------------------------

    def _read_generation(self) -> Generation | None:
        """Go's readGeneration (1.26+): None at a clean end."""
        buf, end = self.buf, self.size
        g = Generation(first_offset=self.pos)
        while True:
            try:
                b, self.pos = read_batch(buf, self.pos, end)
            except EndOfData:
                if g.batches:
                    raise WireError("incomplete generation found; trace likely truncated", self.pos) from None
                return None
            if g.gen == 0:
                g.gen = b.gen
            if is_end_of_generation(b, buf):
                break
            if b.gen == 0:
                raise WireError(f"invalid generation number {b.gen}", b.offset)
            if b.gen != g.gen:
                raise WireError(
                    "broken trace: missing end-of-generation event, or generations are interleaved", b.offset
                )
            if g.min_ts == 0 or b.time < g.min_ts:
                g.min_ts = b.time
            process_batch(g, b, buf, self.version)
        g.end_offset = self.pos
        finish(g, self.version, True)
        return g

    def _read_generation_with_spill(self, spill: object) -> tuple[Generation, object, WireError | None]:
        """Go's readGenerationWithSpill (< 1.26): returns the generation, the next one's
        first batch, and an error to report after this generation."""
        buf, end = self.buf, self.size
        g = Generation(first_offset=self.pos)
        if spill is not None:
            g.gen = spill.gen  # type: ignore[attr-defined]
            g.min_ts = spill.time  # type: ignore[attr-defined]
            g.first_offset = spill.offset  # type: ignore[attr-defined]
            process_batch(g, spill, buf, self.version)  # type: ignore[arg-type]
            spill = None
        spill_err: WireError | None = None
        while True:
            start = self.pos
            try:
                b, self.pos = read_batch(buf, self.pos, end)
            except EndOfData:
                break
            except WireError as e:
                if g.gen != 0:
                    spill_err = e
                    break
                raise
            if b.gen == 0:
                raise WireError(f"invalid generation number {b.gen}", b.offset)
            if g.gen == 0:
                g.gen = b.gen
            if b.gen == g.gen + 1:
                spill = b
                g.end_offset = start
                break
            if b.gen != g.gen:
                raise WireError("generations out of order", b.offset)
            if g.min_ts == 0 or b.time < g.min_ts:
                g.min_ts = b.time
            process_batch(g, b, buf, self.version)
        if spill is None:
            g.end_offset = self.pos if spill_err is None else spill_err.offset
        finish(g, self.version, self.version >= S.GO125)
        return g, spill, spill_err

    # --- events ----------------------------------------------------------------------

    def _string_of(self, sid: int) -> str | None:
        if sid == 0:
            return ""
        g = self._gen
        return None if g is None else g.strings.get(sid)

    def _sync(self, gen: Generation | None, time: int) -> None:
        self.n_syncs += 1
        if gen is None:
            info = NIL_SYNC
        else:
            info = len(self.syncs)
            self.syncs.append(
                SyncInfo(
                    gen.has_clock_snapshot,
                    gen.mul(gen.snap_time),
                    gen.snap_mono,
                    gen.snap_sec,
                    gen.snap_nsec,
                    gen.exp_batches,
                )
            )
        self.order._push(S.EV_SYNC, time, NO_M, NO_P, NO_G, self.n_syncs, info, 0, 0)

    def chunks(self) -> Iterator[Chunk]:
        """Yield the ordered events, one chunk per generation; sets self.error on failure."""
        try:
            if self.version >= S.GO126:
                yield from self._chunks_126()
            else:
                yield from self._chunks_spill()
        except _Stop as e:
            self.error, self.error_offset = e.message, e.offset

    def _chunks_126(self) -> Iterator[Chunk]:
        while True:
            try:
                gen = self._read_generation()
            except WireError as e:
                self._sync(None, self.last_ts)
                yield self._flush(None)
                raise _Stop(e.message, e.offset) from None
            if gen is None:
                self._sync(None, self.last_ts)
                yield self._flush(None)
                return
            yield from self._run_generation(gen)

    def _chunks_spill(self) -> Iterator[Chunk]:
        spill: object = None
        spill_err: WireError | None = None
        have_gen = False
        while True:
            if spill_err is not None:
                self._sync(None, self.last_ts)
                yield self._flush(None)
                raise _Stop(spill_err.message, spill_err.offset)
            if have_gen and spill is None:
                self._sync(None, self.last_ts)
                yield self._flush(None)
                return
            try:
                gen, spill, spill_err = self._read_generation_with_spill(spill)
            except WireError as e:
                self._sync(None, self.last_ts)
                yield self._flush(None)
                raise _Stop(e.message, e.offset) from None
            have_gen = True
            yield from self._run_generation(gen)

    def _run_generation(self, gen: Generation) -> Iterator[Chunk]:
        """Go's installGen plus ReadEvent's loop over one generation."""
        self._gen = gen
        self._gen_maps = None
        buf = self.buf
        frontier: list[_Cursor] = []
        self._decoded = []
        self._bases_list = []
        self._retired = []
        self._decoded_n = 0
        self._columns: list[tuple[object, ...]] = []  # per M in the frontier: its slice's columns (compiled path)
        for m in gen.batch_ms:
            src = MSource(m, gen.batches[m], buf, gen.freq)  # type: ignore[arg-type]
            ev = self._next_slice(src)
            if ev is None:
                continue
            if ev.n == 0:
                raise _Stop(*ev.error)  # type: ignore[misc]
            cid = len(self._columns)
            self._columns.append((ev.typ, ev.time, ev.a0, ev.a1))
            _heap_insert(frontier, _Cursor(ev, self._add_slice(ev), cid, src))
        self._sync(gen, gen.mul(gen.min_ts))
        steps = self._order_generation(gen, frontier)
        while True:
            try:
                next(steps)
            except StopIteration:
                break
            except _Stop as stop:
                if stop is not self._cut_stop:
                    yield self._flush(gen)
                raise self._take_cut_error() or stop from None
            # A slice of the generation is ready: hand it on, bounded in memory.
            yield self._flush(gen)
            cut = self._take_cut_error()
            if cut is not None:
                raise cut
        yield self._flush(gen)
        cut = self._take_cut_error()
        if cut is not None:
            raise cut
        self.valid_size = gen.end_offset
        self._decoded = []
        self._columns = []

    def _next_slice(self, src: MSource) -> MEvents | None:
        """The M's next slice with events (or an error), decoded now; None when done."""
        while src.more():
            ev = src.decode_next()
            if ev.n or ev.error is not None:
                return ev
        return None

    def _add_slice(self, ev: MEvents) -> int:
        """Register a decoded slice for _flush; returns its base index."""
        base = self._decoded_n
        self._decoded.append(ev)
        self._bases_list.append(base)
        self._decoded_n += ev.n
        return base

    def _refill(self, bc: _Cursor) -> tuple[str, int] | None:
        """At the end of a cursor's slice: load the M's next slice (bc.n stays 0 when the M
        has no more events). Returns the error that ends the M's events, if any: the
        slice's own, or a next slice's that has no event before it."""
        if bc.ev.error is not None:
            return bc.ev.error
        ev = self._next_slice(bc.src) if bc.src is not None else None
        if ev is None:
            bc.n = bc.i = 0
            return None
        if ev.n == 0:
            return ev.error
        self._retired.append(bisect.bisect_right(self._bases_list, bc.base) - 1)
        bc.load(ev, self._add_slice(ev))
        self._columns[bc.cid] = (ev.typ, ev.time, ev.a0, ev.a1)
        return None

    def _take_cut_error(self) -> _Stop | None:
        err, self._cut_error = self._cut_error, None
        if err is not None:
            self._cut_stop = err
            del self.out[:]
            self.full.clear()
        return err

    def _order_generation(self, gen: Generation, frontier: list[_Cursor]) -> Iterator[None]:
        """Merge the Ms of one generation in Go's order, validating every step.

        The compiled kernel (_korder.c) takes the events transitions.KERNEL_KIND names (the
        common goroutine transitions, heap metrics, annotations, GC assist and sweep ranges);
        without it the goroutine transitions (start, unblock, stop, block) take an inlined path.
        Both make order.py's checks and keep its state; anything else, or any doubt, takes order.py.
        Yields whenever FLUSH_EVERY events are pending, so the caller can turn them into
        columns and memory stays bounded.
        """
        order = self.order
        advance = order.advance
        push = order._push
        out = self.out
        out_append = out.extend
        g_states = order.g_states
        p_states = order.p_states
        m_states = order.m_states
        g = gen.gen
        cpu_time, cpu_ctx = gen.cpu_time, gen.cpu_ctx
        ci, ncpu = 0, len(cpu_time)
        next_cpu = cpu_time[0] if ncpu else None
        budget = FLUSH_EVERY
        fast, res_a0, seq, ctx_g = _FAST, _RES_A0, _SEQ, T.G_CTX_L
        w_from, w_to, req_p, req_g = T.W_FROM_L, T.W_TO_L, _REQ_P, _REQ_G
        kernel = _kernel()
        if kernel is not None:
            columns = self._columns  # replaced in place as cursors move to their next slice
            scratch = np.empty(4 * FLUSH_EVERY, dtype=np.int64)
        while True:
            budget -= 1
            if budget <= 0:
                budget = FLUSH_EVERY
                if len(out) >= 4 * FLUSH_EVERY:
                    yield
            if next_cpu is not None and (not frontier or next_cpu < frontier[0].time):
                cm, cp, cg, cstack = cpu_ctx[ci]
                push(S.EvCPUSample, next_cpu, cm, cp, cg, cstack, 0, 0, 0)
                ci += 1
                next_cpu = cpu_time[ci] if ci < ncpu else None
                continue
            if not frontier:
                return
            if kernel is not None:
                # The compiled path takes as many common events as it can (transitions.KERNEL_KIND).
                ran = kernel.run(frontier, columns, g_states, p_states, m_states, g, next_cpu, budget, scratch)
                if ran:
                    out.frombytes(scratch.data[: 4 * ran].cast("B"))
                    budget -= ran - 1
                    continue
            bc = frontier[0]
            k = bc.i
            t = bc.typ[k]
            done = False
            if fast[t]:  # transitions.FAST, by the rule table (as _korder.c)
                m = bc.m
                ms = m_states.get(m)
                if ms is not None and _req_ok(req_p[t], ms.p) and _req_ok(req_g[t], ms.g):
                    gid = bc.a0[k] if res_a0[t] else ms.g
                    st = g_states.get(gid) if gid != -1 else None
                    if (
                        st is not None
                        and st.status == w_from[t]
                        and (not seq[t] or (st.sgen == g and bc.a1[k] == st.seq + 1))
                    ):
                        st.status = w_to[t]
                        if seq[t]:
                            st.seq = bc.a1[k]
                        out_append((bc.base + k, m, ms.p, ms.g))
                        c = ctx_g[t]
                        if c == T.RES:
                            ms.g = gid
                        elif c == T.NO_G:
                            ms.g = -1
                        done = True
            if done:
                k += 1
                bc.i = k
                if k >= bc.n:
                    err = self._refill(bc)
                    if err is not None:
                        del out[-4:]
                        raise _Stop(*err)
                    k = bc.i
                if k < bc.n:
                    tm = bc.time = bc.times[k]
                    n = len(frontier)
                    if (n > 1 and frontier[1].time < tm) or (n > 2 and frontier[2].time < tm):
                        _sift_down(frontier, 0)
                else:
                    _heap_remove(frontier, 0)
                continue
            # The general path: the head of the frontier, then the rest in time order.
            i = 0
            while True:
                bc = frontier[i]
                ev, k = bc.ev, bc.i
                mark = len(out)  # a multiple of 4
                try:
                    ok = advance(ev.typ[k], bc.time, [ev.a0[k], ev.a1[k], ev.a2[k], ev.a3[k]], bc.m, g)
                except OrderError as e:
                    raise _Stop(str(e), ev.off[k]) from None
                if ok:
                    k += 1
                    bc.i = k
                    if k >= bc.n:
                        err = self._refill(bc)
                        if err is not None:
                            del out[mark:]
                            raise _Stop(*err)
                        k = bc.i
                    if k < bc.n:
                        bc.time = bc.times[k]
                        _heap_update(frontier, i)
                    else:
                        _heap_remove(frontier, i)
                    break
                if i == 0:
                    go_sort_by_key(frontier, _cursor_time)
                i += 1
                if i >= len(frontier):
                    raise _Stop(
                        f"broken trace: failed to advance: frontier:\n[gen={g}]\n\n" + _dump_frontier(frontier),
                        frontier[0].ev.off[frontier[0].i],
                    )

    # --- columns ---------------------------------------------------------------------

    def _flush(self, gen: Generation | None) -> Chunk:
        """Turn the emitted events into columns: remap IDs, validate, fix times."""
        out, full = self.out, self.full
        n = len(out) // 4
        if n == 0:
            full.clear()
            return Chunk(empty_columns(), self.pos)
        rows: np.ndarray = np.frombuffer(out, dtype=np.int64).reshape(n, 4)
        src = rows[:, 0].copy()
        arr = {"m": rows[:, 1].copy(), "p": rows[:, 2].copy(), "g": rows[:, 3].copy()}
        del rows
        del out[:]
        from_gen = src >= 0
        full_cols = list(zip(*full)) if full else [()] * 6
        full.clear()
        arr.update(self.reserve(n))
        if full_cols[0]:  # rows the Python path built whole
            at = np.flatnonzero(~from_gen)
            which = -src[at] - 1
            for j, name in enumerate(("typ", "time", "a0", "a1", "a2", "a3")):
                arr[name][at] = _to_array(full_cols[j], DTYPES[name])[which]
        if gen is not None and from_gen.any():
            # Gather the unchanged events from their M's decoded columns.
            bases = np.asarray(self._bases_list, dtype=np.int64)
            compiled = kernel.module(DECODE)
            if compiled is not None:
                slices = [None if ev is None else (ev.typ, ev.time, ev.a0, ev.a1, ev.a2, ev.a3) for ev in self._decoded]
                compiled.gather(src, bases, slices, *(arr[name] for name in ("typ", "time", "a0", "a1", "a2", "a3")))
            else:
                rows = np.flatnonzero(from_gen)
                which = np.searchsorted(bases, src[rows], side="right") - 1
                for c in np.unique(which).tolist():
                    sel = rows[which == c]
                    ev = self._decoded[c]
                    assert ev is not None
                    local = src[sel] - bases[c]
                    for j, name in enumerate(("typ", "time", "a0", "a1", "a2", "a3")):
                        arr[name][sel] = ev.column(j)[local]
        for c in self._retired:
            self._decoded[c] = None
        self._retired.clear()
        typ = arr["typ"]
        cut = n
        if gen is not None:
            cut = self._remap_ids(arr, typ, gen)
        if cut < n:
            for name in COLUMNS:
                arr[name] = arr[name][:cut]
            typ = arr["typ"]
        # TaskEnd names come from the reader's extra strings.
        te = np.flatnonzero(typ == S.EvUserTaskEnd)
        if te.size:
            extra = self.order.extra_strings
            a3 = arr["a3"]
            for i in te.tolist():
                x = int(a3[i])
                a3[i] = self.strings.intern(extra[x - 1]) if x else 0
        # Go's reader makes times strictly increasing.
        t = arr["time"]
        if t.size:
            idx = np.arange(t.size, dtype=np.int64)
            t -= idx  # in place: t may be the final column
            np.maximum.accumulate(t, out=t)
            np.maximum(t, self.last_ts + 1, out=t)
            t += idx
            self.last_ts = int(t[-1])
        self.printed += int(typ.size)
        syncs = np.flatnonzero(typ == S.EV_SYNC)
        if syncs.size:
            self.valid_events = self.printed - int(typ.size) + int(syncs[-1]) + 1
        return Chunk(arr, self.pos)

    def _remap_ids(self, arr: dict[str, np.ndarray], typ: np.ndarray, gen: Generation) -> int:
        """Map this generation's string/stack IDs to the global tables; return the index of
        the first event that references a missing ID (Go's validateTableIDs), or len."""
        n = typ.size
        if self._gen_maps is None:
            self._gen_maps = (_IdMap(*self._string_map(gen)), _IdMap(*self._stack_map(gen)))
        str_map, stk_map = self._gen_maps
        first_bad = n
        bad_msg = ""
        # Rows grouped by type, each group ascending (a stable sort of the uint8 types).
        counts = np.bincount(typ, minlength=256)
        order = np.argsort(typ, kind="stable")
        ends = np.cumsum(counts).tolist()
        for t in np.flatnonzero(counts).tolist():
            if t == S.EV_SYNC or (t not in STACK_ARGS and t not in STRING_ARGS and t != S.EvSTWEnd):
                continue
            rows = order[ends[t] - int(counts[t]) : ends[t]]
            name = S.SPECS[t].name if t in S.SPECS else str(t)
            for pos in STACK_ARGS.get(t, ()):
                col = arr[f"a{pos}"]
                vals = col[rows]
                mapped, ok = stk_map.lookup(vals)
                col[rows] = mapped
                if not ok.all():
                    j = int(rows[np.argmin(ok)])
                    if j < first_bad:
                        first_bad, bad_msg = j, f"found invalid stack ID {int(col[j])} for event {name}"
            for pos in STRING_ARGS.get(t, ()):
                col = arr[f"a{pos}"]
                vals = col[rows]
                mapped, ok = str_map.lookup(vals)
                col[rows] = mapped
                if not ok.all():
                    j = int(rows[np.argmin(ok)])
                    if j < first_bad:
                        first_bad, bad_msg = j, f"found invalid string ID {int(vals[np.argmin(ok)])} for event {name}"
            if t == S.EvSTWEnd:
                col = arr["a0"]
                mapped, _ = str_map.lookup(col[rows])
                col[rows] = mapped
        if first_bad < n:
            self._cut_error = _Stop(bad_msg, self.pos)
        return first_bad

    def _string_map(self, gen: Generation) -> tuple[np.ndarray, np.ndarray]:
        ids = sorted(gen.strings)
        intern = self.strings.intern
        gids = [intern(gen.strings[i]) for i in ids]
        return np.array([0, *ids], dtype=np.uint64), np.array([0, *gids], dtype=np.uint64)

    def _stack_map(self, gen: Generation) -> tuple[np.ndarray, np.ndarray]:
        ids = sorted(gen.stacks)
        intern = self.strings.intern
        strings = gen.strings
        table = self.stacks
        pcs = gen.pcs
        gids = []
        frame_cache: dict[int, int] = {}
        for sid in ids:
            fids = []
            for pc in gen.stacks[sid]:
                fid = frame_cache.get(pc)
                if fid is None:
                    func, file, line = pcs[pc]
                    fid = frame_cache[pc] = table.frame(
                        pc, intern(strings.get(func, "")), intern(strings.get(file, "")), line
                    )
                fids.append(fid)
            gids.append(table.stack(tuple(fids)))
        return np.array([0, *ids], dtype=np.uint64), np.array([0, *gids], dtype=np.uint64)


def _fresh_columns(n: int) -> dict[str, np.ndarray]:
    return {name: np.empty(n, dtype=DTYPES[name]) for name in _IN_PLACE}


_IN_PLACE = ("typ", "time", "a0", "a1", "a2", "a3")


class _IdMap:
    """A generation's IDs (sorted, 0 first) -> global IDs; a direct table when the IDs are
    dense enough (they usually run 1..n), else a binary search."""

    def __init__(self, ids: np.ndarray, gids: np.ndarray) -> None:
        self.ids, self.gids = ids, gids
        top = int(ids[-1])
        self.table: np.ndarray | None = None
        if top < 4 * ids.size + 4096:
            self.table = np.zeros(top + 1, dtype=np.uint64)
            self.found = np.zeros(top + 1, dtype=bool)
            self.table[ids] = gids
            self.found[ids] = True

    def lookup(self, vals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """vals mapped (unknown ones unchanged), and which were found."""
        if self.table is not None:
            top = self.table.size - 1
            k = np.minimum(vals, top).astype(np.intp)
            ok = self.found[k] & (vals <= top)
            return np.where(ok, self.table[k], vals), ok
        ids = self.ids
        k = np.minimum(np.searchsorted(ids, vals), ids.size - 1)
        ok = ids[k] == vals
        return np.where(ok, self.gids[k], vals), ok


def _to_array(col: tuple[int, ...], dtype: type) -> np.ndarray:
    try:
        return np.array(col, dtype=dtype)
    except OverflowError:
        # Corrupt inputs can produce values out of range; wrap like Go's integer conversions.
        mask = (1 << 64) - 1
        wrapped = [v & mask for v in col]
        return np.array(wrapped, dtype=np.uint64).view(np.int64).astype(dtype)


_CONFIGURED: set[int] = set()
_FAST: list[bool] = T.G_FAST.tolist()
_RES_A0: list[bool] = T.G_RES_A0.tolist()
_SEQ: list[bool] = T.G_SEQ.tolist()
_REQ_P: list[int] = T.REQ_P.tolist()
_REQ_G: list[int] = T.REQ_G.tolist()


def _req_ok(req: int, have: int) -> bool:
    """Go's validateCtx for one of M, P, G (-1: none)."""
    return req == T.MAY or (have != -1 if req == T.MUST else have == -1)


def _kernel() -> ModuleType | None:
    """The compiled ordering path, configured for this module's classes, or None."""
    mod = kernel.module()
    if mod is not None and id(mod) not in _CONFIGURED:
        from tracetui.gotrace.order import GState, MState, PState

        mod.configure(_Cursor, GState, MState, PState, T.kernel_table())
        _CONFIGURED.add(id(mod))
    return mod


def _cursor_time(bc: _Cursor) -> int:
    return bc.time


def _dump_frontier(frontier: list[_Cursor]) -> str:
    lines = []
    for bc in frontier:
        ev, k = bc.ev, bc.i
        sp = S.SPECS.get(ev.typ[k])
        name = sp.name if sp else str(ev.typ[k])
        args = [ev.a0[k], ev.a1[k], ev.a2[k], ev.a3[k]]
        fields = " ".join(f"{a}={v}" for a, v in zip(sp.args[1:] if sp else (), args))
        lines.append(f"M {bc.m} [{name} time={bc.time} {fields}]")
    return "\n".join(lines) + "\n"


# --- Go's batchCursor min-heap, reproduced exactly (ties depend on its shape) ----------


def _heap_insert(heap: list[_Cursor], bc: _Cursor) -> None:
    heap.append(bc)
    _sift_up(heap, len(heap) - 1)


def _heap_update(heap: list[_Cursor], i: int) -> None:
    if _sift_up(heap, i) != i:
        return
    _sift_down(heap, i)


def _heap_remove(heap: list[_Cursor], i: int) -> None:
    while i > 0:
        j = (i - 1) // 2
        heap[j], heap[i] = heap[i], heap[j]
        i = j
    heap[0], heap[-1] = heap[-1], heap[0]
    heap.pop()
    _sift_down(heap, 0)


def _sift_up(heap: list[_Cursor], i: int) -> int:
    while i > 0:
        j = (i - 1) // 2
        if heap[j].time > heap[i].time:
            heap[j], heap[i] = heap[i], heap[j]
            i = j
        else:
            break
    return i


def _sift_down(heap: list[_Cursor], i: int) -> int:
    n = len(heap)
    while True:
        m = i
        mt = heap[i].time if i < n else None
        c = 2 * i + 1
        if c < n and (mt is None or heap[c].time < mt):
            m, mt = c, heap[c].time
        c += 1
        if c < n and (mt is None or heap[c].time < mt):
            m = c
        if m == i:
            return i
        heap[i], heap[m] = heap[m], heap[i]
        i = m


def read_trace(path: str | os.PathLike[str]) -> EventTable:
    """Read a whole Go trace file into an EventTable.

    On a broken or truncated trace the table holds every event Go's parser returns before
    its error; `error` and `error_offset` say what and where, and the first `valid_events`
    rows are the complete generations (what `go tool trace` keeps).
    """
    p = os.fspath(path)
    try:
        with open(p, "rb") as f:
            data = f.read()
    except OSError as e:
        raise TraceFormatError(f"cannot read: {e.strerror or e}", path=p) from None
    return read_buffer(data, p)


def read_buffer(data: bytes, path: str | None = None) -> EventTable:
    """Read a Go trace held in memory (see read_trace)."""
    stream = TraceStream(data, path)
    for _ in stream:
        pass
    return stream.table()


def open_reader(buf: bytes, path: str | None = None) -> GoTraceReader | V1Reader:
    """The reader of a Go trace: GoTraceReader for Go 1.22+, V1Reader for Go 1.11-1.21
    (converted to the same events, as Go's reader does). Raises on a header we do not read."""
    try:
        version = read_header(buf)
    except WireError as e:
        raise TraceFormatError(e.message, path=path, offset=e.offset) from None
    if version in S.V1_VERSIONS:
        from tracetui.gotrace.v1 import V1Reader

        return V1Reader(buf, version, path)
    return GoTraceReader(buf, path)


class TraceStream:
    """A trace read chunk by chunk: iterating yields the bytes read so far after each
    ordered chunk (a generation or a slice of one); `table()` is the table of every event
    read so far: a prefix of the ordered stream, which is a consistent trace on its own."""

    def __init__(self, data: bytes, path: str | None = None) -> None:
        self.reader = open_reader(data, path)
        self._cols = _Columns(len(data) + 4096)
        self.reader.reserve = self._cols.reserve

    def __iter__(self) -> Iterator[int]:
        for chunk in self.reader.chunks():
            if chunk.whole:
                self._cols.adopt(chunk.columns)
            else:
                self._cols.append(chunk.columns)
            yield chunk.end_offset

    @property
    def events(self) -> int:
        return self._cols.n

    def table(self) -> EventTable:
        reader = self.reader
        return EventTable(
            version=reader.version,
            strings=reader.strings,
            stacks=reader.stacks,
            syncs=list(reader.syncs),
            size=reader.size,
            valid_size=reader.valid_size,
            error=reader.error,
            error_offset=reader.error_offset,
            valid_events=reader.valid_events if reader.error else self._cols.n,
            **self._cols.finish(),
        )


class _Columns:
    """Growable output columns. The capacity is an upper bound on the event count (every
    event takes at least one byte of the file), reserved but untouched, so only the rows
    written become resident: no second copy as a concatenation would make. The context
    columns (m, p, g) are stored as int32 and a0, a3 as uint32 while every value fits, else
    as 64-bit integers."""

    _NARROW: ClassVar[dict[str, type]] = {"m": np.int32, "p": np.int32, "g": np.int32, "a0": np.uint32, "a3": np.uint32}

    def __init__(self, capacity: int) -> None:
        self.n = 0
        self.cols: dict[str, np.ndarray] = {
            name: np.empty(capacity, dtype=self._NARROW.get(name, DTYPES[name])) for name in COLUMNS
        }

    def reserve(self, k: int) -> dict[str, np.ndarray]:
        """Where the chunk that append() takes next writes typ, time and a0..a3: the next k
        rows of the final columns where they have the chunk's type, else fresh arrays."""
        self._grow(k)
        return {
            name: self.cols[name][self.n : self.n + k]
            if self.cols[name].dtype == DTYPES[name]
            else np.empty(k, dtype=DTYPES[name])
            for name in _IN_PLACE
        }

    def _grow(self, k: int) -> None:
        if self.n + k > self.cols["typ"].shape[0]:
            grow = max(self.n + k, 2 * self.cols["typ"].shape[0])
            for name, col in self.cols.items():
                self.cols[name] = self._moved(col, grow, col.dtype)

    def append(self, chunk: dict[str, np.ndarray]) -> None:
        k = int(chunk["typ"].shape[0])
        if k == 0:
            return
        self._grow(k)
        for name, narrow in self._NARROW.items():
            col = self.cols[name]
            if col.dtype == narrow:
                v, info = chunk[name], np.iinfo(narrow)
                if int(v.min()) < info.min or int(v.max()) > info.max:
                    self.cols[name] = self._moved(col, col.shape[0], np.dtype(DTYPES[name]))
        for name, col in self.cols.items():
            dst, v = col[self.n : self.n + k], chunk[name]
            if v.__array_interface__["data"][0] != dst.__array_interface__["data"][0]:
                dst[...] = v  # not written in place (reserve)
        self.n += k

    def adopt(self, columns: dict[str, np.ndarray]) -> None:
        """Take `columns` (every row from the first: the rows appended so far, then new ones)
        as the columns, without a copy."""
        n = int(columns["typ"].shape[0])
        if n < self.n or set(columns) != set(self.cols):
            raise ValueError("adopt: not the stream's columns")
        self.cols = {name: columns[name] for name in self.cols}
        self.n = n

    def _moved(self, col: np.ndarray, size: int, dtype: np.dtype) -> np.ndarray:
        new = np.empty(size, dtype=dtype)
        new[: self.n] = col[: self.n]
        return new

    def finish(self) -> dict[str, np.ndarray]:
        return {name: col[: self.n] for name, col in self.cols.items()}
