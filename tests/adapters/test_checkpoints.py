"""SQLite's WAL checkpoints run in a thread of their own, never inside a writer's commit
(adapters/persistence/checkpoints.py), on a real database file."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import text

from adapters.persistence.checkpoints import Checkpointer
from adapters.persistence.db import Database


def _wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def _database(tmp_path: Path) -> tuple[Database, Path]:
    path = tmp_path / "connector.db"
    db = Database(f"sqlite:///{path}")
    with db.writing() as session:
        session.connection().exec_driver_sql("CREATE TABLE raw (id INTEGER PRIMARY KEY, data BLOB)")
    return db, path


def _write(db: Database, count: int, size: int = 8192) -> None:
    for _ in range(count):
        with db.writing() as session:
            session.connection().execute(text("INSERT INTO raw (data) VALUES (:d)"),
                                         {"d": b"x" * size})


def test_a_commit_never_copies_the_log_into_the_database_file_itself(tmp_path: Path) -> None:
    db, path = _database(tmp_path)
    try:
        assert db.checkpoints is not None
        db.checkpoints.close()  # no checkpoint thread: what is left is what commits do
        _write(db, 600)  # about 1,200 pages: SQLite's own default checkpoints at 1,000
        assert _rows_in_file(path) is None  # not even the table has reached the file
        with db.writing() as session:
            setting = session.connection().exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
        assert setting == 0
    finally:
        db.dispose()


def test_committed_writes_are_copied_into_the_database_file_soon_after(tmp_path: Path) -> None:
    db, path = _database(tmp_path)
    try:
        _write(db, 600)
        checkpoints = db.checkpoints
        assert checkpoints is not None
        assert _wait_for(lambda: checkpoints.checkpoints > 0)
        # Everything committed reaches the database file itself (immutable=1 reads the file
        # and ignores the log).
        assert _wait_for(lambda: _rows_in_settled_file(path) == 600)
    finally:
        db.dispose()


def _rows_in_file(path: Path) -> int | None:
    """The rows the database file itself holds, the log aside (None: not even the table)."""
    connection = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        return int(connection.execute("SELECT count(*) FROM raw").fetchone()[0])
    except sqlite3.OperationalError:  # no such table
        return None
    finally:
        connection.close()


def _rows_in_settled_file(path: Path) -> int | None:
    """As _rows_in_file, None while a checkpoint is still writing the file: an immutable=1
    reader takes no lock, so it can see a half-copied page and call the file malformed."""
    try:
        return _rows_in_file(path)
    except sqlite3.DatabaseError:
        return None


def test_closing_the_database_stops_its_checkpoint_thread(tmp_path: Path) -> None:
    before = set(threading.enumerate())
    db, _ = _database(tmp_path)
    _write(db, 3)
    started = [t for t in set(threading.enumerate()) - before if t.name == "wal-checkpoints"]
    assert len(started) == 1
    db.dispose()
    assert not started[0].is_alive()


def test_a_failed_checkpoint_is_logged_and_the_next_one_goes_ahead(tmp_path: Path,
                                                                     caplog) -> None:
    db, path = _database(tmp_path)
    try:
        _write(db, 3)
        broken = sqlite3.connect(":memory:")
        broken.close()  # any call on it raises sqlite3.ProgrammingError, a sqlite3.Error
        checkpoints = Checkpointer(path)
        checkpoints.checkpoint(broken)
        assert checkpoints.checkpoints == 0
        assert "WAL checkpoint failed" in caplog.text
        working = sqlite3.connect(path)
        try:
            checkpoints.checkpoint(working)
        finally:
            working.close()
        assert checkpoints.checkpoints == 1
        assert _rows_in_file(path) == 3
    finally:
        db.dispose()
