"""The Go runtime's GODEBUG schedtrace/gctrace lines: split from the program's stderr and
parsed into columns, each line stamped with its arrival time (CLOCK_MONOTONIC ns).

The runtime prints these lines to fd 2 a token at a time (one write(2) per number or
literal), so the program's own stderr writes can land inside one, e.g.

    SCHED app line 201\n37app line 204\nms: gomaxprocs=app line 205\n2 ...

A line that starts like a runtime line is held until its newline; anything else goes
straight through, byte for byte. A runtime line cut by program lines is put back together:
while one is open, each line's leading runtime tokens (numbers and the literals of the
formats) continue it and the rest is the program's line. What still does not parse counts
as mangled and goes through to stderr (nothing of the program's is lost); the log keeps
it, marked.
"""

from __future__ import annotations

import os
import re
import threading
import time
from array import array
from dataclasses import dataclass, field

import numpy as np

SCHED = re.compile(
    rb"SCHED (\d+)ms: gomaxprocs=(\d+) idleprocs=(\d+) threads=(\d+) spinningthreads=(\d+) needspinning=(\d+) "
    rb"idlethreads=(\d+) runqueue=(\d+)(?: \[ ?([\d ]*?) ?\](?: schedticks=\[ ([\d ]*)\])?"
    rb"| gcwaiting=(?:true|false) nmidlelocked=\d+ stopwait=\d+ sysmonwait=(?:true|false))"
)
GC = re.compile(
    rb"gc (\d+) @([\d.]+)s (\d+)%(?: \(checking for goroutine leaks\))?: ([\d.]+)\+([\d.]+)\+([\d.]+) ms clock, "
    rb"[\d.]+\+[\d.]+/[\d.]+/[\d.]+\+[\d.]+ ms cpu, (\d+)->(\d+)->(\d+) MB, (\d+) MB goal, \d+ MB stacks, "
    rb"\d+ MB globals, (\d+) P( \(forced\))?"
)
PLINE = re.compile(rb"  P(\d+): status=(\d+) schedtick=\d+ syscalltick=\d+ m=(?:\d+|nil) runqsize=(\d+) "
                   rb"gfreecnt=\d+ timerslen=\d+")  # fmt: skip
MLINE = re.compile(rb"  M(\d+): p=(?:\d+|nil) curg=(?:\d+|nil) mallocing=\d+ throwing=\d+ preemptoff=.* "
                   rb"locks=-?\d+ dying=\d+ spinning=(?:true|false) blocked=(?:true|false) lockedg=(?:\d+|nil)")  # fmt: skip
GLINE = re.compile(rb"  G(\d+): status=(\d+)\(([^()]*(?:\([^()]*\))?[^()]*)\) m=(?:\d+|nil) lockedm=(?:\d+|nil)")
LOOKS_RUNTIME = re.compile(rb"SCHED \d|gc \d+ @|  [PMG]\d+: ")
FRAGMENTS = re.compile(rb"gomaxprocs=|idleprocs=|spinningthreads=| ms clock, | MB goal| schedtick=| lockedm=")
PREFIXES = (b"SCHED ", b"gc ", b"  P", b"  M", b"  G")
_LITERALS = (
    "SCHED ", "ms: gomaxprocs=", " idleprocs=", " threads=", " spinningthreads=", " needspinning=", " idlethreads=",
    " runqueue=", " schedticks=[ ", " gcwaiting=", " nmidlelocked=", " stopwait=", " sysmonwait=", " [ ", " [", " ]",
    "]", ": status=", " schedtick=", " syscalltick=", " m=", " runqsize=", " gfreecnt=", " timerslen=", ": p=",
    " curg=", " mallocing=", " throwing=", " preemptoff=", " locks=", " dying=", " spinning=", " blocked=",
    " lockedg=", " lockedm=", "  P", "  M", "  G", "gc ", " @", "s ", "%: ", " (checking for goroutine leaks): ",
    " ms clock, ", " ms cpu, ", " MB, ", " MB goal, ", " MB stacks, ", " MB globals, ", " P (forced)", " P", "->",
    "+", "/", "(", ")", " ",
    # wait reasons (runtime2.go waitReasonStrings, Go 1.21-1.27), printed as one token
    "GC assist marking", "IO wait", "chan receive (nil chan)", "chan send (nil chan)", "dumping heap",
    "garbage collection", "garbage collection scan", "panicwait", "select", "select (no cases)", "GC assist wait",
    "GC sweep wait", "GC scavenge wait", "chan receive", "chan send", "finalizer wait", "force gc (idle)",
    "GOMAXPROCS updater (idle)", "semacquire", "sleep", "sync.Cond.Wait", "sync.Mutex.Lock", "sync.RWMutex.RLock",
    "sync.RWMutex.Lock", "sync.WaitGroup.Wait", "trace reader (blocked)", "wait for GC cycle", "GC worker (idle)",
    "GC worker (active)", "preempted", "debug call", "GC mark termination", "stopping the world",
    "flushing proc caches", "trace goroutine status", "trace proc status", "page trace flush", "coroutine",
    "GC weak to strong wait", "synctest.Run", "synctest.Wait", "chan receive (durable)", "chan send (durable)",
    "select (durable)", "sync.WaitGroup.Wait (durable)", "cleanup wait",
)  # fmt: skip
# A run of runtime tokens at the start of a line (the longest literals first).
TOKENS = re.compile(rb"(?:" + b"|".join(re.escape(t.encode()) for t in sorted(_LITERALS, key=len, reverse=True))
                    + rb"|\d+(?:\.\d+)?|-\d+|nil|true|false)*")  # fmt: skip
