"""Vectorised group-by helpers: dense ids, stable sorts by small keys, runs, and a
counting sort streamed chunk by chunk into final columns (`Tally`, `Layout`, `compact`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np


class Dense:
    """Maps arbitrary int64 ids to 0..k-1 in sorted order (`ids[k]` is the id of k)."""

    def __init__(self, keys: np.ndarray) -> None:
        keys = np.asarray(keys, np.int64)
        self._lut: np.ndarray | None = None
        if keys.size == 0:
            self.ids = np.zeros(0, np.int64)
            self.inverse = np.zeros(0, np.int64)
            return
        lo, hi = int(keys.min()), int(keys.max())
        if lo >= 0 and hi < max(1 << 22, 4 * keys.size):
            present = np.zeros(hi + 1, bool)
            present[keys] = True
            self.ids = np.flatnonzero(present).astype(np.int64)
            lut = np.cumsum(present, dtype=np.int64) - 1
            lut[~present] = -1
            self._lut = lut
            self.inverse = lut[keys]
        else:
            self.ids, self.inverse = np.unique(keys, return_inverse=True)
            self.inverse = self.inverse.astype(np.int64).reshape(-1)

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def index(self, values: np.ndarray) -> np.ndarray:
        """Dense index of each value, -1 where the value is not a known id."""
        values = np.asarray(values, np.int64)
        if self._lut is not None:
            if values.size and values.min() >= 0 and values.max() < self._lut.shape[0]:
                return np.take(self._lut, values)
            ok = (values >= 0) & (values < self._lut.shape[0])
            out = np.full(values.shape, -1, np.int64)
            out[ok] = self._lut[values[ok]]
            return out
        if len(self) == 0:
            return np.full(values.shape, -1, np.int64)
        i = np.searchsorted(self.ids, values)
        ic = np.minimum(i, len(self) - 1)
        return np.where(self.ids[ic] == values, ic, -1)


def stable_order(idx: np.ndarray, nkeys: int) -> np.ndarray:
    """A stable argsort of non-negative keys < nkeys, O(n) radix passes where possible."""
    if nkeys <= 1 << 8:
        return np.argsort(idx.astype(np.uint8), kind="stable")
    if nkeys <= 1 << 16:
        return np.argsort(idx.astype(np.uint16), kind="stable")
    if nkeys <= 1 << 32:
        # Two LSD radix passes on 16-bit halves.
        idx = idx.astype(np.int64)
        o = np.argsort((idx & 0xFFFF).astype(np.uint16), kind="stable")
        return o[np.argsort((idx[o] >> 16).astype(np.uint16), kind="stable")]
    return np.argsort(idx, kind="stable")


def group_bounds(sorted_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Masks (first, last) of each run of equal keys in a grouped array."""
    n = sorted_keys.shape[0]
    first = np.ones(n, bool)
    last = np.ones(n, bool)
    if n > 1:
        ne = sorted_keys[1:] != sorted_keys[:-1]
        first[1:] = ne
        last[:-1] = ne
    return first, last


def next_true(mask: np.ndarray) -> np.ndarray:
    """For each i, the smallest j >= i with mask[j] (len(mask) if none)."""
    n = mask.shape[0]
    pos = np.where(mask, np.arange(n, dtype=np.int64), n)
    return np.minimum.accumulate(pos[::-1])[::-1] if n else pos


# --- streaming group-by: elements arrive in row order, chunk by chunk ---------------------

CHUNK = 1 << 18
_BITMAP_MAX = 1 << 24


def chunks(n: int) -> list[tuple[int, int]]:
    """[lo, hi) bounds covering 0..n in pieces of CHUNK elements."""
    return [(lo, min(n, lo + CHUNK)) for lo in range(0, n, CHUNK)]


def index_dtype(n: int) -> type[np.signedinteger]:
    """The smallest signed dtype (int32 or int64) holding indices below n and -1."""
    return np.int32 if n < 1 << 31 else np.int64


