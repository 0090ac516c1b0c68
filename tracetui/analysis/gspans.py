"""The spans of many goroutines at once: their flat spans end to end, in batches.

The analyses that follow Go's per-goroutine summaries (block profiles, goroutine stats)
work on every goroutine's spans. Looping over goroutines costs a few numpy calls each,
which adds up to seconds on a trace with 100,000 goroutines; a batch puts the spans of
many goroutines side by side (with each span's owner) so one numpy call covers them all.
Batches hold about `MAX_SPANS` spans, so memory stays bounded whatever the trace.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from tracetui.model.trace import Spans, Trace, TrackKind

I64 = np.int64
MAX_SPANS = 1 << 21


@dataclass(eq=False)
class SpanBatch:
    """The flat spans of some goroutines, one after the other.

    `rows` are the goroutines' rows in `trace.goroutines` (those with spans), `offsets` the
    index of each one's first span (plus the end), `owner` each span's index into `rows`."""

    rows: np.ndarray
    offsets: np.ndarray
    owner: np.ndarray
    spans: Spans

    def __len__(self) -> int:
        return len(self.spans)

    @property
    def last(self) -> np.ndarray:
        """Per span: is it its goroutine's last?"""
        out = np.ones(len(self), bool)
        out[:-1] = self.owner[:-1] != self.owner[1:]
        return out

    @property
    def in_last_life(self) -> np.ndarray:
        """Per span: is it in its goroutine's last lifetime? An id reused after it ended
        (NotExist, then created again: cgo callbacks on extra Ms) has a gap in its spans
        where it did not exist; the last lifetime is from the span after the last gap."""
        return np.arange(len(self)) >= self.last_life_head[self.owner]

    @property
    def last_life_head(self) -> np.ndarray:
        """Per goroutine of the batch: the index of its last lifetime's first span."""
        sp = self.spans
        born = np.zeros(len(self), bool)  # span i begins a lifetime after a gap
        born[1:] = (sp.start[1:] != sp.end[:-1]) & (self.owner[1:] == self.owner[:-1])
        head = self.offsets[:-1].copy()
        k = np.flatnonzero(born)
        np.maximum.at(head, self.owner[k], k)
        return head

    def first_where(self, mask: np.ndarray) -> np.ndarray:
        """Per goroutine of the batch: the index of its first span where `mask`, else -1."""
        hit = np.flatnonzero(mask)
        k = np.searchsorted(self.owner[hit], np.arange(self.rows.size))
        ok = k < hit.size
        ok[ok] = self.owner[hit[k[ok]]] == np.flatnonzero(ok)
        return np.where(ok, hit[np.minimum(k, max(hit.size - 1, 0))] if hit.size else -1, -1)

    def per_goroutine(self, values: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """Per goroutine of the batch: the sum of int64 `values` over its spans (where `mask`)."""
        v = values.astype(I64) if mask is None else np.where(mask, values, 0).astype(I64)
        csum = np.zeros(v.size + 1, I64)
        np.cumsum(v, out=csum[1:])
        return csum[self.offsets[1:]] - csum[self.offsets[:-1]]


def batches(trace: Trace, rows: np.ndarray, max_spans: int | None = None) -> Iterator[SpanBatch]:
    """The flat spans of the goroutines at `rows` of `trace.goroutines` (in that order; those
    without spans are left out), in batches of about `max_spans` (default MAX_SPANS) spans."""
    limit = MAX_SPANS if max_spans is None else max_spans
    g = trace.goroutines
    pending: list[tuple[int, Spans]] = []
    size = 0
    for row in rows.tolist():
        track = trace.tracks[int(g.track[row])]
        if track.kind != TrackKind.GOROUTINE or track.spans is None or not len(track.spans):
            continue
        flat = track.spans.flat
        pending.append((row, flat))
        size += len(flat)
        if size >= limit:
            yield _batch(pending)
            pending, size = [], 0
    if pending:
        yield _batch(pending)


def _batch(items: list[tuple[int, Spans]]) -> SpanBatch:
    sizes = np.array([len(sp) for _, sp in items], I64)
    offsets = np.zeros(sizes.size + 1, I64)
    np.cumsum(sizes, out=offsets[1:])
    owner = np.repeat(np.arange(sizes.size, dtype=I64), sizes)
    cols = {
        name: np.concatenate([getattr(sp, name) for _, sp in items])
        for name in ("start", "end", "state", "reason", "stack", "arg")
    }
    rows = np.array([row for row, _ in items], I64)
    return SpanBatch(rows, offsets, owner, Spans(**cols))
