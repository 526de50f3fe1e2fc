"""Large buffers given back to the system when freed (glibc).

glibc serves a large allocation with its own mmap and unmaps it on free, but raises that
threshold to the size of each such block freed (up to 32 MiB): after one 30 MB message, the
next message's buffers came from the heap and stayed resident after use (bench/memory.py: the
worker kept 99 MB over idle after a forward instead of 62). Fixing the threshold at 1 MiB ends
the adjustment. The environment variable carries it to the processes started from this one
(the reader's forkserver and its child): glibc reads it when such a process starts.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

THRESHOLD = 1024 * 1024
_M_MMAP_THRESHOLD = -3  # malloc.h


def give_back_large_buffers() -> bool:
    """True when glibc took the setting (False on another C library: nothing changes)."""
    os.environ.setdefault("MALLOC_MMAP_THRESHOLD_", str(THRESHOLD))
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, THRESHOLD))
