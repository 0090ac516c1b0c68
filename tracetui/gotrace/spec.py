"""Event tables of the Go trace wire format, per version (Go's `internal/trace/tracev2`)."""

from __future__ import annotations

from dataclasses import dataclass

# Wire versions (the minor number in the header "go 1.N trace").
GO122, GO123, GO125, GO126 = 22, 23, 25, 26
SUPPORTED_VERSIONS = (GO122, GO123, GO125, GO126)
V1_VERSIONS = (11, 19, 21)

# Event type codes.
EvNone = 0
EvEventBatch = 1
EvStacks = 2
EvStack = 3
EvStrings = 4
EvString = 5
EvCPUSamples = 6
EvCPUSample = 7
EvFrequency = 8
EvProcsChange = 9
EvProcStart = 10
EvProcStop = 11
EvProcSteal = 12
EvProcStatus = 13
EvGoCreate = 14
EvGoCreateSyscall = 15
EvGoStart = 16
EvGoDestroy = 17
EvGoDestroySyscall = 18
EvGoStop = 19
EvGoBlock = 20
EvGoUnblock = 21
EvGoSyscallBegin = 22
EvGoSyscallEnd = 23
EvGoSyscallEndBlocked = 24
EvGoStatus = 25
EvSTWBegin = 26
EvSTWEnd = 27
EvGCActive = 28
EvGCBegin = 29
EvGCEnd = 30
EvGCSweepActive = 31
EvGCSweepBegin = 32
EvGCSweepEnd = 33
EvGCMarkAssistActive = 34
EvGCMarkAssistBegin = 35
EvGCMarkAssistEnd = 36
EvHeapAlloc = 37
EvHeapGoal = 38
EvGoLabel = 39
EvUserTaskBegin = 40
EvUserTaskEnd = 41
EvUserRegionBegin = 42
EvUserRegionEnd = 43
EvUserLog = 44
EvGoSwitch = 45
EvGoSwitchDestroy = 46
EvGoCreateBlocked = 47
EvGoStatusStack = 48
EvExperimentalBatch = 49
EvSync = 50
EvClockSnapshot = 51
EvEndOfGeneration = 52
NumEvents = 53

MaxEvent = 127
EvSpan = 128
EvSpanAlloc = 129
EvSpanFree = 130
EvHeapObject = 131
EvHeapObjectAlloc = 132
EvHeapObjectFree = 133
EvGoroutineStack = 134
EvGoroutineStackAlloc = 135
EvGoroutineStackFree = 136
MaxExperimentalEvent = 137

# Our own code for the reader's Sync events (Go uses ^EventType(0)).
EV_SYNC = 255

# Experiments.
NO_EXPERIMENT = 0
EXPERIMENT_NAMES = ("None", "AllocFree")

MAX_BATCH_SIZE = 64 << 10
MAX_FRAMES_PER_STACK = 128
MAX_EVENT_TRAILER_DATA_SIZE = 1 << 10

# Goroutine statuses on the wire (tracev2.GoStatus).
GoBad, GoRunnableW, GoRunningW, GoSyscallW, GoWaitingW = 0, 1, 2, 3, 4
GO_STATUS_NAMES = ("Bad", "Runnable", "Running", "Syscall", "Waiting")

# Proc statuses on the wire (tracev2.ProcStatus).
ProcBad, ProcRunningW, ProcIdleW, ProcSyscallW, ProcSyscallAbandonedW = 0, 1, 2, 3, 4
PROC_STATUS_NAMES = ("Bad", "Running", "Idle", "Syscall", "SyscallAbandoned")

# Goroutine states of the parsed API (trace.GoState).
GoUndetermined, GoNotExist, GoRunnable, GoRunning, GoWaiting, GoSyscall = range(6)
GO_STATE_NAMES = ("Undetermined", "NotExist", "Runnable", "Running", "Waiting", "Syscall")
# Proc states of the parsed API (trace.ProcState).
ProcUndetermined, ProcNotExist, ProcRunning, ProcIdle = range(4)
PROC_STATE_NAMES = ("Undetermined", "NotExist", "Running", "Idle")

