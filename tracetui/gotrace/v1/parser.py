"""Go's `tracev1.Parse`: a Go 1.11-1.21 trace's bytes to a checked, ordered `V1Trace`."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from tracetui.errors import TraceFormatError
from tracetui.gotrace.spec import V1_VERSIONS
from tracetui.gotrace.v1 import spec as S
from tracetui.gotrace.v1.columns import Columns, columns
from tracetui.gotrace.v1.model import V1Trace
from tracetui.gotrace.v1.order import Loaded, merge
from tracetui.gotrace.v1.post import post_process
from tracetui.gotrace.v1.wire import Scan, ScanError, i64, scan
from tracetui.gotrace.wire import WireError, header_length, read_header

TIME_ORDER = "time stamps out of order"  # Go's ErrTimeOrder
# Event type -> itself, but the "Local" ones (only for ordering) -> what they stand for.
UNLOCAL = np.arange(256, dtype=np.uint8)
UNLOCAL[[S.EvGoStartLocal, S.EvGoUnblockLocal, S.EvGoSysExitLocal]] = [S.EvGoStart, S.EvGoUnblock, S.EvGoSysExit]

_NONE = np.zeros(0, np.uint8)  # what a gathered column of Columns is left holding
_ARGS_BLOCK = 1 << 18  # rows of the arguments gathered at a time


def _text(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


def parse_v1(buf: bytes, version: int, path: str | None = None) -> V1Trace:
    """Parse a whole v1 trace file (header included) of Go 1.`version` (11, 19 or 21).

    Raises TraceFormatError with Go's message when Go's parser would fail.
    """
    return parse_ordered(buf, version, path).trace()


def parse_ordered(buf: bytes, version: int, path: str | None = None) -> Ordered:
    """parse_v1, but the arguments not yet gathered into their final order (see Ordered)."""
    return stage(buf, version, path).order()


def stage(buf: bytes, version: int, path: str | None = None) -> Staged:
    """The first step of parse_v1: the batches found and their events decoded into columns.
    Raises TraceFormatError with Go's message for what that step finds broken."""
    if version not in V1_VERSIONS:
        raise TraceFormatError(f"unsupported v1 trace version go 1.{version}", path=path)
    try:
        read_header(buf)
    except WireError as e:
        raise TraceFormatError(e.message, path=path, offset=e.offset) from None
    try:
        sc = scan(bytes(buf), header_length(buf), version)
        return Staged(sc, columns(sc), version, path)
    except ScanError as e:
        raise TraceFormatError(e.message, path=path, offset=e.offset) from None


class Staged:
    """A v1 trace scanned, not yet ordered: `sc` (its batches) and `c` (its events' columns,
    in file order). `order()` does the rest of Go's parse; `ahead.provisional_head` reads the
    head of the order before that."""

    def __init__(self, sc: Scan, c: Columns, version: int, path: str | None) -> None:
        self.sc, self.c, self.version, self.path = sc, c, version, path

    def __len__(self) -> int:
        return len(self.c.ts)

    def order(self) -> Ordered:
        """Go's merge, checks and fix-ups (the columns are handed over: once only)."""
        try:
            return _order(self)
        except ScanError as e:
            raise TraceFormatError(e.message, path=self.path, offset=e.offset) from None


class Ordered:
    """A v1 trace parsed, ordered and checked as Go's parser does, whose arguments are still
    in file order (`args_in`, (m, 4), and the final order's rows of it): gathering them is
    the longest step left, and the viewer's first slice needs only the head's."""

    def __init__(self, tr: V1Trace, args_in: np.ndarray, order: np.ndarray) -> None:
        self._tr = tr  # every column but args
        self._args_in = args_in
        self._order = order

    def __len__(self) -> int:
        return len(self._tr)

    @property
    def without_args(self) -> V1Trace:
        """The trace with every column but the arguments (`args` is empty): what the
        converter's whole-trace checks read."""
        return self._tr

    def head(self, k: int) -> V1Trace:
        """The first k events, with the whole trace's tables."""
        tr = self._tr
        rows = self._order[:k]
        args = [np.ascontiguousarray(self._args_in[rows, j]) for j in range(4)]
        return replace(tr, ts=tr.ts[:k], g=tr.g[:k], args=args, stk=tr.stk[:k], p=tr.p[:k], typ=tr.typ[:k])

    def trace(self) -> V1Trace:
        """The whole V1Trace (its arguments gathered, the file-order ones freed); once only."""
        tr = self._tr
        tr.args = take_args(self._args_in, self._order)
        del self._args_in, self._order
        return tr


def _order(staged: Staged) -> Ordered:
    # Taken from staged, so that these locals are the only references (each freed in turn).
    sc, c, version = staged.sc, staged.c, staged.version
    del staged.sc, staged.c
    loaded = Loaded()
    order = merge(sc, c, loaded)
    del sc  # its arrays (the raw events) are no longer needed
    if len(order) < 1 << 31:
        order = order.astype(np.int32)
    order, typ, ts, g, _ = final_order(c, order, consume=True)
    # The rest of the columns, gathered once (in the final order), each source freed after.
    p = _take(c, "p", order)
    stk = _take(c, "stk", order)
    args_in = c.args
    del c
    if loaded.ticks_per_sec == 0:
        raise ScanError("no EvFrequency event")
    return Ordered(finish(version, ts, g, p, typ, stk, args_in, order, loaded), args_in, order)


