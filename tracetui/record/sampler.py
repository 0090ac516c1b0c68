"""Sample a process tree from /proc at 20-50 Hz on CLOCK_MONOTONIC, into numpy columns.

Per thread: its state letter, the CPU it last ran on and `schedstat` (ns on CPU, ns waiting
on a run queue, timeslices); per process: RSS, minor and major faults, bytes read from and
written to disk (/proc/PID/io). System-wide, once a tick: the page cache (Cached, Dirty,
Writeback), NUMA hits and misses. The tree (psutil) is re-read twice a second, and with it
each CPU's MHz (/proc/cpuinfo grows with the CPUs, and x86 kernels may wake each CPU to
measure it) and each thread's `sched` (migrations, context switches; a costlier file). The
files are kept open and read with `pread`, a few microseconds each; hostproc.py reads them.
"""

from __future__ import annotations

import os
import threading
import time
from array import array
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import psutil

from tracetui.record.hostproc import SystemFiles, last_cpu, parse_io, parse_proc_stat, parse_sched

PAGE = os.sysconf("SC_PAGE_SIZE")
TREE_EVERY = 0.5  # s between two reads of the process tree
MANY_THREADS = 200  # above this, sample at 10 Hz at most


def _none() -> np.ndarray:
    return np.zeros(0, np.int64)


@dataclass
class Samples:
    """Thread rows (ts, pid, tid, state, cpu_ns, wait_ns, slices, last_cpu), process rows
    (pts, ppid, rss, minflt, majflt, read_bytes, write_bytes), names of processes and
    threads, the rate; thread `sched` rows at the tree's rate (sts, spid, stid, migrations,
    switches, involuntary); system rows (yts, cached, dirty, writeback bytes, numa_hit,
    numa_miss, numa_foreign summed over the nodes), CPU MHz rows (mts, mhz[tick, cpu]) and
    the host's `facts` (SystemFiles.facts). -1 = the kernel has no such file."""

    ts: np.ndarray
    pid: np.ndarray
    tid: np.ndarray
    state: np.ndarray  # the /proc state letter as a byte (b"R"[0], ...)
    cpu_ns: np.ndarray
    wait_ns: np.ndarray
    slices: np.ndarray
    pts: np.ndarray
    ppid: np.ndarray
    rss: np.ndarray
    process_names: dict[int, str]
    thread_names: dict[int, str]
    hz: float
    start_ns: int
    end_ns: int
    last_cpu: np.ndarray = field(default_factory=_none)
    minflt: np.ndarray = field(default_factory=_none)
    majflt: np.ndarray = field(default_factory=_none)
    read_bytes: np.ndarray = field(default_factory=_none)
    write_bytes: np.ndarray = field(default_factory=_none)
    sts: np.ndarray = field(default_factory=_none)
    spid: np.ndarray = field(default_factory=_none)
    stid: np.ndarray = field(default_factory=_none)
    migrations: np.ndarray = field(default_factory=_none)
    switches: np.ndarray = field(default_factory=_none)
    involuntary: np.ndarray = field(default_factory=_none)
    yts: np.ndarray = field(default_factory=_none)
    cached: np.ndarray = field(default_factory=_none)
    dirty: np.ndarray = field(default_factory=_none)
    writeback: np.ndarray = field(default_factory=_none)
    numa_hit: np.ndarray = field(default_factory=_none)
    numa_miss: np.ndarray = field(default_factory=_none)
    numa_foreign: np.ndarray = field(default_factory=_none)
    mts: np.ndarray = field(default_factory=_none)
    mhz: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    facts: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.ts.size)


class _Files:
    """Open /proc files read with pread; a vanished task closes its fds."""

    def __init__(self) -> None:
        self.fds: dict[str, int] = {}

    def read(self, path: str, size: int = 1024) -> bytes | None:
        fd = self.fds.get(path)
        try:
            if fd is None:
                fd = self.fds[path] = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            data = os.pread(fd, size, 0)
        except OSError:
            self.forget(path)
            return None
        if not data:
            self.forget(path)
            return None
        return data

    def forget(self, path: str) -> None:
        fd = self.fds.pop(path, None)
        if fd is not None:
            os.close(fd)

    def forget_missing(self, live: set[str]) -> None:
        for path in [p for p in self.fds if p.rsplit("/", 1)[0] not in live]:
            self.forget(path)

    def close(self) -> None:
        for fd in self.fds.values():
            os.close(fd)
        self.fds.clear()


