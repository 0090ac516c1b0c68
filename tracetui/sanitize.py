"""Make text that comes from a trace inert before it reaches a terminal."""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, and lone surrogates (bytes that were not valid UTF-8).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(m: re.Match[str]) -> str:
    c = ord(m.group())
    if 0xDC80 <= c <= 0xDCFF:
        return f"\\x{c - 0xDC00:02x}"
    if c < 0x100:
        return f"\\x{c:02x}"
    return f"\\u{c:04x}"


def safe_text(s: str, *, keep_newlines: bool = True) -> str:
    """Escape control characters, escape sequences and bidi overrides in s."""
    out = _UNSAFE.sub(_escape, s)
    if not keep_newlines:
        out = out.replace("\n", "\\n")
    return out


def has_unsafe(s: str) -> bool:
    """True if s holds anything safe_text would escape."""
    return _UNSAFE.search(s) is not None
