"""Vectorised decoding of the packets tracetui's writer encodes with numpy (`writer._encode`):
the framing of a packet stream and the hot TrackEvent packets, a batch at a time.

A hot packet is, byte for byte (fields optional where marked):

    0a len  40 dt  50 seq  5a len [22 len 08 ann_name 20 ann_value]? 48 type [50 name]?
            [f0 01 value]? [f9 02 flow:8]? [81 03 term:8]? [c0 03 callstack]?  68 02

Framing is sequential by nature (each packet's length says where the next starts), so the
stream is cut into lanes of LANE bytes that are walked in lockstep, each from a little
before its start (a walk from a wrong position falls in step with the true one within a
few packets); a lane is kept when its first packet is where the previous lane's walk
left off, and walked again from there otherwise. Every kept start is then checked against
the previous packet's end, so the result is exact whatever the bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LANE = 512  # bytes per lane
OVERLAP = 64  # bytes a lane's walk starts before the lane
U64 = np.uint64
_U7 = [U64(7 * k) for k in range(10)]


class Fallback(Exception):
    """The bytes are not what this decoder expects: read the file with the protobuf runtime."""


def varints(buf: np.ndarray, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray | int]:
    """The varints at `pos` (int64: a 64-bit varint's two's complement) and their widths
    (an int when all are 1 byte; 11 for a varint running over 10 bytes, whose value is
    then meaningless). Reads past the buffer see its last byte.

    Byte k is read for all rows while many continue (dense, no fancy indexing), then
    only for the rows that still do."""
    v = buf.take(pos, mode="clip").astype(np.int64)
    c = v >> 7
    if not c.any():
        return v, 1
    v &= 0x7F
    w = 1 + c
    k = 1
    while True:
        if k == 10:
            w[c != 0] = 11
            return v, w
        cnt = int(np.count_nonzero(c))
        if not cnt:
            return v, w
        if cnt * 4 < c.size:
            break
        bb = buf.take(pos + k, mode="clip").astype(np.int64)
        v |= ((bb & 0x7F) * c) << (7 * k)
        c &= bb >> 7
        w += c
        k += 1
    more = np.flatnonzero(c)
    vm, pm, wm = v[more], pos[more], w[more]
    live = np.arange(more.size)
    while live.size:
        if k == 10:
            wm[live] = 11
            break
        bb = buf.take(pm[live] + k, mode="clip").astype(np.int64)
        vm[live] |= (bb & 0x7F) << (7 * k)
        live = live[bb >= 0x80]
        wm[live] += 1
        k += 1
    v[more], w[more] = vm, wm
    return v, w


def _lengths(buf: np.ndarray, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(packet end, valid, header bytes) of a `0a len` record at each position; lengths
    of up to 5 bytes."""
    n = buf.size
    c = buf.take(pos, mode="clip")
    b = buf.take(pos + 1, mode="clip").astype(np.int64)
    ln = b & 0x7F
    hdr = np.full(pos.size, 2, np.int64)
    ok = (c == 0x0A) & (pos + 1 < n)
    more = np.flatnonzero(b & 0x80)
    k = 1
    while more.size:
        bb = buf.take(pos[more] + 1 + k, mode="clip").astype(np.int64)
        if k == 5:
            ok[more] = False
            break
        ln[more] |= (bb & 0x7F) << (7 * k)
        hdr[more] += 1
        more = more[(bb & 0x80) != 0]
        k += 1
    end = pos + hdr + ln
    return end, ok & (end <= n), hdr


def _walk_one(data: bytes | memoryview, pos: int, hi: int) -> tuple[list[int], int]:
    """Packet starts from a true start `pos` up to the first at or after `hi` (a Python
    loop, for the few lanes whose speculative walk went astray)."""
    out = []
    n = len(data)
    while pos < hi:
        if data[pos] != 0x0A:
            raise Fallback("bad packet framing")
        out.append(pos)
        ln = shift = 0
        p = pos + 1
        while True:
            if p >= n or shift > 28:
                raise Fallback("bad packet framing")
            b = data[p]
            p += 1
            ln |= (b & 0x7F) << shift
            if b < 0x80:
                break
            shift += 7
        pos = p + ln
    return out, pos