class Sampler:
    """A thread sampling pid and its descendants until `stop`."""

    def __init__(self, pid: int, hz: float = 25.0, include_root: bool = True, proc: str = "/proc",
                 sys: str = "/sys") -> None:  # fmt: skip
        self.root = pid
        self.proc = proc
        self.hz = hz
        self.include_root = include_root  # False: only its descendants (the root is a recorder)
        self._lock = threading.Lock()  # a sample's rows are appended whole (snapshot reads them)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tracetui-sampler", daemon=True)
        self._cols = {k: array("q") for k in ("ts", "pid", "tid", "state", "cpu", "wait", "slices", "lcpu")}
        self._pcols = {k: array("q") for k in ("ts", "pid", "rss", "minflt", "majflt", "rbytes", "wbytes")}
        self._scols = {k: array("q") for k in ("ts", "pid", "tid", "migr", "sw", "invol")}
        self._ycols = {k: array("q") for k in ("ts", "cached", "dirty", "wb", "nhit", "nmiss", "nforeign")}
        self._mts, self._mhz = array("q"), array("d")
        self._system = SystemFiles(proc, sys)
        self._ncpu = 0  # CPUs per MHz row (those of the first read)
        self._pnames: dict[int, str] = {}
        self._tnames: dict[int, str] = {}
        self._files = _Files()
        self._pids: list[int] = [pid]
        self.start_ns = self.end_ns = 0

    def start(self) -> None:
        """Take a first sample now (a short-lived child gets one at least), then sample
        in the thread."""
        self.start_ns = time.monotonic_ns()
        self._read_tree()
        self._sample(slow=True)
        self._thread.start()

    def stop(self) -> Samples:
        """Stop sampling; the samples taken so far."""
        self._stop.set()
        self._thread.join()
        self._files.close()
        self._system.close()
        self.end_ns = time.monotonic_ns()
        return self._samples(self._cols, self._pcols, self._scols, self._ycols, self._mts, self._mhz)

    def snapshot(self) -> Samples:
        """The samples taken so far, while sampling goes on (a copy)."""
        with self._lock:
            c = {k: array("q", a) for k, a in self._cols.items()}
            p = {k: array("q", a) for k, a in self._pcols.items()}
            sc = {k: array("q", a) for k, a in self._scols.items()}
            y = {k: array("q", a) for k, a in self._ycols.items()}
            mts, mhz = array("q", self._mts), array("d", self._mhz)
            names, tnames = dict(self._pnames), dict(self._tnames)
        s = self._samples(c, p, sc, y, mts, mhz)
        s.process_names, s.thread_names, s.end_ns = names, tnames, time.monotonic_ns()
        return s

    def _samples(self, c: dict[str, array], p: dict[str, array], sc: dict[str, array], y: dict[str, array],
                 mts: array, mhz: array) -> Samples:  # fmt: skip
        def arr(a: array, dtype: type = np.int64) -> np.ndarray:
            return np.frombuffer(a, np.int64).astype(dtype) if len(a) else np.zeros(0, dtype)

        mhz_rows = np.frombuffer(mhz, np.float64).reshape(len(mts), self._ncpu) if len(mts) else np.zeros((0, 0))
        return Samples(arr(c["ts"]), arr(c["pid"]), arr(c["tid"]), arr(c["state"], np.uint8), arr(c["cpu"]),
                       arr(c["wait"]), arr(c["slices"]), arr(p["ts"]), arr(p["pid"]), arr(p["rss"]),
                       dict(self._pnames), dict(self._tnames), self.hz, self.start_ns, self.end_ns,
                       last_cpu=arr(c["lcpu"]), minflt=arr(p["minflt"]), majflt=arr(p["majflt"]),
                       read_bytes=arr(p["rbytes"]), write_bytes=arr(p["wbytes"]), sts=arr(sc["ts"]),
                       spid=arr(sc["pid"]), stid=arr(sc["tid"]), migrations=arr(sc["migr"]), switches=arr(sc["sw"]),
                       involuntary=arr(sc["invol"]), yts=arr(y["ts"]), cached=arr(y["cached"]),
                       dirty=arr(y["dirty"]), writeback=arr(y["wb"]), numa_hit=arr(y["nhit"]),
                       numa_miss=arr(y["nmiss"]), numa_foreign=arr(y["nforeign"]), mts=arr(mts),
                       mhz=mhz_rows.copy(), facts=dict(self._system.facts))  # fmt: skip

    def _run(self) -> None:
        period = 1.0 / self.hz
        next_tree = time.monotonic() + TREE_EVERY
        due = time.monotonic() + period
        while not self._stop.wait(max(0.0, due - time.monotonic())):
            now = time.monotonic()
            slow = now >= next_tree
            if slow:
                self._read_tree()
                next_tree = now + TREE_EVERY
            nthreads = self._sample(slow)
            step = max(period, 0.1) if nthreads > MANY_THREADS else period
            due = max(due + step, time.monotonic())

    def _read_tree(self) -> None:
        try:
            root = psutil.Process(self.root)
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            procs = []
        if not self.include_root:
            procs = procs[1:]
        self._pids = [p.pid for p in procs] or ([self.root] if self.include_root else [])
        for p in procs:
            if p.pid not in self._pnames:
                try:
                    self._pnames[p.pid] = p.name()
                except psutil.Error:
                    pass

    def _sample(self, slow: bool = False) -> int:
        """One tick; `slow`: at the tree's rate (each thread's `sched` file too)."""
        with self._lock:
            self._sample_system(slow)
            return self._sample_all(slow)

    def _sample_system(self, slow: bool) -> None:
        sysf, y = self._system, self._ycols
        ts = time.monotonic_ns()
        for k, v in zip(("ts", "cached", "dirty", "wb", "nhit", "nmiss", "nforeign"),
                        (ts, *sysf.meminfo(), *sysf.numastat()), strict=True):  # fmt: skip
            y[k].append(v)
        if slow:
            mhz = sysf.mhz()
            if mhz and (not self._ncpu or len(mhz) == self._ncpu):
                self._ncpu = len(mhz)
                self._mts.append(ts)
                self._mhz.extend(mhz)

    def _sample_all(self, slow: bool = False) -> int:
        c, pc, sc, files = self._cols, self._pcols, self._scols, self._files
        live: set[str] = set()
        n = 0
        for pid in self._pids:
            base = f"{self.proc}/{pid}/task"
            try:
                tids = os.listdir(base)
            except OSError:
                continue
            ts = time.monotonic_ns()
            pstat = files.read(f"{self.proc}/{pid}/stat")
            if pstat is not None:
                io = files.read(f"{self.proc}/{pid}/io")
                minflt, majflt, rss = parse_proc_stat(pstat)
                rbytes, wbytes = parse_io(io) if io is not None else (-1, -1)
                for k, v in zip(("ts", "pid", "rss", "minflt", "majflt", "rbytes", "wbytes"),
                                (ts, pid, rss * PAGE, minflt, majflt, rbytes, wbytes), strict=True):  # fmt: skip
                    pc[k].append(v)
            live.add(f"{self.proc}/{pid}")
            for t in tids:
                d = f"{base}/{t}"
                stat = files.read(f"{d}/stat")
                sched = files.read(f"{d}/schedstat")
                if stat is None or sched is None:
                    continue
                live.add(d)
                tid = int(t)
                close = stat.rfind(b")")
                if tid not in self._tnames:
                    self._tnames[tid] = stat[stat.find(b"(") + 1 : close].decode("utf-8", "replace")
                run, wait, slices = sched.split()[:3]
                c["ts"].append(ts)
                c["pid"].append(pid)
                c["tid"].append(tid)
                c["state"].append(stat[close + 2])
                c["cpu"].append(int(run))
                c["wait"].append(int(wait))
                c["slices"].append(int(slices))
                c["lcpu"].append(last_cpu(stat))
                n += 1
                if slow:
                    counts = parse_sched(files.read(f"{d}/sched", 8192) or b"")
                    if counts is not None:
                        for k, v in zip(
                            ("ts", "pid", "tid", "migr", "sw", "invol"), (ts, pid, tid, *counts), strict=True
                        ):
                            sc[k].append(v)
        files.forget_missing(live)
        return n
