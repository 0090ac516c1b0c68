"""From scanned raw events to Go's tracev1 `Event` fields, vectorised (Go's parseEvent)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tracetui.gotrace.v1 import spec as S
from tracetui.gotrace.v1.wire import Scan

UNORDERED = (1 << 64) - 1  # Go's order.go sentinels (noseq == unordered, seqinc == garbage)
GARBAGE = (1 << 64) - 2
NOSEQ = UNORDERED
SEQINC = GARBAGE
# The same, as `transitions` hands them out: the uint64 values seen as int64.
UNORDERED_I = NOSEQ_I = -1
SEQINC_I = -2
G_DEAD, G_RUNNABLE, G_RUNNING, G_WAITING = 0, 1, 2, 3

_START = np.array(S.G_START)
_STOP = np.array(S.G_STOP)
_OWN_G = np.array(S.G_OWN)
_BLOCKS = [
    S.EvGoBlock,
    S.EvGoBlockSend,
    S.EvGoBlockRecv,
    S.EvGoBlockSelect,
    S.EvGoBlockSync,
    S.EvGoBlockCond,
    S.EvGoBlockNet,
    S.EvGoSleep,
    S.EvGoSysBlock,
    S.EvGoBlockGC,
]


@dataclass
class Columns:
    """Go's Event fields for every batch event (rows in file order) and CPU sample (after)."""

    ts: np.ndarray  # int64 ticks
    g: np.ndarray  # uint64
    p: np.ndarray  # int32
    typ: np.ndarray  # uint8
    stk: np.ndarray  # uint32
    args: np.ndarray  # uint64 (n, 4)
    n_batch_events: int  # rows [n_batch_events:] are the CPU samples, sorted by time


def columns(sc: Scan) -> Columns:
    """Timestamps, goroutines, Ps, arguments and stacks of the scanned events."""
    b = sc.built
    if b is not None:
        return Columns(ts=b.ts, g=b.g, p=b.p, typ=b.typ, stk=b.stk, args=b.args, n_batch_events=len(sc.typ))
    n = len(sc.typ)
    typ = sc.typ.astype(np.int64)
    raw = sc.raw
    bfirst = np.array([b.first for b in sc.batches], dtype=np.int64)
    bts = np.array([b.ts for b in sc.batches], dtype=np.int64)
    bpid = np.array([b.pid for b in sc.batches], dtype=np.int32)
    batch = sc.batch.astype(np.int64)
    # Timestamps: the batch header's ticks plus the running sum of deltas (int64, wrapping).
    csum = np.cumsum(raw[:, 0].view(np.int64)) if n else np.zeros(0, np.int64)
    before = np.concatenate(([0], csum))[bfirst[batch]] if n else np.zeros(0, np.int64)
    ts = bts[batch] + (csum - before) if n else np.zeros(0, np.int64)
    # Arguments and stack ids.
    # raw is zero past the event's values, so only the stack id needs moving out of args.
    n_args = S.N_ARGS_NP[typ]
    args = raw[:, 1:5].copy()
    with_stack = np.flatnonzero(S.HAS_STACK_NP[typ])
    stk = np.zeros(n, np.uint64)
    stk[with_stack] = args[with_stack, n_args[with_stack]] & np.uint64(0xFFFFFFFF)
    args[with_stack, n_args[with_stack]] = 0
    # Goroutines: the last G started on the batch's P (Go's lastG, carried across a P's batches).
    p = bpid[batch] if n else np.zeros(0, np.int32)
    g = _last_g(typ, batch, sc, args[:, 0])
    own = np.isin(typ, _OWN_G) | np.isin(typ, _START)
    g = np.where(own, args[:, 0], g)
    # CPU samples, sorted by their own timestamps.
    c_order = np.argsort(np.array(sc.cpu_ts, dtype=np.int64), kind="stable")
    nc = len(c_order)
    c_ts = np.array(sc.cpu_ts, dtype=np.int64)[c_order]
    c_g = np.array(sc.cpu_g, dtype=np.uint64)[c_order]
    c_args = np.zeros((nc, 4), np.uint64)
    c_args[:, 1] = np.array(sc.cpu_a1, dtype=np.uint64)[c_order]
    c_args[:, 2] = c_g
    return Columns(
        ts=np.concatenate((ts, c_ts)),
        g=np.concatenate((g.astype(np.uint64), c_g)),
        p=np.concatenate((p, np.array(sc.cpu_p, dtype=np.int32)[c_order])),
        typ=np.concatenate((sc.typ, np.full(nc, S.EvCPUSample, np.uint8))),
        stk=np.concatenate((stk, np.array(sc.cpu_stk, dtype=np.uint64)[c_order])).astype(np.uint32),
        args=np.concatenate((args, c_args)),
        n_batch_events=n,
    )


