"""One generation's structural data: strings, stacks, CPU samples, sync (Go's generation.go)."""

from __future__ import annotations

from dataclasses import dataclass, field

from tracetui.gotrace import spec
from tracetui.gotrace.gosort import go_sort_by_key
from tracetui.gotrace.wire import Batch, WireError, to_i64, uvarint


def decode_str(raw: bytes) -> str:
    """Trace strings are bytes; keep invalid UTF-8 round-trippable."""
    return raw.decode("utf-8", "surrogateescape")


@dataclass(slots=True)
class Generation:
    """All batches of one generation, with its tables decoded."""

    gen: int = 0
    batches: dict[int, list[Batch]] = field(default_factory=dict)
    batch_ms: list[int] = field(default_factory=list)
    min_ts: int = 0
    freq: float = 0.0  # nanoseconds per timestamp unit
    has_clock_snapshot: bool = False
    snap_time: int = 0
    snap_mono: int = 0
    snap_sec: int = 0
    snap_nsec: int = 0
    strings: dict[int, str] = field(default_factory=dict)
    stacks: dict[int, tuple[int, ...]] = field(default_factory=dict)
    pcs: dict[int, tuple[int, int, int]] = field(default_factory=dict)  # pc -> (func, file, line)
    cpu_time: list[int] = field(default_factory=list)
    cpu_ctx: list[tuple[int, int, int, int]] = field(default_factory=list)  # (m, p, g, stack)
    exp_batches: int = 0
    first_offset: int = 0
    end_offset: int = 0

    def mul(self, ts: int) -> int:
        """Go's frequency.mul: raw timestamp -> nanoseconds (float64 product, truncated)."""
        return int(float(ts) * self.freq)


def _is(b: Batch, buf: bytes, typ: int) -> bool:
    return b.exp == spec.NO_EXPERIMENT and b.end > b.start and buf[b.start] == typ


def is_sync_batch(b: Batch, buf: bytes, version: int) -> bool:
    if b.exp != spec.NO_EXPERIMENT or b.end <= b.start:
        return False
    first = buf[b.start]
    if version < spec.GO125:
        return first == spec.EvFrequency
    return first == spec.EvSync


def is_end_of_generation(b: Batch, buf: bytes) -> bool:
    return _is(b, buf, spec.EvEndOfGeneration)


def process_batch(g: Generation, b: Batch, buf: bytes, version: int) -> None:
    """Add one batch to the generation (Go's processBatch)."""
    if _is(b, buf, spec.EvStrings):
        _add_strings(g, b, buf)
    elif _is(b, buf, spec.EvStacks):
        _add_stacks(g, b, buf)
    elif _is(b, buf, spec.EvCPUSamples):
        _add_cpu_samples(g, b, buf)
    elif is_sync_batch(b, buf, version):
        _set_sync(g, b, buf, version)
    elif b.exp != spec.NO_EXPERIMENT:
        g.exp_batches += 1
    elif is_end_of_generation(b, buf):
        raise WireError("internal error: unexpectedly processing EndOfGeneration; broken trace?", b.offset)
    else:
        lst = g.batches.get(b.m)
        if lst is None:
            g.batch_ms.append(b.m)
            g.batches[b.m] = lst = []
        lst.append(b)


def _add_strings(g: Generation, b: Batch, buf: bytes) -> None:
    pos, end = b.start + 1, b.end
    table = g.strings
    while pos < end:
        ev = buf[pos]
        if ev != spec.EvString:
            raise WireError(f"expected string event, got {ev}", pos)
        sid, pos = uvarint(buf, pos + 1, end)
        n, pos = uvarint(buf, pos, end)
        if n > spec.MAX_EVENT_TRAILER_DATA_SIZE:
            raise WireError(f"invalid string size {n}, maximum is {spec.MAX_EVENT_TRAILER_DATA_SIZE}", pos)
        if pos + n > end:
            raise WireError(f"failed to read full string: read {end - pos} but wanted {n}", pos)
        s = decode_str(bytes(buf[pos : pos + n]))
        pos += n
        if sid == 0 or sid in table:
            old = table.get(sid, "")
            raise WireError(f"multiple strings with the same ID: id={sid}, new={s}, existing={old}", pos)
        table[sid] = s


