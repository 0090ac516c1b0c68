"""The parsed, ordered v1 trace: what Go's `tracev1.Parse` returns, as numpy columns.

This is the contract between `parser` (wire + ordering) and `convert` (to the v2 event
table). One row per event of Go's `tracev1.Trace.Events`, in its sorted order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True, slots=True)
class V1Frame:
    """Go's tracev1.Frame: one PC's symbolisation (Fn and File are string ids)."""

    pc: int
    fn: int
    file: int
    line: int


@dataclass
class V1Trace:
    """Go's `tracev1.Trace`, columnar.

    Columns (equal length, Go's `Events` order): `ts` int64 ns (Go's Timestamp after the
    parser's tick->ns conversion), `g` uint64, `args` Go's Args[0..3]: four uint64 columns
    (apart, so a consumer can free each when done with it), `stk` uint32
    (stack id, 0 = none), `p` int32 (a P or one of Go's fake Ps: TimerP, NetpollP,
    SyscallP, GCP, ProfileP as in parser.go), `typ` uint8 (Go's tracev1 EventType numbers,
    EvNone=0 ... as in parser.go's const block).
    """

    version: int  # the minor version: 11 ... 21
    ts: np.ndarray
    g: np.ndarray
    args: list[np.ndarray]  # four columns
    stk: np.ndarray
    p: np.ndarray
    typ: np.ndarray
    stacks: dict[int, tuple[int, ...]] = field(default_factory=dict)  # stack id -> PCs
    pcs: dict[int, V1Frame] = field(default_factory=dict)  # PC -> frame
    strings: dict[int, str] = field(default_factory=dict)  # string id -> string
    inline_strings: list[str] = field(default_factory=list)  # Go's InlineStrings

    def __len__(self) -> int:
        return int(self.ts.shape[0])
