"""Memory of a long live view: big blocks straight from the OS and back.

A live view builds a model every second and drops the one before: many big numpy arrays,
of sizes that change a little each time. glibc's malloc raises its mmap threshold to the
size of each big block freed, so after the first models such arrays come from the heap,
which fragments and does not shrink: the view's RSS grew by ~40 MB/s on a busy program
(tests/live/test_live_memory.py). A fixed threshold keeps every big block an mmap of its
own, unmapped when freed, and RSS flat.
"""

from __future__ import annotations

import ctypes
import sys

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter (malloc.h)
THRESHOLD = 128 << 10  # glibc's default: blocks from 128 KiB up are mmaps of their own


def fixed_mmap_threshold(nbytes: int = THRESHOLD) -> bool:
    """Fix glibc's mmap threshold (no dynamic raise); False where there is no glibc mallopt."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False  # (musl and others: no mallopt)
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, nbytes))
