"""A block profile as a pprof profile (gzipped profile.proto) that `go tool pprof` reads,
laid out as `go tool trace -pprof=TYPE` writes it: sample types contentions/count and
delay/nanoseconds, one sample per stack, locations innermost first."""

from __future__ import annotations

import gzip

from tracetui.analysis.blocking import Samples, by_stack
from tracetui.model.trace import Trace


def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _int(field: int, v: int) -> bytes:
    return _varint(field << 3) + _varint(v)


def _bytes(field: int, payload: bytes) -> bytes:
    return _varint(field << 3 | 2) + _varint(len(payload)) + payload


def _packed(field: int, values: list[int]) -> bytes:
    return _bytes(field, b"".join(_varint(v) for v in values))


class _Strings:
    def __init__(self) -> None:
        self.index: dict[str, int] = {"": 0}

    def __call__(self, s: str) -> int:
        i = self.index.get(s)
        if i is None:
            i = self.index[s] = len(self.index)
        return i

    def encoded(self) -> bytes:
        return b"".join(_bytes(6, s.encode("utf-8", "surrogateescape")) for s in self.index)


def profile_bytes(trace: Trace, samples: Samples) -> bytes:
    """The gzipped pprof profile of the samples."""
    st = _Strings()
    functions: dict[tuple[str, str], int] = {}
    locations: dict[tuple[str, str, int], int] = {}
    out = bytearray()
    for t, u in (("contentions", "count"), ("delay", "nanoseconds")):
        out += _bytes(1, _int(1, st(t)) + _int(2, st(u)))
    for total in by_stack(samples):
        ids = []
        for fn, file, line in trace.frames(total.stack) if total.stack else []:
            key = (fn, file, int(line))
            loc = locations.get(key)
            if loc is None:
                functions.setdefault((fn, file), len(functions) + 1)
                loc = locations[key] = len(locations) + 1
            ids.append(loc)
        out += _bytes(2, _packed(1, ids) + _packed(2, [total.count, total.delay]))
    for (fn, file, line), loc in locations.items():
        fid = functions[(fn, file)]
        out += _bytes(4, _int(1, loc) + _bytes(4, _int(1, fid) + _int(2, line)))
    for (fn, file), fid in functions.items():
        out += _bytes(5, _int(1, fid) + _int(2, st(fn)) + _int(3, st(fn)) + _int(4, st(file)))
    out += _bytes(11, _int(1, st("trace")) + _int(2, st("count")))
    out += _int(12, 1)
    out += st.encoded()
    return gzip.compress(bytes(out), mtime=0)
