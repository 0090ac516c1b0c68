"""Vectorised group-by helpers: dense ids, stable sorts by small keys, runs."""

from __future__ import annotations

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


def prev_true(mask: np.ndarray) -> np.ndarray:
    """For each i, the largest j <= i with mask[j] (-1 if none)."""
    n = mask.shape[0]
    pos = np.where(mask, np.arange(n, dtype=np.int64), -1)
    return np.maximum.accumulate(pos) if n else pos
