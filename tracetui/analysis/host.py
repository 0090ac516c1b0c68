"""The host context of a recording, from its HOST tracks (model/hostnames.py) and the host
facts: what `summary --json` prints as `host`, and the findings the text summary states.

Counts are over the model's span: a process counter (faults, disk bytes, counted since the
process began) from its value at 0 (or from 0 for a process that began later) to its last
sample, summed over the processes; a rate (migrations, switches) integrated over time.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tracetui.model import hostnames as H
from tracetui.model.trace import Counter, Trace, Track, TrackKind
from tracetui.units import format_bytes

COLD_BYTES = 1 << 20  # read from disk at least this much: the page cache was cold for the program
FREQ_VARIED = 1.05  # max/min MHz above this: the CPU frequency varied


def _counters(trace: Trace) -> list[Track]:
    return [t for t in trace.tracks if t.kind == TrackKind.HOST and t.counter is not None and len(t.counter)]


def _increase(c: Counter) -> int:
    """A count kept since its process began: its rise within the span."""
    v = np.asarray(c.value, np.int64)
    return int(v[-1] - (v[0] if int(c.ts[0]) == 0 else 0))


def _integral(c: Counter, duration: int) -> int:
    """A rate (/s) over the span: each value holds until the next point (the last until the end)."""
    ends = np.r_[c.ts[1:], max(duration, int(c.ts[-1]))]
    return round(float(np.sum(np.asarray(c.value, np.float64) * (ends - c.ts)) / 1e9))


def host_context(trace: Trace) -> dict[str, Any] | None:
    """The `host` object of `summary --json`, or None for a trace without a recording's
    sampler (a plain `go test -trace` file). A field is None where the kernel has no such file."""
    tracks = _counters(trace)
    system = {t.name: t.counter for t in tracks if t.group == H.SYSTEM and t.counter is not None}
    facts = trace.host_facts
    if not system and not facts:
        return None
    procs = [t for t in tracks if t.group != H.SYSTEM]

    def total(name: str, how: str = "count", section: str | None = None) -> int | None:
        cs = [t.counter for t in procs if t.name == name and t.counter is not None and section in (None, t.group)]
        if not cs:
            return None
        return sum(_increase(c) if how == "count" else _integral(c, trace.duration) for c in cs)

    fields = (("major_faults", H.MAJOR_FAULTS, "count"), ("minor_faults", H.MINOR_FAULTS, "count"),
              ("read_bytes", H.DISK_READ, "count"), ("write_bytes", H.DISK_WRITE, "count"),
              ("migrations", H.MIGRATIONS, "rate"), ("context_switches", H.SWITCHES, "rate"),
              ("involuntary_switches", H.INVOLUNTARY, "rate"))  # fmt: skip
    sections = sorted({t.group for t in procs if t.name in (H.MINOR_FAULTS, H.MIGRATIONS)})
    by_process = {g: {key: total(name, how, g) for key, name, how in fields} for g in sections}

    def level(name: str) -> dict[str, int] | None:
        c = system.get(name)
        if c is None:
            return None
        v = np.asarray(c.value, np.int64)
        return {"start": int(v[0]), "end": int(v[-1]), "min": int(v.min()), "max": int(v.max())}

    mhz = [t.counter for t in tracks if t.group == H.SYSTEM and t.unit == H.MHZ_UNIT and t.counter is not None]
    cpu_mhz = None
    if mhz:
        allv = np.concatenate([np.asarray(c.value, np.float64) for c in mhz])
        mean = system.get(H.cpu_frequency("mean"))
        cpu_mhz = {"min": round(float(allv.min()), 3), "max": round(float(allv.max()), 3),
                   "mean": round(float(np.mean(mean.value if mean is not None else allv)), 3),
                   "cpus": int(facts.get("cpus") or len(mhz))}  # fmt: skip
    governors = facts.get("governor")
    numa: dict[str, Any] | None = None
    if facts.get("numa_nodes"):
        numa = {"nodes": sorted(int(n) for n in facts["numa_nodes"])}
        for key, name in (("numa_hit", H.NUMA_HIT), ("numa_miss", H.NUMA_MISS), ("numa_foreign", H.NUMA_FOREIGN)):
            c = system.get(name)
            numa[key] = int(c.value[-1] - c.value[0]) if c is not None else None
        numa["threads_on_node"] = _thread_nodes(procs, numa["nodes"])
    return {
        "cpu_mhz": cpu_mhz,
        "governor": ",".join(sorted(set(governors))) if governors else None,
        "page_cache_bytes": level(H.PAGE_CACHE),
        "dirty_bytes": level(H.DIRTY),
        "writeback_bytes": level(H.WRITEBACK),
        **{key: total(name, how) for key, name, how in fields},
        "numa": numa,
        "processes": by_process,  # the same counts per program's section ("pingpong (pid 4711)")
    }


def _thread_nodes(procs: list[Track], nodes: list[int]) -> dict[str, float]:
    """The share of thread samples on each node (every one on the only node of a 1-node host)."""
    if len(nodes) == 1:
        return {str(nodes[0]): 1.0}
    sums = {n: sum(float(np.sum(t.counter.value)) for t in procs if t.name == f"{H.THREADS_ON_NODE}{n}"
                   and t.counter is not None) for n in nodes}  # fmt: skip
    whole = sum(sums.values())
    return {str(n): round(v / whole, 4) if whole else 0.0 for n, v in sums.items()}


def _ghz(mhz: float) -> str:
    return f"{mhz / 1000:.2f}"


def host_findings(host: dict[str, Any] | None) -> list[tuple[str, str]]:
    """What stands out of the host context: a cold page cache (disk reads), a varying CPU
    frequency, NUMA misses; as (title, text)."""
    if host is None:
        return []
    out: list[tuple[str, str]] = []
    read, major = host.get("read_bytes") or 0, host.get("major_faults") or 0
    if read >= COLD_BYTES:
        faults = f", {major:,} major page fault{'s' if major != 1 else ''}" if major else ""
        procs = host.get("processes") or {}
        most = max(procs, key=lambda g: procs[g].get("read_bytes") or 0, default=None)
        by = f" (most by {most})" if len(procs) > 1 and most is not None else ""
        out.append(("Page cache cold", f"{format_bytes(read)} read from disk{faults}{by}"))
    elif major >= 100:
        out.append(("Page cache cold", f"{major:,} major page faults"))
    mhz = host.get("cpu_mhz")
    if mhz and mhz["max"] > FREQ_VARIED * mhz["min"]:
        out.append(("CPU frequency varied", f"{_ghz(mhz['min'])}-{_ghz(mhz['max'])} GHz"))
    numa = host.get("numa")
    if numa and (numa.get("numa_miss") or 0) > 0:
        out.append(("NUMA misses", f"{numa['numa_miss']:,} pages allocated off their preferred node"))
    return out


def host_line(host: dict[str, Any]) -> str:
    """One line of the host context for the text summary."""
    parts = []
    mhz = host.get("cpu_mhz")
    if mhz:
        ghz = _ghz(mhz["mean"]) if mhz["max"] <= FREQ_VARIED * mhz["min"] else f"{_ghz(mhz['min'])}-{_ghz(mhz['max'])}"
        parts.append(f"CPU {ghz} GHz ({host.get('governor') or 'no governor exposed'})")
    cache = host.get("page_cache_bytes")
    if cache:
        parts.append(f"page cache {format_bytes(cache['end'])}")
    if host.get("read_bytes") is not None:
        parts.append(f"{format_bytes(host['read_bytes'])} read from disk")
    if host.get("major_faults") is not None:
        parts.append(f"{host['major_faults']:,} major faults")
    if host.get("migrations") is not None:
        parts.append(f"{host['migrations']:,} migrations")
    numa = host.get("numa")
    if numa:
        parts.append(f"NUMA node{'s' if len(numa['nodes']) > 1 else ''} {','.join(map(str, numa['nodes']))}")
    return ", ".join(parts) or "no host files were readable"
