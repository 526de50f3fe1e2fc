"""The Storage port on SQL: units of work whose repositories share one session.

`writing()` is a transaction committed when its block ends without an exception (through
Database.writing, the one place that commits); `reading()` commits nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cached_property

from sqlmodel import Session

from adapters.persistence.connector_settings import SqlSettingsStore
from adapters.persistence.credentials import SqlCredentialStore
from adapters.persistence.db import Database
from adapters.persistence.directory import SqlDirectory
from adapters.persistence.inbox import SqlInbox
from adapters.persistence.mailbox_state import SqlMailboxStates
from adapters.persistence.outbox import SqlOutbox
from adapters.persistence.records import SqlRecords
from adapters.persistence.xml_store import XmlStore
from domain.messages import Origin
from domain.ports import CredentialStore, Inbox, MailboxStates, Outbox, Records, SettingsStore


class SqlUnitOfWork:
    def __init__(self, session: Session, *, skip_locked: bool) -> None:
        self.session = session
        # typed as the ports (UnitOfWork's attributes): each repository is checked against its own
        self.inbox: Inbox = SqlInbox(session, skip_locked=skip_locked)
        self.outbox: Outbox = SqlOutbox(session, skip_locked=skip_locked)
        self.records: Records = SqlRecords(session)
        self.settings: SettingsStore = SqlSettingsStore(session)
        self.mailboxes: MailboxStates = SqlMailboxStates(session)
        self.credentials: CredentialStore = SqlCredentialStore(session)

    @cached_property
    def directory(self) -> SqlDirectory:
        return SqlDirectory(self.session)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        with self.session.begin_nested():
            # Emit the SAVEPOINT now: SQLAlchemy would wait for the session's next statement,
            # but the directory's lookups go to the connection directly, and on PostgreSQL a
            # failed statement outside a savepoint aborts the whole transaction.
            self.session.connection()
            yield

    def xml_writer(self, now: datetime, origin: Origin) -> XmlStore:
        return XmlStore(self.session, now, origin)


class SqlStorage:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._skip_locked = not db.is_sqlite

    @contextmanager
    def reading(self) -> Iterator[SqlUnitOfWork]:
        with self.db.reading() as session:
            yield SqlUnitOfWork(session, skip_locked=self._skip_locked)

    @contextmanager
    def writing(self, *, durable: bool = True) -> Iterator[SqlUnitOfWork]:
        with self.db.writing(durable=durable) as session:
            yield SqlUnitOfWork(session, skip_locked=self._skip_locked)

    def ping(self) -> None:
        """Raise StorageUnavailable unless the database answers."""
        with self.db.reading() as session:
            session.connection().exec_driver_sql("SELECT 1")

    def close(self) -> None:
        self.db.dispose()
