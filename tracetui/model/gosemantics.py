"""Go's semantics as data: per event type, the state transition it makes, and the rows of
an event table read with those tables.

Goroutine transitions are `tracetui.gotrace.transitions`'s table (the one the orderer, the
compiled kernel and dump read too; Go's `internal/trace/event.go` StateTransition): `IS_G`
(a goroutine transition), `G_FROM`/`G_TO` (from- and to-state, Go's GoState numbering;
status events carry theirs in a2, `G_PACKED`), `G_RES_A0` (the goroutine is the event's a0,
else the context's g), `G_REASON_ARG` and `G_STACK_ARG` (the arguments holding the reason
string and the transition's stack, -1: none). Here: `G_EVENT_STACK_ARG` (the event's own
stack, Go's Event.Stack()), proc transitions (`IS_P`, Go's ProcState numbering), status
events, unblocks, flow sources and the events that can move an M. `Rows` reads an
EventTable's valid rows through them, vectorised.
"""

from __future__ import annotations

import numpy as np

from tracetui.gotrace import spec as S
from tracetui.gotrace.events import STACK_ARGS, EventTable
from tracetui.gotrace.transitions import G_FROM, G_PACKED, G_RES_A0, G_TO, IS_G
from tracetui.gotrace.transitions import NONE as _NONE
from tracetui.model._group import chunks
from tracetui.model.spans import NONE8
from tracetui.model.trace import I64

assert NONE8 == _NONE  # "no state" is one value in the table and in the span columns

UND, NEX, RBL, RUN, WAI, SYS = (
    S.GoUndetermined, S.GoNotExist, S.GoRunnable, S.GoRunning, S.GoWaiting, S.GoSyscall,
)  # fmt: skip
# The event's own stack (Go's Event.Stack(): the first stack it lists), where a span's stack
# comes from: for a create, the creator's; for an unblock, the unblocker's.
G_EVENT_STACK_ARG = np.full(256, -1, np.int8)
for _typ in np.flatnonzero(IS_G).tolist():
    if STACK_ARGS.get(_typ):
        G_EVENT_STACK_ARG[_typ] = STACK_ARGS[_typ][0]
GO_STATUS_TO_STATE = np.array([*S.GO_STATUS_TO_STATE, UND], np.uint8)  # wire status -> GoState
IS_STATUS = np.zeros(256, bool)
IS_STATUS[[S.EvGoStatus, S.EvGoStatusStack, S.EvProcStatus]] = True
UNBLOCKS = np.zeros(256, bool)
UNBLOCKS[[S.EvGoUnblock, S.EvGoSwitch, S.EvGoSwitchDestroy]] = True

# --- proc transitions (Go ProcState numbering) -------------------------------------------
IS_P = np.zeros(256, bool)
IS_P[[S.EvProcStart, S.EvProcStop, S.EvProcSteal, S.EvProcStatus]] = True
PROC_STATUS_TO_STATE = np.array([*S.PROC_STATUS_TO_STATE, S.ProcUndetermined], np.uint8)

FLOW_SRC = UNBLOCKS.copy()
FLOW_SRC[S.EvGoCreate] = True
# Events that can change an M's state (its P, or a goroutine entering/leaving a syscall).
M_REL = IS_P.copy()
M_REL[
    [S.EvGoSyscallBegin, S.EvGoSyscallEnd, S.EvGoSyscallEndBlocked, S.EvGoCreateSyscall,
     S.EvGoDestroySyscall, S.EvGoStatus, S.EvGoStatusStack]
] = True  # fmt: skip
NOT_M = np.zeros(256, bool)  # rows whose m is not an M acting
NOT_M[[S.EvCPUSample, S.EV_SYNC]] = True


def u2i(a: np.ndarray) -> np.ndarray:
    """uint64 ids/values -> int64 (NoTask etc. become -1)."""
    return a.view(I64) if a.dtype == np.uint64 else a.astype(I64)  # a0, a3 may be uint32


class GT:
    """Goroutine transitions of some rows, in row (time) order."""

    __slots__ = ("frm", "gid", "row", "to", "typ")

    def __init__(self, row: np.ndarray, typ: np.ndarray, frm: np.ndarray, to: np.ndarray, gid: np.ndarray) -> None:
        self.row, self.typ, self.frm, self.to, self.gid = row, typ, frm, to, gid

    def take(self, sel: np.ndarray) -> GT:
        return GT(self.row[sel], self.typ[sel], self.frm[sel], self.to[sel], self.gid[sel])

    def changes(self) -> GT:
        """Without the status events repeating a known state (X->X): no transitions."""
        return self.take(self.frm != self.to)