def _last_g(typ: np.ndarray, batch: np.ndarray, sc: Scan, a0: np.ndarray) -> np.ndarray:
    """Per event, the G its P last started (0 after a stop or block), before the event."""
    n = len(typ)
    if n == 0:
        return np.zeros(0, np.uint64)
    sets = np.isin(typ, _START) | np.isin(typ, _STOP)
    val = np.where(np.isin(typ, _START), a0, 0).astype(np.uint64)
    k = np.arange(n)
    last = np.maximum.accumulate(np.where(sets, k, -1))
    # What each batch starts with: its P's lastG at the end of that P's previous batch.
    carried = np.zeros(len(sc.batches), np.uint64)
    now: dict[int, int] = {}
    for b, bt in enumerate(sc.batches):
        carried[b] = now.get(bt.pid, 0)
        if bt.end > bt.first:
            j = int(last[bt.end - 1])
            if j >= bt.first:
                now[bt.pid] = int(val[j])
    prev = np.concatenate(([-1], last[:-1]))
    first = np.array([bt.first for bt in sc.batches], dtype=np.int64)[batch]
    return np.where(prev >= first, val[np.maximum(prev, 0)], carried[batch])


def transitions(c: Columns) -> tuple[list[int], list[int], list[int], list[int], list[int]]:
    """Go's stateTransition for every row: (g, init seq, init status, next seq, next status).

    g and the sequence numbers come as int64 views of Go's uint64s (UNORDERED_I, NOSEQ_I, SEQINC_I).
    Only the Python merge (order.py's fallback) asks: the compiled merge has its own.
    """
    typ = c.typ
    n = len(typ)
    a0 = c.args[:, 0]
    a1 = c.args[:, 1]
    gk = np.full(n, UNORDERED, np.uint64)
    iseq = np.zeros(n, np.uint64)
    ist = np.zeros(n, np.int64)
    nseq = np.zeros(n, np.uint64)
    nst = np.zeros(n, np.int64)
    one = np.uint64(1)

    def put(mask: np.ndarray, g: np.ndarray, i_s: np.ndarray | int, i_t: int, n_s: np.ndarray | int, n_t: int) -> None:
        gk[mask] = g[mask]
        iseq[mask] = i_s[mask] if isinstance(i_s, np.ndarray) else np.uint64(i_s)
        ist[mask] = i_t
        nseq[mask] = n_s[mask] if isinstance(n_s, np.ndarray) else np.uint64(n_s)
        nst[mask] = n_t

    with np.errstate(over="ignore"):
        a0p1 = a0 + one
        a1p1 = a1 + one
    put(typ == S.EvGoCreate, a0, 0, G_DEAD, 1, G_RUNNABLE)
    put(np.isin(typ, [S.EvGoWaiting, S.EvGoInSyscall]), c.g, 1, G_RUNNABLE, 2, G_WAITING)
    put(np.isin(typ, [S.EvGoStart, S.EvGoStartLabel]), c.g, a1, G_RUNNABLE, a1p1, G_RUNNING)
    put(typ == S.EvGoStartLocal, c.g, NOSEQ, G_RUNNABLE, SEQINC, G_RUNNING)
    put(np.isin(typ, _BLOCKS), c.g, NOSEQ, G_RUNNING, NOSEQ, G_WAITING)
    put(np.isin(typ, [S.EvGoSched, S.EvGoPreempt]), c.g, NOSEQ, G_RUNNING, NOSEQ, G_RUNNABLE)
    put(np.isin(typ, [S.EvGoUnblock, S.EvGoSysExit]), a0, a1, G_WAITING, a1p1, G_RUNNABLE)
    put(np.isin(typ, [S.EvGoUnblockLocal, S.EvGoSysExitLocal]), a0, NOSEQ, G_WAITING, SEQINC, G_RUNNABLE)
    put(typ == S.EvGCStart, np.full(n, GARBAGE, np.uint64), a0, G_DEAD, a0p1, G_DEAD)
    # As int64 (a bijection, so equality is kept; Python ints stay small).
    return (
        gk.view(np.int64).tolist(),
        iseq.view(np.int64).tolist(),
        ist.tolist(),
        nseq.view(np.int64).tolist(),
        nst.tolist(),
    )
