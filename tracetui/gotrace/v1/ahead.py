"""The first events of a v1 trace, before the whole trace is ordered and checked.

Go orders a v1 trace as a whole: it merges every P's batches, moves each GoSysExit to its
real time, sorts again and checks everything, and only then returns an event. The viewer's
first screen need not wait for all of it: the first k rows of Go's merge come from the merge
stopped at k rows, and of those rows the ones up to a bound are already where the whole
order puts them. The bound is the smaller of the time of the merge's k-th row (no row merged
later is earlier) and the earliest real time of a GoSysExit merged later (the only rows the
second sort can move ahead). Post-processing's checks and fix-ups look back only, so those
rows get the same ones as in the whole trace.

The tables (strings, stacks, frames, frequency) come from loading every batch in file order;
they are Go's unless ids repeat, and the inline strings (log messages) may be numbered
otherwise, which only the string ids of the head's own table show. Nothing here says the
whole trace reads: a trace that fails later still fails, after its head was shown.
"""

from __future__ import annotations

import numpy as np

from tracetui.gotrace.v1 import spec as S
from tracetui.gotrace.v1.convert import refusal
from tracetui.gotrace.v1.model import V1Trace
from tracetui.gotrace.v1.order import load_all, merge_head
from tracetui.gotrace.v1.parser import UNLOCAL, Staged, final_order, finish, take_args
from tracetui.gotrace.v1.wire import ScanError


def provisional_head(staged: Staged, k: int) -> V1Trace | None:
    """The first rows of the whole trace's V1Trace (at most k; every column and the tables),
    from the first k rows of Go's merge; None when they cannot be told early (a short trace,
    no compiled merge, or anything the whole parse would refuse: it then says what)."""
    sc, c = staged.sc, staged.c
    n = len(c.ts)
    if n <= k or k <= 0:
        return None
    loaded = load_all(sc, c)
    if loaded is None or loaded.ticks_per_sec == 0:
        return None
    if refusal(UNLOCAL[c.typ], bool(loaded.inline)) is not None:
        return None
    merged = merge_head(sc, c, k)
    if merged is None:
        return None
    order = merged.astype(np.int32)
    bound = int(c.ts[order[-1]])
    exits = np.flatnonzero((c.typ == S.EvGoSysExit) | (c.typ == S.EvGoSysExitLocal))
    exits = exits[~np.isin(exits, order)]  # merged later
    real = c.args[exits, 2].view(np.int64)
    real = real[real != 0]
    if real.size:
        bound = min(bound, int(real.min()))
    try:
        order, typ, ts, g, _ = final_order(c, order)
    except ScanError:
        return None
    known = int(np.searchsorted(ts, bound, side="right"))
    if known == 0:
        return None
    order, typ, ts, g = order[:known], typ[:known], ts[:known], g[:known]
    p, stk = c.p[order], c.stk[order]
    try:
        tr = finish(staged.version, ts, g, p, typ, stk, c.args, order, loaded)
    except ScanError:
        return None
    tr.args = take_args(c.args, order)
    return tr
