"""A process gives large freed buffers back to the system (api/entrypoints/malloc.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.harness import ROOT

# One large buffer freed, then a smaller one, freed too: the resident memory that is left.
PROGRAM = """
import sys
from api.entrypoints.malloc import give_back_large_buffers
if sys.argv[1] == "set":
    assert give_back_large_buffers()
def rss():
    return int([l for l in open("/proc/self/status") if l.startswith("VmRSS")][0].split()[1])
before = rss()
first = bytes(30_000_000)  # under glibc's 32 MiB cap of the adjustment
del first
second = bytearray(20_000_000)
second[::4096] = b"x" * len(second[::4096])
del second
print(rss() - before)
"""


def kept_kib(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", PROGRAM, mode], cwd=ROOT, capture_output=True,
                          text=True, check=True, env={"PATH": "/usr/bin:/bin"})
    return int(done.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc, /proc")
def test_a_buffer_after_a_larger_one_is_given_back_once_freed() -> None:
    assert kept_kib("unset") > 15_000  # glibc's own adjustment: served from the heap, kept
    assert kept_kib("set") < 5_000
