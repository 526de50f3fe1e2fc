"""The bench's PostgreSQL target lines say how busy the machine already was (bench/run.py): on
2 cores one worker can keep most of them busy, and two cannot then be 1.6 x faster."""

from __future__ import annotations

from typing import Any

import pytest

from bench import run


def _run(processed: float, connector_ms: float, database_ms: float = 0.0) -> dict[str, Any]:
    return {"processed_per_s": processed, "server_cpu_ms_per_message": connector_ms,
            "database_cpu_ms_per_message": database_ms, "sink_cpu_ms_per_message": 0.5,
            "client_cpu_ms_per_request": 0.5}


def test_the_scale_out_line_gives_the_share_of_the_cores_one_worker_used(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run.os, "cpu_count", lambda: 2)
    sqlite = [_run(300, 4.0), _run(340, 5.0)]
    results = {"floor": {"rate": 700}, "sqlite": {"saturation": sqlite},
               "sqlite_procfile": {"saturation": sqlite},
               "sweep": [{"offered_per_s": 100, "p99_ms": 20.0}],
               "postgres": {"throughput": _run(180, 6.0, 4.0), "one_worker": _run(125, 7.0, 3.0)}}
    rows = {name: (figure, met) for name, figure, met in run.targets(results)}
    figure, met = rows["PostgreSQL: 2 workers >= 1.6 x 1 worker"]
    assert not met
    assert figure == "1.44 x (1 worker kept 1.4 of 2 cores busy: 1.45 x at its CPU a message)"
    figure, _ = rows["PostgreSQL, 2 workers: processed >= SQLite"]
    assert figure == "180 vs 320 msg/s (CPU a message, all processes: 11.0 vs 5.5 ms)"
