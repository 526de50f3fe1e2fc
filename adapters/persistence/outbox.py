"""The outbox: mail we decided to send, written in the same transaction as the decision."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, literal, or_, select, update
from sqlmodel import Session

from adapters.persistence.paging import ordered, page
from adapters.persistence.prepared import Prepared, changed_each
from adapters.persistence.tables import OutboundMessage, UndeliverableAddress
from adapters.persistence.types import UTCDateTime, utcnow
from domain.addresses import sender_cap_key
from domain.messages import DueMail, OutgoingMail, QueuedMail
from domain.model import OutboxStatus

T = OutboundMessage.__table__  # type: ignore[attr-defined]
_ADD = Prepared(insert(T).returning(T.c.id))  # built once: it runs for nearly every message
_OPEN = [OutboxStatus.PENDING, OutboxStatus.SENDING]


def _claimed_update(require_status: str | None, **values: object) -> Any:
    """An update of one claimed mail (id and attempt number), built once: the outbox runs
    these for every mail it sends, and building and caching a statement per call cost more
    than executing it."""
    query = update(T).where(T.c.id == bindparam("claim_id"),
                            T.c.attempts == bindparam("claim_attempts"))
    if require_status:
        query = query.where(T.c.status == require_status)
    return Prepared(query.values(**values))


_NOW = bindparam("now", type_=UTCDateTime())
_DUE = Prepared(select(literal(1)).where(or_(
    and_(T.c.status == OutboxStatus.PENDING, T.c.next_attempt_at <= _NOW,
         or_(T.c.lease_expires_at.is_(None), T.c.lease_expires_at < _NOW)),
    and_(T.c.status == OutboxStatus.SENDING, T.c.lease_expires_at < _NOW))).limit(1))
_HANDED_OVER = _claimed_update(OutboxStatus.PENDING, status=OutboxStatus.SENDING)
# Handing over changes nothing the list shows ("sending" is listed as pending): no updated_at.
_SENT = _claimed_update(OutboxStatus.SENDING, status=OutboxStatus.SENT, lease_expires_at=None,
                        sent_at=bindparam("at"), last_error=bindparam("note"),
                        updated_at=bindparam("at", type_=UTCDateTime()))
_RETRY = _claimed_update(None, status=OutboxStatus.PENDING, sent_at=None, lease_expires_at=None,
                         last_error=bindparam("note"), next_attempt_at=bindparam("at"),
                         updated_at=bindparam("now", type_=UTCDateTime()))
_FAILED = _claimed_update(None, status=OutboxStatus.FAILED, lease_expires_at=None,
                          last_error=bindparam("note"),
                          updated_at=bindparam("now", type_=UTCDateTime()))
UNCONFIRMED = ("delivery unconfirmed: the sender stopped while the SMTP server was accepting "
               "this mail; not sent again, to avoid a duplicate")


def _claim(mail: DueMail) -> dict[str, object]:
    """The parameters naming a claim (id and attempt number), as _claimed_update expects."""
    return {"claim_id": mail.id, "claim_attempts": mail.attempts}


class SqlOutbox:
    """The outbox on SQL, inside one unit of work (never commits).

    Every change after a claim names the claim (id and attempt number): a worker whose lease
    ran out, and whose mail another worker has claimed since, changes nothing.
    """

    def __init__(self, session: Session, *, skip_locked: bool) -> None:
        self.session = session
        self._skip_locked = skip_locked

    def add(self, queued: QueuedMail, now: datetime) -> int:
        mail = queued.mail
        return int(_ADD.execute(self.session.connection(), {
            "kind": str(queued.kind), "purpose_key": queued.purpose_key,
            "mail_from": mail.mail_from, "to_addresses": list(mail.to),
            "bcc_addresses": list(mail.bcc), "recipient_key": sender_cap_key(mail.to[0]) if mail.to else None,
            "subject": mail.subject, "body": mail.body, "html_body": mail.html,
            "headers": dict(mail.headers),
            "from_name": mail.from_name, "message_id": mail.message_id,
            "attach_original": queued.attach_original,
            "inbound_message_id": queued.inbound_message_id, "ticket_id": queued.ticket_id,
            "status": OutboxStatus.PENDING, "attempts": 0, "next_attempt_at": now,
            "created_at": now, "updated_at": now,
            "origin_key": sender_cap_key(queued.origin) if queued.origin else None,
        }).scalar_one())

    def mark_bounced(self, message_id: str, now: datetime, diagnostic: str) -> None:
        self.session.execute(update(T).where(T.c.message_id == message_id).values(
            bounced_at=now, updated_at=now,
            last_error=f"bounced: {diagnostic}"[:2000] if diagnostic else "bounced"))

    def mark_undeliverable(self, addresses: tuple[str, ...], *, until: datetime, reason: str,
                           message_id: str | None) -> None:
        for address in addresses:
            self.session.merge(UndeliverableAddress(address=address, until=until,
                                                    reason=reason[:500],
                                                    outbound_message_id=message_id))
        self.session.flush()

    def has_due(self, now: datetime) -> bool:
        return _DUE.execute(self.session.connection(), {"now": now}).first() is not None

    def claim_due(self, *, limit: int, now: datetime, lease_seconds: float) -> list[DueMail]:
        session = self.session
        # A mail handed over to the server whose sender died before recording the server's
        # answer was most probably delivered: it is marked sent, visibly unconfirmed, and
        # never resent.
        session.execute(update(T).where(T.c.status == OutboxStatus.SENDING,
                                        T.c.lease_expires_at < now)
                        .values(status=OutboxStatus.SENT, sent_at=now, lease_expires_at=None,
                                last_error=UNCONFIRMED, updated_at=now))
        query = (select(T.c.id).where(T.c.status == OutboxStatus.PENDING,
                                      T.c.next_attempt_at <= now)
                 .where((T.c.lease_expires_at.is_(None)) | (T.c.lease_expires_at < now))
                 .order_by(T.c.next_attempt_at, T.c.id).limit(limit))
        if self._skip_locked:
            query = query.with_for_update(skip_locked=True)
        ids = list(session.execute(query).scalars())
        if not ids:
            return []
        session.execute(update(T).where(T.c.id.in_(ids)).values(
            attempts=T.c.attempts + 1, lease_expires_at=now + timedelta(seconds=lease_seconds),
            updated_at=now))
        rows = session.execute(select(
            T.c.id, T.c.kind, T.c.mail_from, T.c.to_addresses, T.c.bcc_addresses, T.c.subject,
            T.c.body, T.c.html_body, T.c.headers, T.c.message_id, T.c.from_name, T.c.attach_original,
            T.c.inbound_message_id, T.c.attempts).where(T.c.id.in_(ids)).order_by(T.c.id)).all()
        return [DueMail(id=r.id, kind=r.kind, mail=OutgoingMail(
                    mail_from=r.mail_from, to=list(r.to_addresses or []), subject=r.subject,
                    body=r.body, html=r.html_body, message_id=r.message_id,
                    headers=dict(r.headers or {}),
                    from_name=r.from_name or "Email Connector",
                    bcc=list(r.bcc_addresses or [])),
                    attach_original=bool(r.attach_original),
                    inbound_message_id=r.inbound_message_id, attempts=r.attempts)
                for r in rows]

    def mark_handed_over(self, mails: Sequence[DueMail]) -> bool:
        """The whole message is with the server, all but its final dot (adapters/mail/smtp.py);
        one statement for a group."""
        return changed_each(_HANDED_OVER, self.session.connection(), [_claim(m) for m in mails])

    def mark_sent(self, sent: Sequence[tuple[DueMail, str | None]], now: datetime) -> None:
        rows = [{**_claim(mail), "at": now, "note": note} for mail, note in sent]
        if rows:
            _SENT.execute(self.session.connection(), rows)

    def mark_retry(self, mail: DueMail, error: str, next_attempt_at: datetime) -> bool:
        return self._claimed(_RETRY, mail, note=error[:2000], at=next_attempt_at, now=utcnow())

    def mark_failed(self, mail: DueMail, error: str) -> bool:
        return self._claimed(_FAILED, mail, note=error[:2000], now=utcnow())

    def _claimed(self, statement: Any, mail: DueMail, **values: object) -> bool:
        result = statement.execute(self.session.connection(), {**_claim(mail), **values})
        return bool(result.rowcount == 1)

    def backlog(self) -> int:
        return int(self.session.execute(
            select(func.count()).select_from(T).where(T.c.status.in_(_OPEN))).scalar_one())

    def oldest_pending(self) -> datetime | None:
        return self.session.execute(  # type: ignore[no-any-return]
            select(func.min(T.c.next_attempt_at)).where(T.c.status == OutboxStatus.PENDING)
        ).scalar_one()

    def retry(self, mail_id: int, now: datetime) -> bool:
        return bool(self.session.execute(
            update(T).where(T.c.id == mail_id, T.c.status == OutboxStatus.FAILED)
            .values(status=OutboxStatus.PENDING, attempts=0, next_attempt_at=now,
                    lease_expires_at=None, updated_at=now)).rowcount == 1)

    def page(self, *, status: str | None, kind: str | None, inbound_message_id: int | None,
             limit: int, offset: int, updated_since: datetime | None = None,
             sort: str = "-id") -> tuple[list[Any], int]:
        query = select(OutboundMessage).order_by(OutboundMessage.id.desc())  # type: ignore[union-attr]
        if status is not None:  # "sending" (handed over, answer pending) shows as pending
            statuses = _OPEN if status == OutboxStatus.PENDING else [status]
            query = query.where(OutboundMessage.status.in_(statuses))  # type: ignore[attr-defined]
        if kind is not None:
            query = query.where(OutboundMessage.kind == kind)
        if inbound_message_id is not None:
            query = query.where(OutboundMessage.inbound_message_id == inbound_message_id)
        query = ordered(query, OutboundMessage, updated_since, sort)
        return page(self.session, query, limit=limit, offset=offset)
