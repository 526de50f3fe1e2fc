"""The outbox: mail we decided to send, written in the same transaction as the decision."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select, update
from sqlmodel import Session

from adapters.persistence.tables import OutboundMessage, UndeliverableAddress

T = OutboundMessage.__table__  # type: ignore[attr-defined]
_ADD = insert(T).returning(T.c.id)  # built once: this runs for nearly every message


@dataclass(frozen=True, slots=True)
class DueMail:
    id: int
    kind: str
    mail_from: str
    to: list[str]
    bcc: list[str]
    subject: str
    body: str
    headers: dict[str, str]
    message_id: str
    attach_original: bool
    inbound_message_id: int | None
    attempts: int


def add(session: Session, *, kind: str, purpose_key: str | None, mail_from: str, to: list[str],
        subject: str, body: str, message_id: str, now: datetime, headers: dict[str, str] | None = None,
        bcc: list[str] | None = None, inbound_message_id: int | None = None,
        ticket_id: int | None = None, attach_original: bool = False,
        origin: str | None = None) -> int:
    return session.connection().execute(_ADD, {
        "kind": kind, "purpose_key": purpose_key, "mail_from": mail_from, "to_addresses": to,
        "bcc_addresses": bcc or [], "recipient_key": to[0].lower() if to else None,
        "subject": subject, "body": body, "headers": headers or {}, "message_id": message_id,
        "attach_original": attach_original, "inbound_message_id": inbound_message_id,
        "ticket_id": ticket_id, "status": "pending", "attempts": 0, "next_attempt_at": now,
        "created_at": now, "origin_key": origin,
    }).scalar_one()


def mark_bounced(session: Session, message_id: str, now: datetime, diagnostic: str) -> None:
    session.execute(update(T).where(T.c.message_id == message_id).values(
        bounced_at=now, last_error=f"bounced: {diagnostic}"[:2000] if diagnostic else "bounced"))


def mark_undeliverable(session: Session, addresses: tuple[str, ...], *, until: datetime,
                       reason: str, message_id: str | None) -> None:
    for address in addresses:
        session.merge(UndeliverableAddress(address=address, until=until, reason=reason[:500],
                                           outbound_message_id=message_id))
    session.flush()


UNCONFIRMED = ("delivery unconfirmed: the sender stopped while the SMTP server was accepting "
               "this mail; not sent again, to avoid a duplicate")


def claim_due(session: Session, *, limit: int, now: datetime, lease_seconds: float,
              skip_locked: bool) -> list[DueMail]:
    # A mail handed over to the server whose sender died before recording the server's answer
    # was most probably delivered: it is marked sent, visibly unconfirmed, and never resent.
    session.execute(update(T).where(T.c.status == "sending", T.c.lease_expires_at < now)
                    .values(status="sent", sent_at=now, lease_expires_at=None, last_error=UNCONFIRMED))
    query = (select(T.c.id).where(T.c.status == "pending", T.c.next_attempt_at <= now)
             .where((T.c.lease_expires_at.is_(None)) | (T.c.lease_expires_at < now))
             .order_by(T.c.next_attempt_at, T.c.id).limit(limit))
    if skip_locked:
        query = query.with_for_update(skip_locked=True)
    ids = list(session.execute(query).scalars())
    if not ids:
        return []
    session.execute(update(T).where(T.c.id.in_(ids)).values(
        attempts=T.c.attempts + 1, lease_expires_at=now + timedelta(seconds=lease_seconds)))
    rows = session.execute(select(
        T.c.id, T.c.kind, T.c.mail_from, T.c.to_addresses, T.c.bcc_addresses, T.c.subject,
        T.c.body, T.c.headers, T.c.message_id, T.c.attach_original, T.c.inbound_message_id,
        T.c.attempts).where(T.c.id.in_(ids)).order_by(T.c.id)).all()
    return [DueMail(r[0], r[1], r[2], list(r[3] or []), list(r[4] or []), r[5], r[6],
                    dict(r[7] or {}), r[8], bool(r[9]), r[10], r[11]) for r in rows]


# Every change after a claim names the claim (id and attempt number): a worker whose lease ran
# out, and whose mail another worker has claimed since, changes nothing.

def mark_handed_over(session: Session, mail: DueMail) -> bool:
    """The whole message is with the server, all but its final dot (see adapters/mail/smtp.py)."""
    return _claimed(session, mail, status="sending")


def mark_sent(session: Session, mail: DueMail, now: datetime, note: str | None = None) -> bool:
    return _claimed(session, mail, status="sent", sent_at=now, lease_expires_at=None,
                    last_error=note, require_status="sending")


def mark_retry(session: Session, mail: DueMail, error: str, next_attempt_at: datetime) -> bool:
    return _claimed(session, mail, status="pending", sent_at=None, last_error=error[:2000],
                    next_attempt_at=next_attempt_at, lease_expires_at=None, require_status=None)


def mark_failed(session: Session, mail: DueMail, error: str) -> bool:
    return _claimed(session, mail, status="failed", last_error=error[:2000], lease_expires_at=None,
                    require_status=None)


def _claimed(session: Session, mail: DueMail, *, require_status: str | None = "pending",
             **values: object) -> bool:
    query = update(T).where(T.c.id == mail.id, T.c.attempts == mail.attempts)
    if require_status:
        query = query.where(T.c.status == require_status)
    return session.execute(query.values(**values)).rowcount == 1


def record_result(session: Session, mail_id: int, *, sent: bool, now: datetime, error: str | None) -> None:
    """For mail sent synchronously, outside the queue (the test email)."""
    session.execute(update(T).where(T.c.id == mail_id).values(
        status="sent" if sent else "failed", sent_at=now if sent else None, last_error=error))


def backlog(session: Session) -> int:
    return session.execute(
        select(func.count()).select_from(T).where(T.c.status.in_(["pending", "sending"]))
    ).scalar_one()
