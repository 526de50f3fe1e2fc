"""The pollers' mailbox positions (domain.ports.MailboxStates), one row per mailbox and folder."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
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

    # POP3 has no ordered UIDs: each stored unique-id is a row of its own, "<key>#<uidl>"
    # (RFC 1939 §7: a unique-id names one message of one maildrop for as long as it exists).

    def seen(self, key: str) -> set[str]:
        prefix = f"{key}#"
        rows = self.session.execute(select(MailboxState.key).where(
            MailboxState.key.startswith(prefix, autoescape=True)))  # type: ignore[attr-defined]
        return {row[0][len(prefix):] for row in rows}

    def remember(self, key: str, uids: Sequence[str]) -> None:
        for uid in uids:
            self.session.merge(MailboxState(key=f"{key}#{uid}", uidvalidity=0, last_uid=0,
                                            updated_at=utcnow()))
        self.session.flush()

    def forget(self, key: str, uids: Sequence[str]) -> None:
        keys = [f"{key}#{uid}" for uid in uids]
        for start in range(0, len(keys), 500):
            self.session.execute(delete(MailboxState).where(
                MailboxState.key.in_(keys[start:start + 500])))  # type: ignore[attr-defined]
        self.session.flush()