def final_order(
    c: Columns, order: np.ndarray, consume: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, bool]:
    """Go's last steps of the merge: its time-order check, then each GoSysExit takes its real
    time and the events are sorted again (stably). Returns the order and its type, time and
    G columns, and whether a time moved. consume: c's type, time and G columns are freed."""

    def take(name: str) -> np.ndarray:
        return _take(c, name, order) if consume else np.asarray(getattr(c, name)[order])

    typ = UNLOCAL[take("typ")]
    ts = take("ts")
    if len(ts) > 1 and bool(np.any(ts[1:] < ts[:-1])):
        raise ScanError(TIME_ORDER)
    g = take("g")
    rows = np.flatnonzero(np.isin(typ, [S.EvGoSysBlock, S.EvGoInSyscall, S.EvGoSysExit]))
    moved = _syscall_exits(ts, g, typ, rows, c.args[order[rows], 2])
    if moved:
        resort = np.argsort(ts, kind="stable")
        order, ts, g, typ = order[resort], ts[resort], g[resort], typ[resort]
    return order, typ, ts, g, moved


def finish(
    version: int,
    ts: np.ndarray,
    g: np.ndarray,
    p: np.ndarray,
    typ: np.ndarray,
    stk: np.ndarray,
    args_in: np.ndarray,
    order: np.ndarray,
    loaded: Loaded,
) -> V1Trace:
    """The ordered columns made Go's Events: times in ns from the first, the fake Ps of timer
    unblocks and syscall exits, post-processing's checks and fix-ups (in place); the V1Trace
    of them, without its arguments (`args_in`'s rows `order`)."""
    if len(ts):
        _ticks_to_ns(ts, 1e9 / float(loaded.ticks_per_sec))
        if loaded.timer_goids:
            timers = np.array(sorted(loaded.timer_goids), dtype=np.uint64)
            p[(typ == S.EvGoUnblock) & np.isin(g, timers)] = S.TimerP
        p[typ == S.EvGoSysExit] = S.SyscallP
    post_process(ts, g, p, typ, stk, args_in, order, loaded.stacks)
    return V1Trace(
        version=version,
        ts=ts,
        g=g,
        args=[],
        stk=stk,
        p=p,
        typ=typ,
        stacks=loaded.stacks,
        pcs=loaded.pcs,
        strings={k: _text(v) for k, v in loaded.strings.items()},
        inline_strings=[_text(s) for s in loaded.inline],
    )


def _ticks_to_ns(ts: np.ndarray, freq: float) -> None:
    """Go's int64(float64(ts - ts[0]) * freq), in place, a block at a time (three whole-trace
    temporaries would each cost their page faults)."""
    t0 = ts[0]
    with np.errstate(invalid="ignore", over="ignore"):
        for lo in range(0, ts.size, _ARGS_BLOCK):
            part = ts[lo : lo + _ARGS_BLOCK]
            part[...] = ((part - t0).astype(np.float64) * freq).astype(np.int64)


def take_args(args: np.ndarray, order: np.ndarray) -> list[np.ndarray]:
    """Go's Args of the rows `order` of args (m, 4), as four columns: rows gathered a block at a
    time and split (a strided column's own gather is several times slower)."""
    out = [np.empty(order.size, np.uint64) for _ in range(4)]
    for lo in range(0, order.size, _ARGS_BLOCK):
        part = np.take(args, order[lo : lo + _ARGS_BLOCK], axis=0).T
        for j in range(4):
            out[j][lo : lo + _ARGS_BLOCK] = part[j]
    return out


def _take(c: Columns, name: str, order: np.ndarray) -> np.ndarray:
    """Column `name` of c in `order`; c's own is freed (the gather holds one source at a time)."""
    out: np.ndarray = getattr(c, name)[order]
    setattr(c, name, _NONE)
    return out


def _syscall_exits(ts: np.ndarray, g: np.ndarray, typ: np.ndarray, rows: np.ndarray, real_ts: np.ndarray) -> bool:
    """Go's last step of parseEventBatches: a GoSysExit takes its real time (Args[2]), in place.

    rows: the syscall events (GoSysBlock, GoInSyscall, GoSysExit), in order; real_ts: their Args[2].
    Returns whether a time changed (else the events are still sorted: Go's sort.Stable is a no-op).
    """
    last_block: dict[int, int] = {}
    moved = False
    for i, a2 in zip(rows.tolist(), real_ts.tolist(), strict=True):
        gi = int(g[i])
        if typ[i] != S.EvGoSysExit:
            last_block[gi] = int(ts[i])
            continue
        real = i64(a2)
        if real == 0:
            continue
        block = last_block.get(gi, 0)
        if block == 0:
            raise ScanError("stray syscall exit")
        if real < block:
            raise ScanError(TIME_ORDER)
        moved = moved or real != ts[i]
        ts[i] = real
    return moved
