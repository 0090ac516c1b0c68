"""The Go version a binary was built with, from its build info (no Go toolchain needed)."""

from __future__ import annotations

import mmap

from tracetui.protobuf import read_varint

MAGIC = b"\xff Go buildinf:"


def go_version_of(path: str) -> str | None:
    """'go1.27.3' for a Go binary (Go 1.18+ build info), else None."""
    try:
        with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
            if m[:4] != b"\x7fELF":
                return None
            at = m.find(MAGIC)
            while at >= 0 and at % 16:
                at = m.find(MAGIC, at + 1)
            if at < 0 or not m[at + 15] & 2:  # flags: 2 = version and module info inline
                return None
            n, pos = read_varint(m, at + 32)  # type: ignore[arg-type]
            text = bytes(m[pos : pos + n]).decode("utf-8", "replace")
    except (OSError, ValueError, IndexError):
        return None
    return text if text.startswith("go") else None
