"""The host's own files, read for the sampler: CPU frequency, page cache, NUMA, and the
per-process and per-thread files beyond state and schedstat (faults, I/O, sched).

The roots (`/proc`, `/sys`) are arguments, so a test reads a fake tree. A file the kernel
does not have gives None (never an error): cpufreq is absent on many VMs (the MHz then come
from /proc/cpuinfo), `sched` needs CONFIG_SCHED_DEBUG, NUMA nodes need CONFIG_NUMA.
"""

from __future__ import annotations

import os
import re
from typing import Any

KB = 1024
_NODE = re.compile(r"node(\d+)$")
_CPU = re.compile(r"cpu(\d+)$")


def parse_cpulist(text: str) -> list[int]:
    """`0-3,8,10-11` -> [0, 1, 2, 3, 8, 10, 11]."""
    out: list[int] = []
    for part in text.strip().split(","):
        if not part:
            continue
        lo, _, hi = part.partition("-")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return out


def _kb(data: bytes, key: bytes) -> int:
    """The value of a `Key:   123 kB` line in bytes (-1 without the line)."""
    if data.startswith(key):
        at = 0
    else:
        at = data.find(b"\n" + key) + 1
        if at == 0:
            return -1
    start = at + len(key)
    end = data.find(b"\n", start)
    return int(data[start : end if end >= 0 else None].split()[0]) * KB


def parse_meminfo(data: bytes) -> tuple[int, int, int]:
    """(Cached, Dirty, Writeback) in bytes from /proc/meminfo (-1 for a missing line)."""
    return _kb(data, b"Cached:"), _kb(data, b"Dirty:"), _kb(data, b"Writeback:")


_MHZ = re.compile(rb"^cpu MHz\s*:\s*([0-9.]+)", re.MULTILINE)


def parse_cpuinfo_mhz(data: bytes) -> list[float]:
    """The "cpu MHz" of each processor in /proc/cpuinfo, in order ([] when it has none, as on arm64)."""
    return [float(v) for v in _MHZ.findall(data)]


def parse_numastat(data: bytes) -> tuple[int, int, int]:
    """(numa_hit, numa_miss, numa_foreign) of a node's numastat."""
    vals = dict(line.split()[:2] for line in data.splitlines() if line.strip())
    return int(vals.get(b"numa_hit", 0)), int(vals.get(b"numa_miss", 0)), int(vals.get(b"numa_foreign", 0))


def parse_io(data: bytes) -> tuple[int, int]:
    """(read_bytes, write_bytes) of /proc/PID/io: the bytes that reached the block layer."""
    vals = dict(line.split(b":") for line in data.splitlines() if b":" in line)
    return int(vals.get(b"read_bytes", -1)), int(vals.get(b"write_bytes", -1))


def stat_fields(stat: bytes) -> list[bytes]:
    """The fields of a /proc stat line after the command name: [0] is field 3 (state)."""
    return stat[stat.rfind(b")") + 2 :].split()


def parse_proc_stat(stat: bytes) -> tuple[int, int, int]:
    """(minflt, majflt, rss in pages) of /proc/PID/stat (fields 10, 12, 24): the faults are
    the process's, all its threads' (those that ended too)."""
    f = stat_fields(stat)
    return int(f[7]), int(f[9]), int(f[21])


def last_cpu(stat: bytes) -> int:
    """The CPU a thread last ran on (field 39 of its stat), -1 if the line is short."""
    f = stat_fields(stat)
    return int(f[36]) if len(f) > 36 else -1


def _sched_field(data: bytes, key: bytes) -> int:
    """The value of a `key   :   12` line of a `sched` file (-1 without it)."""
    at = data.find(b"\n" + key + b" ")
    if at < 0:
        return -1
    colon = data.find(b":", at)
    end = data.find(b"\n", colon)
    return int(float(data[colon + 1 : end if end >= 0 else None]))


