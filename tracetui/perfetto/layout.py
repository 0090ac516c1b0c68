"""The layout of the Perfetto files tracetui writes, shared by writer and reader.

* Track uuids: 1 the root group, 2..15 fixed groups, FIRST_TRACK + i for model track i,
  then per-function goroutine groups, host sections (a group per HOST track group, after
  the runtime's groups) and extra lanes (overlapping STW, assists, sweeps).
* Sequences: TABLES_SEQ carries the string and stack tables (interned once), the rare
  events (GC, STW, assists, sweeps, tasks, regions, logs, labels, CPU samples, host rows)
  with absolute timestamps. Each goroutine, P, M and counter track has its own sequence
  (id = its uuid) with an incremental clock (deltas), its uuid as the default track, and
  the interned entries it uses.
* Iids are global: event name iid k means `names[k]` everywhere; string iid = string id;
  callstack iid = stack id; frame iid = frame id + 1. So one table decodes every sequence.
* A TraceAttributes packet at the end holds `tracetui.model`: JSON of what is per entity
  rather than per event (track kinds and groups, host rows' units and counter dtypes, the
  goroutine and task tables, P extents, names, lane uuids, trace scalars, source, Go version,
  injected goroutines).
"""

from __future__ import annotations

from enum import IntEnum

ROOT, PROCS, THREADS, GOROUTINES, GC, TASKS, UNKNOWN_FLOWS = 1, 2, 3, 4, 5, 6, 7
FIRST_TRACK = 16
TABLES_SEQ = 1
INCREMENTAL_CLOCK = 64  # sequence-scoped clock id, deltas from the previous packet
BOOTTIME = 6

HOST_RANK = 10  # sibling_order_rank of the host sections (after the runtime's groups: 1..5)
GROUP_NAMES = {PROCS: "Procs", THREADS: "Threads", GOROUTINES: "Goroutines", GC: "GC", TASKS: "Tasks"}
META_KEY = "tracetui.model"
FORMAT = 1

# TrackEvent.type
BEGIN, END, INSTANT, COUNTER = 1, 2, 3, 4

# Sequence flags
CLEARED, NEEDS_STATE = 1, 2


class Role(IntEnum):
    """What an event name means (the `names` table of the metadata)."""

    SPAN = 0  # a span: state, reason, arg (arg None: in an annotation, else -1)
    FLOW_UNBLOCK = 1
    FLOW_CREATE = 2
    LOG = 3
    LABEL = 4
    SAMPLE = 5
    TASK = 6


# Debug annotation names, iid = index + 1. ARG_NAMES carry a span's arg.
ANNOTATIONS = ("p", "m", "by", "arg", "seq", "g", "task", "message", "category", "no_begin", "no_end", "parent",
               "label", "begin_g", "end_g")  # fmt: skip
ANN = {name: i + 1 for i, name in enumerate(ANNOTATIONS)}
ARG_NAMES = frozenset(("p", "m", "by", "arg", "seq", "g", "task"))
