"""The goroutine transition rule, as data: the one table the orderer, the compiled kernel, dump and
the model read.

From Go's `internal/trace`: order.go (the `advanceGo*` functions: which goroutine an event names,
the wire status it must have and the one it gets, whether it carries the goroutine's sequence
number, what the M's current goroutine becomes, the context the event needs) and event.go
(`Event.StateTransition`: the parsed API's from/to states, reason and stack). Argument indices
count from the first argument after the timestamp delta (the event table's a0..a3).

`GO_TRANSITIONS` is the readable table; the arrays below it index the same data by event type
(256 entries, `NONE` or -1 where an event is not a goroutine transition).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from tracetui.gotrace import spec as S

NONE = 255

# Which goroutine the event is about.
A0 = 0  # the goroutine named by argument a0
CTX = 1  # the M's current goroutine (the event's context G)

# What the M's current goroutine is after the event.
KEEP = 0  # unchanged
RES = 1  # the goroutine the event is about
NO_G = 2  # none

# What the event needs of its context (Go's schedReqs), for the M, the P and the G.
MUST_NOT, MAY, MUST = 0, 1, 2

_UND, _NEX, _RBL, _RUN, _WAI, _SYS = (
    S.GoUndetermined, S.GoNotExist, S.GoRunnable, S.GoRunning, S.GoWaiting, S.GoSyscall,
)  # fmt: skip


class GoTransition(NamedTuple):
    """One row of the rule. For a status event from/to are GoUndetermined: a2 packs them."""

    typ: int
    goroutine: int  # A0 or CTX
    frm: int  # GoState before (GoNotExist: the goroutine is created)
    to: int  # GoState after (GoNotExist: the goroutine is destroyed)
    seq: bool  # a1 is the goroutine's sequence number: the event waits until it succeeds
    ctx_g: int  # KEEP, RES or NO_G
    req_m: int  # MUST_NOT, MAY or MUST
    req_p: int
    req_g: int
    reason: int  # argument holding the reason string, or -1
    stack: int  # argument holding the transition's stack, or -1


# fmt: off
GO_TRANSITIONS: tuple[GoTransition, ...] = tuple(GoTransition(*r) for r in (
    # event                   goroutine from  to    seq    M's G  M     P     G         reason stack
    (S.EvGoCreate,            A0,  _NEX, _RBL, False, KEEP, MUST, MUST, MAY,      -1, 1),
    (S.EvGoCreateBlocked,     A0,  _NEX, _WAI, False, KEEP, MUST, MUST, MAY,      -1, 1),
    (S.EvGoCreateSyscall,     A0,  _NEX, _SYS, False, RES,  MUST, MAY,  MUST_NOT, -1, -1),
    (S.EvGoStart,             A0,  _RBL, _RUN, True,  RES,  MUST, MUST, MUST_NOT, -1, -1),
    (S.EvGoDestroy,           CTX, _RUN, _NEX, False, NO_G, MUST, MUST, MUST,     -1, -1),
    (S.EvGoDestroySyscall,    CTX, _SYS, _NEX, False, NO_G, MUST, MAY,  MUST,     -1, -1),
    (S.EvGoStop,              CTX, _RUN, _RBL, False, NO_G, MUST, MUST, MUST,      0, 1),
    (S.EvGoBlock,             CTX, _RUN, _WAI, False, NO_G, MUST, MUST, MUST,      0, 1),
    (S.EvGoUnblock,           A0,  _WAI, _RBL, True,  KEEP, MAY,  MAY,  MAY,      -1, -1),
    (S.EvGoSwitch,            A0,  _WAI, _RBL, True,  RES,  MUST, MUST, MUST,     -1, -1),
    (S.EvGoSwitchDestroy,     A0,  _WAI, _RBL, True,  RES,  MUST, MUST, MUST,     -1, -1),
    (S.EvGoSyscallBegin,      CTX, _RUN, _SYS, False, KEEP, MUST, MUST, MUST,     -1, 1),
    (S.EvGoSyscallEnd,        CTX, _SYS, _RUN, False, KEEP, MUST, MUST, MUST,     -1, -1),
    (S.EvGoSyscallEndBlocked, CTX, _SYS, _RBL, False, NO_G, MUST, MAY,  MUST,     -1, -1),
    (S.EvGoStatus,            A0,  _UND, _UND, False, KEEP, MAY,  MAY,  MAY,      -1, -1),
    (S.EvGoStatusStack,       A0,  _UND, _UND, False, KEEP, MAY,  MAY,  MAY,      -1, 3),
))
# fmt: on

# A switch is an unblock of a0 (its own row), then these events on the same M at the same time:
# the current goroutine blocks (or is destroyed), then a0 starts (order.go advanceGoSwitch).
SWITCH_THEN: dict[int, tuple[int, int]] = {
    S.EvGoSwitch: (S.EvGoBlock, S.EvGoStart),
    S.EvGoSwitchDestroy: (S.EvGoDestroy, S.EvGoStart),
}

# The events whose whole effect in order.go is this table's (status, sequence number, the M's
# goroutine, context checks): the ordering loop's compiled and inlined fast paths take them.
FAST: tuple[int, ...] = (S.EvGoStart, S.EvGoUnblock, S.EvGoStop, S.EvGoBlock)

# GoState -> the wire status order.go keeps (0, GoBad, for NotExist and Undetermined).
GO_STATE_TO_STATUS: tuple[int, ...] = (S.GoBad, S.GoBad, S.GoRunnableW, S.GoRunningW, S.GoWaitingW, S.GoSyscallW)

U8 = npt.NDArray[np.uint8]
I8 = npt.NDArray[np.int8]
B = npt.NDArray[np.bool_]


def _arrays() -> tuple[B, U8, U8, B, B, U8, U8, U8, U8, I8, I8, U8, U8, B, B]:
    is_g = np.zeros(256, bool)
    frm = np.full(256, NONE, np.uint8)
    to = np.full(256, NONE, np.uint8)
    res_a0 = np.zeros(256, bool)
    seq = np.zeros(256, bool)
    ctx_g = np.full(256, KEEP, np.uint8)
    req = [np.full(256, MAY, np.uint8) for _ in range(3)]
    reason = np.full(256, -1, np.int8)
    stack = np.full(256, -1, np.int8)
    for r in GO_TRANSITIONS:
        is_g[r.typ] = True
        frm[r.typ], to[r.typ] = r.frm, r.to
        res_a0[r.typ], seq[r.typ], ctx_g[r.typ] = r.goroutine == A0, r.seq, r.ctx_g
        req[0][r.typ], req[1][r.typ], req[2][r.typ] = r.req_m, r.req_p, r.req_g
        reason[r.typ], stack[r.typ] = r.reason, r.stack
    wire = np.array(GO_STATE_TO_STATUS, np.uint8)
    w_from = np.zeros(256, np.uint8)
    w_to = np.zeros(256, np.uint8)
    w_from[is_g], w_to[is_g] = wire[frm[is_g]], wire[to[is_g]]
    packed = is_g & (frm == _UND)
    fast = np.zeros(256, bool)
    fast[list(FAST)] = True
    return is_g, frm, to, res_a0, seq, ctx_g, req[0], req[1], req[2], reason, stack, w_from, w_to, packed, fast


(
    IS_G,  # a goroutine transition
    G_FROM,  # GoState before (NONE if not IS_G)
    G_TO,  # GoState after
    G_RES_A0,  # the goroutine is a0 (else the context G)
    G_SEQ,  # a1 is its sequence number
    G_CTX,  # KEEP, RES or NO_G: the M's goroutine after
    REQ_M,  # MUST_NOT, MAY, MUST (MAY if not IS_G)
    REQ_P,
    REQ_G,
    G_REASON_ARG,  # argument with the reason string, or -1
    G_STACK_ARG,  # argument with the transition stack, or -1
    W_FROM,  # wire status the orderer requires (0: the goroutine must not exist)
    W_TO,  # wire status it sets (0: the goroutine is removed)
    G_PACKED,  # GoStatus/GoStatusStack: a2 = old GoState << 32 | new wire status
    G_FAST,  # in FAST
) = _arrays()
for _a in (IS_G, G_FROM, G_TO, G_RES_A0, G_SEQ, G_CTX, REQ_M, REQ_P, REQ_G, G_REASON_ARG, G_STACK_ARG):
    _a.flags.writeable = False
for _a in (W_FROM, W_TO, G_PACKED, G_FAST):
    _a.flags.writeable = False

# Plain lists of the same, for per-event Python (indexing a list is faster than an array).
W_FROM_L: list[int] = W_FROM.tolist()
W_TO_L: list[int] = W_TO.tolist()
G_CTX_L: list[int] = G_CTX.tolist()
G_FROM_L: list[int] = G_FROM.tolist()
G_TO_L: list[int] = G_TO.tolist()

_STATUS_TO_STATE = np.array([*S.GO_STATUS_TO_STATE, _UND], np.uint8)


def decode(
    typ: npt.NDArray[np.uint8], a0: npt.NDArray[np.uint64], a2: npt.NDArray[np.uint64], g: npt.NDArray[np.int64]
) -> tuple[U8, U8, npt.NDArray[np.int64]]:
    """From, to and goroutine of goroutine transition rows (parallel columns of those rows only).

    Status events unpack a2 (an out-of-range state reads as GoUndetermined's neighbours, never
    past the names); a0 is read as a signed goroutine ID.
    """
    frm = np.take(G_FROM, typ)
    to = np.take(G_TO, typ)
    st = np.flatnonzero(np.take(G_PACKED, typ))
    if st.size:
        a2s = a2[st]
        frm[st] = np.minimum(a2s >> np.uint64(32), 6).astype(np.uint8)
        to[st] = _STATUS_TO_STATE[np.minimum(a2s & np.uint64(0xFFFFFFFF), 5).astype(np.intp)]
    gid = np.where(np.take(G_RES_A0, typ), a0.view(np.int64) if a0.dtype == np.uint64 else a0.astype(np.int64), g)
    return frm, to, gid


# The other events the compiled kernel takes whole: those order.go advances by checking the
# context and, for a range, the set of ranges in flight of the M's goroutine or P (nothing else).
# Each of these is emitted as read (its row is the source row).
K_NONE = 0  # Python's (order.py)
K_GO = 1  # a FAST goroutine transition: the rule above
K_METRIC = 2  # HeapAlloc, HeapGoal (advanceHeapMetric): needs an M and a P
K_G_BEGIN = 3  # GCMarkAssistBegin (advanceGoRangeBegin): needs M, P and G; G's range starts
K_G_END = 4  # GCMarkAssistEnd (advanceGoRangeEnd): G's range ends
K_P_BEGIN = 5  # GCSweepBegin (advanceGCSweepBegin): needs M and P; P's range starts
K_P_END = 6  # GCSweepEnd (advanceGCSweepEnd): P's range ends
K_ANNOTATION = 7  # ProcsChange, GoLabel, UserLog (advanceAnnotation): needs M, P and G
KERNEL_KIND: dict[int, int] = {
    **{t: K_GO for t in FAST},
    S.EvHeapAlloc: K_METRIC,
    S.EvHeapGoal: K_METRIC,
    S.EvGCMarkAssistBegin: K_G_BEGIN,
    S.EvGCMarkAssistEnd: K_G_END,
    S.EvGCSweepBegin: K_P_BEGIN,
    S.EvGCSweepEnd: K_P_END,
    S.EvProcsChange: K_ANNOTATION,
    S.EvGoLabel: K_ANNOTATION,
    S.EvUserLog: K_ANNOTATION,
}


def kernel_table() -> bytes:
    """The rule for the compiled kernel: 9 rows of 256 bytes (kind, res_a0, w_from, w_to, seq,
    ctx_g, req_p, req_g, range), in that order (see _korder.c configure). `range` is the event
    type that starts a range event's range (order.py keys ranges by (that type, 0))."""
    kind = np.zeros(256, np.uint8)
    rng = np.zeros(256, np.uint8)
    for t, k in KERNEL_KIND.items():
        kind[t] = k
        if K_G_BEGIN <= k <= K_P_END:
            start = S.SPECS[t].start_ev
            rng[t] = start if start != S.EvNone else t
    rows = (kind, G_RES_A0, W_FROM, W_TO, G_SEQ, G_CTX, REQ_P, REQ_G, rng)
    return b"".join(np.ascontiguousarray(r, np.uint8).tobytes() for r in rows)
