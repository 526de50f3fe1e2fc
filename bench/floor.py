"""The physical floor: what no design can avoid, per message, in one process.

Standard-library parsing (`email.message_from_bytes`, policy compat32) plus one SQLite WAL
commit (synchronous=FULL) of the raw bytes. The same with a PostgreSQL commit (synchronous
commit on, the server's default) gives the PostgreSQL run a floor of its own.
"""

from __future__ import annotations

import email
import sqlite3
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
