"""A durable SQLite commit's fsync, made after the write turn is given up, and shared.

With synchronous=FULL, SQLite syncs the log inside COMMIT, and the connector holds its one
write turn (write_turns.py) until COMMIT returns: every other writer waited out each fsync.
Measured at saturation (`make run`, 3,000 mix messages, 2026-12-03): the turn was held all
the time, and the ingest's and the outbox's fsyncs were half of it (3.6 ms an ingest commit
under load, 2.0 ms an outbox hand-over).

Here a durable write commits with synchronous=NORMAL, which appends the transaction to the log
without syncing it, gives the turn up, and then syncs the log file itself before the caller
goes on (before a provider is answered, before the final dot of an SMTP transaction). The
log is written in order, so the fsync makes this transaction and every one before it durable;
a power loss can only lose transactions whose writers were still waiting here, unanswered.
And it is shared: an fsync that began after a commit covers it, so writers that commit while
one fsync runs wait for the next one, a single fsync for all of them.

SQLite removes the log only when its last connection closes, after copying it into the
database file and syncing that file: a log that is gone was made durable there.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path


class WalSync:
    def __init__(self, database: Path) -> None:
        self._log = Path(f"{database}-wal")
        self._counter = threading.Lock()
        self._syncing = threading.Lock()
        self._committed = 0  # commits that asked for a sync, numbered
        self._synced = 0  # every commit numbered up to this one is on disk
        self.fsyncs = 0

    def sync(self) -> None:
        """Return once everything this thread has committed is on disk."""
        with self._counter:
            self._committed += 1
            mine = self._committed
        with self._syncing:
            if self._synced >= mine:  # an fsync that began after our commit has ended
                return
            with self._counter:
                covered = self._committed  # all committed before this fsync begins
            self._fsync()
            self._synced = covered

    def _fsync(self) -> None:
        try:
            descriptor = os.open(self._log, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:  # copied into the synced database file and removed
            return
        try:
            os.fsync(descriptor)
            self.fsyncs += 1
        finally:
            os.close(descriptor)
