"""A parsed v1 trace (`V1Trace`) -> the v2 event columns, as Go's `internal/trace/tracev1.go`.

Go's converter (traceV1Converter) turns each v1 event into zero, one or two v2 events and
the whole trace into one generation: a Sync first (at the first event's time - 1), a Sync
last (after the last event). Its rules, vectorised here:

* Until the first Gomaxprocs (trace initialisation): GoCreate is dropped, remembering the
  goroutine; GoStart becomes GoStatus(Running). At that Gomaxprocs (itself dropped), every
  goroutine created and neither started, waiting nor in a syscall gets GoStatus(Runnable)
  at its time (Go emits them in its map's random order; we emit them by goroutine id).
* GoWaiting / GoInSyscall become GoStatus(Waiting / Syscall), M unknown.
* The first ProcStart/ProcStop of a P becomes ProcStatus(Running / Idle).
* Block and stop events become GoBlock / GoStop with Go's reason strings ("chan send", ...).
* GoSysCall looks ahead to the same goroutine's next event: a GoSysBlock (dropped) makes it
  a GoSyscallBegin ended by the later GoSysExit (GoSyscallEndBlocked); otherwise it is a
  1 ns GoSyscallBegin + GoSyscallEnd pair.
* GoStartLabel becomes GoStart + GoLabel; UserRegion Begin/End by its mode; UserLog takes
  its message from the inline strings; UserTaskEnd carries its task's parent and name.
* STW events name their reason (STWEnd: the last STWBegin's).
* Context: the P of the event; the M that last started that P (none after its ProcStop);
  goroutine 0 is none. Times are made strictly increasing, as Go's `next` does.

String ids in the arguments are this table's (`StringTable`), stack ids its `StackTable`'s.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from tracetui.errors import TraceFormatError
from tracetui.gotrace import spec as S
from tracetui.gotrace.events import DTYPES, StackTable, StringTable, SyncInfo
from tracetui.gotrace.reader import NIL_SYNC
from tracetui.gotrace.v1.model import V1Trace

# Go's tracev1 event types (internal/trace/internal/tracev1/parser.go).
(EvNone, EvBatch, EvFrequency, EvStack, EvGomaxprocs, EvProcStart, EvProcStop, EvGCStart, EvGCDone,
 EvSTWStart, EvSTWDone, EvGCSweepStart, EvGCSweepDone, EvGoCreate, EvGoStart, EvGoEnd, EvGoStop,
 EvGoSched, EvGoPreempt, EvGoSleep, EvGoBlock, EvGoUnblock, EvGoBlockSend, EvGoBlockRecv,
 EvGoBlockSelect, EvGoBlockSync, EvGoBlockCond, EvGoBlockNet, EvGoSysCall, EvGoSysExit, EvGoSysBlock,
 EvGoWaiting, EvGoInSyscall, EvHeapAlloc, EvHeapGoal, EvTimerGoroutine, EvFutileWakeup, EvString,
 EvGoStartLocal, EvGoUnblockLocal, EvGoSysExitLocal, EvGoStartLabel, EvGoBlockGC, EvGCMarkAssistStart,
 EvGCMarkAssistDone, EvUserTaskCreate, EvUserTaskEnd, EvUserRegion, EvUserLog, EvCPUSample,
 EvCount) = range(51)  # fmt: skip

_U64 = (1 << 64) - 1
BLOCK = 1 << 20  # events per step of the loops that bound their temporaries
# What a consumed V1Trace's columns are left holding.
_NONE_I64, _NONE_U64, _NONE_I32 = np.zeros(0, np.int64), np.zeros(0, np.uint64), np.zeros(0, np.int32)
_NONE_U8, _NONE_U32 = np.zeros(0, np.uint8), np.zeros(0, np.uint32)

# Go's builtin strings (tracev1.go: sForever ...), in its order.
REASONS = (
    "forever", "preempted", "runtime.Gosched", "sleep", "chan send", "chan receive", "network", "sync",
    "sync.(*Cond).Wait", "select", "", "GC mark assist wait for work",
)  # fmt: skip
STW_REASONS = (
    "", "GC mark termination", "GC sweep termination", "write heap dump", "goroutine profile",
    "goroutine profile cleanup", "all goroutine stack trace", "read mem stats", "AllThreadsSyscall",
    "GOMAXPROCS", "start trace", "stop trace", "CountPagesInUse (test)", "ReadMetricsSlow (test)",
    "ReadMemStatsSlow (test)", "PageCachePagesLeaked (test)", "ResetDebugLog (test)",
)  # fmt: skip
BUILTINS = REASONS + STW_REASONS

# v1 type -> v2 type for the events that map one to one (0: not convertible).
_TYPE = np.zeros(256, np.uint8)
for _v1, _v2 in {
    EvGomaxprocs: S.EvProcsChange, EvProcStart: S.EvProcStart, EvProcStop: S.EvProcStop,
    EvGCStart: S.EvGCBegin, EvGCDone: S.EvGCEnd, EvSTWStart: S.EvSTWBegin, EvSTWDone: S.EvSTWEnd,
    EvGCSweepStart: S.EvGCSweepBegin, EvGCSweepDone: S.EvGCSweepEnd, EvGoCreate: S.EvGoCreate,
    EvGoStart: S.EvGoStart, EvGoStartLabel: S.EvGoStart, EvGoEnd: S.EvGoDestroy,
    EvGoStop: S.EvGoBlock, EvGoSched: S.EvGoStop, EvGoPreempt: S.EvGoStop, EvGoSleep: S.EvGoBlock,
    EvGoBlock: S.EvGoBlock, EvGoUnblock: S.EvGoUnblock, EvGoBlockSend: S.EvGoBlock,
    EvGoBlockRecv: S.EvGoBlock, EvGoBlockSelect: S.EvGoBlock, EvGoBlockSync: S.EvGoBlock,
    EvGoBlockCond: S.EvGoBlock, EvGoBlockNet: S.EvGoBlock, EvGoBlockGC: S.EvGoBlock,
    EvGoSysCall: S.EvGoSyscallBegin, EvGoSysExit: S.EvGoSyscallEndBlocked, EvGoSysBlock: S.EvNone,
    EvGoWaiting: S.EvGoStatus, EvGoInSyscall: S.EvGoStatus, EvHeapAlloc: S.EvHeapAlloc,
    EvHeapGoal: S.EvHeapGoal, EvGCMarkAssistStart: S.EvGCMarkAssistBegin,
    EvGCMarkAssistDone: S.EvGCMarkAssistEnd, EvUserTaskCreate: S.EvUserTaskBegin,
    EvUserTaskEnd: S.EvUserTaskEnd, EvUserRegion: S.EvUserRegionBegin, EvUserLog: S.EvUserLog,
    EvCPUSample: S.EvCPUSample,
}.items():  # fmt: skip
    _TYPE[_v1] = _v2
_KNOWN = np.zeros(256, bool)
_KNOWN[[k for k in range(EvCount) if _TYPE[k] or k == EvGoSysBlock]] = True

# Block/stop events -> index of their reason in REASONS (-1: none).
_REASON = np.full(256, -1, np.int16)
for _v1, _r in {
    EvGoStop: 0, EvGoPreempt: 1, EvGoSched: 2, EvGoSleep: 3, EvGoBlockSend: 4, EvGoBlockRecv: 5,
    EvGoBlockNet: 6, EvGoBlockSync: 7, EvGoBlockCond: 8, EvGoBlockSelect: 9, EvGoBlock: 10,
    EvGoBlockGC: 11,
}.items():  # fmt: skip
    _REASON[_v1] = _r

# v1 types whose stack Go's converter stores (EventDescriptions[t].Stack) -> the v2 argument
# (a0..a3) it goes to: the first of the mapped type's StackIDs (-1: none).
_V1_STACK = (
    EvGomaxprocs, EvGCStart, EvGCSweepStart, EvGoCreate, EvGoStop, EvGoSched, EvGoPreempt, EvGoSleep,
    EvGoBlock, EvGoUnblock, EvGoBlockSend, EvGoBlockRecv, EvGoBlockSelect, EvGoBlockSync, EvGoBlockCond,
    EvGoBlockNet, EvGoSysCall, EvGoUnblockLocal, EvGoBlockGC, EvGCMarkAssistStart, EvUserTaskCreate,
    EvUserTaskEnd, EvUserRegion, EvUserLog, EvCPUSample,
)  # fmt: skip
_STACK_ARG = np.full(256, -1, np.int8)
for _v1 in _V1_STACK:
    _v2 = int(_TYPE[_v1])
    if _v2 and S.SPECS[_v2].stack_ids:
        _STACK_ARG[_v1] = S.SPECS[_v2].stack_ids[0] - 1


@dataclass
class Converted:
    """The v2 event columns of a converted v1 trace (events.COLUMNS) and its tables."""

    columns: dict[str, np.ndarray]
    strings: StringTable
    stacks: StackTable
    syncs: list[SyncInfo] = field(default_factory=list)


class _Strings:
    """Go's converter string table: the v1 strings by id, then the inline strings, then the
    builtins (ids after the largest v1 id); maps those ids to our StringTable's."""

    def __init__(self, tr: V1Trace, table: StringTable) -> None:
        top = max(tr.strings, default=0)
        self.inline_base = top + 1
        self.builtin_base = top + 1 + len(tr.inline_strings)
        go_ids = sorted(tr.strings)
        ours = [table.intern(tr.strings[i]) for i in go_ids]
        self.inline = np.array([table.intern(s) for s in tr.inline_strings], np.uint64)
        self.builtin = np.array([table.intern(s) for s in BUILTINS], np.uint64)
        go_ids += range(self.inline_base, self.builtin_base + len(BUILTINS))
        self.go = np.array(go_ids, np.uint64)
        self.ours = np.concatenate([np.array(ours, np.uint64), self.inline, self.builtin])
        self.table = table

    def map(self, ids: np.ndarray) -> np.ndarray:
        """Go string ids -> ours (0, the empty string, for an id Go's table lacks)."""
        ids = ids.astype(np.uint64)
        if self.go.size == 0:
            return np.zeros_like(ids)
        k = np.minimum(np.searchsorted(self.go, ids), self.go.size - 1)
        return np.where(self.go[k] == ids, self.ours[k], 0).astype(np.uint64)

    def get(self, go_id: int) -> str:
        """Go's evt.strings.get(id): the string, or "" when missing."""
        return self.table[int(self.map(np.array([go_id], np.uint64))[0])]


