"""The pollers' mailbox positions (domain.ports.MailboxStates), one row per mailbox and folder."""

from __future__ import annotations

from sqlmodel import Session

from adapters.persistence.tables import MailboxState
from adapters.persistence.types import utcnow
from domain.messages import MailboxPosition


class SqlMailboxStates:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, key: str) -> MailboxPosition | None:
        row = self.session.get(MailboxState, key)
        return None if row is None else MailboxPosition(row.uidvalidity, row.last_uid)

    def save(self, key: str, position: MailboxPosition) -> None:
        self.session.merge(MailboxState(key=key, uidvalidity=position.uidvalidity,
                                        last_uid=position.last_uid, updated_at=utcnow()))
        self.session.flush()
