"""Ordering and validation of events across Ms: Go's `internal/trace/order.go`, rule for rule.

`Ordering.advance` decides whether an event can happen now given the emulated scheduler
state of every G, P and M; if it can, it updates that state and emits the parsed event(s)
into `out` (see `Ordering.out`), with Go's smuggled fields.
"""

from __future__ import annotations

from collections.abc import Callable, MutableSequence

from tracetui.gotrace import spec as S
from tracetui.gotrace.transitions import G_CTX_L, RES, SWITCH_THEN, W_FROM_L, W_TO_L
from tracetui.gotrace.transitions import NO_G as CTX_NO_G

NO_G = -1
NO_P = -1
NO_M = -1
_I64 = 1 << 63
_U64P1 = 1 << 64


class OrderError(Exception):
    """The trace is broken: Go's parser would stop with this message."""


def _i64(v: int) -> int:
    return v - _U64P1 if v >= _I64 else v


class GState:
    __slots__ = ("id", "ranges", "regions", "seq", "sgen", "status")

    def __init__(self, gid: int, status: int, sgen: int) -> None:
        self.id = gid
        self.status = status
        self.sgen = sgen
        self.seq = 0
        self.regions: list[tuple[int, str]] = []
        self.ranges: list[tuple[int, int]] = []


class PState:
    __slots__ = ("id", "ranges", "seq", "sgen", "status")

    def __init__(self, pid: int, status: int, sgen: int) -> None:
        self.id = pid
        self.status = status
        self.sgen = sgen
        self.seq = 0
        self.ranges: list[tuple[int, int]] = []


class MState:
    __slots__ = ("g", "p")

    def __init__(self, g: int, p: int) -> None:
        self.g = g
        self.p = p


GC_UNDETERMINED, GC_NOT_RUNNING, GC_RUNNING = 0, 1, 2

MUST_NOT, MAY, MUST = 0, 1, 2


def _range_type(typ: int) -> int:
    start = S.SPECS[typ].start_ev
    return start if start != S.EvNone else typ


def _validate(m: int, p: int, g: int, rm: int, rp: int, rg: int) -> None:
    if rm == MUST and m == NO_M:
        raise OrderError("expected a thread but didn't have one")
    if rm == MUST_NOT and m != NO_M:
        raise OrderError("expected no thread but had one")
    if rp == MUST and p == NO_P:
        raise OrderError("expected a proc but didn't have one")
    if rp == MUST_NOT and p != NO_P:
        raise OrderError("expected no proc but had one")
    if rg == MUST and g == NO_G:
        raise OrderError("expected a goroutine but didn't have one")
    if rg == MUST_NOT and g != NO_G:
        raise OrderError("expected no goroutine but had one")


def _user_go(m: int, p: int, g: int) -> None:
    if m == NO_M or p == NO_P or g == NO_G:
        _validate(m, p, g, MUST, MUST, MUST)


Handler = Callable[["Ordering", int, int, list[int], int, int, int, int], "tuple[int, int] | None"]