def parse_sched(data: bytes) -> tuple[int, int, int] | None:
    """(se.nr_migrations, nr_switches, nr_involuntary_switches) of a thread's `sched` file
    (its first line is the thread's name: every key follows a newline)."""
    out = tuple(_sched_field(data, k) for k in (b"se.nr_migrations", b"nr_switches", b"nr_involuntary_switches"))
    return None if -1 in out else (out[0], out[1], out[2])


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return None


class SystemFiles:
    """System-wide files, kept open and read with pread: /proc/meminfo, the CPU MHz (cpufreq
    `scaling_cur_freq` per CPU where present, else /proc/cpuinfo) and each NUMA node's
    numastat. `facts` holds what is read once: the governor per CPU, the NUMA nodes."""

    def __init__(self, proc: str = "/proc", sys: str = "/sys") -> None:
        self.proc, self.sys = proc, sys
        self.fds: dict[str, int] = {}
        cpu_dir = f"{sys}/devices/system/cpu"
        cpus = sorted(int(m.group(1)) for n in _listdir(cpu_dir) if (m := _CPU.match(n)))
        freq = [f"{cpu_dir}/cpu{c}/cpufreq/scaling_cur_freq" for c in cpus]
        self.freq_files = freq if freq and all(os.path.exists(p) for p in freq) else []
        governors = [_read(f"{cpu_dir}/cpu{c}/cpufreq/scaling_governor") for c in cpus]
        node_dir = f"{sys}/devices/system/node"
        nodes = sorted(int(m.group(1)) for n in _listdir(node_dir) if (m := _NODE.match(n)))
        self.numa_files = [
            f"{node_dir}/node{n}/numastat" for n in nodes if os.path.exists(f"{node_dir}/node{n}/numastat")
        ]
        node_cpus = {str(n): parse_cpulist(_read(f"{node_dir}/node{n}/cpulist") or "") for n in nodes}
        self.facts: dict[str, Any] = {
            "cpus": len(cpus) or os.cpu_count() or 0,
            "mhz_source": "cpufreq" if self.freq_files else "cpuinfo",
            "governor": [g.strip() for g in governors if g] if any(governors) else None,
            "numa_nodes": node_cpus if self.numa_files else None,
        }
        if not self.freq_files and not self.mhz():
            self.facts["mhz_source"] = None

    def _pread(self, path: str, size: int = 8192) -> bytes | None:
        fd = self.fds.get(path)
        try:
            if fd is None:
                fd = self.fds[path] = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            return os.pread(fd, size, 0)
        except OSError:
            return None

    def mhz(self) -> list[float]:  # /proc/cpuinfo: ~20 µs for 2 CPUs, and more with each CPU
        """The current MHz of each CPU ([] when the kernel tells none)."""
        if self.freq_files:
            khz = [self._pread(p, 64) for p in self.freq_files]
            return [int(k) / 1000 for k in khz if k and k.strip().isdigit()]
        data = self._pread(f"{self.proc}/cpuinfo", 4096 * (self.facts["cpus"] + 1))
        return parse_cpuinfo_mhz(data) if data else []

    def meminfo(self) -> tuple[int, int, int]:
        data = self._pread(f"{self.proc}/meminfo")
        return parse_meminfo(data) if data else (-1, -1, -1)

    def numastat(self) -> tuple[int, int, int]:
        """numa_hit, numa_miss, numa_foreign summed over the nodes (-1s without NUMA files)."""
        if not self.numa_files:
            return -1, -1, -1
        tot = [0, 0, 0]
        for p in self.numa_files:
            data = self._pread(p)
            if data:
                for i, v in enumerate(parse_numastat(data)):
                    tot[i] += v
        return tot[0], tot[1], tot[2]

    def close(self) -> None:
        for fd in self.fds.values():
            os.close(fd)
        self.fds.clear()


def _listdir(path: str) -> list[str]:
    try:
        return os.listdir(path)
    except OSError:
        return []
