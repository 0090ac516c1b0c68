"""The v1 -> v2 converter, rule by rule (Go's internal/trace/tracev1.go), on hand-made
V1Traces: each test states the lines `go tool trace -d=parsed` prints for the events."""

from __future__ import annotations

import re

import numpy as np
import pytest

from tests.gotrace.v1.v1build import Ev, dump, table, v1trace
from tracetui.errors import TraceFormatError
from tracetui.gotrace import spec as S
from tracetui.gotrace.v1 import convert as C
from tracetui.gotrace.v1.model import V1Frame

SYSCALL_P = 1000003  # Go's tracev1.SyscallP: the parser moves GoSysExit there


def _start(ts: int = 1, p: int = 0, thread: int = 9) -> Ev:
    return Ev(C.EvProcStart, ts, 0, p, (thread,))


def _gmp(ts: int, g: int = 0) -> Ev:
    return Ev(C.EvGomaxprocs, ts, g, 0, (4,))


def _body(lines: list[str]) -> list[str]:
    """The lines between the two Syncs."""
    assert "Sync" in lines[0] and "Sync" in lines[-1]
    return lines[1:-1]


def test_syncs_frame_the_events() -> None:
    lines = dump(v1trace([Ev(C.EvHeapAlloc, 100, 0, 0, (5,)), Ev(C.EvHeapGoal, 200, 0, 0, (6,))]))
    assert lines[0] == "M=-1 P=-1 G=-1 Sync Time=99 N=1"
    assert lines[-1] == "M=-1 P=-1 G=-1 Sync Time=201 N=2"
    assert lines[1] == 'M=-1 P=0 G=-1 Metric Time=100 Name="/memory/classes/heap/objects:bytes" Value=Value{Uint64(5)}'
    assert lines[2] == 'M=-1 P=0 G=-1 Metric Time=200 Name="/gc/heap/goal:bytes" Value=Value{Uint64(6)}'


def test_an_empty_trace_is_one_sync() -> None:
    assert dump(v1trace([])) == ["M=-1 P=-1 G=-1 Sync Time=0 N=1"]


def test_the_first_sync_is_before_the_first_event_even_a_dropped_one() -> None:
    lines = dump(v1trace([Ev(C.EvGoCreate, 50, 0, 0, (7, 0)), _gmp(60)]))
    # Both events are dropped (GoCreate before the first Gomaxprocs; the Gomaxprocs itself),
    # leaving the Runnable status of goroutine 7.
    assert lines == [
        "M=-1 P=-1 G=-1 Sync Time=49 N=1",
        'M=-1 P=-1 G=-1 StateTransition Time=60 GoID=7 Undetermined->Runnable Reason=""',
        "M=-1 P=-1 G=-1 Sync Time=61 N=2",
    ]


def test_initialisation_gives_statuses() -> None:
    tr = v1trace(
        [
            Ev(C.EvGoCreate, 10, 0, 0, (1, 0)),
            Ev(C.EvGoCreate, 10, 0, 0, (20, 0)),
            Ev(C.EvGoCreate, 10, 0, 0, (5, 0)),
            Ev(C.EvGoCreate, 10, 0, 0, (6, 0)),
            Ev(C.EvGoCreate, 10, 0, 0, (3, 0)),
            Ev(C.EvGoWaiting, 11, 5, 0, (5,)),
            Ev(C.EvGoInSyscall, 11, 6, 0, (6,)),
            _start(12),
            Ev(C.EvGoStart, 13, 3, 0, (3, 1)),
            _gmp(14, 3),
            _gmp(30, 3),
        ]
    )
    assert _body(dump(tr)) == [
        'M=-1 P=0 G=5 StateTransition Time=11 GoID=5 Undetermined->Waiting Reason=""',
        'M=-1 P=0 G=6 StateTransition Time=12 GoID=6 Undetermined->Syscall Reason=""',
        'M=9 P=0 G=-1 StateTransition Time=13 ProcID=0 Undetermined->Running Reason=""',
        'M=9 P=0 G=3 StateTransition Time=14 GoID=3 Undetermined->Running Reason=""',
        # Created, never started, waiting or in a syscall: runnable, by goroutine id.
        'M=-1 P=-1 G=-1 StateTransition Time=15 GoID=1 Undetermined->Runnable Reason=""',
        'M=-1 P=-1 G=-1 StateTransition Time=16 GoID=20 Undetermined->Runnable Reason=""',
        # Only the first Gomaxprocs ends the initialisation (and is dropped).
        'M=9 P=0 G=3 Metric Time=30 Name="/sched/gomaxprocs:threads" Value=Value{Uint64(4)}',
    ]
    t = table(tr)
    st = np.flatnonzero(t.typ == S.EvGoStatus)
    assert t.a1[st].tolist() == [(1 << 64) - 1] * 5  # M unknown


