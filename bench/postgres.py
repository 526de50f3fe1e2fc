"""The short PostgreSQL run: one web process (no inline worker) and two worker processes, as
the Procfile deploys them, against a throwaway PostgreSQL server on this machine; then the
same with one worker, for the scale-out claim (two workers against one)."""

from __future__ import annotations

from typing import Any

from bench import mix
from bench.e2e import Deployment, run
from bench.floor import floor_rate_postgres
from tests.conftest import free_port
from tests.pg import PostgresCluster, postgres_bin


def measure(*, messages: int, latency_messages: int, pool: int, accounts: int = 1000,
            tickets: int = 1000, workers: int = 2) -> dict[str, Any]:
    binaries = postgres_bin()
    if binaries is None:
        return {"skipped": "PostgreSQL server binaries (initdb, pg_ctl) not found"}
    cluster = PostgresCluster(free_port()).start()
    try:
        floor = floor_rate_postgres(mix.build(min(pool, 1000), pool=pool),
                                    f"host=127.0.0.1 port={cluster.port} user=postgres "
                                    f"dbname={cluster.create_database()}")
        url = cluster.url(cluster.create_database())
        postmaster = int((cluster.data / "postmaster.pid").read_text().split()[0])
        with Deployment(accounts=accounts, tickets=tickets, database_url=url, workers=workers,
                        database_pid=postmaster) as deployment:
            batch = mix.Batches(accounts, tickets, pool)
            run(deployment, batch.next(100))  # warm-up: connections, readers, caches
            closed = run(deployment, batch.next(messages))
            at_100 = run(deployment, batch.next(latency_messages), rate=100, connections=32)
            seed_seconds = deployment.seed_seconds
        with Deployment(accounts=accounts, tickets=tickets, workers=1, database_pid=postmaster,
                        database_url=cluster.url(cluster.create_database())) as deployment:
            batch = mix.Batches(accounts, tickets, pool)
            run(deployment, batch.next(100))
            one_worker = run(deployment, batch.next(messages))
        return {"server": f"PostgreSQL {binaries.parent.name}", "workers": workers,
                "accounts": accounts, "tickets": tickets, "seed_seconds": seed_seconds,
                "floor": floor, "throughput": closed, "latency_100": at_100,
                "one_worker": one_worker}
    finally:
        cluster.stop()

