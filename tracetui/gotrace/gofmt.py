"""Go's text formatting where the dump must match it: strconv.Quote and RFC3339Nano."""

from __future__ import annotations

import time as _time
from datetime import UTC, datetime, timedelta

_SIMPLE = {7: "\\a", 8: "\\b", 12: "\\f", 10: "\\n", 13: "\\r", 9: "\\t", 11: "\\v", 92: "\\\\", 34: '\\"'}
_quote_cache: dict[str, str] = {}


def quote(s: str) -> str:
    """Go's strconv.Quote of a trace string (invalid UTF-8 held as surrogate escapes)."""
    q = _quote_cache.get(s)
    if q is not None:
        return q
    if s.isascii() and s.isprintable() and '"' not in s and "\\" not in s:
        q = '"' + s + '"'
    else:
        parts = ['"']
        for ch in s:
            c = ord(ch)
            if c in _SIMPLE:
                parts.append(_SIMPLE[c])
            elif 0xDC80 <= c <= 0xDCFF:  # a byte that was not valid UTF-8
                parts.append(f"\\x{c - 0xDC00:02x}")
            elif c < 0x20 or c == 0x7F:
                parts.append(f"\\x{c:02x}")
            elif ch.isprintable():
                parts.append(ch)
            elif c < 0x10000:
                parts.append(f"\\u{c:04x}")
            else:
                parts.append(f"\\U{c:08x}")
        parts.append('"')
        q = "".join(parts)
    if len(_quote_cache) < 100_000:
        _quote_cache[s] = q
    return q


def rfc3339nano_local(sec: int, nsec: int) -> str:
    """Go's time.Unix(sec, nsec).Format(time.RFC3339Nano) in the local time zone."""
    if sec >= 1 << 63:
        sec -= 1 << 64
    if nsec >= 1 << 63:
        nsec -= 1 << 64
    sec += nsec // 1_000_000_000
    nsec %= 1_000_000_000
    offset = _local_offset(sec)
    dt = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=sec + offset)
    text = dt.strftime("%Y-%m-%dT%H:%M:%S")
    if nsec:
        text += "." + f"{nsec:09d}".rstrip("0")
    if offset == 0:
        return text + "Z"
    sign = "+" if offset > 0 else "-"
    off = abs(offset) // 60
    return f"{text}{sign}{off // 60:02d}:{off % 60:02d}"


def _local_offset(sec: int) -> int:
    try:
        return _time.localtime(sec).tm_gmtoff or 0
    except (OverflowError, OSError, ValueError):
        return 0