def _stacks(tr: V1Trace, strings: _Strings, table: StackTable) -> tuple[np.ndarray, np.ndarray]:
    """The v1 stacks in our StackTable: (sorted v1 stack ids, our ids). A PC without a frame
    is Go's zero frame (PC 0, no function, no file, line 0)."""
    frame_of: dict[int, int] = {}
    fr = sorted(tr.pcs.values(), key=lambda f: f.pc)
    fn = strings.map(np.array([f.fn for f in fr], np.uint64)).tolist()
    fl = strings.map(np.array([f.file for f in fr], np.uint64)).tolist()
    for f, a, b in zip(fr, fn, fl):
        frame_of[f.pc] = table.frame(f.pc, a, b, f.line)
    ids = sorted(tr.stacks)
    ours = []
    for sid in ids:
        fids = []
        for pc in tr.stacks[sid]:
            fid = frame_of.get(pc)
            if fid is None:
                fid = table.frame(0, 0, 0, 0)
            fids.append(fid)
        ours.append(table.stack(tuple(fids)))
    return np.array([0, *ids], np.uint64), np.array([0, *ours], np.uint64)


def _map_stacks(ids: np.ndarray, go: np.ndarray, ours: np.ndarray) -> np.ndarray:
    """v1 stack ids -> ours, in ours' dtype (0 for a stack Go's table lacks); `go` sorted, 0
    first. A block of ids at a time (few temporaries)."""
    out = np.empty(ids.shape, ours.dtype)
    top = int(go[-1])
    dense = top < 4 * go.size + 4096  # the usual ids 1..n: a direct table
    table = np.zeros(top + 2 if dense else 0, ours.dtype)
    if dense:
        table[go.astype(np.int64)] = ours
    for lo in range(0, ids.size, BLOCK):
        part = ids[lo : lo + BLOCK].astype(np.uint64)
        if dense:
            out[lo : lo + BLOCK] = table[np.minimum(part, top + 1).astype(np.int64)]
        else:
            k = np.minimum(np.searchsorted(go, part), go.size - 1)
            out[lo : lo + BLOCK] = np.where(go[k] == part, ours[k], 0)
    return out


