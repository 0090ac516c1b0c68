"""Sample a process tree from /proc at 20-50 Hz on CLOCK_MONOTONIC, into numpy columns.

Per thread: its state letter and `schedstat` (ns on CPU, ns waiting on a run queue,
timeslices); per process: RSS. The tree (psutil) is re-read twice a second; the per-thread
files are kept open and read with `pread`, which costs a few microseconds a thread.
"""

from __future__ import annotations

import os
import threading
import time
from array import array
from dataclasses import dataclass

import numpy as np
import psutil

PAGE = os.sysconf("SC_PAGE_SIZE")
TREE_EVERY = 0.5  # s between two reads of the process tree
MANY_THREADS = 200  # above this, sample at 10 Hz at most


@dataclass
class Samples:
    """Thread rows (ts, pid, tid, state, cpu_ns, wait_ns, slices), process rows
    (pts, ppid, rss), names of processes and threads, and the rate."""

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

    def __len__(self) -> int:
        return int(self.ts.size)


class _Files:
    """Open /proc files read with pread; a vanished task closes its fds."""

    def __init__(self) -> None:
        self.fds: dict[str, int] = {}

    def read(self, path: str) -> bytes | None:
        fd = self.fds.get(path)
        try:
            if fd is None:
                fd = self.fds[path] = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            data = os.pread(fd, 1024, 0)
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

    def __init__(self, pid: int, hz: float = 25.0, include_root: bool = True) -> None:
        self.root = pid
        self.hz = hz
        self.include_root = include_root  # False: only its descendants (the root is a recorder)
        self._lock = threading.Lock()  # a sample's rows are appended whole (snapshot reads them)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tracetui-sampler", daemon=True)
        self._cols = {k: array("q") for k in ("ts", "pid", "tid", "state", "cpu", "wait", "slices")}
        self._pcols = {k: array("q") for k in ("ts", "pid", "rss")}
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
        self._sample()
        self._thread.start()

    def stop(self) -> Samples:
        """Stop sampling; the samples taken so far."""
        self._stop.set()
        self._thread.join()
        self._files.close()
        self.end_ns = time.monotonic_ns()
        return self._samples(self._cols, self._pcols)

    def snapshot(self) -> Samples:
        """The samples taken so far, while sampling goes on (a copy)."""
        with self._lock:
            c = {k: array("q", a) for k, a in self._cols.items()}
            p = {k: array("q", a) for k, a in self._pcols.items()}
            names, tnames = dict(self._pnames), dict(self._tnames)
        s = self._samples(c, p)
        s.process_names, s.thread_names, s.end_ns = names, tnames, time.monotonic_ns()
        return s

    def _samples(self, c: dict[str, array], p: dict[str, array]) -> Samples:
        def arr(a: array, dtype: type = np.int64) -> np.ndarray:
            return np.frombuffer(a, np.int64).astype(dtype) if len(a) else np.zeros(0, dtype)

        return Samples(arr(c["ts"]), arr(c["pid"]), arr(c["tid"]), arr(c["state"], np.uint8), arr(c["cpu"]),
                       arr(c["wait"]), arr(c["slices"]), arr(p["ts"]), arr(p["pid"]), arr(p["rss"]),
                       dict(self._pnames), dict(self._tnames), self.hz, self.start_ns, self.end_ns)  # fmt: skip

    def _run(self) -> None:
        period = 1.0 / self.hz
        next_tree = time.monotonic() + TREE_EVERY
        due = time.monotonic() + period
        while not self._stop.wait(max(0.0, due - time.monotonic())):
            now = time.monotonic()
            if now >= next_tree:
                self._read_tree()
                next_tree = now + TREE_EVERY
            nthreads = self._sample()
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

    def _sample(self) -> int:
        with self._lock:
            return self._sample_all()

    def _sample_all(self) -> int:
        c, pc, files = self._cols, self._pcols, self._files
        live: set[str] = set()
        n = 0
        for pid in self._pids:
            base = f"/proc/{pid}/task"
            try:
                tids = os.listdir(base)
            except OSError:
                continue
            ts = time.monotonic_ns()
            statm = files.read(f"/proc/{pid}/statm")
            if statm is not None:
                pc["ts"].append(ts)
                pc["pid"].append(pid)
                pc["rss"].append(int(statm.split()[1]) * PAGE)
            live.add(f"/proc/{pid}")
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
                n += 1
        files.forget_missing(live)
        return n