# Wire status -> API state.
GO_STATUS_TO_STATE = (GoUndetermined, GoRunnable, GoRunning, GoSyscall, GoWaiting)
PROC_STATUS_TO_STATE = (ProcUndetermined, ProcRunning, ProcIdle, ProcRunning, ProcIdle)

NO_TASK = (1 << 64) - 1
BACKGROUND_TASK = 0
U64 = (1 << 64) - 1


@dataclass(frozen=True, slots=True)
class EventSpec:
    """What the wire says about one event type."""

    name: str
    args: tuple[str, ...] = ()
    string_ids: tuple[int, ...] = ()
    stack_ids: tuple[int, ...] = ()
    start_ev: int = EvNone
    timed: bool = False
    has_data: bool = False
    is_stack: bool = False
    experiment: int = NO_EXPERIMENT


def _t(name: str, args: tuple[str, ...], **kw: object) -> EventSpec:
    return EventSpec(name, args, timed=True, **kw)  # type: ignore[arg-type]


SPECS: dict[int, EventSpec] = {
    EvEventBatch: EventSpec("EventBatch", ("gen", "m", "time", "size")),
    EvStacks: EventSpec("Stacks"),
    EvStack: EventSpec("Stack", ("id", "nframes"), is_stack=True),
    EvStrings: EventSpec("Strings"),
    EvString: EventSpec("String", ("id",), has_data=True),
    EvCPUSamples: EventSpec("CPUSamples"),
    EvCPUSample: EventSpec("CPUSample", ("time", "m", "p", "g", "stack"), stack_ids=(4,)),
    EvFrequency: EventSpec("Frequency", ("freq",)),
    EvExperimentalBatch: EventSpec("ExperimentalBatch", ("exp", "gen", "m", "time"), has_data=True),
    EvSync: EventSpec("Sync"),
    EvEndOfGeneration: EventSpec("EndOfGeneration"),
    EvProcsChange: _t("ProcsChange", ("dt", "procs_value", "stack"), stack_ids=(2,)),
    EvProcStart: _t("ProcStart", ("dt", "p", "p_seq")),
    EvProcStop: _t("ProcStop", ("dt",)),
    EvProcSteal: _t("ProcSteal", ("dt", "p", "p_seq", "m")),
    EvProcStatus: _t("ProcStatus", ("dt", "p", "pstatus")),
    EvGoCreate: _t("GoCreate", ("dt", "new_g", "new_stack", "stack"), stack_ids=(3, 2)),
    EvGoCreateSyscall: _t("GoCreateSyscall", ("dt", "new_g")),
    EvGoStart: _t("GoStart", ("dt", "g", "g_seq")),
    EvGoDestroy: _t("GoDestroy", ("dt",)),
    EvGoDestroySyscall: _t("GoDestroySyscall", ("dt",)),
    EvGoStop: _t("GoStop", ("dt", "reason_string", "stack"), stack_ids=(2,), string_ids=(1,)),
    EvGoBlock: _t("GoBlock", ("dt", "reason_string", "stack"), stack_ids=(2,), string_ids=(1,)),
    EvGoUnblock: _t("GoUnblock", ("dt", "g", "g_seq", "stack"), stack_ids=(3,)),
    EvGoSyscallBegin: _t("GoSyscallBegin", ("dt", "p_seq", "stack"), stack_ids=(2,)),
    EvGoSyscallEnd: _t("GoSyscallEnd", ("dt",), start_ev=EvGoSyscallBegin),
    EvGoSyscallEndBlocked: _t("GoSyscallEndBlocked", ("dt",), start_ev=EvGoSyscallBegin),
    EvGoStatus: _t("GoStatus", ("dt", "g", "m", "gstatus")),
    EvSTWBegin: _t("STWBegin", ("dt", "kind_string", "stack"), stack_ids=(2,), string_ids=(1,)),
    EvSTWEnd: _t("STWEnd", ("dt",), start_ev=EvSTWBegin),
    EvGCActive: _t("GCActive", ("dt", "gc_seq"), start_ev=EvGCBegin),
    EvGCBegin: _t("GCBegin", ("dt", "gc_seq", "stack"), stack_ids=(2,)),
    EvGCEnd: _t("GCEnd", ("dt", "gc_seq"), start_ev=EvGCBegin),
    EvGCSweepActive: _t("GCSweepActive", ("dt", "p"), start_ev=EvGCSweepBegin),
    EvGCSweepBegin: _t("GCSweepBegin", ("dt", "stack"), stack_ids=(1,)),
    EvGCSweepEnd: _t("GCSweepEnd", ("dt", "swept_value", "reclaimed_value"), start_ev=EvGCSweepBegin),
    EvGCMarkAssistActive: _t("GCMarkAssistActive", ("dt", "g"), start_ev=EvGCMarkAssistBegin),
    EvGCMarkAssistBegin: _t("GCMarkAssistBegin", ("dt", "stack"), stack_ids=(1,)),
    EvGCMarkAssistEnd: _t("GCMarkAssistEnd", ("dt",), start_ev=EvGCMarkAssistBegin),
    EvHeapAlloc: _t("HeapAlloc", ("dt", "heapalloc_value")),
    EvHeapGoal: _t("HeapGoal", ("dt", "heapgoal_value")),
    EvGoLabel: _t("GoLabel", ("dt", "label_string"), string_ids=(1,)),
    EvUserTaskBegin: _t(
        "UserTaskBegin", ("dt", "task", "parent_task", "name_string", "stack"), stack_ids=(4,), string_ids=(3,)
    ),
    EvUserTaskEnd: _t("UserTaskEnd", ("dt", "task", "stack"), stack_ids=(2,)),
    EvUserRegionBegin: _t("UserRegionBegin", ("dt", "task", "name_string", "stack"), stack_ids=(3,), string_ids=(2,)),
    EvUserRegionEnd: _t(
        "UserRegionEnd",
        ("dt", "task", "name_string", "stack"),
        start_ev=EvUserRegionBegin,
        stack_ids=(3,),
        string_ids=(2,),
    ),
    EvUserLog: _t("UserLog", ("dt", "task", "key_string", "value_string", "stack"), stack_ids=(4,), string_ids=(2, 3)),
    EvGoSwitch: _t("GoSwitch", ("dt", "g", "g_seq")),
    EvGoSwitchDestroy: _t("GoSwitchDestroy", ("dt", "g", "g_seq")),
    EvGoCreateBlocked: _t("GoCreateBlocked", ("dt", "new_g", "new_stack", "stack"), stack_ids=(3, 2)),
    EvGoStatusStack: _t("GoStatusStack", ("dt", "g", "m", "gstatus", "stack"), stack_ids=(4,)),
    EvClockSnapshot: _t("ClockSnapshot", ("dt", "mono", "sec", "nsec")),
    EvSpan: _t("Span", ("dt", "id", "npages_value", "kindclass"), experiment=1),
    EvSpanAlloc: _t("SpanAlloc", ("dt", "id", "npages_value", "kindclass"), experiment=1),
    EvSpanFree: _t("SpanFree", ("dt", "id"), experiment=1),
    EvHeapObject: _t("HeapObject", ("dt", "id", "type"), experiment=1),
    EvHeapObjectAlloc: _t("HeapObjectAlloc", ("dt", "id", "type"), experiment=1),
    EvHeapObjectFree: _t("HeapObjectFree", ("dt", "id"), experiment=1),
    EvGoroutineStack: _t("GoroutineStack", ("dt", "id", "order"), experiment=1),
    EvGoroutineStackAlloc: _t("GoroutineStackAlloc", ("dt", "id", "order"), experiment=1),
    EvGoroutineStackFree: _t("GoroutineStackFree", ("dt", "id"), experiment=1),
}

