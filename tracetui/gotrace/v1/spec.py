"""The v1 event types (Go's tracev1 `EventType` and `EventDescriptions`), as lookup tables."""

from __future__ import annotations

import numpy as np

EvNone = 0
EvBatch = 1
EvFrequency = 2
EvStack = 3
EvGomaxprocs = 4
EvProcStart = 5
EvProcStop = 6
EvGCStart = 7
EvGCDone = 8
EvSTWStart = 9
EvSTWDone = 10
EvGCSweepStart = 11
EvGCSweepDone = 12
EvGoCreate = 13
EvGoStart = 14
EvGoEnd = 15
EvGoStop = 16
EvGoSched = 17
EvGoPreempt = 18
EvGoSleep = 19
EvGoBlock = 20
EvGoUnblock = 21
EvGoBlockSend = 22
EvGoBlockRecv = 23
EvGoBlockSelect = 24
EvGoBlockSync = 25
EvGoBlockCond = 26
EvGoBlockNet = 27
EvGoSysCall = 28
EvGoSysExit = 29
EvGoSysBlock = 30
EvGoWaiting = 31
EvGoInSyscall = 32
EvHeapAlloc = 33
EvHeapGoal = 34
EvTimerGoroutine = 35
EvFutileWakeup = 36
EvString = 37
EvGoStartLocal = 38
EvGoUnblockLocal = 39
EvGoSysExitLocal = 40
EvGoStartLabel = 41
EvGoBlockGC = 42
EvGCMarkAssistStart = 43
EvGCMarkAssistDone = 44
EvUserTaskCreate = 45
EvUserTaskEnd = 46
EvUserRegion = 47
EvUserLog = 48
EvCPUSample = 49
EvCount = 50

# Go's fake Ps (tracev1 FakeP + iota).
FakeP = 1000000
TimerP = 1000001
NetpollP = 1000002
SyscallP = 1000003
GCP = 1000004
ProfileP = 1000005