MAX_OPEN = 4096  # bytes: a longer open runtime line is given up as mangled


def _could_start_runtime(tail: bytes) -> bool:
    return any(p.startswith(tail[: len(p)]) for p in PREFIXES)


@dataclass
class RuntimeLog:
    """Columns of the parsed lines (ts = arrival, CLOCK_MONOTONIC ns)."""

    sched: dict[str, array] = field(default_factory=lambda: {k: array("q") for k in (
        "ts", "ms", "gomaxprocs", "idleprocs", "threads", "spinning", "idlethreads", "runqueue")})  # fmt: skip
    # Run queues and scheddetail's P and G lines; `dump` = the row of their SCHED line in `sched`.
    prunq: dict[str, array] = field(default_factory=lambda: {k: array("q") for k in ("ts", "p", "n", "dump")})
    pstat: dict[str, array] = field(default_factory=lambda: {k: array("q") for k in ("ts", "p", "status", "n",
                                                                                      "dump")})  # fmt: skip
    gstat: dict[str, array] = field(default_factory=lambda: {k: array("q") for k in ("ts", "g", "status", "reason",
                                                                                      "dump")})  # fmt: skip
    gc: dict[str, array] = field(default_factory=lambda: {k: array("q") for k in (
        "ts", "num", "at_us", "c1", "c2", "c3", "h0", "h1", "h2", "goal", "procs", "forced")})  # fmt: skip
    reasons: dict[bytes, int] = field(default_factory=lambda: {b"": 0})
    lines: int = 0
    mangled: int = 0
    repaired: int = 0
    mlines: int = 0

    def np(self, table: str, col: str) -> np.ndarray:
        a = getattr(self, table)[col]
        return np.frombuffer(a, np.int64).copy() if len(a) else np.zeros(0, np.int64)

    def add(self, line: bytes, ts: int) -> bool:
        """Parse one runtime line; False if it does not parse."""
        if m := SCHED.fullmatch(line):
            g = m.groups()
            vals = [ts, *(int(g[i]) for i in (0, 1, 2, 3, 4, 6, 7))]  # not needspinning (5)
            for k, v in zip(self.sched, vals):
                self.sched[k].append(v)
            self._dump_ts = ts
            if m.group(9) is not None:
                for p, n in enumerate(m.group(9).split()):
                    for k, v in zip(("ts", "p", "n", "dump"), (ts, p, int(n), len(self.sched["ts"]) - 1)):
                        self.prunq[k].append(v)
        elif m := GC.fullmatch(line):
            g = m.groups()
            vals = [ts, int(g[0]), round(float(g[1]) * 1e6), _ms_ns(g[3]), _ms_ns(g[4]), _ms_ns(g[5]),
                    int(g[6]), int(g[7]), int(g[8]), int(g[9]), int(g[10]), int(g[11] is not None)]  # fmt: skip
            for k, v in zip(self.gc, vals):
                self.gc[k].append(v)
        elif m := PLINE.fullmatch(line):
            for k, v in zip(("ts", "p", "status", "n", "dump"), (getattr(self, "_dump_ts", ts), int(m.group(1)),
                                                                 int(m.group(2)), int(m.group(3)), self._dump())):  # fmt: skip
                self.pstat[k].append(v)
        elif m := GLINE.fullmatch(line):
            rid = self.reasons.setdefault(m.group(3), len(self.reasons))
            for k, v in zip(("ts", "g", "status", "reason", "dump"), (getattr(self, "_dump_ts", ts), int(m.group(1)),
                                                                      int(m.group(2)), rid, self._dump())):  # fmt: skip
                self.gstat[k].append(v)
        elif MLINE.fullmatch(line):
            self.mlines += 1
        else:
            return False
        self.lines += 1
        return True

    def _dump(self) -> int:
        """The row of the SCHED line a P or G line belongs to (-1: none yet)."""
        return len(self.sched["ts"]) - 1


