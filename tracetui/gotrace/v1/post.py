"""Go's postProcessTrace: the consistency checks over the merged events, and what they fix up.

Fix-ups, in place: a GCStart moves to the fake GCP, an unblock of a goroutine blocked on the
network to NetpollP, a goroutine's first GoStart takes the stack of its GoCreate, and a stack
id with no stack becomes 0. Errors carry Go's exact messages.
"""

from __future__ import annotations

import numpy as np

from tracetui.gotrace.v1 import spec as S
from tracetui.gotrace.v1.wire import ScanError

_DEAD, _RUNNABLE, _RUNNING, _WAITING = 0, 1, 2, 3
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


class _G:
    """Go's gdesc, reduced to what is read: state, whether its last event was a GoBlockNet,
    the row of its pending GoCreate (-1 if none), and whether a mark assist is open."""

    __slots__ = ("assist", "create", "net", "state")

    def __init__(self, state: int = _DEAD, create: int = -1) -> None:
        self.state = state
        self.net = False
        self.create = create
        self.assist = False


class _P:
    """Go's pdesc."""

    __slots__ = ("g", "running", "sweep")

    def __init__(self) -> None:
        self.running = False
        self.g = 0
        self.sweep = False


def describe(
    ts: list[int], g: list[int], p: list[int], typ: list[int], stk: list[int], args: np.ndarray, i: int
) -> str:
    """Go's Event.String() of row i, quoted as %q does."""
    t = typ[i]
    text = f"{ts[i]} {S.NAMES[t]} p={p[i]} g={g[i]} stk={stk[i]}"
    for k, name in enumerate(S.ARG_NAMES[t]):
        text += f" {name}={int(args[i, k])}"
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
) = range(24)
_CODE = np.zeros(256, np.int64)
for _t, _c in (
    (S.EvGoStart, _C_START),
    (S.EvGoStartLabel, _C_START),
    (S.EvGoUnblock, _C_UNBLOCK),
    (S.EvGoSched, _C_SCHED),
    (S.EvGoPreempt, _C_SCHED),
    (S.EvGoEnd, _C_END),
    (S.EvGoStop, _C_END),
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


def post_process(
    ts_a: np.ndarray,
    g_a: np.ndarray,
    p_a: np.ndarray,
    typ_a: np.ndarray,
    stk_a: np.ndarray,
    args: np.ndarray,
    stacks: dict[int, tuple[int, ...]],
) -> None:
    """Check the merged events (columns in final order) and fix up p_a and stk_a in place."""
    code = _CODE[typ_a]
    rows = np.flatnonzero(code)
    ts = ts_a.tolist()
    g = g_a.tolist()
    p = p_a.tolist()
    typ = typ_a.tolist()
    stk = stk_a.tolist()
    a0 = args[:, 0].tolist()
    a1 = args[:, 1].tolist()
    a2 = args[:, 2].tolist()
    gs: dict[int, _G] = {0: _G(_RUNNING)}
    ps: dict[int, _P] = {}
    tasks: dict[int, int] = {}
    regions: dict[int, list[int]] = {}
    ev_gc = False
    ev_stw = False
    names = S.NAMES
    known = {0}
    known.update(stacks)

    def shown(i: int, current: bool) -> str:
        """Go's %q of an event; an earlier event's missing stack is already 0."""
        k = stk[i]
        if not current and k not in known:
            stk[i] = 0
        text = describe(ts, g, p, typ, stk, args, i)
        stk[i] = k
        return text

    def not_running(pd: _P, gd: _G, i: int, allow_g0: bool) -> ScanError | None:
        """Go's checkRunning."""
        name = names[typ[i]]
        if gd.state != _RUNNING:
            return ScanError(f"g {g[i]} is not running while {name} (time {ts[i]})")
        if pd.g != g[i]:
            return ScanError(f"p {p[i]} is not running g {g[i]} while {name} (time {ts[i]})")
        if not allow_g0 and g[i] == 0:
            return ScanError(f"g 0 did {name} (time {ts[i]})")
        return None

    def pget(k: int) -> _P:
        pd = ps.get(k)
        if pd is None:
            pd = ps[k] = _P()
        return pd

    for i, c in zip(rows.tolist(), code[rows].tolist(), strict=True):
        if c <= _C_END:
            gi = g[i]
            gd = gs.get(gi) or _G()
            if c == _C_START:
                pd = ps.get(p[i]) or pget(p[i])
                if gd.state != _RUNNABLE:
                    raise ScanError(f"g {gi} is not runnable before start (time {ts[i]})")
                if pd.g != 0:
                    raise ScanError(f"p {p[i]} is already running g {pd.g} while start g {gi} (time {ts[i]})")
                gd.state = _RUNNING
                pd.g = gi
                if gd.create >= 0:
                    stk[i] = a1[gd.create] & 0xFFFFFFFF
                    gd.create = -1
                gd.net = False
                gs[gi] = gd
            elif c == _C_UNBLOCK:
                pd = ps.get(p[i]) or pget(p[i])
                if gd.state != _RUNNING:
                    raise ScanError(f"g {gi} is not running while unpark (time {ts[i]})")
                if p[i] != S.TimerP and pd.g != gi:
                    raise ScanError(f"p {p[i]} is not running g {gi} while unpark (time {ts[i]})")
                g1 = gs.get(a0[i]) or _G()
                if g1.state != _WAITING:
                    raise ScanError(f"g {a0[i]} is not waiting before unpark (time {ts[i]})")
                if g1.net:
                    p[i] = S.NetpollP
                g1.state = _RUNNABLE
                g1.net = False
                gs[a0[i]] = g1
            else:
                pd = ps.get(p[i]) or pget(p[i])
                if gd.state != _RUNNING or pd.g != gi or gi == 0:
                    err = not_running(pd, gd, i, False)
                    if err is not None:
                        raise err
                if c == _C_BLOCK:
                    gd.state = _WAITING
                    gd.net = typ[i] == S.EvGoBlockNet
                elif c == _C_SCHED:
                    gd.state = _RUNNABLE
                    gd.net = False
                else:  # GoEnd, GoStop
                    gd.state = _DEAD
                    if typ[i] == S.EvGoEnd:
                        regions.pop(gi, None)
                pd.g = 0
                gs[gi] = gd
        elif c == _C_SYSCALL:
            gd = gs.get(g[i]) or _G()
            err = not_running(pget(p[i]), gd, i, False)
            if err is not None:
                raise err
            gd.net = False
            gs[g[i]] = gd
        elif c == _C_SYSBLOCK:
            gd = gs.get(g[i]) or _G()
            pd = pget(p[i])
            err = not_running(pd, gd, i, False)
            if err is not None:
                raise err
            gd.state = _WAITING
            pd.g = 0
            gs[g[i]] = gd
        elif c == _C_SYSEXIT:
            gd = gs.get(g[i]) or _G()
            if gd.state != _WAITING:
                raise ScanError(f"g {g[i]} is not waiting during syscall exit (time {ts[i]})")
            gd.state = _RUNNABLE
            gd.net = False
            gs[g[i]] = gd
        elif c == _C_CREATE:
            err = not_running(pget(p[i]), gs.get(g[i]) or _G(), i, True)
            if err is not None:
                raise err
            if a0[i] in gs:
                raise ScanError(f"g {a0[i]} already exists (time {ts[i]})")
            gs[a0[i]] = _G(_RUNNABLE, i)
        elif c == _C_PSTART:
            pd = pget(p[i])
            if pd.running:
                raise ScanError(f"p {p[i]} is running before start (time {ts[i]})")
            pd.running = True
        elif c == _C_PSTOP:
            pd = pget(p[i])
            if not pd.running:
                raise ScanError(f"p {p[i]} is not running before stop (time {ts[i]})")
            if pd.g != 0:
                raise ScanError(f"p {p[i]} is running a goroutine {pd.g} during stop (time {ts[i]})")
            pd.running = False
        elif c == _C_GCSTART:
            if ev_gc:
                raise ScanError(f"previous GC is not ended before a new one (time {ts[i]})")
            ev_gc = True
            p[i] = S.GCP
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
            pd = pget(p[i])
            if pd.sweep:
                raise ScanError(f"previous sweeping is not ended before a new one (time {ts[i]})")
            pd.sweep = True
        elif c == _C_SWEEPDONE:
            pd = pget(p[i])
            if not pd.sweep:
                raise ScanError(f"bogus sweeping end (time {ts[i]})")
            pd.sweep = False
        elif c == _C_ASSISTSTART:
            gd = gs.get(g[i]) or _G()
            if gd.assist:
                raise ScanError(f"previous mark assist is not ended before a new one (time {ts[i]})")
            gd.assist = True
            gs[g[i]] = gd
        elif c == _C_ASSISTDONE:
            gd = gs.get(g[i]) or _G()
            gd.assist = False
            gs[g[i]] = gd
        elif c == _C_WAITING:
            gd = gs.get(g[i]) or _G()
            if gd.state != _RUNNABLE:
                what = "EvGoWaiting" if typ[i] == S.EvGoWaiting else "EvGoInSyscall"
                raise ScanError(f"g {g[i]} is not runnable before {what} (time {ts[i]})")
            gd.state = _WAITING
            gd.net = False
            gs[g[i]] = gd
        elif c == _C_TASKCREATE:
            prev = tasks.get(a0[i])
            if prev is not None:
                raise ScanError(f"task id conflicts (id:{a0[i]}), {shown(i, True)} vs {shown(prev, False)}")
            tasks[a0[i]] = i
        elif c == _C_TASKEND:
            tasks.pop(a0[i], None)
        else:  # EvUserRegion
            mode = a1[i]
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
    p_a[:] = p
    stk_a[:] = stk
    # Go's last step for every event: a stack id with no stack (or an empty one) becomes 0.
    if len(stk_a):
        ids = np.array(sorted(known), dtype=np.uint32)
        stk_a[~np.isin(stk_a, ids)] = 0