def _add_stacks(g: Generation, b: Batch, buf: bytes) -> None:
    pos, end = b.start + 1, b.end
    stacks, pcs = g.stacks, g.pcs
    while pos < end:
        ev = buf[pos]
        if ev != spec.EvStack:
            raise WireError(f"expected stack event, got {ev}", pos)
        sid, pos = uvarint(buf, pos + 1, end)
        nframes, pos = uvarint(buf, pos, end)
        if nframes > spec.MAX_FRAMES_PER_STACK:
            raise WireError(f"invalid stack size {nframes}, maximum is {spec.MAX_FRAMES_PER_STACK}", pos)
        frames = []
        for i in range(nframes):
            vals = []
            for what in ("PC", "funcID", "fileID", "line"):
                try:
                    v, pos = uvarint(buf, pos, end)
                except WireError as e:
                    raise WireError(f"reading frame {i + 1}'s {what} for stack {sid}: {e.message}", e.offset) from None
                vals.append(v)
            pc = vals[0]
            frames.append(pc)
            if pc not in pcs:
                pcs[pc] = (vals[1], vals[2], vals[3])
        if sid == 0 or sid in stacks:
            raise WireError(f"multiple trace.stacks with the same ID: id={sid}", pos)
        stacks[sid] = tuple(frames)


def _add_cpu_samples(g: Generation, b: Batch, buf: bytes) -> None:
    pos, end = b.start + 1, b.end
    while pos < end:
        ev = buf[pos]
        if ev != spec.EvCPUSample:
            raise WireError(f"expected CPU sample event, got {ev}", pos)
        ts, pos = uvarint(buf, pos + 1, end)
        m, pos = uvarint(buf, pos, end)
        p, pos = uvarint(buf, pos, end)
        gid, pos = uvarint(buf, pos, end)
        stk, pos = uvarint(buf, pos, end)
        g.cpu_time.append(ts)
        g.cpu_ctx.append((to_i64(m), to_i64(p), -1 if gid == 0 else to_i64(gid), stk))


def _set_sync(g: Generation, b: Batch, buf: bytes, version: int) -> None:
    pos, end = b.start, b.end
    if version >= spec.GO125:
        pos += 1  # the EvSync byte
    last_ts = b.time
    while pos < end:
        ev = buf[pos]
        pos += 1
        if ev == spec.EvFrequency:
            if g.freq != 0:
                raise WireError("found multiple frequency events", pos - 1)
            f, pos = uvarint(buf, pos, end)
            g.freq = 1.0 / (f / 1e9) if f else float("inf")
        elif ev == spec.EvClockSnapshot and version >= spec.GO125:
            if g.has_clock_snapshot:
                raise WireError("found multiple clock snapshot events", pos - 1)
            g.has_clock_snapshot = True
            tdiff, pos = uvarint(buf, pos, end)
            last_ts += tdiff
            g.snap_time = last_ts
            g.snap_mono, pos = uvarint(buf, pos, end)
            g.snap_sec, pos = uvarint(buf, pos, end)
            g.snap_nsec, pos = uvarint(buf, pos, end)
        else:
            raise WireError(f"expected frequency or clock snapshot event, got {ev}", pos - 1)


def finish(g: Generation, version: int, need_snapshot: bool) -> None:
    """Check a complete generation's invariants and convert CPU sample times."""
    if g.freq == 0:
        raise WireError("no frequency event found", g.first_offset)
    if g.freq == float("inf"):
        raise WireError("invalid frequency 0", g.first_offset)
    if need_snapshot and not g.has_clock_snapshot:
        raise WireError("no clock snapshot event found", g.first_offset)
    strings = g.strings
    for sid, frames in g.stacks.items():
        for pc in frames:
            func_id, file_id, _ = g.pcs[pc]
            if func_id != 0 and func_id not in strings:
                raise WireError(f"found invalid func string ID {func_id} for stack {sid}", g.first_offset)
            if file_id != 0 and file_id not in strings:
                raise WireError(f"found invalid file string ID {file_id} for stack {sid}", g.first_offset)
    if g.cpu_time:
        mul = g.mul
        samples = [(mul(t), ctx) for t, ctx in zip(g.cpu_time, g.cpu_ctx)]
        # Go sorts with slices.SortFunc (pdqsort, not stable): equal times keep Go's order.
        go_sort_by_key(samples, _sample_time)
        g.cpu_time = [s[0] for s in samples]
        g.cpu_ctx = [s[1] for s in samples]


def _sample_time(sample: tuple[int, tuple[int, int, int, int]]) -> int:
    return sample[0]
