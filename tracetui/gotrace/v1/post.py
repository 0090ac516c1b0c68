"""Go's postProcessTrace: the consistency checks over the merged events, and what they fix up.

Fix-ups, in place: a GCStart moves to the fake GCP, an unblock of a goroutine blocked on the
network to NetpollP, a goroutine's first GoStart takes the stack of its GoCreate, and a stack
id with no stack becomes 0. Errors carry Go's exact messages.
"""

from __future__ import annotations

import numpy as np

from tracetui.gotrace import kernel
from tracetui.gotrace.v1 import spec as S
from tracetui.gotrace.v1.order import KERNEL
from tracetui.gotrace.v1.wire import ScanError

_DEAD, _RUNNABLE, _RUNNING, _WAITING, _WAITING_NET = 0, 1, 2, 3, 4
_BLOCKS = frozenset(
    (
        S.EvGoSleep,
        S.EvGoBlock,
        S.EvGoBlockSend,
        S.EvGoBlockRecv,
        S.EvGoBlockSelect,
        S.EvGoBlockSync,
        S.EvGoBlockCond,
        S.EvGoBlockNet,
        S.EvGoBlockGC,
    )
)


def describe(
    ts: np.ndarray, g: np.ndarray, p: np.ndarray, typ: np.ndarray, stk: int, args: list[np.ndarray], i: int
) -> str:
    """Go's Event.String() of row i (with stack id stk; args: the four argument columns), quoted as %q does."""
    t = int(typ[i])
    text = f"{int(ts[i])} {S.NAMES[t]} p={int(p[i])} g={int(g[i])} stk={stk}"
    for k, name in enumerate(S.ARG_NAMES[t]):
        text += f" {name}={int(args[k][i])}"
    return '"' + text + '"'


# Dispatch codes, most frequent first in the loop below.
(
    _C_NONE,
    _C_START,
    _C_UNBLOCK,
    _C_BLOCK,
    _C_SCHED,
    _C_END,
    _C_SYSCALL,
    _C_SYSBLOCK,
    _C_SYSEXIT,
    _C_CREATE,
    _C_PSTART,
    _C_PSTOP,
    _C_GCSTART,
    _C_GCDONE,
    _C_STWSTART,
    _C_STWDONE,
    _C_SWEEPSTART,
    _C_SWEEPDONE,
    _C_ASSISTSTART,
    _C_ASSISTDONE,
    _C_WAITING,
    _C_TASKCREATE,
    _C_TASKEND,
    _C_REGION,
    _C_BLOCKNET,
    _C_STOP,
) = range(26)
_CODE = np.zeros(256, np.int64)
for _t, _c in (
    (S.EvGoStart, _C_START),
    (S.EvGoStartLabel, _C_START),
    (S.EvGoUnblock, _C_UNBLOCK),
    (S.EvGoSched, _C_SCHED),
    (S.EvGoPreempt, _C_SCHED),
    (S.EvGoEnd, _C_END),
    (S.EvGoStop, _C_STOP),
    (S.EvGoSysCall, _C_SYSCALL),
    (S.EvGoSysBlock, _C_SYSBLOCK),
    (S.EvGoSysExit, _C_SYSEXIT),
    (S.EvGoCreate, _C_CREATE),
    (S.EvProcStart, _C_PSTART),
    (S.EvProcStop, _C_PSTOP),
    (S.EvGCStart, _C_GCSTART),
    (S.EvGCDone, _C_GCDONE),
    (S.EvSTWStart, _C_STWSTART),
    (S.EvSTWDone, _C_STWDONE),
    (S.EvGCSweepStart, _C_SWEEPSTART),
    (S.EvGCSweepDone, _C_SWEEPDONE),
    (S.EvGCMarkAssistStart, _C_ASSISTSTART),
    (S.EvGCMarkAssistDone, _C_ASSISTDONE),
    (S.EvGoWaiting, _C_WAITING),
    (S.EvGoInSyscall, _C_WAITING),
    (S.EvUserTaskCreate, _C_TASKCREATE),
    (S.EvUserTaskEnd, _C_TASKEND),
    (S.EvUserRegion, _C_REGION),
):
    _CODE[_t] = _c
for _t in _BLOCKS:
    _CODE[_t] = _C_BLOCK
_CODE[S.EvGoBlockNet] = _C_BLOCKNET
_CODE_U8 = _CODE.astype(np.uint8)
_DTYPES = (np.int64, np.uint64, np.int32, np.uint8, np.uint32, np.uint64, np.int32)