def _proc_threads(typ: np.ndarray, p: np.ndarray, thread: np.ndarray) -> np.ndarray:
    """Go's procMs[ev.P] at each event (-1: absent): the thread of the P's last ProcStart,
    this one included, unless a ProcStop came after it (a ProcStop still sees its M).
    Each event looks up the last marker (start or stop) of its P before it, by the key
    (P, position) in the markers' sorted keys (a block of events at a time: few temporaries)."""
    n = typ.size
    is_start = typ == EvProcStart
    rows = np.flatnonzero(is_start | (typ == EvProcStop))
    if rows.size == 0:
        return np.full(n, -1, np.int64)
    stride = n + 1
    mkeys = (p[rows].astype(np.int64) + 1) * stride + rows
    order = np.argsort(mkeys, kind="stable")
    mkeys = mkeys[order]
    mval = np.where(is_start[rows], thread[rows], -1)[order]
    out = np.empty(n, np.int64)
    block = BLOCK
    for lo in range(0, n, block):
        hi = min(n, lo + block)
        pk = p[lo:hi].astype(np.int64) + 1
        q = (
            pk * stride + np.arange(lo, hi, dtype=np.int64) - (typ[lo:hi] == EvProcStop)
        )  # a ProcStop sees the marker before it
        k = np.searchsorted(mkeys, q, side="right") - 1
        kk = np.maximum(k, 0)
        same = (k >= 0) & (mkeys[kk] // stride == pk)
        out[lo:hi] = np.where(same, mval[kk], -1)
    return out


def _syscall_blocked(typ: np.ndarray, g: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """For each GoSysCall row: whether the same goroutine's next event is a GoSysBlock."""
    if rows.size == 0:
        return np.zeros(0, bool)
    # Only the events of goroutines that make syscalls, ordered by goroutine (stable: by row).
    mine = np.flatnonzero(np.isin(g, np.unique(g[rows])))
    order = mine[np.argsort(g[mine], kind="stable")]
    rank = np.empty(g.size, np.int64)
    rank[order] = np.arange(order.size)
    k = rank[rows] + 1
    has = k < order.size
    nxt = order[np.minimum(k, order.size - 1)]
    return has & (g[nxt] == g[rows]) & (typ[nxt] == EvGoSysBlock)


def check(tr: V1Trace) -> None:
    """Raise the TraceFormatError Go's converter meets somewhere in the whole trace: an event
    it does not take ("unexpected event type N"), a user log without inline strings."""
    why = refusal(tr.typ, bool(tr.inline_strings))
    if why is not None:
        raise TraceFormatError(why)


def refusal(typ: np.ndarray, has_inline: bool) -> str | None:
    """Why Go's converter refuses events of these types (in order: the first refused names
    its type), or None."""
    typ = np.ascontiguousarray(typ, np.uint8)
    bad = ~_KNOWN[typ]
    if bad.any():
        return f"unexpected event type {int(typ[int(np.argmax(bad))])}"
    if not has_inline and bool(np.any(typ == EvUserLog)):
        return "user log without an inline string"
    return None


def convert(tr: V1Trace, consume: bool = False) -> Converted:
    """Go's traceV1Converter plus the Reader's two Syncs: the v2 events of a v1 trace.

    consume: tr's event columns are handed over (tr is left with no event) and each is freed
    once the conversion is done with it, so the parsed and converted columns are never all
    held at once. Raises TraceFormatError for an event Go's converter does not take
    ("unexpected event type N")."""
    check(tr)
    return _Conversion(tr, consume).run()


def head(tr: V1Trace, k: int) -> V1Trace:
    """The first k events of tr, with all of its tables (strings, stacks, frames)."""
    args = [a[:k] for a in tr.args]
    return replace(tr, ts=tr.ts[:k], g=tr.g[:k], args=args, stk=tr.stk[:k], p=tr.p[:k], typ=tr.typ[:k])


def convert_head(tr: V1Trace, k: int) -> tuple[Converted, int]:
    """The conversion of tr's first k events, and how many of its rows are those of the
    whole trace's conversion (`convert(tr)`), from the first: the first screen's, early.

    The rules look back, but two look ahead: the trace initialisation ends at the first
    Gomaxprocs (no row is known before it), and a GoSysCall asks for its goroutine's next
    event (rows are known up to the first GoSysCall whose goroutine has none in the head).
    The string and stack tables are the whole trace's (they come from tr's tables alone).
    Call `check(tr)` first: the whole trace's errors are not the head's."""
    part = head(tr, k)
    conv = _Conversion(part)
    out = conv.run()
    if conv.first >= conv.n:
        return out, 0
    g = part.g
    sys_rows = np.flatnonzero(part.typ == EvGoSysCall)
    order = np.argsort(g, kind="stable")
    last_of_g = np.zeros(conv.n, bool)  # the row is its goroutine's last in the head
    ends = np.flatnonzero(np.append(g[order][1:] != g[order][:-1], True))
    last_of_g[order[ends]] = True
    open_ = sys_rows[last_of_g[sys_rows]]
    known = int(open_[0]) if open_.size else conv.n
    if known <= conv.first:
        return out, 0
    if known == conv.n:
        return out, conv.pos_last + 1
    return out, 1 + int(conv.count[:known].sum(dtype=np.int64))


class _Conversion:
    """One conversion: the v1 columns, then per v1 event its output type and count, its
    arguments and its context; then the output rows (see the module docstring).

    Each v1 column is dropped (`del`) once the conversion is done with it: with `consume`,
    that frees it, since tr is left without its columns."""

    def __init__(self, tr: V1Trace, consume: bool = False) -> None:
        self.version = tr.version
        self.n = n = len(tr)
        self.typ = np.ascontiguousarray(tr.typ, np.uint8)
        self.ts = np.ascontiguousarray(tr.ts, np.int64)
        self.g = np.ascontiguousarray(tr.g, np.uint64)
        self.p = np.ascontiguousarray(tr.p, np.int32)
        self.args = [np.asarray(a, np.uint64).reshape(n) for a in tr.args]  # Go's Args[0..3]
        self.strings = StringTable()
        self.st = _Strings(tr, self.strings)
        self.stacks = StackTable()
        self.stack_go, self.stack_ours = _stacks(tr, self.st, self.stacks)
        stk = tr.stk
        if consume:
            tr.ts, tr.g, tr.p, tr.typ, tr.stk = _NONE_I64, _NONE_U64, _NONE_I32, _NONE_U8, _NONE_U32
            tr.args = [_NONE_U64] * 4
        self.stk = _map_stacks(np.ascontiguousarray(stk), self.stack_go, self.stack_ours.astype(np.uint32))
        del stk

    def run(self) -> Converted:
        self.initialisation()
        self.types()
        self.masks()
        return self.assemble()

    def initialisation(self) -> None:
        """Up to the first Gomaxprocs: `first` (n without one), `runnable` (goroutines created
        then, and neither started, waiting nor in a syscall)."""
        typ, n = self.typ, self.n
        gmp = np.flatnonzero(typ == EvGomaxprocs)
        self.first = first = int(gmp[0]) if gmp.size else n
        self.runnable = np.zeros(0, np.uint64)
        if first < n:
            pre = typ[:first]
            ops = (pre == EvGoCreate) | (pre == EvGoStart) | (pre == EvGoWaiting) | (pre == EvGoInSyscall)
            sel = np.flatnonzero(ops)
            # The last of each goroutine's create/forget operations decides.
            rev = sel[::-1]
            uniq, k = np.unique(self.args[0][rev], return_index=True)
            self.runnable = np.sort(uniq[typ[rev[k]] == EvGoCreate])

    def types(self) -> None:
        """`out_t` (the v2 type of each v1 event's first output row) and `count` (its rows)."""
        typ, p, n, first = self.typ, self.p, self.n, self.first
        self.out_t = out_t = _TYPE[typ]
        self.count = count = np.ones(n, np.int32)
        count[typ == EvGoSysBlock] = 0
        pre = typ[:first]
        count[:first][pre == EvGoCreate] = 0
        if first < n:
            count[first] = self.runnable.size
        self.status_run = np.flatnonzero(pre == EvGoStart)
        out_t[self.status_run] = S.EvGoStatus
        self.procs = procs = np.flatnonzero((typ == EvProcStart) | (typ == EvProcStop))
        _, firsts = np.unique(p[procs], return_index=True)
        self.first_seen = procs[firsts]
        out_t[self.first_seen] = S.EvProcStatus
        self.region = region = np.flatnonzero(typ == EvUserRegion)
        mode = self.args[1][region]
        out_t[region[mode == 1]] = S.EvUserRegionEnd
        out_t[region[(mode != 0) & (mode != 1)]] = S.EvNone
        sys_rows = np.flatnonzero(typ == EvGoSysCall)
        self.quick = sys_rows[~_syscall_blocked(typ, self.g, sys_rows)]  # 1 ns Begin + End
        count[self.quick] = 2
        self.label = np.flatnonzero(typ == EvGoStartLabel)
        count[self.label] = 2

    def masks(self) -> None:
        """The events whose arguments Go rewrites (rows), and the task ends' (parent, name);
        the Ps and Gs the arguments take, so `argument` needs no P or G column."""
        typ = self.typ
        self.create = np.flatnonzero(typ == EvUserTaskCreate)
        self.log = np.flatnonzero(typ == EvUserLog)
        self.gocreate = np.flatnonzero(typ == EvGoCreate)
        self.cpu = np.flatnonzero(typ == EvCPUSample)
        self.procs_p = self.p[self.procs].astype(np.uint64)
        self.cpu_p = self.p[self.cpu].astype(np.uint64)
        self.cpu_g = self.g[self.cpu]
        self.stack_arg = _STACK_ARG[typ]
        self.stack_arg[self.out_t == S.EvNone] = -1
        ends = _task_ends(typ, self.args, self.st)
        self.task_end = np.array(list(ends), np.int64)
        self.task_parent = np.array([v[0] for v in ends.values()], np.uint64)
        self.task_name = np.array([self.strings.intern(v[1]) for v in ends.values()], np.uint64)

    def argument(self, j: int) -> np.ndarray:
        """a_j of each v1 event's first output row: Go copies the v1 arguments, then rewrites.
        Reads Args[j] (and Args[3] for j = 2), so Args[0..j-1] may be gone."""
        typ, args, stk, st = self.typ, self.args, self.stk, self.st
        a = args[j].copy()
        procs = self.procs
        a[procs] = self.procs_p if j == 0 else 0
        if j == 1:
            a[self.first_seen] = np.where(typ[self.first_seen] == EvProcStart, S.ProcRunningW, S.ProcIdleW)
        if j in (0, 1):
            reason = _REASON[typ]
            has_reason = reason >= 0
            a[has_reason] = st.builtin[reason[has_reason]] if j == 0 else stk[has_reason]
            del reason, has_reason
        if j in (1, 2):
            for m, status in (
                (self.status_run, S.GoRunningW),
                (np.flatnonzero(typ == EvGoWaiting), S.GoWaitingW),
                (np.flatnonzero(typ == EvGoInSyscall), S.GoSyscallW),
            ):
                a[m] = _U64 if j == 1 else status  # M unknown
        if j == 0:
            self._stw(a)
        # Tasks, regions, logs.
        create, region, log, cpu = self.create, self.region, self.log, self.cpu
        if j == 1:
            a[create] = np.where(args[1][create] == 0, np.uint64(_U64), args[1][create])
        if j == 1:
            a[self.task_end] = args[1][self.task_end]
        elif j == 2:
            a[self.task_end] = self.task_parent
        elif j == 3:
            a[self.task_end] = self.task_name
        if j == 1:
            a[region] = args[2][region]
        elif j == 2:
            a[region] = stk[region]  # also for a mode Go does not know (its event type is None)
        elif j == 3:
            a[region] = 0
        if log.size:
            if j == 2:
                a[log] = st.inline[np.minimum(args[3][log], st.inline.size - 1).astype(np.int64)]
            elif j == 3:
                a[log] = 0
        if j == 1:  # GoCreate's second stack: the new goroutine's.
            gc = self.gocreate
            a[gc] = _map_stacks(args[1][gc], self.stack_go, self.stack_ours)
        if j == 0:  # Syscalls: GoSyscallBegin{1: stack}.
            a[typ == EvGoSysCall] = 0
        if cpu.size:
            a[cpu] = (stk[cpu], _U64, self.cpu_p, self.cpu_g)[j]
        # The stack goes to the mapped type's first stack argument.
        m = self.stack_arg == j
        a[m] = stk[m]
        del m
        # String ids from the v1 trace -> ours (task types, region types, log keys).
        for rows, k in ((create, 2), (region, 1), (log, 1)):
            if k == j:
                a[rows] = st.map(a[rows])
        return a

    def _stw(self, a0: np.ndarray) -> None:
        """STW reasons in a0: Go's Trace.STWReason for this version; an STWEnd names the last
        STWBegin's."""
        typ = self.typ
        rows = np.flatnonzero(typ == EvSTWStart)
        kind = self.args[0][rows]
        if self.version < 21:
            r = np.where(kind <= 1, kind + 1, 0)
        else:
            r = np.where(kind < len(STW_REASONS), kind, 0)
        sid = self.st.builtin[len(REASONS) + r.astype(np.int64)]
        a0[rows] = sid
        done = np.flatnonzero(typ == EvSTWDone)
        if done.size and rows.size:
            k = np.searchsorted(rows, done) - 1
            a0[done] = np.where(k >= 0, sid[np.maximum(k, 0)], 0)
        elif done.size:
            a0[done] = 0

    def threads(self) -> np.ndarray:
        """The M of each v1 event's rows (the P is the event's): the M that last started its P
        (-1: none; for GoStartLabel and a quick syscall, whose context Go builds directly, 0)."""
        p = self.p
        thread = _proc_threads(self.typ, p, self.args[0].view(np.int64))
        raw = np.concatenate([self.label, self.quick])
        direct = np.maximum(thread[raw], 0)
        thread[p == -1] = -1
        thread[self.cpu] = -1
        thread[raw] = direct
        return thread

    def goroutines(self) -> np.ndarray:
        """The G of each v1 event's rows: goroutine 0 is none (-1), except for GoStartLabel and
        a quick syscall (Go builds their context directly)."""
        g = self.g.view(np.int64)
        out = np.where(g == 0, -1, g)
        raw = np.concatenate([self.label, self.quick])
        out[raw] = g[raw]
        return out

    def assemble(self) -> Converted:
        """The output rows: a Sync, each event's rows in order, a Sync; times made strictly
        increasing as Go's `next` does. Each column is built from one per-event array at a
        time (an event's value repeated over its rows, the second rows fixed after), and each
        v1 column dropped after its last use, so the conversion holds few event-sized arrays
        at once."""
        n, count, first = self.n, self.count, self.first
        total = int(count.sum(dtype=np.int64))
        h = 1 if n else 0  # the first Sync's row
        label, quick, runnable = self.label, self.quick, self.runnable
        # The first output row of the events that have more than one.
        ends = np.cumsum(count, dtype=np.int64)
        at_label, at_quick = ends[label] - 2 + h, ends[quick] - 2 + h
        at_first = int(ends[first]) - runnable.size + h if first < n else 0
        block = BLOCK
        starts = np.concatenate(([0], ends[block - 1 : n : block])).tolist()
        del ends
        self.pos_last = h + total - 1  # the last event's last row (convert_head's end)
        ones = bool((count == 1).all())  # every event one row: a plain copy
        cols: dict[str, np.ndarray] = {}
        # What the second rows and the Syncs read of the columns dropped on the way.
        ts = self.ts
        ts_label, ts_quick = ts[label], ts[quick]
        ts_first = int(ts[first]) if first < n else 0
        ts_0 = int(ts[0]) if n else 0
        label_name = self.st.map(self.args[2][label])
        del ts

        def put(name: str, per_event: np.ndarray) -> None:
            dtype = _narrowest(name, per_event)
            cols[name] = col = np.empty(h + total + 1, dtype)
            out = col[h : h + total]
            if ones:
                out[...] = per_event
                return
            for k, lo in enumerate(range(0, n, block)):
                hi = min(n, lo + block)
                part = np.repeat(per_event[lo:hi], count[lo:hi])
                out[starts[k] : starts[k] + part.size] = part

        put("typ", self.out_t)
        del self.out_t
        put("time", self.ts)
        del self.ts
        put("m", self.threads())
        put("p", self.p)
        del self.p
        put("g", self.goroutines())
        del self.g
        for j in range(4):
            put(f"a{j}", self.argument(j))
            self.args[j] = _NONE_U64
        # Second rows: GoLabel after a labelled start; GoSyscallEnd 1 ns after a quick syscall.
        for at, t2, t in ((at_label, S.EvGoLabel, ts_label), (at_quick, S.EvGoSyscallEnd, ts_quick + 1)):
            at2 = at + 1
            cols["typ"][at2] = t2
            cols["time"][at2] = t
            for j in range(4):
                cols[f"a{j}"][at2] = 0
        if label.size:
            cols["a0"][at_label + 1] = label_name
            # The GoStart keeps Go's copied arguments (goroutine, seq); its label id is ours.
            cols["a2"][at_label] = label_name
        if runnable.size:
            at3 = at_first + np.arange(runnable.size)
            cols["typ"][at3] = S.EvGoStatus
            cols["time"][at3] = ts_first
            for c in ("m", "p", "g"):
                cols[c][at3] = -1
            cols["a0"][at3] = runnable
            cols["a1"][at3] = _U64
            cols["a2"][at3] = S.GoRunnableW
            cols["a3"][at3] = 0
        t = cols["time"][h : h + total]
        if total:
            idx = np.arange(total, dtype=np.int64)
            t -= idx
            np.maximum.accumulate(t, out=t)
            np.maximum(t, 0, out=t)
            t += idx
            del idx
        last = int(t[-1]) if total else -1
        # The Reader's Syncs: before the first event (if any) and after the last.
        syncs = [SyncInfo()] if n else []
        heads = [(0, ts_0 - 1, 1, 0)] if n else []
        for row, time, k, info in [*heads, (h + total, last + 1, h + 1, NIL_SYNC)]:
            cols["typ"][row] = S.EV_SYNC
            cols["time"][row] = time
            cols["a0"][row] = k
            cols["a1"][row] = info
            cols["a2"][row] = cols["a3"][row] = 0
            for c in ("m", "p", "g"):
                cols[c][row] = -1
        return Converted(cols, self.strings, self.stacks, syncs)


_NARROW = {"m": np.int32, "p": np.int32, "g": np.int32, "a0": np.uint32, "a3": np.uint32}


def _narrowest(name: str, values: np.ndarray) -> np.dtype:
    """The column's dtype: the trace readers' narrow one (events._NARROW of the stream) when
    every value fits (the Syncs' -1 and small counts do), else DTYPES'."""
    narrow = _NARROW.get(name)
    if narrow is not None:
        info = np.iinfo(narrow)
        if values.size == 0 or (int(values.min()) >= max(info.min, -1) and int(values.max()) <= info.max):
            return np.dtype(narrow)
    return np.dtype(DTYPES[name])


def _task_ends(typ: np.ndarray, args: list[np.ndarray], st: _Strings) -> dict[int, tuple[int, str]]:
    """Each UserTaskEnd row -> (parent, name) as Go smuggles them: those of the task's
    UserTaskCreate still open, else (NoTask, "")."""
    rows = np.flatnonzero((typ == EvUserTaskCreate) | (typ == EvUserTaskEnd))
    open_: dict[int, tuple[int, str]] = {}
    out: dict[int, tuple[int, str]] = {}
    for i, t, tid, parent, name in zip(
        rows.tolist(), typ[rows].tolist(), args[0][rows].tolist(), args[1][rows].tolist(), args[2][rows].tolist()
    ):
        if t == EvUserTaskCreate:
            open_[tid] = (parent, st.get(name))
        else:
            out[i] = open_.pop(tid, (S.NO_TASK, ""))
    return out
