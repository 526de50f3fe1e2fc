"""SQLite's WAL checkpoints in a thread of their own, not in a committing writer.

By default the connection whose commit takes the log past 1,000 pages copies the log into the
database file and syncs it, inside that commit, and the connector holds its write turn
(write_turns.py) until the commit returns: every writer waited. Measured at 100 webhooks a
second (2026-12-03, the bench mix): such commits held the turn for 70-340 ms every few
seconds, and the acknowledgements queued behind them were the p99. A PASSIVE checkpoint takes
no write lock (https://www.sqlite.org/c3ref/wal_checkpoint_v2.html), so here it runs beside
the writers: the connector's connections set `wal_autocheckpoint=0` and each commit pokes
this thread, which checkpoints at most every `interval` seconds while there are writes.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

log = logging.getLogger(__name__)
INTERVAL = 0.2  # seconds between two checkpoints while writes go on


class Checkpointer:
    def __init__(self, database: Path, *, interval: float = INTERVAL) -> None:
        self._database = database
        self._interval = interval
        self._written = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.checkpoints = 0  # completed calls, for tests

    def poke(self) -> None:
        """A write was committed: checkpoint soon."""
        if self._thread is None:
            self._start()
        self._written.set()

    def close(self) -> None:
        """Stop the thread (closing the last connection checkpoints what is left)."""
        self._stopping.set()
        self._written.set()
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=10)

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None or self._stopping.is_set():
                return
            self._thread = threading.Thread(target=self._run, name="wal-checkpoints", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        connection = sqlite3.connect(self._database, isolation_level=None,
                                     check_same_thread=False)
        try:
            while True:
                self._written.wait()
                if self._stopping.is_set():
                    return
                self._written.clear()
                self.checkpoint(connection)
                if self._stopping.wait(self._interval):
                    return
        finally:
            connection.close()

    def checkpoint(self, connection: sqlite3.Connection) -> None:
        try:
            # PASSIVE: copies what no reader still needs, never waits; busy when another
            # process's checkpoint runs (the Procfile's web and worker each have one).
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            self.checkpoints += 1
        except sqlite3.Error as exc:  # a full disk, a removed file: the next poke tries again
            log.warning("WAL checkpoint failed: %s", exc)