def _ms_ns(text: bytes) -> int:
    return round(float(text) * 1e6)


class Demux:
    """Reads the child's stderr pipe in a thread: runtime lines to `log` (and the log
    file), everything else to our stderr as it comes."""

    def __init__(self, fd: int, log_path: str, *, show_runtime: bool = False, out_fd: int = 2) -> None:
        self.fd, self.out_fd, self.show_runtime = fd, out_fd, show_runtime
        self.log = RuntimeLog()
        self._file = open(log_path, "wb")  # noqa: SIM115 - closed by the thread
        self._thread = threading.Thread(target=self._run, name="tracetui-godebug", daemon=True)
        self._out_ok = True
        self._open = b""  # a runtime line cut by program lines, so far
        self._open_ts = 0

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float = 5.0) -> RuntimeLog:
        """Wait for EOF on the pipe (every writer gone), at most timeout seconds."""
        self._thread.join(timeout)
        return self.log

    def _write(self, data: bytes) -> None:
        """To our stderr, whole; a closed stderr is ignored (keep draining the pipe)."""
        view = memoryview(data)
        while self._out_ok and view:
            try:
                n = os.write(self.out_fd, view)
            except BlockingIOError:
                time.sleep(0.001)
                continue
            except OSError:
                self._out_ok = False
                return
            view = view[n:]

    def _runtime(self, line: bytes, ts: int) -> bool:
        if not self.log.add(line, ts):
            return False
        self._file.write(b"%d %s\n" % (ts, line))
        if self.show_runtime:
            self._write(line + b"\n")
        return True

    def _mangled(self, line: bytes, ts: int) -> None:
        self.log.mangled += 1
        self._file.write(b"%d mangled: %s\n" % (ts, line))

    def _line(self, line: bytes, ts: int) -> None:
        if self._open:
            self._continue(line)
            return
        if LOOKS_RUNTIME.match(line) and self._runtime(line, ts):
            return
        if line.startswith(PREFIXES):
            head = TOKENS.match(line)
            k = head.end() if head else 0
            if 0 < k < len(line):  # a runtime line's start, then a program line
                self._open, self._open_ts = line[:k], ts
                self._write(line[k:] + b"\n")
                return
            if LOOKS_RUNTIME.match(line):
                self._mangled(line, ts)
        elif FRAGMENTS.search(line):
            self._mangled(line, ts)
        self._write(line + b"\n")

    def _continue(self, line: bytes) -> None:
        """A line while a runtime line is open: its leading tokens continue it."""
        ts = self._open_ts
        whole = self._open + line
        if self._runtime(whole, ts):
            self._open = b""
            self.log.repaired += 1
            return
        head = TOKENS.match(line)
        k = head.end() if head else 0
        if k == len(line) or len(whole) > MAX_OPEN:  # the runtime line ended, unparsed
            self._mangled(whole, ts)
            self._open = b""
            if FRAGMENTS.search(line) is None and k < len(line):
                self._write(line + b"\n")
            return
        self._open += line[:k]
        self._write(line[k:] + b"\n")

    def _run(self) -> None:
        held = b""  # the start of a line that may be the runtime's
        in_app_line = False  # part of the current line already went out as the program's
        try:
            while True:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                ts = time.monotonic_ns()
                data = held + chunk
                held = b""
                if in_app_line:
                    nl = data.find(b"\n")
                    if nl < 0:
                        self._write(data)
                        continue
                    self._write(data[: nl + 1])
                    data = data[nl + 1 :]
                    in_app_line = False
                *lines, tail = data.split(b"\n")
                for line in lines:
                    self._line(line, ts)
                if tail:
                    if self._open or _could_start_runtime(tail):
                        held = tail
                    else:
                        self._write(tail)
                        in_app_line = True
                self._file.flush()  # line by line on disk: `record --live` follows the log
            if self._open:
                self._mangled(self._open, self._open_ts)
            if held:
                self._write(held)
        finally:
            self._file.close()
            os.close(self.fd)
