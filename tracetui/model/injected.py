"""Which goroutines and stacks are `tracetui record`'s own code, not the user's program.

`record` builds a program with Go files added to its package main (tracetui/record/overlay.py):
they start runtime/trace from an init function, stop it from an exit hook and serve a control
socket. Their files are named `zz_tracetui_record_*.go` and their functions `main.tracetuiRecord*`
(the init is `main.init.N`, known by its file only). A goroutine is injected when its creation
or start stack has a frame of theirs (the control goroutine, the stopper, and the tracer's own
goroutines that runtime/trace.Start creates), or when an injected goroutine created it.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

import numpy as np

from tracetui.gotrace.events import StackTable, StringTable

# The same names as tracetui/record/overlay.py's (the model does not import the recorder).
FILE_PREFIX = "zz_tracetui_record"
FUNC_PREFIX = "main.tracetuiRecord"


def is_injected_frame(func: str, file: str) -> bool:
    """Whether a frame (function, file path) is of record's overlay."""
    return func.startswith(FUNC_PREFIX) or file.rsplit("/", 1)[-1].startswith(FILE_PREFIX)


_MEMO: WeakKeyDictionary[StackTable, tuple[int, np.ndarray]] = WeakKeyDictionary()


def injected_stacks(stacks: StackTable, strings: StringTable) -> np.ndarray:
    """A bool per stack id: the stack has a frame of the overlay (all False for a trace
    recorded without it; computed once per stack table and size)."""
    memo = _MEMO.get(stacks)
    if memo is not None and memo[0] == len(stacks):
        return memo[1]
    out = np.zeros(len(stacks), bool)
    text = strings.strings
    marked = np.array([s.startswith(FUNC_PREFIX) or FILE_PREFIX in s for s in text], bool)
    if marked.any() and stacks.frame_func:
        func = np.asarray(stacks.frame_func, np.int64)
        file = np.asarray(stacks.frame_file, np.int64)
        frame = np.array(
            [bool(marked[f] or marked[p]) and is_injected_frame(text[f], text[p]) for f, p in zip(func, file)], bool
        )
        if frame.any():
            out = np.array([any(frame[f] for f in s) for s in stacks.stacks], bool)
    _MEMO[stacks] = (len(stacks), out)
    return out


def injected_goroutines(
    ids: np.ndarray, creator: np.ndarray, create_stack: np.ndarray, start_stack: np.ndarray, stack_mask: np.ndarray
) -> np.ndarray:
    """Sorted ids of the injected goroutines, given the goroutine table's columns (ids
    sorted) and `injected_stacks`' mask."""
    ids = np.asarray(ids, np.int64)
    if not stack_mask.any() or not ids.size:
        return np.zeros(0, np.int64)
    hit = stack_mask[np.asarray(create_stack, np.int64)] | stack_mask[np.asarray(start_stack, np.int64)]
    creator = np.asarray(creator, np.int64)
    while True:  # what an injected goroutine creates is injected too
        more = ~hit & np.isin(creator, ids[hit])
        if not more.any():
            return ids[hit]
        hit |= more
