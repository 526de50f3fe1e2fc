"""A durable SQLite write syncs the log after giving the write turn up, and returns only once
the log is on disk (adapters/persistence/wal_sync.py), on a real database file."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from adapters.persistence import wal_sync
from adapters.persistence.db import Database
from adapters.persistence.wal_sync import WalSync
from domain.errors import StorageUnavailable


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path}/connector.db")
    with database.writing() as session:
        session.connection().exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    yield database
    database.dispose()


class _SlowDisk:
    """os.fsync that waits to be let go, and says which files it synced."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.paths: list[str] = []

    def __call__(self, descriptor: int) -> None:
        self.paths.append(os.readlink(f"/proc/self/fd/{descriptor}"))
        self.entered.set()
        assert self.release.wait(10)


def _insert(db: Database, value: str, *, durable: bool = True) -> None:
    with db.writing(durable=durable) as session:
        session.connection().execute(text("INSERT INTO t (v) VALUES (:v)"), {"v": value})


def test_a_durable_write_returns_only_after_its_log_is_synced_and_others_write_meanwhile(
        db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    disk = _SlowDisk()
    monkeypatch.setattr(wal_sync.os, "fsync", disk)
    done = threading.Event()

    def durable() -> None:
        _insert(db, "acknowledged")
        done.set()

    writer = threading.Thread(target=durable)
    writer.start()
    assert disk.entered.wait(10)
    assert not done.is_set()  # not answered while the disk syncs
    other = threading.Thread(target=_insert, args=(db, "processing"), kwargs={"durable": False})
    other.start()
    other.join(5)
    finished = not other.is_alive()  # the turn is free: another writer went on meanwhile
    assert not done.is_set()
    disk.release.set()
    writer.join(10)
    other.join(10)
    assert finished
    assert done.is_set()
    assert disk.paths and all(p.endswith("connector.db-wal") for p in disk.paths)


def test_writers_that_commit_while_an_fsync_runs_share_the_next_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "x.db-wal").write_bytes(b"log")
    disk = _SlowDisk()
    monkeypatch.setattr(wal_sync.os, "fsync", disk)
    log_sync = WalSync(tmp_path / "x.db")
    first = threading.Thread(target=log_sync.sync)
    first.start()
    assert disk.entered.wait(10)
    others = [threading.Thread(target=log_sync.sync) for _ in range(5)]
    for thread in others:
        thread.start()
    disk.release.set()
    for thread in [first, *others]:
        thread.join(10)
    assert log_sync.fsyncs == 2  # the first, then one for the five that came meanwhile


def test_a_commit_after_the_last_fsync_ended_gets_one_of_its_own(tmp_path: Path) -> None:
    (tmp_path / "x.db-wal").write_bytes(b"log")
    log_sync = WalSync(tmp_path / "x.db")
    log_sync.sync()
    log_sync.sync()
    assert log_sync.fsyncs == 2


def test_a_log_that_is_gone_was_copied_into_the_synced_database_file(tmp_path: Path) -> None:
    log_sync = WalSync(tmp_path / "absent.db")
    log_sync.sync()  # no error, nothing to sync
    assert log_sync.fsyncs == 0


def test_a_disk_that_fails_the_sync_makes_the_write_fail_visibly(
        db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(descriptor: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(wal_sync.os, "fsync", broken)
    with pytest.raises(StorageUnavailable, match="syncing its log"):
        _insert(db, "lost?")
