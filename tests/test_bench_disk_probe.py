"""The bench's disk probe reports the disk's slowest fsync during a run (bench/floor.py): the
p99 target line leans on it to tell a stalling disk from a slow connector."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bench import floor
from bench.floor import DiskProbe


def test_the_disk_probe_reports_the_slowest_fsync_and_counts_the_slow_ones(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stalls = iter([0.06])  # the first fsync stalls 60 ms, the rest are the disk's own

    def fsync(descriptor: int) -> None:
        time.sleep(next(stalls, 0.0))

    monkeypatch.setattr(floor.os, "fsync", fsync)
    monkeypatch.setattr(DiskProbe, "PERIOD", 0.005)
    with DiskProbe(tmp_path) as probe:
        time.sleep(0.1)
    summary = probe.summary()
    assert len(probe.latencies_ms) >= 3
    assert summary["disk_fsync_max_ms"] >= 60
    assert summary["disk_fsync_slow"] == 1
    assert (tmp_path / "disk-probe").stat().st_size == 4096
