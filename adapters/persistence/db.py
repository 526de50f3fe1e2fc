"""Engine and sessions. Nothing is created at import.

SQLite is the embedded default: WAL mode, a durable write's log synced before we answer a
provider (wal_sync.py: after the write turn is given up), and one writer at a time. Inside
a process the writers (ingest, worker, outbox, API), and the connector's processes on one
database file (the Procfile's web and worker), take turns (write_turns.py) instead of
meeting in SQLite's sleeping busy handler, whose backoff is what made p99 latency jump to
~100 ms in the measured prototypes (and to over 200 ms between a web and a worker process);
BEGIN IMMEDIATE plus a busy timeout is kept for anything else that opens the file.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlmodel import Session

from adapters.persistence.checkpoints import Checkpointer
from adapters.persistence.wal_sync import WalSync
from adapters.persistence.write_turns import WriteTurns
from domain.errors import StorageConflict, StorageUnavailable


class Database:
    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        file = _sqlite_file(url) if self.is_sqlite else None
        self.checkpoints = Checkpointer(file) if file is not None else None
        self.engine = _make_engine(url, echo=echo, own_checkpoints=file is not None)
        self._writer = self.engine.execution_options(immediate=True)
        self._lazy_writer = self.engine.execution_options(immediate=True, lazy_sync=True)
        self._turns = WriteTurns(file) if self.is_sqlite else None
        self._file = file
        self._log_sync: WalSync | None = None  # known once the journal mode is: _synced_log
        self._log_checked = file is None

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads. Nothing it does is committed."""
        with _storage_errors(), Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def writing(self, *, durable: bool = True) -> Iterator[Session]:
        """A write transaction, committed when the block ends without an exception.

        This is the only place in the code base that commits. A durable write returns once it
        is on disk. `durable=False` commits without waiting for the disk (SQLite
        synchronous=NORMAL, PostgreSQL synchronous_commit=off): the transaction survives a
        process crash, and a power loss can only drop the newest such transactions, never
        one older than a durable commit (both logs are written in order). Used where a lost
        transaction is simply done again: processing, claims.
        """
        log_sync = self._synced_log() if durable else None
        engine = self._writer if durable and log_sync is None else self._lazy_writer
        turn = self._turns.turn(first=durable) if self._turns is not None else nullcontext()
        with _storage_errors(), turn, Session(engine, expire_on_commit=False) as session:
            yield session
            session.commit()
        if log_sync is not None:  # the turn is free again: others write while the disk syncs
            try:
                log_sync.sync()
            except OSError as exc:
                raise StorageUnavailable(f"database unavailable: syncing its log: {exc}") from exc
        if self.checkpoints is not None:
            self.checkpoints.poke()

    def _synced_log(self) -> WalSync | None:
        """SQLite in WAL mode on disk: durable writes sync the log themselves (wal_sync.py).
        Otherwise (PostgreSQL; a file system where SQLite could not use WAL) COMMIT does it."""
        if not self._log_checked:
            with _storage_errors(), self.engine.connect() as connection:
                mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
            if mode == "wal" and self._file is not None:
                self._log_sync = WalSync(self._file)
            self._log_checked = True
        return self._log_sync

    def dispose(self) -> None:
        if self.checkpoints is not None:
            self.checkpoints.close()
        self.engine.dispose()


@contextmanager
def _storage_errors() -> Iterator[None]:
    try:
        yield
    except IntegrityError as exc:  # a unique key another writer stored first: run it again
        raise StorageConflict(f"conflicting write: {exc.orig}") from exc
    except OperationalError as exc:  # database locked, disk full, server gone
        raise StorageUnavailable(f"database unavailable: {exc.orig}") from exc
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise StorageUnavailable("database connection lost") from exc
        raise


def _sqlite_file(url: str) -> Path | None:
    database = make_url(url).database
    return Path(database) if database and database != ":memory:" else None


def _make_engine(url: str, *, echo: bool, own_checkpoints: bool = False) -> Engine:
    if not url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)

        @event.listens_for(engine, "begin")
        def _on_pg_begin(connection: Any) -> None:
            if connection.get_execution_options().get("lazy_sync"):
                connection.exec_driver_sql("SET LOCAL synchronous_commit = off")

        return engine
    database = make_url(url).database
    on_disk = bool(database) and database != ":memory:"
    if on_disk:
        # Customers' mail lives here: readable by the service's user only.
        folder = Path(database).parent
        for missing in reversed([p for p in (folder, *folder.parents) if not p.exists()]):
            missing.mkdir(mode=0o700, exist_ok=True)
    engine = create_engine(
        url,
        echo=echo,
        connect_args={"check_same_thread": False, "timeout": 30},
        pool_size=20,
        max_overflow=20,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below own transactions (pysqlite otherwise issues its
        # own BEGIN lazily and breaks SAVEPOINT and BEGIN IMMEDIATE).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if own_checkpoints:  # in a thread of their own, not inside a commit: checkpoints.py
            cursor.execute("PRAGMA wal_autocheckpoint=0")
        if on_disk:
            for suffix in ("", "-wal", "-shm"):  # the log holds the newest mail: owner only too
                with contextlib.suppress(OSError):
                    os.chmod(f"{database}{suffix}", 0o600)

        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        if not options.get("immediate"):  # a read: how commits sync does not matter to it
            connection.exec_driver_sql("BEGIN")
            return
        # WAL mode: NORMAL syncs the log at checkpoints only; the next FULL commit syncs it all.
        connection.exec_driver_sql(
            "PRAGMA synchronous=NORMAL" if options.get("lazy_sync") else "PRAGMA synchronous=FULL")
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