def post_process(
    ts_a: np.ndarray,
    g_a: np.ndarray,
    p_a: np.ndarray,
    typ_a: np.ndarray,
    stk_a: np.ndarray,
    args_in: np.ndarray,
    order: np.ndarray,
    stacks: dict[int, tuple[int, ...]],
) -> None:
    """Check the merged events (columns in final order) and fix up p_a and stk_a in place.
    Their arguments are args_in's rows `order` (Go's Args[0..3] in file order, (m, 4)), so the
    arguments need not be gathered before the checks.

    Go's gdesc/pdesc maps, flattened: `state` holds a G's state (its keys are Go's `gs` keys),
    with waiting split in two by whether the G's last event was a GoBlockNet (the only use
    of Go's g.ev); `create` the row of a G's pending GoCreate; `pg` the G a P runs.
    The compiled kernel does it all when the events pass; if not, the loop below raises.
    """
    mod = kernel.module(KERNEL)
    cols = (ts_a, g_a, p_a, typ_a, stk_a, args_in, order)
    if mod is not None and all(a.dtype == t and a.flags.c_contiguous for a, t in zip(cols, _DTYPES, strict=True)):
        known_ids = np.array(sorted({0, *stacks}), dtype=np.uint32)
        if mod.post(typ_a, g_a, p_a, stk_a, args_in, order, _CODE_U8, known_ids, S.TimerP, S.NetpollP, S.GCP):
            return
    args = [args_in[order, j] for j in range(4)]
    code = _CODE[typ_a]
    rows = np.flatnonzero(code)
    # Python lists for what the common events read; the rest is read from the arrays.
    g = g_a.tolist()
    p = p_a.tolist()
    a0 = args[0].tolist()
    ts = ts_a
    a1 = args[1]
    a2 = args[2]
    state: dict[int, int] = {0: _RUNNING}
    create: dict[int, int] = {}
    assist: set[int] = set()
    pg: dict[int, int] = {}
    prunning: set[int] = set()
    sweeping: set[int] = set()
    tasks: dict[int, int] = {}
    regions: dict[int, list[int]] = {}
    ev_gc = False
    ev_stw = False
    names = S.NAMES
    known = {0}
    known.update(stacks)
    waiting = (_WAITING, _WAITING_NET)

    def shown(i: int, current: bool) -> str:
        """Go's %q of an event; an earlier event's missing stack is already 0."""
        k = int(stk_a[i])
        return describe(ts_a, g_a, p_a, typ_a, k if current or k in known else 0, args, i)

    def check_running(i: int, allow_g0: bool) -> None:
        """Go's checkRunning."""
        name = names[int(typ_a[i])]
        if state.get(g[i], _DEAD) != _RUNNING:
            raise ScanError(f"g {g[i]} is not running while {name} (time {ts[i]})")
        if pg.get(p[i], 0) != g[i]:
            raise ScanError(f"p {p[i]} is not running g {g[i]} while {name} (time {ts[i]})")
        if not allow_g0 and g[i] == 0:
            raise ScanError(f"g 0 did {name} (time {ts[i]})")

    for i, c in zip(rows.tolist(), code[rows].tolist(), strict=True):
        if c <= _C_END or c >= _C_BLOCKNET:
            gi = g[i]
            pi = p[i]
            if c == _C_START:
                if state.get(gi, _DEAD) != _RUNNABLE:
                    raise ScanError(f"g {gi} is not runnable before start (time {ts[i]})")
                if pg.get(pi, 0) != 0:
                    raise ScanError(f"p {pi} is already running g {pg[pi]} while start g {gi} (time {ts[i]})")
                state[gi] = _RUNNING
                pg[pi] = gi
                if gi in create:
                    stk_a[i] = int(a1[create.pop(gi)]) & 0xFFFFFFFF
            elif c == _C_UNBLOCK:
                if state.get(gi, _DEAD) != _RUNNING:
                    raise ScanError(f"g {gi} is not running while unpark (time {ts[i]})")
                if pi != S.TimerP and pg.get(pi, 0) != gi:
                    raise ScanError(f"p {pi} is not running g {gi} while unpark (time {ts[i]})")
                g1 = a0[i]
                s1 = state.get(g1, _DEAD)
                if s1 != _WAITING and s1 != _WAITING_NET:
                    raise ScanError(f"g {g1} is not waiting before unpark (time {ts[i]})")
                if s1 == _WAITING_NET:
                    p_a[i] = S.NetpollP
                state[g1] = _RUNNABLE
            else:
                if state.get(gi, _DEAD) != _RUNNING or pg.get(pi, 0) != gi or gi == 0:
                    check_running(i, False)
                if c == _C_BLOCK:
                    state[gi] = _WAITING
                elif c == _C_BLOCKNET:
                    state[gi] = _WAITING_NET
                elif c == _C_SCHED:
                    state[gi] = _RUNNABLE
                else:
                    state[gi] = _DEAD
                    if c == _C_END:
                        regions.pop(gi, None)
                pg[pi] = 0
        elif c == _C_SYSCALL:
            check_running(i, False)
        elif c == _C_SYSBLOCK:
            check_running(i, False)
            state[g[i]] = _WAITING
            pg[p[i]] = 0
        elif c == _C_SYSEXIT:
            if state.get(g[i], _DEAD) not in waiting:
                raise ScanError(f"g {g[i]} is not waiting during syscall exit (time {ts[i]})")
            state[g[i]] = _RUNNABLE
        elif c == _C_CREATE:
            check_running(i, True)
            if a0[i] in state:
                raise ScanError(f"g {a0[i]} already exists (time {ts[i]})")
            state[a0[i]] = _RUNNABLE
            create[a0[i]] = i
            assist.discard(a0[i])
        elif c == _C_PSTART:
            if p[i] in prunning:
                raise ScanError(f"p {p[i]} is running before start (time {ts[i]})")
            prunning.add(p[i])
        elif c == _C_PSTOP:
            if p[i] not in prunning:
                raise ScanError(f"p {p[i]} is not running before stop (time {ts[i]})")
            if pg.get(p[i], 0) != 0:
                raise ScanError(f"p {p[i]} is running a goroutine {pg[p[i]]} during stop (time {ts[i]})")
            prunning.discard(p[i])
        elif c == _C_GCSTART:
            if ev_gc:
                raise ScanError(f"previous GC is not ended before a new one (time {ts[i]})")
            ev_gc = True
            p_a[i] = S.GCP
        elif c == _C_GCDONE:
            if not ev_gc:
                raise ScanError(f"bogus GC end (time {ts[i]})")
            ev_gc = False
        elif c == _C_STWSTART:
            if ev_stw:
                raise ScanError(f"previous STW is not ended before a new one (time {ts[i]})")
            ev_stw = True
        elif c == _C_STWDONE:
            if not ev_stw:
                raise ScanError(f"bogus STW end (time {ts[i]})")
            ev_stw = False
        elif c == _C_SWEEPSTART:
            if p[i] in sweeping:
                raise ScanError(f"previous sweeping is not ended before a new one (time {ts[i]})")
            sweeping.add(p[i])
        elif c == _C_SWEEPDONE:
            if p[i] not in sweeping:
                raise ScanError(f"bogus sweeping end (time {ts[i]})")
            sweeping.discard(p[i])
        elif c == _C_ASSISTSTART:
            if g[i] in assist:
                raise ScanError(f"previous mark assist is not ended before a new one (time {ts[i]})")
            assist.add(g[i])
            state.setdefault(g[i], _DEAD)
        elif c == _C_ASSISTDONE:
            assist.discard(g[i])
            state.setdefault(g[i], _DEAD)
        elif c == _C_WAITING:
            if state.get(g[i], _DEAD) != _RUNNABLE:
                what = "EvGoWaiting" if typ_a[i] == S.EvGoWaiting else "EvGoInSyscall"
                raise ScanError(f"g {g[i]} is not runnable before {what} (time {ts[i]})")
            state[g[i]] = _WAITING
        elif c == _C_TASKCREATE:
            prev = tasks.get(a0[i])
            if prev is not None:
                raise ScanError(f"task id conflicts (id:{a0[i]}), {shown(i, True)} vs {shown(prev, False)}")
            tasks[a0[i]] = i
        elif c == _C_TASKEND:
            tasks.pop(a0[i], None)
        else:  # EvUserRegion
            mode = int(a1[i])
            stack = regions.get(g[i])
            if mode == 0:
                if stack is None:
                    regions[g[i]] = [i]
                else:
                    stack.append(i)
            elif mode == 1:
                if stack:
                    s = stack[-1]
                    if a0[s] != a0[i] or a2[s] != a2[i]:
                        raise ScanError(
                            f"misuse of region in goroutine {g[i]}: span end {shown(i, True)}"
                            f" when the inner-most active span start event is {shown(s, False)}"
                        )
                    if len(stack) > 1:
                        stack.pop()
                    else:
                        del regions[g[i]]
            else:
                raise ScanError(f"invalid user region mode: {shown(i, True)}")
    # Go's last step for every event: a stack id with no stack (or an empty one) becomes 0.
    if len(stk_a):
        ids = np.array(sorted(known), dtype=np.uint32)
        stk_a[~np.isin(stk_a, ids)] = 0