def frame(buf: np.ndarray, lo: int, hi: int, data: bytes | memoryview) -> tuple[np.ndarray, np.ndarray, int]:
    """Body starts and ends of the packets from `lo` (a packet start) up to the first
    start at or after `hi`, and that position (the end of the last packet). `buf` views
    `data`. Bad framing raises Fallback."""
    if hi <= lo:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), lo
    nl = -(-(hi - lo) // LANE)
    bound = lo + np.arange(nl + 1, dtype=np.int64) * LANE
    bound[-1] = hi
    lane_lo, lane_hi = bound[:-1], bound[1:]
    mark = np.zeros(hi - lo, bool)  # packet starts, relative to lo
    n = buf.size
    keys = np.flatnonzero(buf[lo : min(n, hi + LANE)] == 0x0A) + lo  # where a walk resumes after a miss
    keys = np.r_[keys, n]
    exit_ = np.empty(nl, np.int64)
    # The active lanes' walks, compacted as lanes finish.
    ids = np.arange(nl)
    p = np.maximum(lane_lo - OVERLAP, lo)
    llo, lhi = lane_lo.copy(), lane_hi.copy()
    inside_all = False
    while ids.size:
        if not inside_all:
            inside = p >= llo
            inside_all = bool(inside.all())
            mark[p[inside] - lo] = True
        else:
            mark[p - lo] = True
        c = buf.take(p, mode="clip")
        b = buf.take(p + 1, mode="clip")
        end = b.astype(np.int64)
        end += p
        end += 2
        if (b >= 0x80).any():
            big = np.flatnonzero(b >= 0x80)
            e2, ok2, _ = _lengths(buf, p[big])
            end[big] = np.where(ok2, e2, -1)
        miss = (c != 0x0A) | (end > n) | (end < 0)
        if miss.any():
            m = np.flatnonzero(miss)
            end[m] = keys[np.minimum(np.searchsorted(keys, p[m] + 1), keys.size - 1)]
        p = end
        act = p < lhi
        if not act.all():
            done = ~act
            exit_[ids[done]] = p[done]
            ids, p, llo, lhi = ids[act], p[act], llo[act], lhi[act]
    starts = np.flatnonzero(mark) + lo
    # A lane's first start: its first marked one, or where the walk left it.
    k = np.searchsorted(starts, lane_lo)
    first = (
        np.where(k < starts.size, starts[np.minimum(k, max(starts.size - 1, 0))], exit_)
        if starts.size
        else exit_.copy()
    )
    first = np.where(first < lane_hi, first, exit_)
    j = 1
    redone = False
    while j < nl:
        bad_at = np.flatnonzero(first[j:] != exit_[j - 1 : -1])
        if not bad_at.size:
            break
        j += int(bad_at[0])
        walked, e = _walk_one(data, int(exit_[j - 1]), int(lane_hi[j]))
        a = int(lane_lo[j]) - lo
        mark[a : int(lane_hi[j]) - lo] = False
        if walked:
            mark[np.array(walked, np.int64) - lo] = True
        first[j], exit_[j] = exit_[j - 1], e
        redone = True
        j += 1
    if redone:
        starts = np.flatnonzero(mark) + lo
    end, ok, hdr = _lengths(buf, starts)
    last = int(exit_[-1])
    if starts.size and (not ok.all() or (end[:-1] != starts[1:]).any() or int(end[-1]) != last):
        raise Fallback("bad packet framing")
    return starts + hdr, end, last


@dataclass
class Hot:
    """The fields of a batch's packets (absent ones 0; `ann` holds the annotation's name
    iid, 0: none); those not of hot shape (`ok` false) are no-ops of type 0."""

    ok: np.ndarray
    dt: np.ndarray  # int64 (two's complement)
    seq: np.ndarray  # int64
    typ: np.ndarray  # int64
    name: np.ndarray  # int64
    ann: np.ndarray  # int64
    ann_value: np.ndarray  # int64 (two's complement)
    value: np.ndarray  # int64, counters
    has_value: np.ndarray  # bool
    flow: np.ndarray  # uint64
    term: np.ndarray  # uint64
    stack: np.ndarray  # int64


_EIGHT = np.arange(8)


def _fixed64(buf: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """The little-endian uint64 at each position (one gather of 8 bytes per row)."""
    rows = buf.take(pos[:, None] + _EIGHT, mode="clip")
    return rows.view("<u8").reshape(pos.size)


def parse_hot(buf: np.ndarray, start: np.ndarray, end: np.ndarray) -> Hot:
    """The packets (bodies start..end) of hot shape, with their fields."""
    n = start.size
    ok = buf.take(start, mode="clip") == 0x40
    dt, w = varints(buf, start + 1)
    p = start + 1 + w
    ok &= buf.take(p, mode="clip") == 0x50
    seq, w = varints(buf, p + 1)
    p += 1 + w
    ok &= buf.take(p, mode="clip") == 0x5A
    tl, w = varints(buf, p + 1)
    p += 1 + w
    e = end - 2
    ok &= (p + tl == e) & (buf.take(e, mode="clip") == 0x68) & (buf.take(end - 1, mode="clip") == 0x02)
    key = buf.take(p, mode="clip")
    ann = np.zeros(n, np.int64)
    ann_value = np.zeros(n, np.int64)
    j = np.flatnonzero(key == 0x22)  # [22 len 08 name 20 value]
    if j.size:
        q = p[j]
        alen, w = varints(buf, q + 1)
        body = q + 1 + w
        k, w2 = varints(buf, body + 1)
        q2 = body + 1 + w2
        v, w3 = varints(buf, q2 + 1)
        after = q2 + 1 + w3
        ok[j] &= (buf.take(body, mode="clip") == 0x08) & (buf.take(q2, mode="clip") == 0x20) & (after == body + alen)
        ann[j], ann_value[j] = k, v
        p[j] = after
        key[j] = buf.take(after, mode="clip")
    ok &= key == 0x48
    typ = buf.take(p + 1, mode="clip").astype(np.int64)
    ok &= typ < 0x80
    p += 2
    name = np.zeros(n, np.int64)
    value = np.zeros(n, np.int64)
    has_value = np.zeros(n, bool)
    flow, term = np.zeros(n, U64), np.zeros(n, U64)
    stack = np.zeros(n, np.int64)
    r = np.flatnonzero(ok & (p < e))
    if r.size:
        pr, er = p[r], e[r]
        k0 = buf.take(pr, mode="clip")
        j = np.flatnonzero(k0 == 0x50)
        if j.size:
            v, w = varints(buf, pr[j] + 1)
            name[r[j]] = v
            pr[j] += 1 + w
        p[r] = pr
        live = np.flatnonzero(pr < er)
        r, pr = r[live], pr[live]
        k0 = buf.take(pr, mode="clip").astype(np.int64) | buf.take(pr + 1, mode="clip").astype(np.int64) << 8
        for two, kind in ((0x01F0, 0), (0x02F9, 1), (0x0381, 2), (0x03C0, 3)):
            j = np.flatnonzero(k0 == two)
            if not j.size:
                continue
            q = pr[j] + 2
            if kind == 0:
                v, w = varints(buf, q)
                value[r[j]] = v
                has_value[r[j]] = True
            elif kind == 3:
                v, w = varints(buf, q)
                stack[r[j]] = v
            else:
                (flow if kind == 1 else term)[r[j]] = _fixed64(buf, q)
                w = 8
            pr[j] = q + w
            k0[j] = (
                buf.take(pr[j], mode="clip").astype(np.int64) | buf.take(pr[j] + 1, mode="clip").astype(np.int64) << 8
            )
        p[r] = pr
    ok &= p == e
    bad = np.flatnonzero(~ok)
    if bad.size:
        # Not hot: left in the columns as no-ops (type 0, no delta, no fields, the sequence
        # of the hot packet before), so that nothing is copied.
        for a in (dt, typ, name, ann, ann_value, value, has_value, flow, term, stack):
            a[bad] = 0
        good = np.flatnonzero(ok)
        if good.size:
            fill = np.maximum.accumulate(np.where(ok, np.arange(n), -1))
            fill[fill < 0] = good[0]
            seq = seq[fill]
    return Hot(ok, dt, seq, typ, name, ann, ann_value, value, has_value, flow, term, stack)
