"""Decoding one M's event batches into flat lists (Go's batchCursor.nextEvent).

Events are decoded ahead of ordering. A decoding error is remembered with the number of
events that decoded before it, so the reader can raise it exactly when Go's cursor would.
"""

from __future__ import annotations

from tracetui.gotrace import spec
from tracetui.gotrace.wire import Batch

_NARGS = spec.TIMED_NARGS
_NSPECS = spec.MaxExperimentalEvent


class MEvents:
    """The decoded events of one M in one generation, in batch order."""

    __slots__ = ("m", "typ", "time", "a0", "a1", "a2", "a3", "off", "error", "n")

    def __init__(self, m: int) -> None:
        self.m = m
        self.typ: list[int] = []
        self.time: list[int] = []
        self.a0: list[int] = []
        self.a1: list[int] = []
        self.a2: list[int] = []
        self.a3: list[int] = []
        self.off: list[int] = []
        self.error: tuple[str, int] | None = None
        self.n = 0


def decode_m(m: int, batches: list[Batch], buf: bytes, freq: float) -> MEvents:
    """Decode every event of one M's batches; stops at the first malformed event."""
    out = MEvents(m)
    typ_l, time_l, off_l = out.typ, out.time, out.off
    a_l = (out.a0, out.a1, out.a2, out.a3)
    nargs_of = _NARGS
    args = [0, 0, 0, 0]  # Go reuses the cursor's event: unset args keep stale values.
    for b in batches:
        pos, end = b.start, b.end
        if pos >= end:
            continue
        last = int(float(b.time) * freq)
        while pos < end:
            start = pos
            t = buf[pos]
            if t >= _NSPECS:
                out.error = (f"found invalid event type: {t}", start)
                out.n = len(typ_l)
                return out
            n = nargs_of[t]
            if n <= 0:
                out.error = (f"found event without a timestamp: type={t}", start)
                out.n = len(typ_l)
                return out
            pos += 1
            vals = []
            for i in range(n):
                x = 0
                s = 0
                j = 0
                while True:
                    if pos >= end or j == 10:
                        what = "found invalid uvarint for timestamp" if i == 0 else "found invalid uvarint"
                        out.error = (what, start)
                        out.n = len(typ_l)
                        return out
                    c = buf[pos]
                    pos += 1
                    if c < 0x80:
                        if j == 9 and c > 1:
                            what = "found invalid uvarint for timestamp" if i == 0 else "found invalid uvarint"
                            out.error = (what, start)
                            out.n = len(typ_l)
                            return out
                        x |= c << s
                        break
                    x |= (c & 0x7F) << s
                    s += 7
                    j += 1
                vals.append(x)
            last = int(float(vals[0]) * freq) + last
            for i in range(1, n):
                args[i - 1] = vals[i]
            typ_l.append(t)
            time_l.append(last)
            off_l.append(start)
            a_l[0].append(args[0])
            a_l[1].append(args[1])
            a_l[2].append(args[2])
            a_l[3].append(args[3])
    out.n = len(typ_l)
    return out