# Highest event type each wire version knows (Go's version.Specs() slices); experimental
# events are part of every version's table (Go indexes the full table for them).
_LAST_EVENT = {GO122: EvUserLog, GO123: EvExperimentalBatch, GO125: EvClockSnapshot, GO126: EvEndOfGeneration}


def spec_for(version: int, typ: int) -> EventSpec | None:
    """The spec of event type `typ` in wire version `version`, or None if the version lacks it."""
    if typ > MaxEvent:
        return SPECS.get(typ)
    if typ > _LAST_EVENT[version]:
        return None
    return SPECS.get(typ)


def event_name(version: int, typ: int) -> str:
    """Go's version.EventName: the name of a wire event type, or Invalid(N)."""
    s = spec_for(version, typ) if typ <= MaxEvent else None
    return s.name if s is not None else f"Invalid({typ})"


# Number of varint arguments after the type byte for every timed event type (0..255),
# -1 for types that cannot appear in an event batch.
TIMED_NARGS: list[int] = [-1] * 256
for _typ, _spec in SPECS.items():
    if _spec.timed:
        TIMED_NARGS[_typ] = len(_spec.args)

# Main stack argument index (into args after dt) per type, or -1 (Go's Event.Stack()).
MAIN_STACK_ARG: list[int] = [-1] * 256
for _typ, _spec in SPECS.items():
    if _spec.stack_ids and _typ != EvCPUSample:
        MAIN_STACK_ARG[_typ] = _spec.stack_ids[0] - 1
