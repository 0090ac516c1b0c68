"""Merging the per-P batches into one stream (Go's parseEventBatches and order.go).

Events of one batch are in order; the merge repeatedly takes, from the first unmerged event of
every P, those whose goroutine is in the state (and sequence number) they need, and of those
the earliest. Batches are loaded lazily, as in Go, so that a batch's decoding error, its
strings, stacks and inline strings come in the order Go meets them. Go walks its Ps in map
order (random); we walk them by P number, one of the orders Go may take.

The compiled kernel (_kv1order.c) runs the same loop and says in which order the batches
load; Python then loads them in that order (and raises the ordering error it stopped at).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType

import numpy as np

from tracetui.gotrace import kernel
from tracetui.gotrace.v1 import spec as S
from tracetui.gotrace.v1.columns import NOSEQ_I as NOSEQ
from tracetui.gotrace.v1.columns import SEQINC_I as SEQINC
from tracetui.gotrace.v1.columns import UNORDERED_I as UNORDERED
from tracetui.gotrace.v1.columns import Columns, transitions
from tracetui.gotrace.v1.model import V1Frame
from tracetui.gotrace.v1.wire import Scan, ScanError

KERNEL = "tracetui.gotrace.v1._kv1order"  # the compiled merge and post-processing (_kv1order.c)
_OK, _LOAD_ERROR, _GAVE_UP, _IMPOSSIBLE, _NO_ORDER = range(5)  # its merge's outcomes
IMPOSSIBLE = "encountered impossible goroutine state transition"
NO_ORDER = "no consistent ordering of events possible"
_MAX_I64 = (1 << 63) - 1
_MIN_I64 = -(1 << 63)


@dataclass
class Loaded:
    """What loading the batches gave (Go's parser maps): filled in as batches load."""

    strings: dict[int, bytes] = field(default_factory=dict)
    stacks: dict[int, tuple[int, ...]] = field(default_factory=dict)
    pcs: dict[int, V1Frame] = field(default_factory=dict)
    ticks_per_sec: int = 0
    timer_goids: set[int] = field(default_factory=set)
    inline: list[bytes] = field(default_factory=list)
    inline_ids: dict[bytes, int] = field(default_factory=dict)


def _load(sc: Scan, c: Columns, bno: int, out: Loaded) -> None:
    """Go's loadBatch side effects for batch bno; raises its decoding error."""
    b = sc.batches[bno]
    err = b.err
    stop = err[0] if err is not None else 1 << 62
    strings = out.strings
    for rno, sid, text, at in b.strings:
        if rno > stop:
            break
        if sid in strings:
            raise ScanError(f"string has duplicate id {sid}", at)
        if rno == stop:
            break
        strings[sid] = text
    if err is not None:
        raise ScanError(err[1], err[2])
    for sid, pcs, frames in b.stacks:
        for pc, fn, file, line in frames:
            if pc not in out.pcs:
                out.pcs[pc] = V1Frame(pc, fn, file, line)
        out.stacks[sid] = pcs
    if b.freqs:
        out.ticks_per_sec = b.freqs[-1]
    out.timer_goids.update(b.timers)
    for row, text in b.logs:
        got = out.inline_ids.get(text)
        if got is None:
            got = out.inline_ids[text] = len(out.inline)
            out.inline.append(text)
        c.args[row, 3] = got


def load_all(sc: Scan, c: Columns) -> Loaded | None:
    """Every batch loaded in file order (Go loads them in its merge's order): the merge's
    tables, but the inline strings maybe numbered otherwise. None if a batch fails to load
    (the merge says how), or if the tables depend on the order of the loads: frequencies
    that differ (the last loaded wins), a stack id with two stacks (the last wins), a PC
    with two frames (the first wins). Like the merge, it writes the log events' inline
    string ids into c.args; the merge's loads write them again."""
    freqs = {f for b in sc.batches for f in b.freqs}
    stacks: dict[int, tuple[int, ...]] = {}
    frames: dict[int, tuple[int, int, int]] = {}
    for b in sc.batches:
        for sid, pcs, fr in b.stacks:
            if stacks.setdefault(sid, pcs) != pcs:
                return None
            for pc, fn, file, line in fr:
                if frames.setdefault(pc, (fn, file, line)) != (fn, file, line):
                    return None
    if len(freqs) > 1:
        return None
    out = Loaded()
    try:
        for bno in range(len(sc.batches)):
            _load(sc, c, bno, out)
    except ScanError:
        return None
    return out


def merge(sc: Scan, c: Columns, out: Loaded) -> np.ndarray:
    """The merged order of the rows of c (Go's parseEventBatches up to its time-order check)."""
    mod = kernel.module(KERNEL)
    if mod is not None:
        got = _merge_compiled(mod, sc, c, out)
        if got is not None:
            return got
    return _merge_python(sc, c, out)


def _merge_compiled(mod: ModuleType, sc: Scan, c: Columns, out: Loaded) -> np.ndarray | None:
    """The compiled merge, then the batches loaded in its order; None if it gave up (out untouched).

    It stops at the first batch Go would load whose loading fails, or at an ordering error:
    replaying the loads up to there raises a loading error, else that error is Go's.
    """
    status, order, loads = _run_kernel(mod, sc, c, len(c.ts))
    if status == _GAVE_UP:
        return None
    for bno in loads.tolist():
        _load(sc, c, bno, out)
    if status == _LOAD_ERROR:  # the last load raised
        raise AssertionError("a batch with an error loaded")
    if status == _IMPOSSIBLE:
        raise ScanError(IMPOSSIBLE)
    if status == _NO_ORDER:
        raise ScanError(NO_ORDER)
    return order


def merge_head(sc: Scan, c: Columns, k: int) -> np.ndarray | None:
    """The first k rows of Go's merge (the whole merge's first k), without loading anything;
    None if the compiled merge is absent or stops before k rows (the trace then either is
    shorter or fails: the whole merge says which)."""
    mod = kernel.module(KERNEL)
    if mod is None:
        return None
    status, order, _ = _run_kernel(mod, sc, c, k)
    return order if status == _OK and len(order) == k else None


def _run_kernel(mod: ModuleType, sc: Scan, c: Columns, limit: int) -> tuple[int, np.ndarray, np.ndarray]:
    """The compiled merge of c's rows up to `limit` rows: (status, order, batches loaded)."""
    pids = sorted(sc.queues)
    qid = {pid: k for k, pid in enumerate(pids)}
    sizes = [len(sc.queues[pid]) for pid in pids]
    qstart = np.zeros(len(pids) + 1, np.int64)
    qstart[1:] = np.cumsum(sizes)
    qitems = np.array([bno for pid in pids for bno in sc.queues[pid]], dtype=np.int64)
    nproc = len(pids) + 1
    proc_q = np.array([*range(len(pids)), qid.get(S.ProfileP, -1)], dtype=np.int64)
    proc_first = np.zeros(nproc, np.int64)
    proc_end = np.zeros(nproc, np.int64)
    proc_first[-1] = c.n_batch_events
    proc_end[-1] = len(c.ts)
    batches = sc.batches
    bfirst = np.array([b.first for b in batches], dtype=np.int64)
    bend = np.array([b.end for b in batches], dtype=np.int64)
    berr = np.array([b.err is not None for b in batches], dtype=np.uint8)
    order = np.empty(len(c.ts), np.int64)
    loads = np.empty(len(batches), np.int64)
    status, n_order, n_loads = mod.merge(
        np.ascontiguousarray(c.typ, np.uint8),
        np.ascontiguousarray(c.g, np.uint64),
        np.ascontiguousarray(c.args, np.uint64),
        np.ascontiguousarray(c.ts, np.int64),
        bfirst,
        bend,
        berr,
        qstart,
        qitems,
        proc_q,
        proc_first,
        proc_end,
        order,
        loads,
        limit,
    )
    return status, order[:n_order], loads[:n_loads]


def _merge_python(sc: Scan, c: Columns, out: Loaded) -> np.ndarray:
    """merge's Python path (Go's loop, with a shortcut through rounds whose outcome is known)."""
    gkey, iseq, istat, nseq, nstat = transitions(c)
    ts = c.ts.tolist()
    queues = sc.queues
    qpos = dict.fromkeys(queues, 0)  # per P, its next batch to load (shared, as Go's batchOffsets)
    # A proc: [next row, end row, pid, done].
    procs: list[list[int]] = [[0, 0, pid, 0] for pid in sorted(queues)]
    procs.append([c.n_batch_events, len(ts), S.ProfileP, 0])
    empty: list[int] = []
    available = list(procs)
    gs: dict[int, tuple[int, int]] = {}
    heap: list[tuple[int, int, list[int]]] = []
    order: list[int] = []
    append = order.append
    zero = (0, 0)
    batches = sc.batches
    while True:
        i = 0
        while i < len(available):
            pr = available[i]
            if pr[0] == pr[1]:
                pid = pr[2]
                q = queues.get(pid, empty)
                while pr[0] == pr[1] and qpos.get(pid, 0) < len(q):
                    bno = q[qpos[pid]]
                    qpos[pid] += 1
                    _load(sc, c, bno, out)
                    pr[0] = batches[bno].first
                    pr[1] = batches[bno].end
                if pr[0] == pr[1]:
                    pr[3] = 1
                    available[i] = available[-1]
                    available.pop()
                    continue
            e = pr[0]
            g = gkey[e]
            if g != UNORDERED:
                cs, ct = gs.get(g, zero)
                s0 = iseq[e]
                if not ((s0 == NOSEQ or s0 == cs) and istat[e] == ct):
                    i += 1
                    continue
            pr[0] = e + 1
            available[i] = available[-1]
            available.pop()
            # Go's heap push (container/heap's up, on Ts only).
            heap.append((ts[e], e, pr))
            j = len(heap) - 1
            while j > 0:
                k = (j - 1) // 2
                if not heap[j][0] < heap[k][0]:
                    break
                heap[k], heap[j] = heap[j], heap[k]
                j = k
        if not heap:
            for pr in procs:
                if not pr[3]:
                    raise ScanError(NO_ORDER)
            break
        # Go's heap pop: swap the root with the last, sift down over the rest, take the last.
        last = len(heap) - 1
        heap[0], heap[last] = heap[last], heap[0]
        k = 0
        while True:
            j1 = 2 * k + 1
            if j1 >= last:
                break
            j = j1
            if j1 + 1 < last and heap[j1 + 1][0] < heap[j1][0]:
                j = j1 + 1
            if not heap[j][0] < heap[k][0]:
                break
            heap[k], heap[j] = heap[j], heap[k]
            k = j
        _, e, pr = heap.pop()
        g = gkey[e]
        if g != UNORDERED:
            cs, ct = gs.get(g, zero)
            s0 = iseq[e]
            if not ((s0 == NOSEQ or s0 == cs) and istat[e] == ct):
                raise ScanError(IMPOSSIBLE)
            s1 = nseq[e]
            if s1 == NOSEQ:
                s1 = cs
            elif s1 == SEQINC:
                s1 = cs + 1 if cs != _MAX_I64 else _MIN_I64
            gs[g] = (s1, nstat[e])
        append(e)
        # Shortcut through Go's next rounds while their outcome is known: the Ps left in
        # `available` stay blocked (only a transition of their head's G can change that; with
        # one of them, bg is that G), pr's next event is ready and earlier than every queued
        # one, so Go would queue it and take it straight back, which leaves a heap of <= 2 as
        # it was. Its readiness check is then its transition's check.
        hl = len(heap)
        if hl <= 2:
            nb = len(available)
            bg = gkey[available[0][0]] if nb == 1 else UNORDERED
            top = heap[0][0] if hl else 0
            e = pr[0]
            end = pr[1]
            while e != end:
                if hl and not ts[e] < top:
                    break
                if nb and g != UNORDERED and (nb > 1 or g == bg) and _any_ready(available, gkey, iseq, istat, gs):
                    break
                g = gkey[e]
                if g != UNORDERED:
                    cs, ct = gs.get(g, zero)
                    s0 = iseq[e]
                    if not ((s0 == NOSEQ or s0 == cs) and istat[e] == ct):
                        break
                    s1 = nseq[e]
                    if s1 == NOSEQ:
                        s1 = cs
                    elif s1 == SEQINC:
                        s1 = cs + 1 if cs != _MAX_I64 else _MIN_I64
                    gs[g] = (s1, nstat[e])
                append(e)
                e += 1
            pr[0] = e
        available.append(pr)
    return np.array(order, dtype=np.int64)


def _any_ready(
    procs: list[list[int]], gkey: list[int], iseq: list[int], istat: list[int], gs: dict[int, tuple[int, int]]
) -> bool:
    """Whether the head event of any of procs (each with one) is ready (Go's transitionReady)."""
    for pr in procs:
        e = pr[0]
        g = gkey[e]
        if g == UNORDERED:
            return True
        cs, ct = gs.get(g, (0, 0))
        s0 = iseq[e]
        if (s0 == NOSEQ or s0 == cs) and istat[e] == ct:
            return True
    return False