def distinct(parts: Iterable[np.ndarray]) -> np.ndarray:
    """Sorted distinct values (int64) of several arrays: a presence bitmap while they
    are small and non-negative, sorted uniques otherwise."""
    present = np.zeros(0, bool)
    others: list[np.ndarray] = []
    for a in parts:
        if a.size == 0:
            continue
        lo, hi = int(a.min()), int(a.max())
        if lo < 0 or hi >= _BITMAP_MAX:
            others.append(sorted_unique(a))
            continue
        if hi >= present.size:
            present = np.concatenate([present, np.zeros(max(hi + 1, 2 * present.size) - present.size, bool)])
        present[a] = True
    ids = np.flatnonzero(present).astype(np.int64)
    return sorted_unique(np.concatenate([ids, *others])) if others else ids


def sorted_unique(a: np.ndarray) -> np.ndarray:
    """Sorted distinct values of an int64 array."""
    a = np.sort(np.asarray(a, np.int64))
    if a.size > 1:
        a = a[np.r_[True, a[1:] != a[:-1]]]
    return a


class Layout:
    """Group-major positions for elements streamed in row order (a counting sort done
    chunk by chunk). Group k owns `lead[k]` leading slots, then its `counts[k]` elements
    in stream order, then one end slot: [head[k], end[k]]."""

    def __init__(self, counts: np.ndarray, lead: np.ndarray) -> None:
        size = counts + lead + 1
        self.nkeys = int(counts.size)
        self.head = np.zeros(self.nkeys, np.int64)
        np.cumsum(size[:-1], out=self.head[1:])
        self.end = self.head + size - 1
        self.size = int(self.end[-1]) + 1 if self.nkeys else 0
        self._next = self.head + lead

    def place(self, key: np.ndarray) -> np.ndarray:
        """Positions of the next elements of the stream, given their group keys."""
        cnt = np.bincount(key, minlength=self.nkeys)
        before = np.zeros(self.nkeys, np.int64)
        np.cumsum(cnt[:-1], out=before[1:])
        # In key order, the elements of key k go to _next[k], _next[k] + 1, ...
        dest = np.repeat(self._next - before, cnt)
        dest += np.arange(key.size)
        pos = np.empty(key.size, np.int64)
        pos[stable_order(key, self.nkeys)] = dest
        self._next += cnt
        return pos

    def group_of(self, pos: np.ndarray) -> np.ndarray:
        """The group owning each position."""
        return np.searchsorted(self.end, pos)


def compact(cols: Sequence[np.ndarray], keep_of: Callable[[int, int], np.ndarray]) -> int:
    """Move the elements of [lo, hi) where `keep_of(lo, hi)` holds to the front of every
    column, in place and chunk by chunk; return how many were kept.

    Element j only moves down (to w <= j), so when `keep_of(lo, hi)` runs, positions
    >= lo - 1 still hold their own values (lo - 1 was either not written or rewritten
    with itself): it may look at the element before the chunk."""
    n = cols[0].shape[0]
    w = 0
    for lo, hi in chunks(n):
        keep = keep_of(lo, hi)
        m = int(np.count_nonzero(keep))
        for c in cols:
            c[w : w + m] = c[lo:hi][keep]
        w += m
    return w


def shrink(a: np.ndarray, n: int) -> np.ndarray:
    """`a` cut to its first n elements, giving the rest of its memory back (in place: no
    view of `a` may exist)."""
    if n < a.shape[0]:
        if a.base is None and a.flags.owndata:
            a.resize((n,), refcheck=False)
        else:
            a = a[:n].copy()
    return a


class Tally:
    """Dense ids discovered chunk by chunk (`index`), with per-id int64 columns (`cols`,
    created with the given fill values) kept aligned as ids are added."""

    def __init__(self, **fill: int) -> None:
        self.dense = Dense(np.zeros(0, np.int64))
        self._fill = fill
        self.cols = {name: np.zeros(0, np.int64) for name in fill}

    def index(self, keys: np.ndarray) -> np.ndarray:
        """Dense index of each key, adding the keys not seen before."""
        k = self.dense.index(keys)
        new = k < 0
        if new.any():
            old = self.dense.ids
            self.dense = Dense(np.sort(np.concatenate([old, sorted_unique(keys[new])])))
            at = self.dense.index(old)
            for name, a in self.cols.items():
                self.cols[name] = np.full(len(self.dense), self._fill[name], np.int64)
                self.cols[name][at] = a
            k = self.dense.index(keys)
        return k