MAIN_STACK_ARG[EvCPUSample] = 0

# Event kinds of the parsed API (trace.EventKind).
(
    KIND_BAD,
    KIND_SYNC,
    KIND_METRIC,
    KIND_LABEL,
    KIND_STACK_SAMPLE,
    KIND_RANGE_BEGIN,
    KIND_RANGE_ACTIVE,
    KIND_RANGE_END,
    KIND_TASK_BEGIN,
    KIND_TASK_END,
    KIND_REGION_BEGIN,
    KIND_REGION_END,
    KIND_LOG,
    KIND_STATE_TRANSITION,
    KIND_EXPERIMENTAL,
) = range(15)
KIND_NAMES = (
    "Bad",
    "Sync",
    "Metric",
    "Label",
    "StackSample",
    "RangeBegin",
    "RangeActive",
    "RangeEnd",
    "TaskBegin",
    "TaskEnd",
    "RegionBegin",
    "RegionEnd",
    "Log",
    "StateTransition",
    "Experimental",
)

KIND_OF: list[int] = [KIND_BAD] * 256
for _typ in (
    EvProcStart, EvProcStop, EvProcSteal, EvProcStatus, EvGoCreate, EvGoCreateSyscall, EvGoStart,
    EvGoDestroy, EvGoDestroySyscall, EvGoStop, EvGoBlock, EvGoUnblock, EvGoSyscallBegin,
    EvGoSyscallEnd, EvGoSyscallEndBlocked, EvGoStatus, EvGoSwitch, EvGoSwitchDestroy,
    EvGoCreateBlocked, EvGoStatusStack,
):  # fmt: skip
    KIND_OF[_typ] = KIND_STATE_TRANSITION
for _typ in (EvProcsChange, EvHeapAlloc, EvHeapGoal):
    KIND_OF[_typ] = KIND_METRIC
for _typ in (EvSTWBegin, EvGCBegin, EvGCSweepBegin, EvGCMarkAssistBegin):
    KIND_OF[_typ] = KIND_RANGE_BEGIN
for _typ in (EvGCActive, EvGCSweepActive, EvGCMarkAssistActive):
    KIND_OF[_typ] = KIND_RANGE_ACTIVE
for _typ in (EvSTWEnd, EvGCEnd, EvGCSweepEnd, EvGCMarkAssistEnd):
    KIND_OF[_typ] = KIND_RANGE_END
for _typ in range(EvSpan, MaxExperimentalEvent):
    KIND_OF[_typ] = KIND_EXPERIMENTAL
KIND_OF[EvCPUSample] = KIND_STACK_SAMPLE
KIND_OF[EvGoLabel] = KIND_LABEL
KIND_OF[EvUserTaskBegin] = KIND_TASK_BEGIN
KIND_OF[EvUserTaskEnd] = KIND_TASK_END
KIND_OF[EvUserRegionBegin] = KIND_REGION_BEGIN
KIND_OF[EvUserRegionEnd] = KIND_REGION_END
KIND_OF[EvUserLog] = KIND_LOG
KIND_OF[EV_SYNC] = KIND_SYNC
