"""The pollers' mailbox positions (domain.ports.MailboxStates), one row per mailbox and folder."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlmodel import Session

from adapters.persistence.tables import MailboxState, OAuth2RefreshToken
from adapters.persistence.types import utcnow
from domain.messages import MailboxHealth, MailboxPosition


class SqlMailboxStates:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, key: str) -> MailboxPosition | None:
        row = self.session.get(MailboxState, key)
        # UIDVALIDITY is never 0 (RFC 9051 §2.3.1.1): 0 is a row with health and no position.
        if row is None or not row.uidvalidity:
            return None
        return MailboxPosition(row.uidvalidity, row.last_uid)

    def save(self, key: str, position: MailboxPosition) -> None:
        row = self._row(key)
        row.uidvalidity, row.last_uid, row.updated_at = (position.uidvalidity,
                                                         position.last_uid, utcnow())
        self.session.flush()

    def report(self, key: str, health: MailboxHealth, added: int) -> None:
        row = self._row(key)
        row.name, row.connected, row.last_error = health.name, health.connected, health.last_error
        row.last_success_at = health.last_success or row.last_success_at
        row.taken = (row.taken or 0) + added
        self.session.flush()

    def health(self) -> list[MailboxHealth]:
        rows = self.session.execute(select(MailboxState).where(
            MailboxState.name.is_not(None)).order_by(MailboxState.key)).scalars()  # type: ignore[union-attr]
        return [MailboxHealth(row.name or "", row.connected, row.last_success_at,
                              row.last_error, row.taken) for row in rows]

    def refresh_token(self, grant_key: str) -> str | None:
        row = self.session.get(OAuth2RefreshToken, grant_key)
        return row.refresh_token if row is not None else None

    def keep_refresh_token(self, grant_key: str, token: str) -> None:
        self.session.merge(OAuth2RefreshToken(grant_key=grant_key, refresh_token=token,
                                              updated_at=utcnow()))
        self.session.flush()

    def _row(self, key: str) -> MailboxState:
        row = self.session.get(MailboxState, key)
        if row is None:
            row = MailboxState(key=key, uidvalidity=0, last_uid=0, connected=False, taken=0)
            self.session.add(row)
        return row

    # POP3 has no ordered UIDs: each stored unique-id is a row of its own, "<key>#<uidl>"
    # (RFC 1939 §7: a unique-id names one message of one maildrop for as long as it exists).

    def seen(self, key: str) -> set[str]:
        prefix = f"{key}#"
        rows = self.session.execute(select(MailboxState.key).where(
            MailboxState.key.startswith(prefix, autoescape=True)))  # type: ignore[attr-defined,call-arg]
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
