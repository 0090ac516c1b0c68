"""The text of `go tool trace -d=parsed`: Go's trace.Event.String(), event for event."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

import numpy as np

from tracetui.gotrace import kernel
from tracetui.gotrace import spec as S
from tracetui.gotrace import transitions as T
from tracetui.gotrace.events import EventTable
from tracetui.gotrace.gofmt import quote, rfc3339nano_local
from tracetui.gotrace.reader import NIL_SYNC

_STW_PREFIX = "stop-the-world ("
_IS_G: list[bool] = T.IS_G.tolist()
_RES_A0: list[bool] = T.G_RES_A0.tolist()
_PACKED: list[bool] = T.G_PACKED.tolist()
_FROM, _TO = T.G_FROM_L, T.G_TO_L
_REASON: list[int] = T.G_REASON_ARG.tolist()
_STACK: list[int] = T.G_STACK_ARG.tolist()


def _value(v: int) -> str:
    return f"Value{{Uint64({v})}}"


class Dumper:
    """Formats rows of an EventTable as Go prints them."""

    def __init__(self, table: EventTable) -> None:
        self.t = table
        self.strings = table.strings.strings
        self._stack_text: dict[int, str] = {}

    def stack_text(self, sid: int) -> str:
        """The frames of a stack, each as "\\t<func> @ 0x<pc>\\n\\t\\t<file>:<line>\\n"."""
        txt = self._stack_text.get(sid)
        if txt is None:
            st = self.t.stacks
            strings = self.strings
            parts = []
            for fid in st.stacks[sid]:
                parts.append(
                    f"\t{strings[st.frame_func[fid]]} @ 0x{st.frame_pc[fid]:x}\n"
                    f"\t\t{strings[st.frame_file[fid]]}:{st.frame_line[fid]}\n"
                )
            txt = self._stack_text[sid] = "".join(parts)
        return txt

    def lines(self, start: int = 0, stop: int | None = None) -> Iterator[str]:
        """Yield the text of each event (without the trailing newline Println adds)."""
        t = self.t
        stop = len(t) if stop is None else stop
        step = 65536
        for lo in range(start, stop, step):
            hi = min(stop, lo + step)
            cols = [getattr(t, c)[lo:hi].tolist() for c in ("time", "typ", "m", "p", "g", "a0", "a1", "a2", "a3")]
            for row in zip(*cols):
                yield self.format(*row)

    def format(self, time: int, typ: int, m: int, p: int, g: int, a0: int, a1: int, a2: int, a3: int) -> str:
        strings = self.strings
        kind = S.KIND_OF[typ]
        head = f"M={m} P={p} G={g} {S.KIND_NAMES[kind]} Time={time}"
        body = ""
        if kind == S.KIND_STATE_TRANSITION:
            body = self._transition(typ, m, p, g, a0, a1, a2, a3)
        elif kind == S.KIND_METRIC:
            name = (
                "/sched/gomaxprocs:threads"
                if typ == S.EvProcsChange
                else "/memory/classes/heap/objects:bytes"
                if typ == S.EvHeapAlloc
                else "/gc/heap/goal:bytes"
            )
            body = f' Name="{name}" Value={_value(a0)}'
        elif kind in (S.KIND_RANGE_BEGIN, S.KIND_RANGE_ACTIVE, S.KIND_RANGE_END):
            body = self._range(typ, kind, p, g, a0, a1)
        elif kind == S.KIND_SYNC:
            body = f" N={a0}"
            if a1 != NIL_SYNC:
                info = self.t.syncs[a1]
                if info.has_snapshot:
                    body += f" Trace={info.trace_time} Mono={info.mono} Wall={rfc3339nano_local(info.sec, info.nsec)}"
        elif kind == S.KIND_LOG:
            body = f" Task={a0} Category={quote(strings[a1])} Message={quote(strings[a2])}"
        elif kind == S.KIND_REGION_BEGIN or kind == S.KIND_REGION_END:
            body = f" Task={a0} Type={quote(strings[a1])}"
        elif kind == S.KIND_TASK_BEGIN:
            body = f" ID={a0} Parent={a1} Type={quote(strings[a2])}"
        elif kind == S.KIND_TASK_END:
            body = f" ID={a0} Parent={a2} Type={quote(strings[a3])}"
        elif kind == S.KIND_LABEL:
            body = f" Label={quote(strings[a0])} Resource=Goroutine({g})"
        elif kind == S.KIND_EXPERIMENTAL:
            sp = S.SPECS[typ]
            vals = (a0, a1, a2, a3)
            args = ", ".join(f"{n}={_value(v)}" for n, v in zip(sp.args[1:], vals))
            body = f" Name={sp.name} Args=[{args}]"
        stack = S.MAIN_STACK_ARG[typ]
        if stack >= 0:
            sid = (a0, a1, a2, a3)[stack]
            if sid:
                return f"{head}{body}\nStack=\n{self.stack_text(sid)}"
        return head + body

    def _transition(self, typ: int, m: int, p: int, g: int, a0: int, a1: int, a2: int, a3: int) -> str:
        if not _IS_G[typ]:
            return self._proc_transition(typ, p, a0, a1, a2, a3)
        args = (a0, a1, a2, a3)
        res = f"GoID={_i64(a0) if _RES_A0[typ] else g}"
        if _PACKED[typ]:
            old, new = a2 >> 32, S.GO_STATUS_TO_STATE[a2 & 0xFFFFFFFF]
        else:
            old, new = _FROM[typ], _TO[typ]
        r = _REASON[typ]
        reason = self.strings[args[r]] if r >= 0 else ""
        s = _STACK[typ]
        stack = args[s] if s >= 0 else 0
        text = f" {res} {_name(S.GO_STATE_NAMES, old)}->{_name(S.GO_STATE_NAMES, new)} Reason={quote(reason)}"
        if stack or old == S.GoNotExist and s >= 0:
            # A create's Stack is built with the event's table, so it is never NoStack, even
            # for stack ID 0: the header prints with no frames.
            text += "\nTransitionStack=\n" + (self.stack_text(stack) if stack else "")
        return text

    def _proc_transition(self, typ: int, p: int, a0: int, a1: int, a2: int, a3: int) -> str:
        if typ == S.EvProcStart:
            pid, old, new = _i64(a0), S.ProcIdle, S.ProcRunning
        elif typ == S.EvProcStop:
            pid, old, new = p, S.ProcRunning, S.ProcIdle
        elif typ == S.EvProcSteal:
            old = S.ProcIdle if a3 == S.ProcSyscallAbandonedW else S.ProcRunning
            pid, new = _i64(a0), S.ProcIdle
        else:  # ProcStatus
            pid, old, new = _i64(a0), a2, S.PROC_STATUS_TO_STATE[a1]
        return f" ProcID={pid} {_name(S.PROC_STATE_NAMES, old)}->{_name(S.PROC_STATE_NAMES, new)} Reason={quote('')}"

    def _range(self, typ: int, kind: int, p: int, g: int, a0: int, a1: int) -> str:
        if typ in (S.EvSTWBegin, S.EvSTWEnd):
            name, scope = _STW_PREFIX + self.strings[a0] + ")", f"Goroutine({g})"
        elif typ in (S.EvGCBegin, S.EvGCActive, S.EvGCEnd):
            name, scope = "GC concurrent mark phase", "None"
        elif typ in (S.EvGCSweepBegin, S.EvGCSweepActive, S.EvGCSweepEnd):
            pid = _i64(a0) if typ == S.EvGCSweepActive else p
            name, scope = "GC incremental sweep", f"Proc({pid})"
        else:
            gid = _i64(a0) if typ == S.EvGCMarkAssistActive else g
            name, scope = "GC mark assist", f"Goroutine({gid})"
        text = f" Name={quote(name)} Scope={scope}"
        if kind == S.KIND_RANGE_END:
            if typ == S.EvGCSweepEnd:
                text += f' Attributes=["bytes swept"={_value(a0)} "bytes reclaimed"={_value(a1)}]'
            else:
                text += " Attributes=[]"
        return text


def _i64(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


def _name(names: tuple[str, ...], i: int) -> str:
    return names[i] if 0 <= i < len(names) else "Bad"


def dump_text(table: EventTable, stop: int | None = None) -> Iterator[str]:
    """Every event as Go prints it with fmt.Println(ev.String()), newline included."""
    for line in Dumper(table).lines(0, stop):
        yield line + "\n"


KDUMP = "tracetui.gotrace._kdump"
_ENC = ("utf-8", "surrogateescape")
_BLOCK = 1 << 16  # rows per call of the compiled formatter
_SPACE = 8 << 20  # bytes of its first output buffer (doubled while one event does not fit)


def write_dump(table: EventTable, out: BinaryIO, stop: int | None = None, *, compiled: bool | None = None) -> None:
    """Write dump_text's lines to a binary stream, the same bytes; in blocks of rows formatted by
    the compiled kernel (`_kdump.c`) when it is built (compiled=None: if built; False: never)."""
    mod = kernel.module(KDUMP) if compiled is not False else None
    if compiled and mod is None:
        raise RuntimeError("the compiled dump kernel is not built")
    if mod is None:
        buf: list[str] = []
        for line in dump_text(table, stop):
            buf.append(line)
            if len(buf) >= 4096:
                out.write("".join(buf).encode(*_ENC))
                buf.clear()
        out.write("".join(buf).encode(*_ENC))
        return
    d = Dumper(table)
    tables = _kernel_tables(d)
    stop = len(table) if stop is None else stop
    space = bytearray(_SPACE)
    dtypes = (np.int64, np.uint8, np.int64, np.int64, np.int64, np.uint64, np.uint64, np.uint64, np.uint64)
    names = ("time", "typ", "m", "p", "g", "a0", "a1", "a2", "a3")
    cols_all = [getattr(table, c) for c in names]
    lo = 0
    while lo < stop:
        hi = min(stop, lo + _BLOCK)
        cols = tuple(np.ascontiguousarray(c[lo:hi], dt) for c, dt in zip(cols_all, dtypes))
        rows, nbytes = mod.format(cols, tables, space)
        if rows == 0:
            space = bytearray(2 * len(space))  # one event's text is bigger than the buffer
            continue
        out.write(memoryview(space)[:nbytes])
        lo += rows


# Per-type rows of the compiled formatter (the order of _kdump.c's T_* enum) and its body ops.
(T_KIND, T_G, T_G_RES_A0, T_G_PACKED, T_G_FROM, T_G_TO, T_G_REASON, T_G_STACK, T_G_STACK_HDR, T_PROC,
 T_RANGE_SCOPE, T_RANGE_ATTRS, T_STACK, T_OP, T_ROWS) = range(15)  # fmt: skip
_OP_OF_KIND = {
    S.KIND_STATE_TRANSITION: 1,
    S.KIND_METRIC: 2,
    S.KIND_RANGE_BEGIN: 3,
    S.KIND_RANGE_ACTIVE: 3,
    S.KIND_RANGE_END: 3,
    S.KIND_SYNC: 4,
    S.KIND_LOG: 5,
    S.KIND_REGION_BEGIN: 6,
    S.KIND_REGION_END: 6,
    S.KIND_TASK_BEGIN: 7,
    S.KIND_TASK_END: 8,
    S.KIND_LABEL: 9,
    S.KIND_EXPERIMENTAL: 10,
}
_PROC_OP = {S.EvProcStart: 1, S.EvProcStop: 2, S.EvProcSteal: 3, S.EvProcStatus: 4}
SC_NONE, SC_G_CTX, SC_G_A0, SC_P_CTX, SC_P_A0, SC_G_CTX_STW = range(6)
_RANGES = {  # event type: (name, scope)
    S.EvSTWBegin: ("", SC_G_CTX_STW),
    S.EvSTWEnd: ("", SC_G_CTX_STW),
    S.EvGCBegin: ("GC concurrent mark phase", SC_NONE),
    S.EvGCActive: ("GC concurrent mark phase", SC_NONE),
    S.EvGCEnd: ("GC concurrent mark phase", SC_NONE),
    S.EvGCSweepBegin: ("GC incremental sweep", SC_P_CTX),
    S.EvGCSweepActive: ("GC incremental sweep", SC_P_A0),
    S.EvGCSweepEnd: ("GC incremental sweep", SC_P_CTX),
    S.EvGCMarkAssistBegin: ("GC mark assist", SC_G_CTX),
    S.EvGCMarkAssistActive: ("GC mark assist", SC_G_A0),
    S.EvGCMarkAssistEnd: ("GC mark assist", SC_G_CTX),
}
_METRICS = {
    S.EvProcsChange: "/sched/gomaxprocs:threads",
    S.EvHeapAlloc: "/memory/classes/heap/objects:bytes",
    S.EvHeapGoal: "/gc/heap/goal:bytes",
}


def _kernel_tables(d: Dumper) -> tuple[object, ...]:
    """What the compiled formatter prints per event type, and the texts it pastes (see _kdump.c)."""
    t = np.zeros((T_ROWS, 256), np.uint8)
    t[T_KIND] = S.KIND_OF
    t[T_G] = T.IS_G
    t[T_G_RES_A0] = T.G_RES_A0
    t[T_G_PACKED] = T.G_PACKED
    t[T_G_FROM] = T.G_FROM
    t[T_G_TO] = T.G_TO
    t[T_G_REASON] = T.G_REASON_ARG.view(np.uint8)
    t[T_G_STACK] = T.G_STACK_ARG.view(np.uint8)
    t[T_G_STACK_HDR] = T.IS_G & (T.G_FROM == S.GoNotExist) & (T.G_STACK_ARG >= 0)
    t[T_STACK] = np.array(S.MAIN_STACK_ARG, np.int8).view(np.uint8)
    t[T_OP] = [_OP_OF_KIND.get(k, 0) for k in S.KIND_OF]
    metric = [b""] * 256
    ranges = [b""] * 256
    experimental: list[tuple[bytes, list[bytes]] | None] = [None] * 256
    for typ, op in _PROC_OP.items():
        t[T_PROC, typ] = op
    for typ, (name, scope) in _RANGES.items():
        ranges[typ] = quote(name).encode()
        t[T_RANGE_SCOPE, typ] = scope
        if S.KIND_OF[typ] == S.KIND_RANGE_END:
            t[T_RANGE_ATTRS, typ] = 2 if typ == S.EvGCSweepEnd else 1
    for typ, name in _METRICS.items():
        metric[typ] = f'"{name}"'.encode()
    for typ in range(256):
        sp = S.SPECS.get(typ)
        if sp is not None and S.KIND_OF[typ] == S.KIND_EXPERIMENTAL:
            experimental[typ] = (f" Name={sp.name} Args=[".encode(), [n.encode() for n in sp.args[1:5]])
    syncs = []
    for info in d.t.syncs:
        text = ""
        if info.has_snapshot:
            text = f" Trace={info.trace_time} Mono={info.mono} Wall={rfc3339nano_local(info.sec, info.nsec)}"
        syncs.append(text.encode(*_ENC))
    return (
        t.tobytes(),
        [k.encode() for k in S.KIND_NAMES],
        [quote(s).encode(*_ENC) for s in d.strings],
        [d.stack_text(sid).encode(*_ENC) if sid else b"" for sid in range(len(d.t.stacks))],
        syncs,
        [n.encode() for n in S.GO_STATE_NAMES],
        [n.encode() for n in S.PROC_STATE_NAMES],
        list(S.GO_STATUS_TO_STATE),
        list(S.PROC_STATUS_TO_STATE),
        metric,
        ranges,
        experimental,
        NIL_SYNC,
    )
