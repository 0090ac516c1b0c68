"""A block profile as a pprof profile (gzipped profile.proto) that `go tool pprof` reads,
laid out as `go tool trace -pprof=TYPE` writes it: sample types contentions/count and
delay/nanoseconds, one sample per stack, locations innermost first. A CPU profile
(`CPU_TYPES`) has samples/count and cpu/nanoseconds (count x the sampling period) and the
period, as runtime/pprof writes one."""

from __future__ import annotations

import gzip

from tracetui.analysis.blocking import Samples, by_stack
from tracetui.model.trace import Trace
from tracetui.protobuf import field_bytes, field_varint, packed

BLOCK_TYPES = (("contentions", "count"), ("delay", "nanoseconds"))
CPU_TYPES = (("samples", "count"), ("cpu", "nanoseconds"))


class _Strings:
    def __init__(self) -> None:
        self.index: dict[str, int] = {"": 0}

    def __call__(self, s: str) -> int:
        i = self.index.get(s)
        if i is None:
            i = self.index[s] = len(self.index)
        return i

    def encoded(self) -> bytes:
        return b"".join(field_bytes(6, s.encode("utf-8", "surrogateescape")) for s in self.index)


def profile_bytes(
    trace: Trace,
    samples: Samples,
    types: tuple[tuple[str, str], ...] = BLOCK_TYPES,
    period: tuple[str, str, int] = ("trace", "count", 1),
) -> bytes:
    """The gzipped pprof profile of the samples: values (count, total delay) per stack,
    named by `types`; `period` is the period type and value."""
    st = _Strings()
    functions: dict[tuple[str, str], int] = {}
    locations: dict[tuple[str, str, int], int] = {}
    out = bytearray()
    for t, u in types:
        out += field_bytes(1, field_varint(1, st(t)) + field_varint(2, st(u)))
    for total in by_stack(samples):
        ids = []
        for fn, file, line in trace.frames(total.stack) if total.stack else []:
            key = (fn, file, int(line))
            loc = locations.get(key)
            if loc is None:
                functions.setdefault((fn, file), len(functions) + 1)
                loc = locations[key] = len(locations) + 1
            ids.append(loc)
        out += field_bytes(2, packed(1, ids) + packed(2, [total.count, total.delay]))
    for (fn, file, line), loc in locations.items():
        fid = functions[(fn, file)]
        out += field_bytes(4, field_varint(1, loc) + field_bytes(4, field_varint(1, fid) + field_varint(2, line)))
    for (fn, file), fid in functions.items():
        out += field_bytes(
            5, field_varint(1, fid) + field_varint(2, st(fn)) + field_varint(3, st(fn)) + field_varint(4, st(file))
        )
    out += field_bytes(11, field_varint(1, st(period[0])) + field_varint(2, st(period[1])))
    out += field_varint(12, period[2])
    out += st.encoded()
    return gzip.compress(bytes(out), mtime=0)