def test_without_gomaxprocs_the_trace_never_leaves_initialisation() -> None:
    tr = v1trace([_start(1), Ev(C.EvGoCreate, 2, 0, 0, (4, 0)), Ev(C.EvGoStart, 3, 4, 0, (4, 1))])
    assert _body(dump(tr)) == [
        'M=9 P=0 G=-1 StateTransition Time=1 ProcID=0 Undetermined->Running Reason=""',
        'M=9 P=0 G=4 StateTransition Time=3 GoID=4 Undetermined->Running Reason=""',
    ]


def test_after_initialisation_creates_and_starts_are_transitions() -> None:
    tr = v1trace([_start(1), _gmp(2), Ev(C.EvGoCreate, 3, 0, 0, (4, 0)), Ev(C.EvGoStart, 4, 4, 0, (4, 1))])
    assert _body(dump(tr))[1:] == [
        'M=9 P=0 G=-1 StateTransition Time=3 GoID=4 NotExist->Runnable Reason=""\nTransitionStack=\n',
        'M=9 P=0 G=4 StateTransition Time=4 GoID=4 Runnable->Running Reason=""',
    ]


def test_procs_first_seen_get_a_status_then_start_and_stop() -> None:
    tr = v1trace(
        [
            Ev(C.EvProcStop, 1, 0, 1, ()),  # P 1 first seen stopping: it was running
            _start(2, 0, 9),
            Ev(C.EvProcStop, 3, 0, 0, ()),
            Ev(C.EvHeapAlloc, 4, 0, 0, (1,)),  # P 0 stopped: no M
            _start(5, 0, 11),
            Ev(C.EvHeapAlloc, 6, 0, 0, (1,)),
            Ev(C.EvHeapAlloc, 7, 0, -1, (1,)),  # no P: no M
        ]
    )
    body = _body(dump(tr))
    assert [re.sub(r" Time=\d+", "", line) for line in body] == [
        'M=-1 P=1 G=-1 StateTransition ProcID=1 Undetermined->Idle Reason=""',
        'M=9 P=0 G=-1 StateTransition ProcID=0 Undetermined->Running Reason=""',
        'M=9 P=0 G=-1 StateTransition ProcID=0 Running->Idle Reason=""',
        'M=-1 P=0 G=-1 Metric Name="/memory/classes/heap/objects:bytes" Value=Value{Uint64(1)}',
        'M=11 P=0 G=-1 StateTransition ProcID=0 Idle->Running Reason=""',
        'M=11 P=0 G=-1 Metric Name="/memory/classes/heap/objects:bytes" Value=Value{Uint64(1)}',
        'M=-1 P=-1 G=-1 Metric Name="/memory/classes/heap/objects:bytes" Value=Value{Uint64(1)}',
    ]


@pytest.mark.parametrize(
    ("typ", "kind", "reason"),
    [
        (C.EvGoStop, "Running->Waiting", "forever"),
        (C.EvGoSched, "Running->Runnable", "runtime.Gosched"),
        (C.EvGoPreempt, "Running->Runnable", "preempted"),
        (C.EvGoSleep, "Running->Waiting", "sleep"),
        (C.EvGoBlock, "Running->Waiting", ""),
        (C.EvGoBlockSend, "Running->Waiting", "chan send"),
        (C.EvGoBlockRecv, "Running->Waiting", "chan receive"),
        (C.EvGoBlockSelect, "Running->Waiting", "select"),
        (C.EvGoBlockSync, "Running->Waiting", "sync"),
        (C.EvGoBlockCond, "Running->Waiting", "sync.(*Cond).Wait"),
        (C.EvGoBlockNet, "Running->Waiting", "network"),
        (C.EvGoBlockGC, "Running->Waiting", "GC mark assist wait for work"),
    ],
)
def test_blocking_events_name_their_reason(typ: int, kind: str, reason: str) -> None:
    body = _body(dump(v1trace([_start(), Ev(typ, 5, 8, 0, ())])))
    assert body[1] == f'M=9 P=0 G=8 StateTransition Time=5 GoID=8 {kind} Reason="{reason}"'


STACKS = {1: (0x10, 0x20), 2: (0x30,)}
PCS = {0x10: V1Frame(0x10, 1, 2, 7), 0x20: V1Frame(0x20, 3, 2, 9)}  # no frame for 0x30
STRINGS = {1: "main.f", 2: "main.go", 3: "main.main"}
FRAMES_1 = "\tmain.f @ 0x10\n\t\tmain.go:7\n\tmain.main @ 0x20\n\t\tmain.go:9\n"


