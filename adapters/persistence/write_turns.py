"""SQLite's writers take turns, durable writers first: inside a process and across the
connector's processes on one database file.

A durable write is someone waiting for an answer (a provider for its acknowledgement, an API
client); the rest (claims, processing, the outbox's records) can wait a turn. SQLite itself
lets one writer in at a time and makes the others sleep in its busy handler, whose backoff
(up to 100 ms a sleep) is what the acknowledgements' p99 latency showed. A plain lock would not
do either: the processing thread, releasing it between two transactions while it holds the
GIL, takes it straight back, and ingest waited out batch after batch (README, Performance).

Across processes, two lock files next to the database, with flock(2), which wakes a waiter
as soon as the lock is free: `<db>-writer`, held for the transaction, and `<db>-durable`,
held shared by a durable writer while it waits; a lazy writer first waits until nobody holds
that one.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

STARVING_AFTER = 0.1  # seconds a lazy writer may wait while durable ones go first


class WriteTurns:
    def __init__(self, database: Path | None = None, *,
                 starving_after: float = STARVING_AFTER) -> None:
        self._starving_after = starving_after
        self._changed = threading.Condition()
        self._held = False
        self._durable_waiting = 0
        self._starving = 0  # lazy writers that waited STARVING_AFTER: they go next
        self._files = _LockFiles(database) if database is not None else None

    @contextmanager
    def turn(self, *, first: bool) -> Iterator[None]:
        """The write turn; `first`: a durable writer, let in before waiting lazy ones. But a
        lazy writer that has waited `starving_after` goes next: under a steady stream of
        webhooks the ingest writer always has its next batch ready, and processing fell
        behind (README, Performance: at 300 msg/s offered, 146-174 msg/s processed without this,
        170-171 with it)."""
        with self._changed:
            if first:
                self._durable_waiting += 1
                try:
                    while self._held or self._starving:
                        self._changed.wait()
                finally:
                    self._durable_waiting -= 1
            else:
                self._wait_lazily()
            self._held = True
        try:
            if self._files is None:
                yield
            else:
                with self._files.turn(first=first):
                    yield
        finally:
            with self._changed:
                self._held = False
                self._changed.notify_all()

    def _wait_lazily(self) -> None:
        deadline, starving = time.monotonic() + self._starving_after, False
        try:
            while self._held or (self._durable_waiting and not starving):
                left = deadline - time.monotonic()
                if starving or left > 0:
                    self._changed.wait(None if starving else left)
                elif self._durable_waiting:  # waited long enough behind durable writers
                    starving = True
                    self._starving += 1
                else:  # another lazy writer's turn: wait for its end
                    self._changed.wait()
        finally:
            self._starving -= starving


class _LockFiles:
    """The turn across processes; used by one thread of the process at a time (the one whose
    turn it is inside the process), so one open file each is enough."""

    def __init__(self, database: Path) -> None:
        database.parent.mkdir(parents=True, exist_ok=True)
        self._writer = _open(Path(f"{database}-writer"))
        self._durable = _open(Path(f"{database}-durable"))
        weakref.finalize(self, _close, self._writer, self._durable)

    @contextmanager
    def turn(self, *, first: bool) -> Iterator[None]:
        if first:
            fcntl.flock(self._durable, fcntl.LOCK_SH)
            try:
                fcntl.flock(self._writer, fcntl.LOCK_EX)
            finally:
                fcntl.flock(self._durable, fcntl.LOCK_UN)
        else:
            fcntl.flock(self._durable, fcntl.LOCK_EX)  # no durable writer is waiting
            fcntl.flock(self._durable, fcntl.LOCK_UN)
            fcntl.flock(self._writer, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._writer, fcntl.LOCK_UN)


def _open(path: Path) -> int:
    return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)  # owner only, as the db


def _close(*descriptors: int) -> None:
    for descriptor in descriptors:
        os.close(descriptor)
