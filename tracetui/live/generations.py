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
from tracetui.gotrace.wire import HEADER_SIZE, EndOfData, WireError, header_length, read_batch, read_header


@dataclass(slots=True)
class GenerationSpan:
    """One generation's bytes in the file: [start, end), end = -1 while it grows."""

    gen: int
    start: int
    end: int = -1

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
            elif cur is None or cur.complete or batch.gen != cur.gen:
                if cur is not None and not cur.complete:
                    cur.end = base + at
                    done.append(cur)
                self.spans.append(GenerationSpan(batch.gen, base + at))
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
