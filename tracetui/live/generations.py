"""Where each generation of a growing Go trace lies, found batch by batch as bytes arrive.

A Go 1.22+ trace is a header and then generations, each a run of batches carrying the same
generation number (Go 1.26+ closes each with an EndOfGeneration byte). A generation is
complete once its end marker or a batch of a later generation has arrived; the header
followed by the bytes of any run of complete generations is a trace the reader takes
whole (as a flight recorder's snapshot is). No events are decoded here: only batch headers.
"""

from __future__ import annotations

from dataclasses import dataclass

from tracetui.gotrace import spec
from tracetui.gotrace.generation import is_sync_batch
from tracetui.gotrace.wire import HEADER_SIZE, EndOfData, WireError, header_length, read_batch, read_header, uvarint


@dataclass(slots=True)
class GenerationSpan:
    """One generation's bytes in the file: [start, end), end = -1 while it grows."""

    gen: int
    start: int
    end: int = -1
    first_tick: int = 0  # the earliest and latest batch timestamps (the trace's raw clock)
    last_tick: int = 0
    ticks_per_s: int = 0  # the clock's frequency, from the generation's sync batch (0: not seen)

    def seconds_to(self, later: GenerationSpan) -> float:
        """Seconds from this generation's end to a later one's, on the trace's clock."""
        f = later.ticks_per_s or self.ticks_per_s
        return (later.last_tick - self.last_tick) / f if f else 0.0

    @property
    def complete(self) -> bool:
        return self.end >= 0


class GenerationIndex:
    """Scans a growing file: hand `feed` each piece of bytes as it arrives, in order."""

    def __init__(self) -> None:
        self.version = 0  # wire version from the header (0 until it has arrived)
        self.header = b""
        self.spans: list[GenerationSpan] = []  # generations not yet dropped, in file order
        self.pos = 0  # file offset of the first byte not yet scanned
        self.error: str | None = None  # set once the bytes are no Go trace, or are corrupt
        self.error_offset: int | None = None
        self._pending = b""  # bytes from self.pos on: a batch not yet whole

    def feed(self, data: bytes) -> list[GenerationSpan]:
        """Scan bytes that follow the ones fed before; returns the generations they complete."""
        done: list[GenerationSpan] = []
        if self.error is not None or not data:
            return done
        buf = self._pending + data if self._pending else data
        base = self.pos  # file offset of buf[0]
        at = 0
        if not self.version:
            if len(buf) < HEADER_SIZE:
                self._pending = buf
                return done
            try:
                self.version = read_header(buf)
            except WireError as e:
                self.error = e.message
                return done
            if self.version not in spec.SUPPORTED_VERSIONS:
                self.error = f"go 1.{self.version} trace: a live view needs Go 1.22 or later"
                return done
            at = header_length(buf)
            self.header = bytes(buf[:at])
        end = len(buf)
        while at < end:
            try:
                batch, nxt = read_batch(buf, at, end)
            except EndOfData:
                break
            except WireError as e:
                if _still_arriving(e):
                    break
                self.error, self.error_offset = e.message, base + at
                break
            cur = self.spans[-1] if self.spans else None
            if buf[at] == spec.EvEndOfGeneration:
                if cur is not None and not cur.complete:
                    cur.end = base + nxt
                    done.append(cur)
            else:
                if cur is None or cur.complete or batch.gen != cur.gen:
                    if cur is not None and not cur.complete:
                        cur.end = base + at
                        done.append(cur)
                    cur = GenerationSpan(batch.gen, base + at, first_tick=batch.time, last_tick=batch.time)
                    self.spans.append(cur)
                cur.first_tick = min(cur.first_tick, batch.time)
                cur.last_tick = max(cur.last_tick, batch.time)
                if batch.exp == spec.NO_EXPERIMENT and is_sync_batch(batch, buf, self.version):
                    cur.ticks_per_s = _frequency(buf, batch.start, batch.end) or cur.ticks_per_s
            at = nxt
        self.pos = base + at
        self._pending = bytes(buf[at:])
        return done

    def finish(self) -> list[GenerationSpan]:
        """The file is whole (the tracer stopped): its last generation is complete."""
        cur = self.spans[-1] if self.spans else None
        if cur is not None and not cur.complete and not self._pending:
            cur.end = self.pos
            return [cur]
        return []

    def complete(self) -> list[GenerationSpan]:
        return [s for s in self.spans if s.complete]

    def drop_first(self, k: int) -> None:
        """Forget the first k generations (they have left the window)."""
        del self.spans[:k]


def _still_arriving(e: WireError) -> bool:
    """Whether a wire error only means that the batch has not fully arrived yet."""
    msg = e.message
    return "failed to read full batch" in msg or msg.endswith("EOF")


def _frequency(buf: bytes, start: int, end: int) -> int:
    """Ticks per second from a sync batch's Frequency event (0 if it has none)."""
    pos = start
    if pos < end and buf[pos] == spec.EvSync:
        pos += 1
    try:
        while pos < end:
            ev = buf[pos]
            pos += 1
            if ev == spec.EvFrequency:
                return uvarint(buf, pos, end)[0]
            if ev != spec.EvClockSnapshot:
                return 0
            for _ in range(4):  # time delta, monotonic, seconds, nanoseconds
                pos = uvarint(buf, pos, end)[1]
    except WireError:
        return 0
    return 0
