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
    """v1 stack ids -> ours (0 for a stack Go's table lacks); `go` sorted, 0 first."""
    ids = ids.astype(np.uint64, copy=False)
    top = int(go[-1])
    if top < 4 * go.size + 4096:  # dense ids (the usual 1..n): a direct table
        table = np.zeros(top + 2, np.uint64)
        table[go.astype(np.int64)] = ours
        return table[np.minimum(ids, top + 1).astype(np.int64)]
    k = np.minimum(np.searchsorted(go, ids), go.size - 1)
    return np.where(go[k] == ids, ours[k], 0).astype(np.uint64)


def _proc_threads(typ: np.ndarray, p: np.ndarray, thread: np.ndarray) -> np.ndarray:
    """Go's procMs[ev.P] at each event (-1: absent): the thread of the P's last ProcStart,
    this one included, unless a ProcStop came after it (a ProcStop still sees its M).
    Each event looks up the last marker (start or stop) of its P before it, by the key
    (P, position) in the markers' sorted keys."""
    n = typ.size
    is_start = typ == EvProcStart
    is_stop = typ == EvProcStop
    rows = np.flatnonzero(is_start | is_stop)
    if rows.size == 0:
        return np.full(n, -1, np.int64)
    stride = n + 1
    mkeys = (p[rows] + 1) * stride + rows
    order = np.argsort(mkeys, kind="stable")
    mkeys = mkeys[order]
    mval = np.where(is_start[rows], thread[rows], -1)[order]
    q = (p + 1) * stride + np.arange(n, dtype=np.int64) - is_stop  # a ProcStop sees the marker before it
    k = np.searchsorted(mkeys, q, side="right") - 1
    kk = np.maximum(k, 0)
    same = (k >= 0) & (mkeys[kk] // stride == p + 1)
    return np.where(same, mval[kk], -1)


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
    typ = np.ascontiguousarray(tr.typ, np.uint8)
    bad = ~_KNOWN[typ]
    if bad.any():
        raise TraceFormatError(f"unexpected event type {int(typ[int(np.argmax(bad))])}")
    if not tr.inline_strings and bool(np.any(typ == EvUserLog)):
        raise TraceFormatError("user log without an inline string")


def convert(tr: V1Trace) -> Converted:
    """Go's traceV1Converter plus the Reader's two Syncs: the v2 events of a v1 trace.

    Raises TraceFormatError for an event Go's converter does not take ("unexpected event
    type N")."""
    check(tr)
    return _Conversion(tr).run()


def head(tr: V1Trace, k: int) -> V1Trace:
    """The first k events of tr, with all of its tables (strings, stacks, frames)."""
    return replace(tr, ts=tr.ts[:k], g=tr.g[:k], args=tr.args[:k], stk=tr.stk[:k], p=tr.p[:k], typ=tr.typ[:k])


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
    g = conv.g
    sys_rows = np.flatnonzero(conv.typ == EvGoSysCall)
    order = np.argsort(g, kind="stable")
    last_of_g = np.zeros(conv.n, bool)  # the row is its goroutine's last in the head
    ends = np.flatnonzero(np.append(g[order][1:] != g[order][:-1], True))
    last_of_g[order[ends]] = True
    open_ = sys_rows[last_of_g[sys_rows]]
    known = int(open_[0]) if open_.size else conv.n
    if known <= conv.first:
        return out, 0
    return out, int(conv.pos[known]) if known < conv.n else int(conv.pos[-1] + conv.count[-1])


class _Conversion:
    """One conversion: the v1 columns, then per v1 event its output type and count, its
    arguments and its context; then the output rows (see the module docstring)."""

    def __init__(self, tr: V1Trace) -> None:
        self.tr = tr
        self.n = n = len(tr)
        self.typ = np.ascontiguousarray(tr.typ, np.uint8)
        self.ts = np.ascontiguousarray(tr.ts, np.int64)
        self.g = np.ascontiguousarray(tr.g, np.uint64)
        self.p = np.ascontiguousarray(tr.p, np.int32).astype(np.int64)
        self.args = np.asarray(tr.args, np.uint64).reshape(n, 4)
        self.strings = StringTable()
        self.st = _Strings(tr, self.strings)
        self.stacks = StackTable()
        self.stack_go, self.stack_ours = _stacks(tr, self.st, self.stacks)
        self.stk = _map_stacks(np.ascontiguousarray(tr.stk), self.stack_go, self.stack_ours)

    def run(self) -> Converted:
        self.initialisation()
        self.types()
        self.arguments()
        self.context()
        return self.assemble()

    def initialisation(self) -> None:
        """Up to the first Gomaxprocs: `first` (n without one), `pre` (the rows before it),
        `runnable` (goroutines created then, and neither started, waiting nor in a syscall)."""
        typ, n = self.typ, self.n
        gmp = np.flatnonzero(typ == EvGomaxprocs)
        self.first = first = int(gmp[0]) if gmp.size else n
        self.pre = np.arange(n) < first
        self.runnable = np.zeros(0, np.uint64)
        if first < n:
            ops = (typ == EvGoCreate) | (typ == EvGoStart) | (typ == EvGoWaiting) | (typ == EvGoInSyscall)
            sel = np.flatnonzero(self.pre & ops)
            # The last of each goroutine's create/forget operations decides.
            rev = sel[::-1]
            uniq, k = np.unique(self.args[rev, 0], return_index=True)
            self.runnable = np.sort(uniq[typ[rev[k]] == EvGoCreate])

    def types(self) -> None:
        """`out_t` (the v2 type of each v1 event's first output row) and `count` (its rows)."""
        typ, p, n = self.typ, self.p, self.n
        self.out_t = out_t = _TYPE[typ].copy()
        self.count = count = np.ones(n, np.int64)
        count[typ == EvGoSysBlock] = 0
        count[self.pre & (typ == EvGoCreate)] = 0
        if self.first < n:
            count[self.first] = self.runnable.size
        self.status_run = self.pre & (typ == EvGoStart)
        out_t[self.status_run] = S.EvGoStatus
        self.procs = procs = np.flatnonzero((typ == EvProcStart) | (typ == EvProcStop))
        _, firsts = np.unique(p[procs], return_index=True)
        self.first_seen = procs[firsts]
        out_t[self.first_seen] = S.EvProcStatus
        self.region = region = typ == EvUserRegion
        mode = self.args[:, 1]
        out_t[region & (mode == 1)] = S.EvUserRegionEnd
        out_t[region & (mode != 0) & (mode != 1)] = S.EvNone
        sys_rows = np.flatnonzero(typ == EvGoSysCall)
        self.quick = sys_rows[~_syscall_blocked(typ, self.g, sys_rows)]  # 1 ns Begin + End
        count[self.quick] = 2
        self.label = np.flatnonzero(typ == EvGoStartLabel)
        count[self.label] = 2

    def arguments(self) -> None:
        """`a` (a0..a3 of each first output row): Go copies the v1 arguments, then rewrites."""
        typ, args, stk, st = self.typ, self.args, self.stk, self.st
        self.a = a = [args[:, j].copy() for j in range(4)]
        procs = self.procs
        a[0][procs] = self.p[procs].astype(np.uint64)
        for j in (1, 2, 3):
            a[j][procs] = 0
        a[1][self.first_seen] = np.where(typ[self.first_seen] == EvProcStart, S.ProcRunningW, S.ProcIdleW)
        reason = _REASON[typ]
        has_reason = reason >= 0
        a[0][has_reason] = st.builtin[reason[has_reason]]
        a[1][has_reason] = stk[has_reason]
        for m, status in (
            (self.status_run, S.GoRunningW),
            (typ == EvGoWaiting, S.GoWaitingW),
            (typ == EvGoInSyscall, S.GoSyscallW),
        ):
            a[1][m] = _U64  # M unknown
            a[2][m] = status
        self._stw()
        # Tasks, regions, logs.
        create = typ == EvUserTaskCreate
        a[1][create] = np.where(args[create, 1] == 0, np.uint64(_U64), args[create, 1])
        for i, (parent, name) in _task_ends(typ, args, st).items():
            a[1][i] = args[i, 1]
            a[2][i] = parent
            a[3][i] = self.strings.intern(name)
        region = self.region
        a[1][region] = args[region, 2]
        a[2][region] = stk[region]  # also for a mode Go does not know (its event type is None)
        a[3][region] = 0
        log = typ == EvUserLog
        if log.any():
            a[2][log] = st.inline[np.minimum(args[log, 3], st.inline.size - 1).astype(np.int64)]
            a[3][log] = 0
        # GoCreate's second stack: the new goroutine's.
        gc = typ == EvGoCreate
        a[1][gc] = _map_stacks(args[gc, 1], self.stack_go, self.stack_ours)
        # Syscalls: GoSyscallBegin{1: stack}.
        a[0][typ == EvGoSysCall] = 0
        self.cpu = cpu = typ == EvCPUSample
        if cpu.any():
            a[0][cpu] = stk[cpu]
            a[1][cpu] = _U64
            a[2][cpu] = self.p[cpu].astype(np.uint64)
            a[3][cpu] = self.g[cpu]
        # The stack goes to the mapped type's first stack argument.
        sa = _STACK_ARG[typ]
        for j in range(4):
            m = (sa == j) & (self.out_t != S.EvNone)
            a[j][m] = stk[m]
        # String ids from the v1 trace -> ours (task types, region types, log keys).
        for m, j in ((create, 2), (region, 1), (log, 1)):
            a[j][m] = st.map(a[j][m])

    def _stw(self) -> None:
        """STW reasons: Go's Trace.STWReason for this version; an STWEnd names the last
        STWBegin's."""
        typ, a = self.typ, self.a
        rows = np.flatnonzero(typ == EvSTWStart)
        kind = self.args[rows, 0]
        if self.tr.version < 21:
            r = np.where(kind <= 1, kind + 1, 0)
        else:
            r = np.where(kind < len(STW_REASONS), kind, 0)
        sid = self.st.builtin[len(REASONS) + r.astype(np.int64)]
        a[0][rows] = sid
        done = np.flatnonzero(typ == EvSTWDone)
        if done.size and rows.size:
            k = np.searchsorted(rows, done) - 1
            a[0][done] = np.where(k >= 0, sid[np.maximum(k, 0)], 0)
        elif done.size:
            a[0][done] = 0

    def context(self) -> None:
        """`m_ctx`, `g_ctx` of each v1 event's output rows (the P is the event's)."""
        g, p = self.g, self.p
        thread = _proc_threads(self.typ, p, self.args[:, 0].view(np.int64))
        self.m_ctx = np.where((p != -1) & ~self.cpu, thread, -1)
        self.g_ctx = np.where(g == 0, -1, g.view(np.int64))
        # GoStartLabel and a quick syscall build their context directly: the M lookup's zero
        # value is 0, goroutine 0 stays 0.
        raw = np.concatenate([self.label, self.quick])
        self.m_ctx[raw] = np.maximum(thread[raw], 0)
        self.g_ctx[raw] = g.view(np.int64)[raw]

    def assemble(self) -> Converted:
        """The output rows: a Sync, each event's rows in order, a Sync; times made strictly
        increasing as Go's `next` does."""
        n, ts, p, count, first = self.n, self.ts, self.p, self.count, self.first
        total = int(count.sum())
        h = 1 if n else 0  # the first Sync's row
        self.pos = pos = np.cumsum(count) - count + h  # first output row of each event
        has = count > 0
        if first < n:
            has[first] = False
        prim = np.flatnonzero(has)
        cols = {c: np.zeros(h + total + 1, DTYPES[c]) for c in DTYPES}
        at = pos[prim]
        cols["typ"][at] = self.out_t[prim]
        cols["time"][at] = ts[prim]
        cols["m"][at] = self.m_ctx[prim]
        cols["p"][at] = p[prim]
        cols["g"][at] = self.g_ctx[prim]
        for j in range(4):
            cols[f"a{j}"][at] = self.a[j][prim]
        # Second rows: GoLabel after a labelled start; GoSyscallEnd 1 ns after a quick syscall.
        label = self.label
        for rows, t2, dt in ((label, S.EvGoLabel, 0), (self.quick, S.EvGoSyscallEnd, 1)):
            at2 = pos[rows] + 1
            cols["typ"][at2] = t2
            cols["time"][at2] = ts[rows] + dt
            cols["m"][at2] = self.m_ctx[rows]
            cols["p"][at2] = p[rows]
            cols["g"][at2] = self.g_ctx[rows]
        if label.size:
            cols["a0"][pos[label] + 1] = self.st.map(self.args[label, 2])
            # The GoStart keeps Go's copied arguments (goroutine, seq); its label id is ours.
            cols["a2"][pos[label]] = cols["a0"][pos[label] + 1]
        runnable = self.runnable
        if runnable.size:
            at3 = pos[first] + np.arange(runnable.size)
            cols["typ"][at3] = S.EvGoStatus
            cols["time"][at3] = ts[first]
            for c in ("m", "p", "g"):
                cols[c][at3] = -1
            cols["a0"][at3] = runnable
            cols["a1"][at3] = _U64
            cols["a2"][at3] = S.GoRunnableW
        t = cols["time"][h : h + total]
        if total:
            idx = np.arange(total, dtype=np.int64)
            t -= idx
            np.maximum.accumulate(t, out=t)
            np.maximum(t, 0, out=t)
            t += idx
        last = int(t[-1]) if total else -1
        # The Reader's Syncs: before the first event (if any) and after the last.
        syncs = [SyncInfo()] if n else []
        heads = [(0, int(ts[0]) - 1, 1, 0)] if n else []
        for row, time, k, info in [*heads, (h + total, last + 1, h + 1, NIL_SYNC)]:
            cols["typ"][row] = S.EV_SYNC
            cols["time"][row] = time
            cols["a0"][row] = k
            cols["a1"][row] = info
            for c in ("m", "p", "g"):
                cols[c][row] = -1
        return Converted(cols, self.strings, self.stacks, syncs)


def _task_ends(typ: np.ndarray, args: np.ndarray, st: _Strings) -> dict[int, tuple[int, str]]:
    """Each UserTaskEnd row -> (parent, name) as Go smuggles them: those of the task's
    UserTaskCreate still open, else (NoTask, "")."""
    rows = np.flatnonzero((typ == EvUserTaskCreate) | (typ == EvUserTaskEnd))
    open_: dict[int, tuple[int, str]] = {}
    out: dict[int, tuple[int, str]] = {}
    for i, t, tid, parent, name in zip(
        rows.tolist(), typ[rows].tolist(), args[rows, 0].tolist(), args[rows, 1].tolist(), args[rows, 2].tolist()
    ):
        if t == EvUserTaskCreate:
            open_[tid] = (parent, st.get(name))
        else:
            out[i] = open_.pop(tid, (S.NO_TASK, ""))
    return out
