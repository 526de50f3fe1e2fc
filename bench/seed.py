"""Seeding a database with many accounts, contacts and tickets, fast (bulk inserts).

Rows are written as the REST API would write them (the same key columns, keyed the same way),
but through the driver's executemany with plain tuples: a million accounts with SQLAlchemy
parameter dicts took about 90 s on this machine, with tuples about 35 s (most of it SQLite
maintaining the nine indexes of the two tables).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from adapters.persistence.db import Database
from adapters.persistence.migrate import upgrade
from domain.addresses import address_key
from domain.automation import field_key

CHUNK = 50_000

_ACCOUNT = ("id", "name", "name_key", "email", "email_key", "created_at", "updated_at")
_CONTACT = ("id", "account_id", "name", "email", "email_key", "created_at", "updated_at")
_TICKET = ("id", "account_id", "contact_id", "subject", "status", "source", "created_at",
           "updated_at")


def seed(database_url: str, *, accounts: int, tickets: int) -> None:
    """customerN.example is account N+1's domain; each account has one contact
    (boss@customerN.example); ticket K (its number) belongs to account K mod N."""
    db = Database(database_url)
    upgrade(db)
    now: Any = datetime.now(UTC).replace(tzinfo=None)  # stored as naive UTC, as UTCDateTime does
    if db.is_sqlite:  # the text SQLAlchemy's SQLite dialect stores for a DATETIME
        now = now.strftime("%Y-%m-%d %H:%M:%S.%f")
    # The generated values are already in key form (lower case, no spaces); checked once here
    # instead of keying two million strings one by one (half of the seeding time).
    assert field_key("customer 7") == "customer 7"
    assert address_key("customer7.example") == "customer7.example"
    assert address_key("boss@customer7.example") == "boss@customer7.example"
    for start in range(0, accounts, CHUNK):
        rows = range(start, min(start + CHUNK, accounts))
        _insert(db, "account", _ACCOUNT, (
            (i + 1, f"Customer {i}", f"customer {i}", f"customer{i}.example",
             f"customer{i}.example", now, now) for i in rows))
        _insert(db, "contact", _CONTACT, (
            (i + 1, i + 1, f"Boss {i}", f"boss@customer{i}.example",
             f"boss@customer{i}.example", now, now) for i in rows))
    for start in range(0, tickets, CHUNK):
        _insert(db, "ticket", _TICKET, (
            (i + 1, (i % accounts) + 1, (i % accounts) + 1, f"Old ticket {i}", "open", "email",
             now, now) for i in range(start, min(start + CHUNK, tickets))))
    if not db.is_sqlite:  # explicit ids leave PostgreSQL's sequences behind: move them on
        with db.writing() as session:
            for table in ("account", "contact", "ticket"):
                session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                     f"GREATEST((SELECT max(id) FROM {table}), 1))"))
    db.dispose()


def _insert(db: Database, table: str, columns: Sequence[str],
            rows: Iterable[tuple[Any, ...]]) -> None:
    marker = "?" if db.is_sqlite else "%s"
    sql = (f"INSERT INTO {table} ({', '.join(columns)}) "
           f"VALUES ({', '.join([marker] * len(columns))})")
    with db.writing() as session:
        session.connection().exec_driver_sql(sql, list(rows))