class Ordering:
    """Emulated scheduler state; see the module docstring."""

    def __init__(
        self,
        version: int,
        out: MutableSequence[int],
        full: list[tuple[int, ...]],
        strings_of: Callable[[int], str | None],
    ) -> None:
        self.version = version
        self.g_states: dict[int, GState] = {}
        self.p_states: dict[int, PState] = {}
        self.m_states: dict[int, MState] = {}
        self.active_tasks: dict[int, tuple[str, int]] = {}
        self.gc_seq = 0
        self.gc_state = GC_UNDETERMINED
        self.initial_gen = 0
        # Emitted events, in order, as flat rows of (source row, m, p, g). A source row >= 0
        # indexes the generation's decoded events (arguments unchanged); -k-1 indexes `full`.
        self.out = out
        self.full = full
        # Looks up a string of the current generation by ID (None if absent).
        self.string = strings_of
        # Extra strings produced while parsing (task names carried into later generations).
        self.extra_strings: list[str] = []
        self._dispatch: list[Handler | None] = [None] * 256
        d = self._dispatch
        O = Ordering
        d[S.EvProcsChange] = O._annotation
        d[S.EvProcStart] = O._proc_start
        d[S.EvProcStop] = O._proc_stop
        d[S.EvProcSteal] = O._proc_steal
        d[S.EvProcStatus] = O._proc_status
        d[S.EvGoCreate] = O._go_create
        d[S.EvGoCreateSyscall] = O._go_create_syscall
        d[S.EvGoStart] = O._go_start
        d[S.EvGoDestroy] = O._go_stop_exec
        d[S.EvGoDestroySyscall] = O._go_destroy_syscall
        d[S.EvGoStop] = O._go_stop_exec
        d[S.EvGoBlock] = O._go_stop_exec
        d[S.EvGoUnblock] = O._go_unblock
        d[S.EvGoSyscallBegin] = O._go_syscall_begin
        d[S.EvGoSyscallEnd] = O._go_syscall_end
        d[S.EvGoSyscallEndBlocked] = O._go_syscall_end_blocked
        d[S.EvGoStatus] = O._go_status
        d[S.EvSTWBegin] = O._go_range_begin
        d[S.EvSTWEnd] = O._go_range_end
        d[S.EvGCActive] = O._gc_active
        d[S.EvGCBegin] = O._gc_begin
        d[S.EvGCEnd] = O._gc_end
        d[S.EvGCSweepActive] = O._gc_sweep_active
        d[S.EvGCSweepBegin] = O._gc_sweep_begin
        d[S.EvGCSweepEnd] = O._gc_sweep_end
        d[S.EvGCMarkAssistActive] = O._go_range_active
        d[S.EvGCMarkAssistBegin] = O._go_range_begin
        d[S.EvGCMarkAssistEnd] = O._go_range_end
        d[S.EvHeapAlloc] = O._heap_metric
        d[S.EvHeapGoal] = O._heap_metric
        d[S.EvGoLabel] = O._annotation
        d[S.EvUserTaskBegin] = O._user_task_begin
        d[S.EvUserTaskEnd] = O._user_task_end
        d[S.EvUserRegionBegin] = O._user_region_begin
        d[S.EvUserRegionEnd] = O._user_region_end
        d[S.EvUserLog] = O._annotation
        d[S.EvGoSwitch] = O._go_switch
        d[S.EvGoSwitchDestroy] = O._go_switch
        d[S.EvGoCreateBlocked] = O._go_create
        d[S.EvGoStatusStack] = O._go_status
        for t in range(S.EvSpan, S.MaxExperimentalEvent):
            d[t] = O._alloc_free

    def ev_name(self, typ: int) -> str:
        return S.event_name(self.version, typ)

    def add_extra_string(self, s: str) -> int:
        """An ID for a string that did not come from this generation's table (0 for "")."""
        if s == "":
            return 0
        self.extra_strings.append(s)
        return len(self.extra_strings)

    # --- entry point -----------------------------------------------------------------

    def advance(self, typ: int, time: int, a: list[int], m: int, gen: int) -> bool:
        """Go's ordering.Advance: True if the event happened (and was emitted)."""
        if self.initial_gen == 0:
            self.initial_gen = gen
        if m == NO_M:
            ms = None
            p = NO_P
            g = NO_G
        else:
            ms = self.m_states.get(m)
            if ms is None:
                ms = self.m_states[m] = MState(NO_G, NO_P)
            p = ms.p
            g = ms.g
        f = self._dispatch[typ]
        if f is None:
            raise OrderError(f"bad event type found while ordering: {typ}")
        res = f(self, typ, time, a, m, p, g, gen)
        if res is None:
            return False
        if ms is not None:
            ms.g, ms.p = res
        return True

    def _emit(self, typ: int, time: int, m: int, p: int, g: int, a: list[int]) -> None:
        self._push(typ, time, m, p, g, a[0], a[1], a[2], a[3])

    def _push(self, typ: int, time: int, m: int, p: int, g: int, a0: int, a1: int, a2: int, a3: int) -> None:
        """Emit an event given in full: `out` gets (-k-1, m, p, g), `full` row k the rest."""
        full = self.full
        self.out.extend((-len(full) - 1, m, p, g))
        full.append((typ, time, a0, a1, a2, a3))

    # --- procs -----------------------------------------------------------------------

    def _proc_status(self, typ: int, t: int, a: list[int], m: int, p: int, g: int, gen: int) -> tuple[int, int] | None:
        pid = _i64(a[0])
        status = a[1]
        if status >= len(S.PROC_STATUS_TO_STATE):
            raise OrderError(f"invalid status for proc {pid}: {status}")
        old_state = S.PROC_STATUS_TO_STATE[status]
        s = self.p_states.get(pid)
        if s is not None:
            if status == S.ProcSyscallAbandonedW and s.status == S.ProcSyscallW:
                old_state = S.ProcRunning
                a[1] = S.ProcSyscallW
            elif status == S.ProcSyscallAbandonedW and s.status == S.ProcSyscallAbandonedW:
                old_state = S.ProcIdle
                a[1] = S.ProcSyscallAbandonedW
            elif s.status != status:
                raise OrderError(
                    f"inconsistent status for proc {pid}: old {S.PROC_STATUS_NAMES[s.status]} "
                    f"vs. new {_status_name(S.PROC_STATUS_NAMES, status)}"
                )
            s.sgen, s.seq = gen, 0
        else:
            self.p_states[pid] = PState(pid, status, gen)
            old_state = S.ProcUndetermined if gen == self.initial_gen else S.ProcNotExist
        a[2] = old_state
        new = (g, pid) if status in (S.ProcRunningW, S.ProcSyscallW) else (g, p)
        if status == S.ProcSyscallAbandonedW and old_state == S.ProcRunning:
            found = False
            for mid, ms in self.m_states.items():
                if ms.p == pid:
                    m, p, g = mid, pid, ms.g
                    found = True
            if not found:
                raise OrderError(f"failed to find sched context for proc {pid} that's about to be stolen")
        self._emit(typ, t, m, p, g, a)
        return new

    def _proc_start(self, typ: int, t: int, a: list[int], m: int, p: int, g: int, gen: int) -> tuple[int, int] | None:
        pid = _i64(a[0])
        st = self.p_states.get(pid)
        if st is None or st.status != S.ProcIdleW or st.sgen != gen or a[1] != st.seq + 1 or p != NO_P:
            return None
        _validate(m, p, g, MUST, MUST_NOT, MAY)
        st.status = S.ProcRunningW
        st.seq = a[1]
        self._emit(typ, t, m, p, g, a)
        return (g, pid)

    def _proc_stop(self, typ: int, t: int, a: list[int], m: int, p: int, g: int, gen: int) -> tuple[int, int] | None:
        st = self.p_states.get(p)
        if st is None:
            raise OrderError(f"event {self.ev_name(typ)} for proc ({p}) that doesn't exist")
        if st.status != S.ProcRunningW and st.status != S.ProcSyscallW:
            raise OrderError(f"{self.ev_name(typ)} event for proc that's not Running or Syscall")
        _validate(m, p, g, MUST, MUST, MAY)
        st.status = S.ProcIdleW
        self._emit(typ, t, m, p, g, a)
        return (g, NO_P)

    def _proc_steal(self, typ: int, t: int, a: list[int], m: int, p: int, g: int, gen: int) -> tuple[int, int] | None:
        pid = _i64(a[0])
        st = self.p_states.get(pid)
        if (
            st is None
            or (st.status != S.ProcSyscallW and st.status != S.ProcSyscallAbandonedW)
            or st.sgen != gen
            or a[1] != st.seq + 1
        ):
            return None
        _validate(m, p, g, MUST, MAY, MAY)
        old_status = st.status
        a[3] = old_status
        st.status = S.ProcIdleW
        st.seq = a[1]
        if old_status == S.ProcSyscallAbandonedW:
            self._emit(typ, t, m, p, g, a)
            return (g, p)
        mid = _i64(a[2])
        if mid == m:
            if p != pid:
                raise OrderError(f"tried to self-steal proc {pid} (thread {mid}), but got proc {p} instead")
            self._emit(typ, t, m, p, g, a)
            return (g, NO_P)
        ms = self.m_states.get(mid)
        if ms is None:
            raise OrderError(f"stole proc from non-existent thread {mid}")
        if ms.p != pid:
            raise OrderError(f"tried to steal proc {pid} from thread {mid}, but got proc {ms.p} instead")
        ms.p = NO_P
        self._emit(typ, t, m, p, g, a)
        return (g, p)

    # --- goroutines ------------------------------------------------------------------

    def _go_status(self, typ: int, t: int, a: list[int], m: int, p: int, g: int, gen: int) -> tuple[int, int] | None:
        gid = _i64(a[0])
        mid = _i64(a[1])
        status = a[2]
        if status >= len(S.GO_STATUS_TO_STATE):
            raise OrderError(f"invalid status for goroutine {gid}: {status}")
        old_state = S.GO_STATUS_TO_STATE[status]
        s = self.g_states.get(gid)
        if s is not None:
            if s.status != status:
                raise OrderError(
                    f"inconsistent status for goroutine {gid}: old {S.GO_STATUS_NAMES[s.status]} "
                    f"vs. new {_status_name(S.GO_STATUS_NAMES, status)}"
                )
            s.sgen, s.seq = gen, 0
        elif gen == self.initial_gen:
            self.g_states[gid] = GState(gid, status, gen)
            old_state = S.GoUndetermined
        else:
            raise OrderError(
                f"found goroutine status for new goroutine after the first generation: "
                f"id={gid} status={_status_name(S.GO_STATUS_NAMES, status)}"
            )
        a[2] = (old_state << 32) | status
        new = (g, p)
        if status == S.GoRunningW:
            new = (gid, p)
        elif status == S.GoSyscallW:
            if mid == NO_M:
                raise OrderError(f"found goroutine {gid} in syscall without a thread")
            if mid == m:
                if gen != self.initial_gen and g != gid:
                    raise OrderError(f"inconsistent thread for syscalling goroutine {gid}: thread has goroutine {g}")
                new = (gid, p)
            else:
                ms = self.m_states.get(mid)
                if ms is not None:
                    if ms.g != gid:
                        raise OrderError(
                            f"inconsistent thread for syscalling goroutine {gid}: thread has goroutine {ms.g}"
                        )
                    g = ms.g
                else:
                    self.m_states[mid] = MState(gid, NO_P)
                m = mid
        self._emit(typ, t, m, p, g, a)
        return new

    def _go_create(self, typ: int, t: int, a: list[int], m: int, p: int, g: int, gen: int) -> tuple[int, int] | None:
        _validate(m, p, g, MUST, MUST, MAY)
        st = self.g_states.get(g)
        if st is not None and st.status != S.GoRunningW:  # the creator
            raise OrderError(f"{self.ev_name(typ)} event for goroutine that's not Running")
        newg = _i64(a[0])
        if newg in self.g_states:
            raise OrderError(f"tried to create goroutine ({newg}) that already exists")
        self.g_states[newg] = GState(newg, W_TO_L[typ], gen)
        self._emit(typ, t, m, p, g, a)
        return (g, p)

    def _go_stop_exec(self, typ: int, t: int, a: list[int], m: int, p: int, g: int, gen: int) -> tuple[int, int] | None:
        if m == NO_M or p == NO_P or g == NO_G:
            _validate(m, p, g, MUST, MUST, MUST)
        st = self.g_states.get(g)
        if st is None:
            raise OrderError(f"event {self.ev_name(typ)} for goroutine ({g}) that doesn't exist")
        if st.status != W_FROM_L[typ]:
            raise OrderError(f"{self.ev_name(typ)} event for goroutine that's not Running")
        _set_status(self.g_states, g, st, W_TO_L[typ])
        self._emit(typ, t, m, p, g, a)
        return (_ctx_g(typ, g, g), p)

    def _go_start(self, typ: int, t: int, a: list[int], m: int, p: int, g: int, gen: int) -> tuple[int, int] | None:
        gid = _i64(a[0])
        st = self.g_states.get(gid)
        if st is None or st.status != W_FROM_L[typ] or st.sgen != gen or a[1] != st.seq + 1:
            return None
        if m == NO_M or p == NO_P or g != NO_G:
            _validate(m, p, g, MUST, MUST, MUST_NOT)
        st.status = W_TO_L[typ]
        st.seq = a[1]
        self._emit(typ, t, m, p, g, a)
        return (_ctx_g(typ, g, gid), p)

    def _go_unblock(self, typ: int, t: int, a: list[int], m: int, p: int, g: int, gen: int) -> tuple[int, int] | None:
        gid = _i64(a[0])
        st = self.g_states.get(gid)
        if st is None or st.status != W_FROM_L[typ] or st.sgen != gen or a[1] != st.seq + 1:
            return None
        st.status = W_TO_L[typ]
        st.seq = a[1]
        self._emit(typ, t, m, p, g, a)
        return (_ctx_g(typ, g, gid), p)

    def _go_switch(self, typ: int, t: int, a: list[int], m: int, p: int, g: int, gen: int) -> tuple[int, int] | None:
        _user_go(m, p, g)
        cur = self.g_states.get(g)
        if cur is None:
            raise OrderError(f"event {self.ev_name(typ)} for goroutine ({g}) that doesn't exist")
        then_cur, then_next = SWITCH_THEN[typ]
        if cur.status != W_FROM_L[then_cur]:
            raise OrderError(f"{self.ev_name(typ)} event for goroutine that's not Running")
        nextg = _i64(a[0])
        nxt = self.g_states.get(nextg)
        if nxt is None or nxt.status != W_FROM_L[typ] or nxt.sgen != gen or a[1] != nxt.seq + 1:
            return None
        self._emit(typ, t, m, p, g, a)
        _set_status(self.g_states, g, cur, W_TO_L[then_cur])
        self._push(then_cur, t, m, p, g, 0, 0, 0, 0)
        nxt.status = W_TO_L[then_next]
        nxt.seq = a[1]
        self._push(then_next, t, m, p, NO_G, a[0], a[1], 0, 0)
        return (_ctx_g(typ, g, nextg), p)

    def _go_syscall_begin(
        self, typ: int, t: int, a: list[int], m: int, p: int, g: int, gen: int
    ) -> tuple[int, int] | None:
        _user_go(m, p, g)
        st = self.g_states.get(g)
        if st is None:
            raise OrderError(f"event {self.ev_name(typ)} for goroutine ({g}) that doesn't exist")
        if st.status != W_FROM_L[typ]:
            raise OrderError(f"{self.ev_name(typ)} event for goroutine that's not Running")
        st.status = W_TO_L[typ]
        ps = self.p_states.get(p)
        if ps is None:
            raise OrderError(f"uninitialized proc {p} found during {self.ev_name(typ)}")
        ps.status = S.ProcSyscallW
        if ps.sgen != gen or a[0] != ps.seq + 1:
            raise OrderError(
                f"failed to advance {self.ev_name(typ)}: can't make sequence: "
                f"{ps.seq} (gen={ps.sgen}) -> {a[0]} (gen={gen})"
            )
        ps.seq = a[0]
        self._emit(typ, t, m, p, g, a)
        return (g, p)

    def _go_syscall_end(
        self, typ: int, t: int, a: list[int], m: int, p: int, g: int, gen: int
    ) -> tuple[int, int] | None:
        _user_go(m, p, g)
        st = self.g_states.get(g)
        if st is None:
            raise OrderError(f"event {self.ev_name(typ)} for goroutine ({g}) that doesn't exist")
        if st.status != W_FROM_L[typ]:
            raise OrderError(f"{self.ev_name(typ)} event for goroutine that's not Running")  # sic, as Go
        st.status = W_TO_L[typ]
        ps = self.p_states.get(p)
        if ps is None:
            raise OrderError(f"uninitialized proc {p} found during {self.ev_name(typ)}")
        if ps.status != S.ProcSyscallW:
            raise OrderError(
                f"expected proc {p} in state Syscall, but got {_status_name(S.PROC_STATUS_NAMES, ps.status)} instead"
            )
        ps.status = S.ProcRunningW
        self._emit(typ, t, m, p, g, a)
        return (g, p)

    def _go_syscall_end_blocked(
        self, typ: int, t: int, a: list[int], m: int, p: int, g: int, gen: int
    ) -> tuple[int, int] | None:
        if p != NO_P:
            ps = self.p_states.get(p)
            if ps is None:
                raise OrderError(f"uninitialized proc {p} found during {self.ev_name(typ)}")
            if ps.status == S.ProcSyscallW:
                return None
        _validate(m, p, g, MUST, MAY, MUST)
        st = self.g_states.get(g)
        if st is None:
            raise OrderError(f"event {self.ev_name(typ)} for goroutine ({g}) that doesn't exist")
        if st.status != W_FROM_L[typ]:
            raise OrderError(f"{self.ev_name(typ)} event for goroutine that's not Running")  # sic, as Go
        st.status = W_TO_L[typ]
        self._emit(typ, t, m, p, g, a)
        return (_ctx_g(typ, g, g), p)

    def _go_create_syscall(
        self, typ: int, t: int, a: list[int], m: int, p: int, g: int, gen: int
    ) -> tuple[int, int] | None:
        _validate(m, p, g, MUST, MAY, MUST_NOT)
        newg = _i64(a[0])
        if newg in self.g_states:
            raise OrderError(f"tried to create goroutine ({newg}) in syscall that already exists")
        self.g_states[newg] = GState(newg, W_TO_L[typ], gen)
        self._emit(typ, t, m, p, g, a)
        return (_ctx_g(typ, g, newg), p)

    def _go_destroy_syscall(
        self, typ: int, t: int, a: list[int], m: int, p: int, g: int, gen: int
    ) -> tuple[int, int] | None:
        _validate(m, p, g, MUST, MAY, MUST)
        st = self.g_states.get(g)
        if st is None:
            raise OrderError(f"event {self.ev_name(typ)} for goroutine ({g}) that doesn't exist")
        if st.status != W_FROM_L[typ]:
            raise OrderError(f"{self.ev_name(typ)} event for goroutine that's not Syscall")
        _set_status(self.g_states, g, st, W_TO_L[typ])
        new_p = p
        if p != NO_P:
            ps = self.p_states.get(p)
            if ps is None:
                raise OrderError(f"found invalid proc {p} during {self.ev_name(typ)}")
            if ps.status != S.ProcSyscallW:
                raise OrderError(
                    f"proc {p} in unexpected state {_status_name(S.PROC_STATUS_NAMES, ps.status)} "
                    f"during {self.ev_name(typ)}"
                )
            ps.status = S.ProcSyscallAbandonedW
            new_p = NO_P
            self._push(S.EvProcSteal, t, m, p, g, p & (_U64P1 - 1), 0, 0, S.ProcSyscallW)
        self._emit(typ, t, m, p, g, a)
        return (_ctx_g(typ, g, g), new_p)

    # --- annotations -----------------------------------------------------------------

    def _user_task_begin(
        self, typ: int, t: int, a: list[int], m: int, p: int, g: int, gen: int
    ) -> tuple[int, int] | None:
        tid = a[0]
        if tid in self.active_tasks:
            raise OrderError(f"task ID conflict: {tid}")
        parent = a[1]
        if parent == S.BACKGROUND_TASK:
            parent = S.NO_TASK
            a[1] = S.NO_TASK
        name = self.string(a[2])
        if name is None:
            raise OrderError(f"invalid string ID {a[2]} for {typ} event")
        self.active_tasks[tid] = (name, parent)
        _user_go(m, p, g)
        self._emit(typ, t, m, p, g, a)
        return (g, p)

    def _user_task_end(
        self, typ: int, t: int, a: list[int], m: int, p: int, g: int, gen: int
    ) -> tuple[int, int] | None:
        tid = a[0]
        ts = self.active_tasks.pop(tid, None)
        if ts is not None:
            a[2] = ts[1]
            a[3] = self.add_extra_string(ts[0])
        else:
            a[2] = S.NO_TASK
            a[3] = 0
        _user_go(m, p, g)
        self._emit(typ, t, m, p, g, a)
        return (g, p)

    def _user_region_begin(
        self, typ: int, t: int, a: list[int], m: int, p: int, g: int, gen: int
    ) -> tuple[int, int] | None:
        _user_go(m, p, g)
        name = self.string(a[1])
        if name is None:
            raise OrderError(f"invalid string ID {a[1]} for {typ} event")
        st = self.g_states.get(g)
        if st is None:
            raise OrderError(f"encountered EvUserRegionBegin without known state for current goroutine {g}")
        st.regions.append((a[0], name))
        self._emit(typ, t, m, p, g, a)
        return (g, p)

    def _user_region_end(
        self, typ: int, t: int, a: list[int], m: int, p: int, g: int, gen: int
    ) -> tuple[int, int] | None:
        _user_go(m, p, g)
        name = self.string(a[1])
        if name is None:
            raise OrderError(f"invalid string ID {a[1]} for {typ} event")
        st = self.g_states.get(g)
        if st is None:
            raise OrderError(f"encountered EvUserRegionEnd without known state for current goroutine {g}")
        if st.regions:
            top = st.regions[-1]
            if top != (a[0], name):
                raise OrderError(
                    f"misuse of region in goroutine {g}: region end {{{a[0]} {name}}} when the inner-most "
                    f"active region start event is {{{top[0]} {top[1]}}}"
                )
            st.regions.pop()
        self._emit(typ, t, m, p, g, a)
        return (g, p)

    def _annotation(self, typ: int, t: int, a: list[int], m: int, p: int, g: int, gen: int) -> tuple[int, int] | None:
        if m == NO_M or p == NO_P or g == NO_G:
            _validate(m, p, g, MUST, MUST, MUST)
        self._emit(typ, t, m, p, g, a)
        return (g, p)

    def _heap_metric(self, typ: int, t: int, a: list[int], m: int, p: int, g: int, gen: int) -> tuple[int, int] | None:
        if m == NO_M or p == NO_P:
            _validate(m, p, g, MUST, MUST, MAY)
        self._emit(typ, t, m, p, g, a)
        return (g, p)

    def _alloc_free(self, typ: int, t: int, a: list[int], m: int, p: int, g: int, gen: int) -> tuple[int, int] | None:
        _validate(m, p, g, MUST, MAY, MAY)
        self._emit(typ, t, m, p, g, a)
        return (g, p)

    # --- GC --------------------------------------------------------------------------

    def _gc_active(self, typ: int, t: int, a: list[int], m: int, p: int, g: int, gen: int) -> tuple[int, int] | None:
        seq = a[0]
        if gen == self.initial_gen:
            if self.gc_state != GC_UNDETERMINED:
                raise OrderError("GCActive in the first generation isn't first GC event")
            self.gc_seq = seq
            self.gc_state = GC_RUNNING
            self._emit(typ, t, m, p, g, a)
            return (g, p)
        if seq != self.gc_seq + 1:
            return None
        if self.gc_state != GC_RUNNING:
            raise OrderError("encountered GCActive while GC was not in progress")
        self.gc_seq = seq
        _user_go(m, p, g)
        self._emit(typ, t, m, p, g, a)
        return (g, p)

    def _gc_begin(self, typ: int, t: int, a: list[int], m: int, p: int, g: int, gen: int) -> tuple[int, int] | None:
        seq = a[0]
        if self.gc_state == GC_UNDETERMINED:
            self.gc_seq = seq
            self.gc_state = GC_RUNNING
            self._emit(typ, t, m, p, g, a)
            return (g, p)
        if seq != self.gc_seq + 1:
            return None
        if self.gc_state == GC_RUNNING:
            raise OrderError("encountered GCBegin while GC was already in progress")
        self.gc_seq = seq
        self.gc_state = GC_RUNNING
        _user_go(m, p, g)
        self._emit(typ, t, m, p, g, a)
        return (g, p)

    def _gc_end(self, typ: int, t: int, a: list[int], m: int, p: int, g: int, gen: int) -> tuple[int, int] | None:
        seq = a[0]
        if seq != self.gc_seq + 1:
            return None
        if self.gc_state == GC_NOT_RUNNING:
            raise OrderError("encountered GCEnd when GC was not in progress")
        if self.gc_state == GC_UNDETERMINED:
            raise OrderError("encountered GCEnd when GC was in an undetermined state")
        self.gc_seq = seq
        self.gc_state = GC_NOT_RUNNING
        _user_go(m, p, g)
        self._emit(typ, t, m, p, g, a)
        return (g, p)

    def _gc_sweep_begin(
        self, typ: int, t: int, a: list[int], m: int, p: int, g: int, gen: int
    ) -> tuple[int, int] | None:
        _validate(m, p, g, MUST, MUST, MAY)
        _begin_range(self.p_states[p].ranges, (S.EvGCSweepBegin, 0))
        self._emit(typ, t, m, p, g, a)
        return (g, p)

    def _gc_sweep_active(
        self, typ: int, t: int, a: list[int], m: int, p: int, g: int, gen: int
    ) -> tuple[int, int] | None:
        pid = _i64(a[0])
        ps = self.p_states.get(pid)
        if ps is None:
            raise OrderError(f"encountered GCSweepActive for unknown proc {pid}")
        _active_range(ps.ranges, (S.EvGCSweepBegin, 0), gen == self.initial_gen)
        self._emit(typ, t, m, p, g, a)
        return (g, p)

    def _gc_sweep_end(self, typ: int, t: int, a: list[int], m: int, p: int, g: int, gen: int) -> tuple[int, int] | None:
        _validate(m, p, g, MUST, MUST, MAY)
        _end_range(self.p_states[p].ranges, typ)
        self._emit(typ, t, m, p, g, a)
        return (g, p)

    def _go_range_begin(
        self, typ: int, t: int, a: list[int], m: int, p: int, g: int, gen: int
    ) -> tuple[int, int] | None:
        _user_go(m, p, g)
        desc = a[0] if typ == S.EvSTWBegin else 0
        st = self.g_states.get(g)
        if st is None:
            raise OrderError(f"encountered event of type {typ} without known state for current goroutine {g}")
        _begin_range(st.ranges, (_range_type(typ), desc))
        self._emit(typ, t, m, p, g, a)
        return (g, p)

    def _go_range_active(
        self, typ: int, t: int, a: list[int], m: int, p: int, g: int, gen: int
    ) -> tuple[int, int] | None:
        gid = _i64(a[0])
        st = self.g_states.get(gid)
        if st is None:
            raise OrderError(f"uninitialized goroutine {gid} found during {self.ev_name(typ)}")
        _active_range(st.ranges, (_range_type(typ), 0), gen == self.initial_gen)
        self._emit(typ, t, m, p, g, a)
        return (g, p)

    def _go_range_end(self, typ: int, t: int, a: list[int], m: int, p: int, g: int, gen: int) -> tuple[int, int] | None:
        _user_go(m, p, g)
        st = self.g_states.get(g)
        if st is None:
            raise OrderError(f"encountered event of type {typ} without known state for current goroutine {g}")
        desc = _end_range(st.ranges, typ)
        if typ == S.EvSTWEnd:
            a[0] = desc
        self._emit(typ, t, m, p, g, a)
        return (g, p)