def test_stacks_and_a_pc_without_a_frame() -> None:
    tr = v1trace([_start(), _gmp(2), Ev(C.EvGoCreate, 3, 5, 0, (6, 2), 1)], strings=STRINGS, stacks=STACKS, pcs=PCS)
    # The new goroutine's stack is the transition's, the creator's the event's; Go's zero
    # frame stands in for a PC the trace has no frame for.
    assert _body(dump(tr))[1] == (
        'M=9 P=0 G=5 StateTransition Time=3 GoID=6 NotExist->Runnable Reason=""\n'
        "TransitionStack=\n\t @ 0x0\n\t\t:0\n\nStack=\n" + FRAMES_1
    )


def test_a_syscall_that_blocks_is_a_begin_ended_by_the_exit() -> None:
    tr = v1trace(
        [
            _start(),
            Ev(C.EvGoSysCall, 5, 8, 0, (), 1),
            Ev(C.EvHeapAlloc, 6, 3, 0, (1,)),  # another goroutine's event does not decide
            Ev(C.EvGoSysBlock, 7, 8, 0, ()),
            Ev(C.EvGoSysExit, 9, 8, SYSCALL_P, (8, 2, 0)),
        ],
        strings=STRINGS,
        stacks=STACKS,
        pcs=PCS,
    )
    body = _body(dump(tr))
    assert body[1] == (
        'M=9 P=0 G=8 StateTransition Time=5 GoID=8 Running->Syscall Reason=""\n'
        f"TransitionStack=\n{FRAMES_1}\nStack=\n{FRAMES_1}"
    )
    assert body[3] == 'M=-1 P=1000003 G=8 StateTransition Time=9 GoID=8 Syscall->Runnable Reason=""'
    assert len(body) == 4  # the GoSysBlock is dropped


def test_a_syscall_that_does_not_block_lasts_one_nanosecond() -> None:
    tr = v1trace(
        [
            Ev(C.EvGoSysCall, 5, 8, 0, ()),  # P 0 never started: M is 0, not -1, as in Go
            Ev(C.EvGoSysCall, 6, 0, 3, ()),  # goroutine 0 stays 0
            Ev(C.EvGoStart, 7, 8, 0, (8, 1)),
        ]
    )
    assert _body(dump(tr)) == [
        'M=0 P=0 G=8 StateTransition Time=5 GoID=8 Running->Syscall Reason=""',
        # Go's next() makes times strictly increasing: 6 is taken by this End.
        'M=0 P=0 G=8 StateTransition Time=6 GoID=8 Syscall->Running Reason=""',
        'M=0 P=3 G=0 StateTransition Time=7 GoID=0 Running->Syscall Reason=""',
        'M=0 P=3 G=0 StateTransition Time=8 GoID=0 Syscall->Running Reason=""',
        'M=-1 P=0 G=8 StateTransition Time=9 GoID=8 Undetermined->Running Reason=""',
    ]


def test_a_labelled_start_is_a_start_and_a_label() -> None:
    tr = v1trace([Ev(C.EvGoStartLabel, 5, 8, 4, (8, 1, 2))], strings={2: "GC (dedicated)"})
    assert _body(dump(tr)) == [
        'M=0 P=4 G=8 StateTransition Time=5 GoID=8 Runnable->Running Reason=""',
        'M=0 P=4 G=8 Label Time=6 Label="GC (dedicated)" Resource=Goroutine(8)',
    ]


@pytest.mark.parametrize(
    ("version", "kinds", "names"),
    [
        (11, (0, 1, 2), ("GC mark termination", "GC sweep termination", "")),
        (19, (0, 1, 7), ("GC mark termination", "GC sweep termination", "")),
        (21, (7, 10, 40), ("read mem stats", "start trace", "")),
    ],
)
def test_stw_reasons_by_version(version: int, kinds: tuple[int, ...], names: tuple[str, ...]) -> None:
    evs = []
    for k, kind in enumerate(kinds):
        evs += [Ev(C.EvSTWStart, 10 * k + 1, 3, 0, (kind,)), Ev(C.EvSTWDone, 10 * k + 2, 3, 0, ())]
    body = _body(dump(v1trace(evs, version=version)))
    for k, name in enumerate(names):
        assert f'RangeBegin Time={10 * k + 1} Name="stop-the-world ({name})" Scope=Goroutine(3)' in body[2 * k]
        # The end names the last begin's reason.
        assert f'RangeEnd Time={10 * k + 2} Name="stop-the-world ({name})" Scope=Goroutine(3)' in body[2 * k + 1]


