"""Go 1.11-1.21 execution traces (the pre-generation "v1" format), read as Go 1.23+ does.

Two steps, as in Go's source: `parser` reads the wire format and orders the events
(`internal/trace/internal/tracev1`: parser.go, order.go) into a `V1Trace`; `convert` turns
that into the same `EventTable` the Go 1.22+ reader returns (`internal/trace/tracev1.go`).

`read_v1(buf, path)` gives the whole table; `V1Reader` is the stream the trace readers
(`reader.open_reader`, `TraceStream`) take for a v1 header. A converted table's `version`
is the v1 format's (11, 19 or 21): that is how a consumer tells one apart, if it must.

Like Go (whose `NewReader` parses the whole v1 trace first), a v1 trace that does not
parse yields no event: the table's `error` says why, `valid_size` is 0 (so every entry
point reports it as one line, as for a Go 1.22+ trace broken in its first generation).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import numpy as np

from tracetui.errors import TraceFormatError, TracetuiError
from tracetui.gotrace.events import EventTable, StackTable, StringTable, SyncInfo
from tracetui.gotrace.spec import V1_VERSIONS
from tracetui.gotrace.wire import WireError, header_length, read_header

if TYPE_CHECKING:
    from tracetui.gotrace.reader import Chunk
    from tracetui.gotrace.v1.convert import Converted
    from tracetui.gotrace.v1.model import V1Trace
    from tracetui.gotrace.v1.parser import Ordered, Staged

SLICE = 1 << 16  # events of the first slice (the viewer shows a model of it early)
HEAD = 2 * SLICE  # v1 events converted ahead of the whole trace, for the first slice

# What a broken v1 file can make the parser raise besides our own errors.
_PARSE_ERRORS = (TracetuiError, ValueError, IndexError, KeyError, OverflowError, EOFError)


def stage(buf: bytes, version: int) -> Staged:
    """The parser's first step (the batches scanned into columns); raises TraceFormatError
    (without a path) on what it finds broken."""
    # Imported by name: the parser is its own module (Go's tracev1.Parse), written apart.
    parser = importlib.import_module("tracetui.gotrace.v1.parser")
    try:
        staged: Staged = parser.stage(buf, version)
    except TracetuiError:
        raise
    except _PARSE_ERRORS as e:
        raise TraceFormatError(f"corrupt Go 1.{version} trace: {e}") from None
    return staged


def finish_parse(staged: Staged) -> Ordered:
    """The rest of the parse and the converter's whole-trace checks: a trace Go reads, whose
    arguments are not yet in their final order. Raises TraceFormatError (without a path) on
    a broken trace."""
    from tracetui.gotrace.v1.convert import check

    try:
        ordered = staged.order()
    except TracetuiError:
        raise
    except _PARSE_ERRORS as e:
        raise TraceFormatError(f"corrupt Go 1.{staged.version} trace: {e}") from None
    check(ordered.without_args)
    return ordered


def parse(buf: bytes, version: int) -> Ordered:
    """stage then finish_parse."""
    return finish_parse(stage(buf, version))


def parse_and_convert(buf: bytes, version: int) -> Converted:
    """parse then convert; raises TraceFormatError (without a path) on a broken trace."""
    from tracetui.gotrace.v1.convert import convert

    return convert(parse(buf, version).trace(), consume=True)


EV_BATCH_HEAD = 0x41  # the first byte of a v1 batch: EvBatch (1) with its two arguments


def check_start(buf: bytes, pos: int, path: str | None) -> None:
    """What a header check can see of a v1 trace (the viewer checks before its screen
    opens): events follow the header, starting with a batch. Raises TraceFormatError."""
    if pos >= len(buf):
        raise TraceFormatError("no EvFrequency event", path=path, offset=pos)
    if buf[pos] != EV_BATCH_HEAD:
        t = buf[pos] & 0x3F
        what = f"unknown event type {t}" if t == 0 or t >= 50 else "events before the first batch"
        raise TraceFormatError(f"{what}: not a Go execution trace?", path=path, offset=pos)


class V1Reader:
    """A v1 trace as the stream `TraceStream` reads: `chunks()` parses and converts the
    whole trace, yielding a first slice early and then every event at once (a `whole` chunk,
    which the stream takes without a copy). The same attributes as GoTraceReader's."""

    def __init__(self, buf: bytes, version: int, path: str | None = None) -> None:
        self.buf = buf
        self.path = path
        self.size = len(buf)
        self.version = version
        self.pos = header_length(buf)
        self.strings = StringTable()
        self.stacks = StackTable()
        self.syncs: list[SyncInfo] = []
        self.error: str | None = None
        self.error_offset: int | None = None
        self.valid_size = 0
        self.valid_events = 0
        self.reserve: Callable[[int], dict[str, np.ndarray]] | None = None  # unused: the columns exist whole
        self._shown = 0  # the last end offset handed on
        check_start(buf, self.pos, path)

    def chunks(self) -> Iterator[Chunk]:
        """The converted events: a first slice, then all of them; on a broken trace none
        (or only the first slice), with `error` set and no valid event.

        The first slice is the conversion of the trace's first events (`convert_head`: its
        rows are the whole conversion's), so the viewer's first screen does not wait for the
        whole conversion; when the compiled merge can tell them (`ahead`), not even for the
        whole trace to be ordered and checked. A trace that then fails has had its first
        slice shown, and yields no valid event, as in Go. The parsed trace is consumed by
        its conversion (each column freed once converted), and the converted columns become
        the stream's own."""
        from tracetui.gotrace.v1.ahead import provisional_head
        from tracetui.gotrace.v1.convert import convert

        try:
            staged = stage(self.buf, self.version)
        except TracetuiError as e:
            self.error, self.error_offset = e.message, e.offset
            return
        n_v1 = len(staged)
        first: Chunk | None = None
        if n_v1 > HEAD:
            try:
                head = provisional_head(staged, HEAD)
                first = self._first_slice(head, n_v1) if head is not None else None
            except _PARSE_ERRORS:  # what a broken file can make them raise: the whole parse says what
                first = None
            if first is not None:
                yield first
        try:
            ordered = finish_parse(staged)
        except TracetuiError as e:
            self.error, self.error_offset = e.message, e.offset
            return
        del staged
        if n_v1 > HEAD and first is None:
            first = self._first_slice(ordered.head(HEAD), n_v1)
            if first is not None:
                yield first
        sent = 0 if first is None else int(first.columns["typ"].shape[0])
        del first
        yield self._progress(0.3)  # no event yet: how far the read is, for the viewer's progress
        tr = ordered.trace()
        del ordered
        yield self._progress(0.45)
        conv = convert(tr, consume=True)  # tr's columns are freed as they are converted
        del tr
        self.strings, self.stacks, self.syncs = conv.strings, conv.stacks, conv.syncs
        cols = conv.columns
        del conv
        n = int(cols["typ"].shape[0])
        self.valid_size = self.size
        self.valid_events = n
        if n > sent:  # the rest at once: the stream takes the columns whole (no copy)
            from tracetui.gotrace.reader import Chunk

            yield Chunk(cols, self.size, whole=True)

    def _progress(self, fraction: float) -> Chunk:
        """A chunk of no event whose end offset says `fraction` of the read is done (the
        whole trace is read before any event is final: the offset is a time estimate, never
        before an earlier chunk's)."""
        from tracetui.gotrace.events import empty_columns
        from tracetui.gotrace.reader import Chunk

        self._shown = max(self._shown, self.pos + int((self.size - self.pos) * fraction))
        return Chunk(empty_columns(), self._shown)

    def _first_slice(self, head: V1Trace, n_v1: int) -> Chunk | None:
        """The chunk of the first slice of the conversion of the trace's first events
        (`head`, of n_v1): of its rows known to be the whole conversion's (None: none), with
        its tables as the reader's."""
        from tracetui.gotrace.reader import Chunk
        from tracetui.gotrace.v1.convert import convert_head

        early, known = convert_head(head, len(head))
        if not known:
            return None
        self.strings, self.stacks = early.strings, early.stacks
        k = min(known, SLICE)
        self._shown = self.pos + (self.size - self.pos) * k // n_v1
        return Chunk({c: v[:k] for c, v in early.columns.items()}, self._shown)


def read_v1(buf: bytes, path: str | None = None) -> EventTable:
    """The EventTable of a whole v1 trace (a Go 1.11-1.21 header); raises TraceFormatError
    (naming `path`) if it does not parse."""
    try:
        version = read_header(buf)
    except WireError as e:
        raise TraceFormatError(e.message, path=path, offset=e.offset) from None
    if version not in V1_VERSIONS:
        raise TraceFormatError(f"not a Go 1.11-1.21 trace (go 1.{version})", path=path)
    try:
        conv = parse_and_convert(buf, version)
    except TracetuiError as e:
        raise TraceFormatError(e.message, path=path, offset=e.offset) from None
    n = int(conv.columns["typ"].shape[0])
    return EventTable(
        version=version,
        strings=conv.strings,
        stacks=conv.stacks,
        syncs=conv.syncs,
        size=len(buf),
        valid_size=len(buf),
        valid_events=n,
        error=None,
        error_offset=None,
        **conv.columns,
    )