def _ctx_g(typ: int, g: int, gid: int) -> int:
    """The M's goroutine after event `typ` about goroutine `gid` (transitions.G_CTX)."""
    c = G_CTX_L[typ]
    return gid if c == RES else NO_G if c == CTX_NO_G else g


def _set_status(g_states: dict[int, GState], gid: int, st: GState, status: int) -> None:
    """Give goroutine `gid` its new wire status; 0 (it no longer exists) removes it."""
    if status:
        st.status = status
    else:
        del g_states[gid]


def _status_name(names: tuple[str, ...], status: int) -> str:
    return names[status] if 0 <= status < len(names) else "Bad"


def _begin_range(ranges: list[tuple[int, int]], rt: tuple[int, int]) -> None:
    if rt in ranges:
        raise OrderError(f"discovered event already in-flight for when starting event {S.SPECS[rt[0]].name}")
    ranges.append(rt)


def _active_range(ranges: list[tuple[int, int]], rt: tuple[int, int], initial: bool) -> None:
    if initial:
        if rt in ranges:
            raise OrderError(f"found named active range already in first gen: {rt}")
        ranges.append(rt)
    elif rt not in ranges:
        raise OrderError(f"resource is missing active range: {S.SPECS[rt[0]].name} {ranges}")


def _end_range(ranges: list[tuple[int, int]], typ: int) -> int:
    st = S.SPECS[typ].start_ev
    for i, r in enumerate(ranges):
        if r[0] == st:
            desc = r[1]
            ranges[i] = ranges[-1]
            ranges.pop()
            return desc
    raise OrderError(f"tried to end event {S.SPECS[st].name}, but not in-flight")