def test_gc_sweep_and_assist_ranges() -> None:
    tr = v1trace(
        [
            Ev(C.EvGCStart, 1, 3, 1000004, (7,), 0),
            Ev(C.EvGCSweepStart, 2, 3, 0, ()),
            Ev(C.EvGCSweepDone, 3, 3, 0, (100, 50)),
            Ev(C.EvGCMarkAssistStart, 4, 3, 0, ()),
            Ev(C.EvGCMarkAssistDone, 5, 3, 0, ()),
            Ev(C.EvGCDone, 6, 0, 0, ()),
        ]
    )
    assert _body(dump(tr)) == [
        'M=-1 P=1000004 G=3 RangeBegin Time=1 Name="GC concurrent mark phase" Scope=None',
        'M=-1 P=0 G=3 RangeBegin Time=2 Name="GC incremental sweep" Scope=Proc(0)',
        (
            'M=-1 P=0 G=3 RangeEnd Time=3 Name="GC incremental sweep" Scope=Proc(0) '
            'Attributes=["bytes swept"=Value{Uint64(100)} "bytes reclaimed"=Value{Uint64(50)}]'
        ),
        'M=-1 P=0 G=3 RangeBegin Time=4 Name="GC mark assist" Scope=Goroutine(3)',
        'M=-1 P=0 G=3 RangeEnd Time=5 Name="GC mark assist" Scope=Goroutine(3) Attributes=[]',
        'M=-1 P=0 G=-1 RangeEnd Time=6 Name="GC concurrent mark phase" Scope=None Attributes=[]',
    ]


def test_tasks_regions_and_logs() -> None:
    no_task = (1 << 64) - 1
    tr = v1trace(
        [
            Ev(C.EvUserTaskCreate, 1, 3, 0, (1, 0, 1)),
            Ev(C.EvUserTaskCreate, 2, 3, 0, (2, 1, 2)),
            Ev(C.EvUserRegion, 3, 3, 0, (2, 0, 3)),
            Ev(C.EvUserLog, 4, 3, 0, (2, 4, 0, 1)),
            Ev(C.EvUserRegion, 5, 3, 0, (2, 1, 3)),
            Ev(C.EvUserTaskEnd, 6, 3, 0, (2,)),
            Ev(C.EvUserTaskEnd, 7, 3, 0, (1,)),
            Ev(C.EvUserTaskEnd, 8, 3, 0, (9,)),  # never created
        ],
        strings={1: "outer", 2: "inner", 3: "step", 4: "cat"},
        inline=["unused", 'said "hi"'],
    )
    assert [line.split(" ", 5)[-1] for line in _body(dump(tr))] == [
        f'ID=1 Parent={no_task} Type="outer"',  # parent 0 is no task
        'ID=2 Parent=1 Type="inner"',
        'Task=2 Type="step"',
        'Task=2 Category="cat" Message="said \\"hi\\""',
        'Task=2 Type="step"',
        'ID=2 Parent=1 Type="inner"',  # the end carries its begin's parent and type
        'ID=1 Parent=0 Type="outer"',  # ... the parent as the begin had it: 0
        f'ID=9 Parent={no_task} Type=""',
    ]


def test_cpu_samples() -> None:
    tr = v1trace(
        [Ev(C.EvCPUSample, 5, 8, 2, (0, 2, 8), 1), Ev(C.EvCPUSample, 6, 0, -1, (0, -1, 0), 1)],
        strings=STRINGS,
        stacks=STACKS,
        pcs=PCS,
    )
    assert _body(dump(tr)) == [
        f"M=-1 P=2 G=8 StackSample Time=5\nStack=\n{FRAMES_1}",
        f"M=-1 P=-1 G=-1 StackSample Time=6\nStack=\n{FRAMES_1}",
    ]


def test_equal_times_become_strictly_increasing() -> None:
    tr = v1trace([Ev(C.EvHeapAlloc, 5, 0, 0, (k,)) for k in range(3)] + [Ev(C.EvHeapAlloc, 7, 0, 0, (3,))])
    assert [int(line.split("Time=")[1].split()[0]) for line in _body(dump(tr))] == [5, 6, 7, 8]


def test_an_event_go_does_not_convert_is_an_error() -> None:
    with pytest.raises(TraceFormatError, match="unexpected event type 36"):
        table(v1trace([Ev(C.EvFutileWakeup, 5, 0, 0, ())]))


def test_a_converted_table_says_its_format() -> None:
    t = table(v1trace([Ev(C.EvHeapAlloc, 5, 0, 0, (1,))], version=19))
    assert t.version == 19
    assert t.syncs and not t.syncs[0].has_snapshot
