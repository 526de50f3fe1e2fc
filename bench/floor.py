"""The physical floor: what no design can avoid, per message, in one process.

Standard-library parsing (`email.message_from_bytes`, policy compat32) plus one SQLite WAL
commit (synchronous=FULL) of the raw bytes. The same with a PostgreSQL commit (synchronous
commit on, the server's default) gives the PostgreSQL run a floor of its own.
"""

from __future__ import annotations

import email
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from email.policy import compat32
from pathlib import Path


def floor_rate(messages: list[bytes], path: Path) -> dict[str, float]:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute("CREATE TABLE IF NOT EXISTS raw (id INTEGER PRIMARY KEY, data BLOB)")

    def store(raw: bytes) -> None:
        connection.execute("BEGIN")
        connection.execute("INSERT INTO raw (data) VALUES (?)", (raw,))
        connection.execute("COMMIT")

    try:
        return _measure(messages, store)
    finally:
        connection.close()


def floor_rate_postgres(messages: list[bytes], conninfo: str) -> dict[str, float]:
    import psycopg  # the `postgres` extra

    with psycopg.connect(conninfo) as connection:
        connection.execute("CREATE TABLE IF NOT EXISTS raw (id bigserial PRIMARY KEY, data bytea)")
        connection.commit()

        def store(raw: bytes) -> None:
            connection.execute("INSERT INTO raw (data) VALUES (%s)", (raw,))
            connection.commit()

        return _measure(messages, store)


def _measure(messages: list[bytes], store: Callable[[bytes], None]) -> dict[str, float]:
    parse = commit = 0.0
    for raw in messages:
        started = time.perf_counter()
        email.message_from_bytes(raw, policy=compat32)
        parsed = time.perf_counter()
        store(raw)
        parse += parsed - started
        commit += time.perf_counter() - parsed
    count = len(messages)
    return {"rate": count / (parse + commit), "parse_ms": 1000 * parse / count,
            "commit_ms": 1000 * commit / count, "messages": count}


class DiskProbe:
    """How the disk's own fsync behaves while a run goes on: a small write and fsync every
    50 ms to a file beside the database. On this project's virtual machines a lone fsync
    sometimes takes 100-1,200 ms, even with nothing else writing; every acknowledgement due meanwhile
    waits for it (a durable commit per group), so a p99 over the target in a run whose probe
    saw such a stall is the disk's, not the connector's."""

    PERIOD = 0.05
    SLOW_MS = 20.0

    def __init__(self, folder: Path) -> None:
        self._path = folder / "disk-probe"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="disk-probe", daemon=True)
        self.latencies_ms: list[float] = []

    def __enter__(self) -> DiskProbe:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        descriptor = os.open(self._path, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            while not self._stop.wait(self.PERIOD):
                os.pwrite(descriptor, os.urandom(4096), 0)
                started = time.perf_counter()
                os.fsync(descriptor)
                self.latencies_ms.append((time.perf_counter() - started) * 1000)
        finally:
            os.close(descriptor)

    def summary(self) -> dict[str, float]:
        return {"disk_fsync_max_ms": max(self.latencies_ms, default=0.0),
                "disk_fsync_slow": sum(1 for ms in self.latencies_ms if ms > self.SLOW_MS)}
