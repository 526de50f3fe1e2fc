"""End-to-end on SQLite with the default configuration (`make run`: the web process and its
worker child): throughput at saturation (closed loop), and acknowledgement latency over a
sweep of fixed offered loads (open loop). The saturation runs on 1,000 accounts are also the
small side of the scale comparison (bench/run.py runs them again on the big database)."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from bench import mix
from bench.e2e import Deployment, run
from bench.floor import DiskProbe

CLOSED_CONNECTIONS = 8  # enough to keep the group commit busy; more only queues in the server
OPEN_CONNECTIONS = 32  # an open loop needs spare connections, or it stops sending on time


@dataclass(frozen=True)
class Plan:
    pool: int  # distinct message contents (every batch is a prefix of the pool)
    saturation_messages: int  # per closed-loop run
    saturation_runs: int
    rates: tuple[int, ...]  # the sweep's offered loads, messages per second
    seconds: float  # per sweep point
    seconds_at_100: float  # the headline latency point gets more samples for its p99
    big_accounts: int
    big_tickets: int
    postgres_messages: int
    postgres_latency_messages: int


def progress(text: str) -> None:
    print(f"  [{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def saturate(deployment: Deployment, batches: mix.Batches, plan: Plan) -> list[dict[str, Any]]:
    """A warm-up batch (reader start, caches), then closed-loop runs as fast as it answers."""
    run(deployment, batches.next(100))
    results = []
    for i in range(plan.saturation_runs):
        progress(f"closed loop {i + 1}/{plan.saturation_runs}: {plan.saturation_messages} messages")
        results.append(run(deployment, batches.next(plan.saturation_messages),
                           connections=CLOSED_CONNECTIONS))
    return results


def saturation(plan: Plan, *, accounts: int, tickets: int, workers: int = 0) -> dict[str, Any]:
    """Closed-loop runs on a fresh database. The same sequence of batches for every database
    size, so that the scale comparison compares like with like. workers: 0 is `make run`
    (its worker child); 1 is the Procfile's web and worker processes (on the same SQLite file)."""
    with Deployment(accounts=accounts, tickets=tickets, workers=workers) as deployment:
        if deployment.seed_seconds > 5:
            progress(f"seeded in {deployment.seed_seconds:.0f} s")
        runs = saturate(deployment, mix.Batches(accounts, tickets, plan.pool), plan)
        with deployment.engine.connect() as c:
            rows = {t: c.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                    for t in ("account", "contact", "ticket")}
    return {"accounts": accounts, "tickets": tickets, "seed_seconds": deployment.seed_seconds,
            "rows_after": rows, "saturation": runs, "workers": workers}


def sweep(plan: Plan, *, accounts: int = 1000, tickets: int = 1000) -> list[dict[str, Any]]:
    """Open-loop runs at fixed offered loads, lowest first, on a fresh database of its own
    (a backlog left by the closed-loop runs would weigh on the latencies)."""
    with Deployment(accounts=accounts, tickets=tickets) as deployment:
        batches = mix.Batches(accounts, tickets, plan.pool)
        run(deployment, batches.next(100))  # warm-up
        points = []
        for rate in plan.rates:
            seconds = plan.seconds_at_100 if rate == 100 else plan.seconds
            count = min(plan.pool, round(rate * seconds))
            progress(f"offered load {rate}/s: {count} messages")
            with DiskProbe(deployment.dir) as probe:
                point = run(deployment, batches.next(count), rate=rate,
                            connections=OPEN_CONNECTIONS)
            points.append(point | probe.summary())
    return points


def mean(runs: list[dict[str, Any]], key: str) -> float:
    return sum(r[key] for r in runs) / len(runs)
