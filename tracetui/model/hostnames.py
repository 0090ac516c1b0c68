"""Names of the HOST tracks the process sampler writes (record/hosttracks.py), which
analysis/host.py reads back: the one place both name them, so they cannot drift apart."""

from __future__ import annotations

from typing import Final

SYSTEM: Final = "Host (system)"  # the section of the system-wide counters
# System-wide counters (in SYSTEM): bytes from /proc/meminfo; NUMA page allocations since the
# recording began (/sys/devices/system/node/node*/numastat, summed over the nodes).
PAGE_CACHE: Final = "Page cache"
DIRTY: Final = "Dirty"
WRITEBACK: Final = "Writeback"
NUMA_HIT: Final = "NUMA hit"
NUMA_MISS: Final = "NUMA miss"
NUMA_FOREIGN: Final = "NUMA foreign"
MHZ_UNIT: Final = "MHz"  # the unit of the CPU frequency rows: "CPU0", ..., or "CPU min", "CPU mean", "CPU max"
# Per process (in the program's section): counts since the process began, as /proc keeps them.
MINOR_FAULTS: Final = "Minor faults"
MAJOR_FAULTS: Final = "Major faults"
DISK_READ: Final = "Disk read"
DISK_WRITE: Final = "Disk write"
# Per process, summed over its threads' `sched`: rates (/s), 0 after the last sample.
MIGRATIONS: Final = "Migrations"
SWITCHES: Final = "Switches"  # context switches
INVOLUNTARY: Final = "Preempted"  # involuntary context switches
THREADS_ON_NODE: Final = "Threads on node "  # + the node: sampled threads whose last CPU is on it (>1 node)


def cpu_frequency(cpu: int | str) -> str:
    """The row of one CPU's frequency (`CPU3`, in MHz) or of a statistic over them (`CPU min`)."""
    return f"CPU{cpu}" if isinstance(cpu, int) else f"CPU {cpu}"
