"""Host context in recordings: the system files (a fake /sys and /proc), the host tracks
through a Perfetto file to `summary --json`'s `host`, and real recordings checked against
/proc read here, one of them after evicting the page cache of the file the program reads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.record.conftest import Recorder, go_run
from tracetui.analysis.host import host_context, host_findings
from tracetui.model import hostnames as H
from tracetui.model.trace import TrackKind
from tracetui.perfetto.reader import read_model, read_ours_fast
from tracetui.perfetto.writer import write_trace
from tracetui.record.hostproc import SystemFiles, parse_cpulist, parse_io, parse_sched
from tracetui.record.hosttracks import host_model
from tracetui.record.sampler import Samples

MiB = 1 << 20
T0 = 10**12


def _fake_root(tmp_path: Path, cpufreq: bool = True, numa: bool = True) -> tuple[str, str]:
    """A /proc and /sys with two CPUs (1.2 and 3.4 GHz), two NUMA nodes (a CPU each)."""
    proc, sysd = tmp_path / "proc", tmp_path / "sys"
    proc.mkdir(parents=True)
    (proc / "meminfo").write_text(
        "MemTotal: 100 kB\nSwapCached: 7 kB\nCached:  2048 kB\nDirty: 12 kB\nWriteback:  4 kB\n"
    )
    (proc / "cpuinfo").write_text("processor\t: 0\ncpu MHz\t\t: 1000.5\n\nprocessor\t: 1\ncpu MHz\t\t: 2000.25\n")
    for c, (khz, gov) in enumerate(((1200000, "powersave"), (3400000, "performance"))):
        d = sysd / "devices/system/cpu" / f"cpu{c}"
        d.mkdir(parents=True)
        if cpufreq:
            (d / "cpufreq").mkdir()
            (d / "cpufreq/scaling_cur_freq").write_text(f"{khz}\n")
            (d / "cpufreq/scaling_governor").write_text(f"{gov}\n")
        if numa:
            n = sysd / "devices/system/node" / f"node{c}"
            n.mkdir(parents=True)
            (n / "cpulist").write_text(f"{c}\n")
            (n / "numastat").write_text(f"numa_hit {100 * (c + 1)}\nnuma_miss {c}\nnuma_foreign 3\nlocal_node 1\n")
    return str(proc), str(sysd)


def test_system_files_from_a_fake_root(tmp_path: Path) -> None:
    f = SystemFiles(*_fake_root(tmp_path))
    assert f.facts == {"cpus": 2, "mhz_source": "cpufreq", "governor": ["powersave", "performance"],
                       "numa_nodes": {"0": [0], "1": [1]}}  # fmt: skip
    assert f.mhz() == [1200.0, 3400.0]
    assert f.meminfo() == (2048 * 1024, 12 * 1024, 4 * 1024)  # Cached, not SwapCached
    assert f.numastat() == (300, 1, 6)
    f.close()
    # A VM without cpufreq nor NUMA: the MHz from /proc/cpuinfo, no governor, no nodes.
    g = SystemFiles(*_fake_root(tmp_path / "vm", cpufreq=False, numa=False))
    assert g.facts == {"cpus": 2, "mhz_source": "cpuinfo", "governor": None, "numa_nodes": None}
    assert g.mhz() == [1000.5, 2000.25] and g.numastat() == (-1, -1, -1)
    g.close()
    assert parse_cpulist("0-2,5,7-8\n") == [0, 1, 2, 5, 7, 8]
    assert parse_io(b"rchar: 9\nread_bytes: 4096\nwrite_bytes: 0\n") == (4096, 0)
    sched = b"x (1, #threads: 1)\n---\nse.nr_migrations :  4\nnr_switches  :  30\nnr_involuntary_switches : 3\n"
    assert parse_sched(sched) == (4, 30, 3) and parse_sched(b"nr_switches : 1\n") is None


def host_samples(t0: int = T0, span: int = 100_000_000) -> Samples:
    """Three ticks (at 10%, 50%, 90% of [t0, t0 + span]) of one process (threads 10 on CPU 0
    and 11 on CPU 1) that reads 24 MiB from disk; sched rows at the first and last tick; two
    CPUs (1.2 and 3.4 GHz, then 2.0 and 2.6), two NUMA nodes."""
    t = t0 + np.array([1, 5, 9]) * (span // 10)
    ts, tid = np.repeat(t, 2), np.tile([10, 11], 3)
    z = np.zeros(6, np.int64)
    return Samples(
        ts, np.full(6, 10), tid, np.full(6, ord("R"), np.uint8), z, z, z, t, np.full(3, 10), np.full(3, 4096),
        {10: "reader"}, {10: "reader", 11: "reader"}, 25.0, t0, t0 + span,
        last_cpu=np.tile([0, 1], 3), minflt=np.array([100, 150, 400]), majflt=np.array([0, 2, 5]),
        read_bytes=np.array([0, 8 * MiB, 24 * MiB]), write_bytes=np.array([0, 0, 4096]),
        sts=t[[0, 0, 2, 2]], spid=np.full(4, 10), stid=np.array([10, 11, 10, 11]),
        migrations=np.array([1, 0, 4, 2]), switches=np.array([10, 5, 30, 15]), involuntary=np.array([1, 0, 3, 1]),
        yts=t, cached=np.array([1000, 2000, 3000]) * MiB, dirty=np.array([1, 9, 2]) * MiB, writeback=z[:3],
        numa_hit=np.array([500, 600, 800]), numa_miss=np.array([0, 0, 7]), numa_foreign=z[:3],
        mts=t[[0, 2]], mhz=np.array([[1200.0, 3400.0], [2000.0, 2600.0]]),
        facts={"cpus": 2, "mhz_source": "cpufreq", "governor": ["powersave", "performance"],
               "numa_nodes": {"0": [0], "1": [1]}},
    )  # fmt: skip


def test_host_context_survives_the_perfetto_file(tmp_path: Path) -> None:
    path = tmp_path / "h.pftrace"
    write_trace(host_model(host_samples()), str(path))
    model = read_model(str(path))
    host = [t for t in model.tracks if t.kind == TrackKind.HOST]
    units = {(t.group, t.name): t.unit for t in host if t.counter is not None}
    system = {n: u for (g, n), u in units.items() if g == H.SYSTEM}
    assert system == {"Page cache": "bytes", "Dirty": "bytes", "Writeback": "bytes", "NUMA hit": "pages",
                      "NUMA miss": "pages", "NUMA foreign": "pages", "CPU0": "MHz",
                      "CPU1": "MHz"}  # fmt: skip
    proc = {n: u for (g, n), u in units.items() if g == "reader (pid 10)"}
    assert {"Major faults": "count", "Minor faults": "count", "Disk read": "bytes", "Disk write": "bytes",
            "Migrations": "/s", "Switches": "/s", "Preempted": "/s",
            "Threads on node 0": "count", "Threads on node 1": "count"}.items() <= proc.items()  # fmt: skip
    assert model.host_facts["governor"] == ["powersave", "performance"]
    ctx = host_context(model)
    assert ctx == {
        "cpu_mhz": {"min": 1200.0, "max": 3400.0, "mean": 2300.0, "cpus": 2},
        "governor": "performance,powersave",
        "page_cache_bytes": {"start": 1000 * MiB, "end": 3000 * MiB, "min": 1000 * MiB, "max": 3000 * MiB},
        "dirty_bytes": {"start": MiB, "end": 2 * MiB, "min": MiB, "max": 9 * MiB},
        "writeback_bytes": {"start": 0, "end": 0, "min": 0, "max": 0},
        # the process began within the recording: its counts from 0
        "major_faults": 5, "minor_faults": 400, "read_bytes": 24 * MiB, "write_bytes": 4096,
        "migrations": 5, "context_switches": 30, "involuntary_switches": 3,  # summed over the threads
        "numa": {"nodes": [0, 1], "numa_hit": 300, "numa_miss": 7, "numa_foreign": 0,
                 "threads_on_node": {"0": 0.5, "1": 0.5}},
        "processes": {"reader (pid 10)": {"major_faults": 5, "minor_faults": 400, "read_bytes": 24 * MiB,
                                          "write_bytes": 4096, "migrations": 5, "context_switches": 30,
                                          "involuntary_switches": 3}},
    }  # fmt: skip
    assert host_context(host_model(host_samples())) == ctx  # the same straight from the recording
    fast = read_ours_fast(path.read_bytes())  # the fast path reads the new rows and facts too
    assert host_context(fast) == ctx and fast.host_facts == model.host_facts
    found = dict(host_findings(ctx))
    assert found["Page cache cold"] == "24.0 MiB read from disk, 5 major page faults"
    assert found["CPU frequency varied"] == "1.20-3.40 GHz"
    assert "7 pages" in found["NUMA misses"]
    two = ctx | {"processes": {"go (pid 1)": {"read_bytes": 0}, "reader (pid 10)": {"read_bytes": 24 * MiB}}}
    assert dict(host_findings(two))["Page cache cold"].endswith("(most by reader (pid 10))")
    # The text summary states them and the host line.
    out = subprocess.run([sys.executable, "-m", "tracetui", "summary", str(path)], capture_output=True, text=True,
                         env={**os.environ, "COLUMNS": "200"}, check=True).stdout  # fmt: skip
    assert "Page cache cold" in out and "24.0 MiB read from disk" in out and "1.20-3.40 GHz" in out
    assert "Host" in out and "(performance,powersave)" in out
    # A steady, warm host has no findings.
    assert host_findings(ctx | {"read_bytes": 0, "major_faults": 0, "numa": None,
                                "cpu_mhz": {"min": 2600.0, "max": 2600.0, "mean": 2600.0, "cpus": 2}}) == []  # fmt: skip


def test_a_plain_go_trace_has_no_host() -> None:
    from tests.tui.helpers import GCSTW
    from tracetui.load import open_model
    from tracetui.report import summary_json

    data = json.loads(summary_json(open_model(GCSTW).trace))
    assert "host" in data and data["host"] is None


def _meminfo_cached() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("Cached:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no Cached: in /proc/meminfo")


def _cpuinfo_mhz() -> list[float]:
    return [
        float(ln.split(":")[1]) for ln in Path("/proc/cpuinfo").read_text().splitlines() if ln.startswith("cpu MHz")
    ]


def _summary(path: Path) -> dict:  # type: ignore[type-arg]
    p = subprocess.run([sys.executable, "-m", "tracetui", "summary", "--json", str(path)], capture_output=True,
                       check=True)  # fmt: skip
    return json.loads(p.stdout)


@pytest.mark.slow
def test_cold_page_cache_shows_disk_reads(recorder: Recorder, workload_bin: Path, tmp_path: Path) -> None:
    """A Go program reads a file whose page cache the test evicted: the recording's host
    context shows the bytes read from disk; read again (warm), it shows none of them. The
    other fields agree with /proc and /sys read here."""
    data = tmp_path / "data.bin"
    size = 16 * MiB
    with open(data, "wb") as f:
        f.write(os.urandom(size))
        f.flush()
        os.fsync(f.fileno())
    fd = os.open(data, os.O_RDONLY)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    os.close(fd)
    mhz_before = _cpuinfo_mhz()
    p = recorder.run("-o", "cold.pftrace", "--", *go_run("readfile", str(data)), cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    cached_after = _meminfo_cached()
    mhz = mhz_before + _cpuinfo_mhz()
    cold = _summary(tmp_path / "cold.pftrace")
    assert cold["source"] == "gotrace"
    host = cold["host"]
    assert host["read_bytes"] >= size or host["major_faults"] > 0, host
    prog = next(v for g, v in host["processes"].items() if g.startswith("workload (pid "))
    assert prog["read_bytes"] >= size or prog["major_faults"] > 0, host  # the program read it, not `go run`
    assert host["minor_faults"] > 0 and host["write_bytes"] is not None
    # Against /proc and /sys read here.
    cache = host["page_cache_bytes"]
    assert abs(cache["end"] - cached_after) <= max(64 * MiB, cached_after // 20), (cache, cached_after)
    assert cache["min"] <= cache["end"] <= cache["max"]
    if mhz:
        assert min(mhz) * 0.5 <= host["cpu_mhz"]["min"] <= host["cpu_mhz"]["max"] <= max(mhz) * 1.5
        assert host["cpu_mhz"]["cpus"] == os.cpu_count()
    if not Path("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor").exists():
        assert host["governor"] is None
    else:
        assert host["governor"] == Path("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor").read_text().strip()
    nodes = sorted(int(n[4:]) for n in os.listdir("/sys/devices/system/node") if n[4:].isdigit()) if Path(
        "/sys/devices/system/node").exists() else []  # fmt: skip
    if nodes:
        assert host["numa"]["nodes"] == nodes and host["numa"]["numa_hit"] >= 0
    assert host["migrations"] is not None and host["migrations"] >= 0
    assert host["context_switches"] > 0
    text = subprocess.run([sys.executable, "-m", "tracetui", "summary", "cold.pftrace"], cwd=tmp_path,
                          capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"}, check=True).stdout  # fmt: skip
    assert "Page cache cold" in text and "MiB read from disk" in text
    # Warm: the same file, now cached, read by the same program (a prebuilt binary this time).
    p = recorder.run("-o", "warm.pftrace", "--", str(workload_bin), "readfile", str(data), cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    warm = _summary(tmp_path / "warm.pftrace")["host"]
    assert warm["read_bytes"] < size // 4, warm


def test_sampler_reads_the_fake_roots(tmp_path: Path) -> None:
    """The sampler's columns from a fake /proc (a process of one thread) and /sys: faults,
    RSS and the last CPU from stat, disk bytes from io, migrations and switches from sched."""
    from tracetui.record.sampler import PAGE, Sampler

    proc, sysd = _fake_root(tmp_path)
    child = subprocess.Popen(["sleep", "5"])
    try:
        pid = child.pid
        fields = [str(k) for k in range(4, 53)]  # fields 4.. (field k at index k - 4)
        fields[10 - 4], fields[12 - 4], fields[24 - 4], fields[39 - 4] = "111", "7", "50", "1"
        stat = f"{pid} (a) b) S {' '.join(fields)}\n"
        task = Path(proc) / str(pid) / "task" / str(pid)
        task.mkdir(parents=True)
        (Path(proc) / str(pid) / "stat").write_text(stat)
        (Path(proc) / str(pid) / "io").write_text("rchar: 99\nread_bytes: 8192\nwrite_bytes: 4096\n")
        (task / "stat").write_text(stat)
        (task / "schedstat").write_text("1000 20 3\n")
        (task / "sched").write_text("a (1, #threads: 1)\n---\nse.nr_migrations : 4\nnr_switches : 30\n"
                                    "nr_involuntary_switches : 3\n")  # fmt: skip
        s = Sampler(pid, 50, proc=proc, sys=sysd)
        s.start()
        time.sleep(0.15)
        got = s.stop()
    finally:
        child.kill()
        child.wait()
    assert len(got) >= 3 and set(got.last_cpu.tolist()) == {1} and set(got.cpu_ns.tolist()) == {1000}
    assert (
        set(got.minflt.tolist()) == {111} and set(got.majflt.tolist()) == {7} and set(got.rss.tolist()) == {50 * PAGE}
    )
    assert set(got.read_bytes.tolist()) == {8192} and set(got.write_bytes.tolist()) == {4096}
    assert got.migrations.tolist()[:1] == [4] and got.switches[0] == 30 and got.involuntary[0] == 3
    assert set(got.cached.tolist()) == {2048 * 1024} and set(got.numa_miss.tolist()) == {1}
    assert got.mhz.tolist()[0] == [1200.0, 3400.0] and got.facts["governor"] == ["powersave", "performance"]
