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

    def running(pd: _P, gd: _G, i: int, allow_g0: bool) -> None:
        """Go's checkRunning."""
        name = names[typ[i]]
        if gd.state != _RUNNING:
            raise ScanError(f"g {g[i]} is not running while {name} (time {ts[i]})")
        if pd.g != g[i]:
            raise ScanError(f"p {p[i]} is not running g {g[i]} while {name} (time {ts[i]})")
        if not allow_g0 and g[i] == 0:
            raise ScanError(f"g 0 did {name} (time {ts[i]})")

    def gget(k: int) -> _G:
        gd = gs.get(k)
        return gd if gd is not None else _G()

    def pget(k: int) -> _P:
        pd = ps.get(k)
        if pd is None:
            pd = ps[k] = _P()
        return pd

    for i in range(len(typ)):
        t = typ[i]
        if t == S.EvProcStart:
            pd = pget(p[i])
            if pd.running:
                raise ScanError(f"p {p[i]} is running before start (time {ts[i]})")
            pd.running = True
        elif t == S.EvProcStop:
            pd = pget(p[i])
            if not pd.running:
                raise ScanError(f"p {p[i]} is not running before stop (time {ts[i]})")
            if pd.g != 0:
                raise ScanError(f"p {p[i]} is running a goroutine {pd.g} during stop (time {ts[i]})")
            pd.running = False
        elif t == S.EvGCStart:
            if ev_gc:
                raise ScanError(f"previous GC is not ended before a new one (time {ts[i]})")
            ev_gc = True
            p[i] = S.GCP
        elif t == S.EvGCDone:
            if not ev_gc:
                raise ScanError(f"bogus GC end (time {ts[i]})")
            ev_gc = False
        elif t == S.EvSTWStart:
            if ev_stw:
                raise ScanError(f"previous STW is not ended before a new one (time {ts[i]})")
            ev_stw = True
        elif t == S.EvSTWDone:
            if not ev_stw:
                raise ScanError(f"bogus STW end (time {ts[i]})")
            ev_stw = False
        elif t == S.EvGCSweepStart:
            pd = pget(p[i])
            if pd.sweep:
                raise ScanError(f"previous sweeping is not ended before a new one (time {ts[i]})")
            pd.sweep = True
        elif t == S.EvGCMarkAssistStart:
            gd = gget(g[i])
            if gd.assist:
                raise ScanError(f"previous mark assist is not ended before a new one (time {ts[i]})")
            gd.assist = True
            gs[g[i]] = gd
        elif t == S.EvGCMarkAssistDone:
            gd = gget(g[i])
            gd.assist = False
            gs[g[i]] = gd
        elif t == S.EvGCSweepDone:
            pd = pget(p[i])
            if not pd.sweep:
                raise ScanError(f"bogus sweeping end (time {ts[i]})")
            pd.sweep = False
        elif t == S.EvGoWaiting or t == S.EvGoInSyscall:
            gd = gget(g[i])
            if gd.state != _RUNNABLE:
                what = "EvGoWaiting" if t == S.EvGoWaiting else "EvGoInSyscall"
                raise ScanError(f"g {g[i]} is not runnable before {what} (time {ts[i]})")
            gd.state = _WAITING
            gd.net = False
            gs[g[i]] = gd
        elif t == S.EvGoCreate:
            running(pget(p[i]), gget(g[i]), i, True)
            if a0[i] in gs:
                raise ScanError(f"g {a0[i]} already exists (time {ts[i]})")
            gs[a0[i]] = _G(_RUNNABLE, i)
        elif t == S.EvGoStart or t == S.EvGoStartLabel:
            gd = gget(g[i])
            pd = pget(p[i])
            if gd.state != _RUNNABLE:
                raise ScanError(f"g {g[i]} is not runnable before start (time {ts[i]})")
            if pd.g != 0:
                raise ScanError(f"p {p[i]} is already running g {pd.g} while start g {g[i]} (time {ts[i]})")
            gd.state = _RUNNING
            pd.g = g[i]
            if gd.create >= 0:
                stk[i] = a1[gd.create] & 0xFFFFFFFF
                gd.create = -1
            gd.net = False
            gs[g[i]] = gd
        elif t == S.EvGoEnd or t == S.EvGoStop:
            gd = gget(g[i])
            pd = pget(p[i])
            running(pd, gd, i, False)
            gd.state = _DEAD
            pd.g = 0
            if t == S.EvGoEnd:
                regions.pop(g[i], None)
            gs[g[i]] = gd
        elif t == S.EvGoSched or t == S.EvGoPreempt:
            gd = gget(g[i])
            pd = pget(p[i])
            running(pd, gd, i, False)
            gd.state = _RUNNABLE
            pd.g = 0
            gd.net = False
            gs[g[i]] = gd
        elif t == S.EvGoUnblock:
            gd = gget(g[i])
            pd = pget(p[i])
            if gd.state != _RUNNING:
                raise ScanError(f"g {g[i]} is not running while unpark (time {ts[i]})")
            if p[i] != S.TimerP and pd.g != g[i]:
                raise ScanError(f"p {p[i]} is not running g {g[i]} while unpark (time {ts[i]})")
            g1 = gget(a0[i])
            if g1.state != _WAITING:
                raise ScanError(f"g {a0[i]} is not waiting before unpark (time {ts[i]})")
            if g1.net:
                p[i] = S.NetpollP
            g1.state = _RUNNABLE
            g1.net = False
            gs[a0[i]] = g1
        elif t == S.EvGoSysCall:
            gd = gget(g[i])
            running(pget(p[i]), gd, i, False)
            gd.net = False
            gs[g[i]] = gd
        elif t == S.EvGoSysBlock:
            gd = gget(g[i])
            pd = pget(p[i])
            running(pd, gd, i, False)
            gd.state = _WAITING
            pd.g = 0
            gs[g[i]] = gd
        elif t == S.EvGoSysExit:
            gd = gget(g[i])
            if gd.state != _WAITING:
                raise ScanError(f"g {g[i]} is not waiting during syscall exit (time {ts[i]})")
            gd.state = _RUNNABLE
            gd.net = False
            gs[g[i]] = gd
        elif t in _BLOCKS:
            gd = gget(g[i])
            pd = pget(p[i])
            running(pd, gd, i, False)
            gd.state = _WAITING
            gd.net = t == S.EvGoBlockNet
            pd.g = 0
            gs[g[i]] = gd
        elif t == S.EvUserTaskCreate:
            prev = tasks.get(a0[i])
            if prev is not None:
                here = describe(ts, g, p, typ, stk, args, i)
                there = describe(ts, g, p, typ, stk, args, prev)
                raise ScanError(f"task id conflicts (id:{a0[i]}), {here} vs {there}")
            tasks[a0[i]] = i
        elif t == S.EvUserTaskEnd:
            tasks.pop(a0[i], None)
        elif t == S.EvUserRegion:
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
                            f"misuse of region in goroutine {g[i]}: span end {describe(ts, g, p, typ, stk, args, i)}"
                            f" when the inner-most active span start event is {describe(ts, g, p, typ, stk, args, s)}"
                        )
                    if len(stack) > 1:
                        stack.pop()
                    else:
                        del regions[g[i]]
            else:
                raise ScanError(f"invalid user region mode: {describe(ts, g, p, typ, stk, args, i)}")
        if stk[i] != 0 and stk[i] not in stacks:
            stk[i] = 0
    p_a[:] = p
    stk_a[:] = stk
