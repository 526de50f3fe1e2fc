"""The outbox: mail we decided to send, written in the same transaction as the decision."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select, update
from sqlmodel import Session

from adapters.persistence.tables import OutboundMessage

T = OutboundMessage.__table__  # type: ignore[attr-defined]


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
        ticket_id: int | None = None, attach_original: bool = False) -> int:
    return session.execute(insert(T).returning(T.c.id), {
        "kind": kind, "purpose_key": purpose_key, "mail_from": mail_from, "to_addresses": to,
        "bcc_addresses": bcc or [], "recipient_key": to[0].lower() if to else None,
        "subject": subject, "body": body, "headers": headers or {}, "message_id": message_id,
        "attach_original": attach_original, "inbound_message_id": inbound_message_id,
        "ticket_id": ticket_id, "status": "pending", "attempts": 0, "next_attempt_at": now,
        "created_at": now,
    }).scalar_one()


def claim_due(session: Session, *, limit: int, now: datetime, lease_seconds: float,
              skip_locked: bool) -> list[DueMail]:
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


def mark_sent(session: Session, mail_id: int, now: datetime) -> None:
    session.execute(update(T).where(T.c.id == mail_id).values(
        status="sent", sent_at=now, lease_expires_at=None, last_error=None))


def note(session: Session, mail_id: int, text: str) -> None:
    session.execute(update(T).where(T.c.id == mail_id).values(last_error=text[:2000]))


def mark_retry(session: Session, mail_id: int, error: str, next_attempt_at: datetime) -> None:
    session.execute(update(T).where(T.c.id == mail_id).values(
        status="pending", sent_at=None, last_error=error[:2000], next_attempt_at=next_attempt_at,
        lease_expires_at=None))


def mark_failed(session: Session, mail_id: int, error: str) -> None:
    session.execute(update(T).where(T.c.id == mail_id).values(
        status="failed", last_error=error[:2000], lease_expires_at=None))


def backlog(session: Session) -> int:
    return session.execute(
        select(func.count()).select_from(T).where(T.c.status == "pending")
    ).scalar_one()
