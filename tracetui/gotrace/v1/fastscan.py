"""The common case of the v1 scan, vectorised: ordinary events, found and decoded with numpy.

For every byte of a chunk, `Chunk` works out where the next event would start if an ordinary
event (a type that only carries numbers, no strings, stacks or batch headers) started there
and is well formed: right type for the version, the argument count Go wants, varints of at
most 9 bytes, a length prefix that fits. `wire.scan` then hops from event to event through
that table, and hands anything else (special types, anything odd, errors) to its exact
one-event-at-a-time code. `Chunk.decode` turns the hopped-over events into columns.
"""

from __future__ import annotations

import numpy as np

from tracetui.gotrace.v1 import spec as S

CHUNK = 1 << 16  # start positions per table (small: numpy temporaries stay in cache)
_SLACK = 2100  # the longest ordinary event: type, length (2 bytes), 2048 bytes of arguments
_SPECIAL = (S.EvBatch, S.EvFrequency, S.EvStack, S.EvTimerGoroutine, S.EvString, S.EvCPUSample, S.EvUserLog)


def ordinary(version: int) -> np.ndarray:
    """bool per type byte's low 6 bits: an ordinary event type of this version."""
    ok = np.zeros(64, bool)
    for t in range(1, S.EvCount):
        ok[t] = S.MIN_VERSION[t] <= version and t not in _SPECIAL
    return ok


_ARGNUM64 = S.ARG_NUM_NP[:64]


class Chunk:
    """The next-event table for start positions lo..hi of buf."""

    def __init__(self, buf: bytes, lo: int, ordinary_types: np.ndarray) -> None:
        n = len(buf)
        hi = min(n, lo + CHUNK)
        end = min(n, hi + _SLACK)
        self.lo = lo
        self.hi = hi
        s = np.frombuffer(buf, np.uint8, end - lo, lo)
        self.s = s
        term = s < 0x80
        tpos = np.flatnonzero(term)
        self.tpos = tpos
        cnt = np.cumsum(term, dtype=np.int64)
        self.cnt = cnt
        m = hi - lo
        nt = len(tpos)
        ls = len(s)
        # Candidates: an ordinary type byte right after a varint's last byte (or the header's).
        b0 = s[:m]
        cand = ordinary_types[b0 & 0x3F]
        if lo > 0:
            cand[1:] &= term[: m - 1]
            cand[0] &= buf[lo - 1] < 0x80
        else:
            cand[1:] &= term[: m - 1]
        idx = np.flatnonzero(cand)
        b0 = b0[idx]
        typ = b0 & 0x3F
        hi2 = b0 >> 6
        want = _ARGNUM64[typ]
        r = cnt[idx]  # index in tpos of the first terminator after each candidate
        tp = np.append(tpos, [1 << 40] * 8)  # sentinels: a missing terminator is far away
        # Inline: hi2 + 1 varints, which must be Go's argument count.
        k = hi2.astype(np.int64) + 1
        e0 = tp[r]
        e1 = tp[r + 1]
        e2 = tp[r + 2]
        inline = (hi2 < 3) & (k == want) & ((e0 - idx) <= 9)
        inline &= (k < 2) | (e1 - e0 <= 9)
        inline &= (k < 3) | (e2 - e1 <= 9)
        end_inline = np.where(k == 1, e0, np.where(k == 2, e1, e2)) + 1
        inline &= end_inline <= ls
        # Length-prefixed: a length varint (its value <= 2048), then exactly `want` varints.
        two = e0 - idx == 2
        pref = (hi2 == 3) & ((e0 - idx == 1) | two)
        lv = (s[np.minimum(idx + 1, ls - 1)].astype(np.int64) & 0x7F) | np.where(
            two, (s[np.minimum(idx + 2, ls - 1)].astype(np.int64) & 0x7F) << 7, 0
        )
        end_pref = e0 + 1 + lv
        pref &= (lv <= 2048) & (lv > 0) & (end_pref <= ls)
        last = np.minimum(end_pref - 1, ls - 1)
        inner = cnt[last] - cnt[np.minimum(e0, ls - 1)]
        pref &= (inner == want) & term[last]
        prev = e0
        for j in range(5):
            nxt = tp[np.minimum(r + 1 + j, nt + 7)]
            pref &= (want <= j) | (nxt - prev <= 9)
            prev = nxt
        out = np.zeros(m, np.int64)
        out[idx] = np.where(inline, end_inline + lo, np.where(pref, end_pref + lo, 0))
        self.next = memoryview(out.data)

    def decode(self, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Types (uint8) and raw arguments (uint64 (n, 5)) of the ordinary events at starts."""
        p = starts - self.lo
        s = self.s
        b0 = s[p]
        typ = (b0 & 0x3F).astype(np.uint8)
        want = _ARGNUM64[typ]
        r = self.cnt[p]
        tp = np.append(self.tpos, [1 << 40] * 8)
        pref = (b0 >> 6) == 3
        # Index in tpos of the terminator ending argument 0, and where argument 0 starts.
        r0 = np.where(pref, r + 1, r)
        first = np.where(pref, tp[r] + 1, p + 1)
        raw = np.zeros((len(p), 5), np.uint64)
        start = first
        for j in range(5):
            has = want > j
            if not has.any():
                break
            stop = tp[np.where(has, r0 + j, 0)]
            raw[:, j] = np.where(has, _varint(s, start, stop), 0)
            start = stop + 1
        return typ, raw


def _varint(s: np.ndarray, start: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """Values of the varints s[start..stop] (stop: the terminating byte; at most 9 bytes)."""
    v = np.zeros(len(start), np.uint64)
    length = stop - start + 1
    last = len(s) - 1
    for k in range(9):
        live = k < length
        if not live.any():
            break
        byte = s[np.minimum(start + k, last)].astype(np.uint64) & np.uint64(0x7F)
        v |= np.where(live, byte << np.uint64(7 * k), np.uint64(0))
    return v