# type -> (name, minimum version, has a stack argument, argument names)
_DESC: dict[int, tuple[str, int, bool, tuple[str, ...]]] = {
    EvNone: ("None", 5, False, ()),
    EvBatch: ("Batch", 5, False, ("p", "ticks")),
    EvFrequency: ("Frequency", 5, False, ("freq",)),
    EvStack: ("Stack", 5, False, ("id", "siz")),
    EvGomaxprocs: ("Gomaxprocs", 5, True, ("procs",)),
    EvProcStart: ("ProcStart", 5, False, ("thread",)),
    EvProcStop: ("ProcStop", 5, False, ()),
    EvGCStart: ("GCStart", 5, True, ("seq",)),
    EvGCDone: ("GCDone", 5, False, ()),
    EvSTWStart: ("GCSTWStart", 5, False, ("kindid",)),
    EvSTWDone: ("GCSTWDone", 5, False, ()),
    EvGCSweepStart: ("GCSweepStart", 5, True, ()),
    EvGCSweepDone: ("GCSweepDone", 5, False, ("swept", "reclaimed")),
    EvGoCreate: ("GoCreate", 5, True, ("g", "stack")),
    EvGoStart: ("GoStart", 5, False, ("g", "seq")),
    EvGoEnd: ("GoEnd", 5, False, ()),
    EvGoStop: ("GoStop", 5, True, ()),
    EvGoSched: ("GoSched", 5, True, ()),
    EvGoPreempt: ("GoPreempt", 5, True, ()),
    EvGoSleep: ("GoSleep", 5, True, ()),
    EvGoBlock: ("GoBlock", 5, True, ()),
    EvGoUnblock: ("GoUnblock", 5, True, ("g", "seq")),
    EvGoBlockSend: ("GoBlockSend", 5, True, ()),
    EvGoBlockRecv: ("GoBlockRecv", 5, True, ()),
    EvGoBlockSelect: ("GoBlockSelect", 5, True, ()),
    EvGoBlockSync: ("GoBlockSync", 5, True, ()),
    EvGoBlockCond: ("GoBlockCond", 5, True, ()),
    EvGoBlockNet: ("GoBlockNet", 5, True, ()),
    EvGoSysCall: ("GoSysCall", 5, True, ()),
    EvGoSysExit: ("GoSysExit", 5, False, ("g", "seq", "ts")),
    EvGoSysBlock: ("GoSysBlock", 5, False, ()),
    EvGoWaiting: ("GoWaiting", 5, False, ("g",)),
    EvGoInSyscall: ("GoInSyscall", 5, False, ("g",)),
    EvHeapAlloc: ("HeapAlloc", 5, False, ("mem",)),
    EvHeapGoal: ("HeapGoal", 5, False, ("mem",)),
    EvTimerGoroutine: ("TimerGoroutine", 5, False, ("g",)),
    EvFutileWakeup: ("FutileWakeup", 5, False, ()),
    EvString: ("String", 7, False, ()),
    EvGoStartLocal: ("GoStartLocal", 7, False, ("g",)),
    EvGoUnblockLocal: ("GoUnblockLocal", 7, True, ("g",)),
    EvGoSysExitLocal: ("GoSysExitLocal", 7, False, ("g", "ts")),
    EvGoStartLabel: ("GoStartLabel", 8, False, ("g", "seq", "labelid")),
    EvGoBlockGC: ("GoBlockGC", 8, True, ()),
    EvGCMarkAssistStart: ("GCMarkAssistStart", 9, True, ()),
    EvGCMarkAssistDone: ("GCMarkAssistDone", 9, False, ()),
    EvUserTaskCreate: ("UserTaskCreate", 11, True, ("taskid", "pid", "typeid")),
    EvUserTaskEnd: ("UserTaskEnd", 11, True, ("taskid",)),
    EvUserRegion: ("UserRegion", 11, True, ("taskid", "mode", "typeid")),
    EvUserLog: ("UserLog", 11, True, ("id", "keyid")),
    EvCPUSample: ("CPUSample", 19, True, ("ts", "p", "g")),
}

NAMES: list[str] = [_DESC[t][0] if t in _DESC else "" for t in range(256)]
MIN_VERSION: list[int] = [_DESC[t][1] if t in _DESC else 1 << 30 for t in range(256)]
HAS_STACK: list[bool] = [_DESC[t][2] if t in _DESC else False for t in range(256)]
ARG_NAMES: list[tuple[str, ...]] = [_DESC[t][3] if t in _DESC else () for t in range(256)]


def _arg_num(t: int) -> int:
    """Go's rawEvent.argNum for a type other than EvStack: arguments, stack, timestamp."""
    n = len(ARG_NAMES[t]) + (1 if HAS_STACK[t] else 0)
    return n if t in (EvBatch, EvFrequency, EvTimerGoroutine) else n + 1


ARG_NUM: list[int] = [_arg_num(t) for t in range(256)]

# Go's lastG: the events that set their P's current goroutine (to theirs, or to none), and
# those that carry their own goroutine as their first argument.
G_START = (EvGoStart, EvGoStartLocal, EvGoStartLabel)
G_STOP = (
    EvGoEnd,
    EvGoStop,
    EvGoSched,
    EvGoPreempt,
    EvGoSleep,
    EvGoBlock,
    EvGoBlockSend,
    EvGoBlockRecv,
    EvGoBlockSelect,
    EvGoBlockSync,
    EvGoBlockCond,
    EvGoBlockNet,
    EvGoSysBlock,
    EvGoBlockGC,
)
G_OWN = (EvGoSysExit, EvGoWaiting, EvGoInSyscall)

# As numpy tables, indexed by type, for the vectorised steps.
N_ARGS_NP = np.array([len(a) for a in ARG_NAMES], dtype=np.int64)
HAS_STACK_NP = np.array(HAS_STACK, dtype=bool)
ARG_NUM_NP = np.array(ARG_NUM, dtype=np.int64)