class PT:
    """Proc transitions (Go ProcState numbering) of some rows, in row order."""

    __slots__ = ("frm", "pid", "row", "syscall", "to", "typ")

    def __init__(
        self, row: np.ndarray, typ: np.ndarray, frm: np.ndarray, to: np.ndarray, pid: np.ndarray, syscall: np.ndarray
    ) -> None:
        self.row, self.typ, self.frm, self.to, self.pid, self.syscall = row, typ, frm, to, pid, syscall

    def take(self, sel: np.ndarray) -> PT:
        return PT(self.row[sel], self.typ[sel], self.frm[sel], self.to[sel], self.pid[sel], self.syscall[sel])


class Rows:
    """The valid rows of an EventTable, with helpers (no per-row copies)."""

    def __init__(self, table: EventTable) -> None:
        n = len(table)
        if table.error is not None or 0 < table.valid_events < n:
            n = min(n, table.valid_events)
        self.n = n
        self.chunks = chunks(n)
        self.typ = table.typ[:n]
        self.m = table.m[:n]
        self.p = table.p[:n]
        self.g = table.g[:n]
        self.a = (table.a0[:n], table.a1[:n], table.a2[:n], table.a3[:n])
        self.time = table.time[:n]
        self.base = int(self.time[0]) if n else 0
        self.T = int(self.time[-1]) - self.base if n else 0
        srow = np.flatnonzero(self.typ == S.EV_SYNC)
        if n and (srow.size == 0 or srow[0] != 0):
            srow = np.concatenate([np.zeros(1, srow.dtype), srow])
        self.sync_rows = srow.astype(I64)

    def ts(self, rows: np.ndarray) -> np.ndarray:
        """Relative times of rows (< n)."""
        t = np.take(self.time, rows)
        t -= self.base
        return t

    def sync_before(self, rows: np.ndarray) -> np.ndarray:
        """Row of the last Sync at or before each row (row 0 = trace start)."""
        i = np.searchsorted(self.sync_rows, rows, "right") - 1
        return self.sync_rows[np.maximum(i, 0)]

    def gtrans(self, lo: int = 0, hi: int | None = None) -> GT:
        """Goroutine transitions of rows [lo, hi) (default: all)."""
        gi = np.flatnonzero(np.take(IS_G, self.typ[lo:hi]))
        gi += lo
        return self.gtrans_at(gi)

    def gtrans_at(self, gi: np.ndarray) -> GT:
        """Goroutine transitions at rows `gi` (goroutine transition events only)."""
        gt = np.take(self.typ, gi)
        frm = np.take(G_FROM, gt)
        to = np.take(G_TO, gt)
        st = np.flatnonzero(np.take(G_PACKED, gt))
        if st.size:
            a2s = self.a[2][gi[st]]
            frm[st] = np.minimum(a2s >> np.uint64(32), 6).astype(np.uint8)
            to[st] = GO_STATUS_TO_STATE[np.minimum(a2s & np.uint64(0xFFFFFFFF), 5).astype(np.intp)]
        gid = np.where(np.take(G_RES_A0, gt), u2i(np.take(self.a[0], gi)), np.take(self.g, gi))
        return GT(gi, gt, frm, to, gid)

    def ptrans(self, lo: int = 0, hi: int | None = None) -> PT:
        """Proc transitions of rows [lo, hi) (default: all)."""
        pi = np.flatnonzero(IS_P[self.typ[lo:hi]])
        pi += lo
        pt = self.typ[pi]
        a0, a1, a2, a3 = (c[pi] for c in self.a)
        pid = np.where(pt == S.EvProcStop, self.p[pi], u2i(a0))
        pfrom = np.full(pi.size, S.ProcRunning, np.uint8)
        pto = np.full(pi.size, S.ProcIdle, np.uint8)
        pfrom[pt == S.EvProcStart] = S.ProcIdle
        pto[pt == S.EvProcStart] = S.ProcRunning
        steal = pt == S.EvProcSteal
        pfrom[steal & (a3 == S.ProcSyscallAbandonedW)] = S.ProcIdle
        stat = pt == S.EvProcStatus
        pfrom[stat] = np.minimum(a2[stat], 4).astype(np.uint8)
        pto[stat] = PROC_STATUS_TO_STATE[np.minimum(a1[stat], 5).astype(np.intp)]
        syscall = stat & (a1 == S.ProcSyscallW)
        return PT(pi, pt, pfrom, pto, pid, syscall)


class Chunk:
    """Rows [lo, hi) with their goroutine transitions, read by the streamed builders."""

    __slots__ = ("gt", "hi", "lo", "moves")

    def __init__(self, tb: Rows, lo: int, hi: int) -> None:
        self.lo, self.hi = lo, hi
        self.gt = tb.gtrans(lo, hi)
        self.moves = self.gt.changes()
