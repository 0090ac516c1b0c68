"""The ordered event table: numpy columns, plus trace-wide string and stack tables.

Rows are the events Go's parser returns (`trace.Reader.ReadEvent`), in its order, with
its fields: `typ` is the wire event type (or EV_SYNC), `m/p/g` the scheduling context
(int32 when every value of the trace fits, else int64),
`a0..a3` the arguments after the timestamp with Go's smuggled extras (uint64; a0 and a3
uint32 when every value of the trace fits: read them with `astype`, never `view`). String
and stack IDs in the arguments are remapped to this trace's global tables (0 = none).
A Go 1.11-1.21 trace converted as Go does (`gotrace.v1`) gives the same table, one
generation; its `version` (11, 19 or 21) is the only mark of the conversion.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tracetui.gotrace import spec as S

COLUMNS = ("time", "typ", "m", "p", "g", "a0", "a1", "a2", "a3")
DTYPES = {
    "time": np.int64,
    "typ": np.uint8,
    "m": np.int64,
    "p": np.int64,
    "g": np.int64,
    "a0": np.uint64,
    "a1": np.uint64,
    "a2": np.uint64,
    "a3": np.uint64,
}

# Argument positions (into a0..a3) holding string / stack IDs, per event type.
STRING_ARGS: dict[int, tuple[int, ...]] = {}
STACK_ARGS: dict[int, tuple[int, ...]] = {}
for _typ, _sp in S.SPECS.items():
    if _sp.timed:
        if _sp.string_ids:
            STRING_ARGS[_typ] = tuple(i - 1 for i in _sp.string_ids)
        if _sp.stack_ids:
            STACK_ARGS[_typ] = tuple(i - 1 for i in _sp.stack_ids)
STACK_ARGS[S.EvCPUSample] = (0,)


class StringTable:
    """Interned strings; ID 0 is the empty string."""

    def __init__(self) -> None:
        self.strings: list[str] = [""]
        self._ids: dict[str, int] = {"": 0}

    def intern(self, s: str) -> int:
        sid = self._ids.get(s)
        if sid is None:
            sid = self._ids[s] = len(self.strings)
            self.strings.append(s)
        return sid

    @classmethod
    def of(cls, strings: list[str]) -> StringTable:
        """A table holding exactly `strings` at their ids (strings[0] is ""); a string listed
        twice is interned as its first id."""
        t = cls()
        t.strings, t._ids = strings, {}
        for i, s in enumerate(strings):
            t._ids.setdefault(s, i)
        return t

    def __getitem__(self, sid: int) -> str:
        return self.strings[sid]

    def __len__(self) -> int:
        return len(self.strings)


class StackTable:
    """Deduplicated frames and stacks; stack 0 is "no stack"."""

    def __init__(self) -> None:
        self.frame_pc: list[int] = []
        self.frame_func: list[int] = []
        self.frame_file: list[int] = []
        self.frame_line: list[int] = []
        self._frame_ids: dict[tuple[int, int, int, int], int] = {}
        self.stacks: list[tuple[int, ...]] = [()]
        self._stack_ids: dict[tuple[int, ...], int] = {}

    def frame(self, pc: int, func: int, file: int, line: int) -> int:
        key = (pc, func, file, line)
        fid = self._frame_ids.get(key)
        if fid is None:
            fid = self._frame_ids[key] = len(self.frame_pc)
            self.frame_pc.append(pc)
            self.frame_func.append(func)
            self.frame_file.append(file)
            self.frame_line.append(line)
        return fid

    @classmethod
    def of(cls, frames: list[tuple[int, int, int, int]], stacks: list[tuple[int, ...]]) -> StackTable:
        """A table holding exactly these frames (pc, func, file, line) and stacks (frame ids,
        innermost first) at their ids: frame i, stack i + 1 (stack 0 is "no stack")."""
        t = cls()
        for k, (pc, func, file, line) in enumerate(frames):
            t.frame_pc.append(pc)
            t.frame_func.append(func)
            t.frame_file.append(file)
            t.frame_line.append(line)
            t._frame_ids[(pc, func, file, line)] = k
        for sid, ids in enumerate(stacks, 1):
            t.stacks.append(ids)
            t._stack_ids.setdefault(ids, sid)
        return t

    def stack(self, frames: tuple[int, ...]) -> int:
        sid = self._stack_ids.get(frames)
        if sid is None:
            sid = self._stack_ids[frames] = len(self.stacks)
            self.stacks.append(frames)
        return sid

    def __len__(self) -> int:
        return len(self.stacks)


@dataclass(slots=True)
class SyncInfo:
    """What a Sync event carries: the generation's clock snapshot, if any."""

    has_snapshot: bool = False
    trace_time: int = 0
    mono: int = 0
    sec: int = 0
    nsec: int = 0
    experimental_batches: int = 0


@dataclass
class EventTable:
    """Ordered events of a whole trace as numpy columns (see the module docstring)."""

    version: int
    time: np.ndarray
    typ: np.ndarray
    m: np.ndarray
    p: np.ndarray
    g: np.ndarray
    a0: np.ndarray
    a1: np.ndarray
    a2: np.ndarray
    a3: np.ndarray
    strings: StringTable
    stacks: StackTable
    syncs: list[SyncInfo] = field(default_factory=list)
    # Sizes for partial traces: bytes of the file and of its valid prefix.
    size: int = 0
    valid_size: int = 0
    error: str | None = None
    error_offset: int | None = None
    # Events up to and including the last Sync: the complete generations (what
    # `go tool trace` keeps of a broken trace). Equal to len(self) without an error.
    valid_events: int = 0

    def __len__(self) -> int:
        return int(self.time.shape[0])

    @property
    def nbytes(self) -> int:
        return sum(getattr(self, c).nbytes for c in COLUMNS)


def empty_columns() -> dict[str, np.ndarray]:
    return {c: np.zeros(0, dtype=DTYPES[c]) for c in COLUMNS}
