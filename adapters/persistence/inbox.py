"""The inbound queue: durable ingest, claims with a lease, and the final state of each message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, insert, select, update
from sqlmodel import Session

from adapters.inbound.base import InboundDelivery
from adapters.mail.headers import HeaderSummary
from adapters.persistence.tables import DedupeKey, InboundMessage, RawMessage
from adapters.persistence.types import UTCDateTime
from domain.model import MessageStatus, Outcome

T = InboundMessage.__table__  # type: ignore[attr-defined]
_R, _K = RawMessage.__table__, DedupeKey.__table__  # type: ignore[attr-defined]
# Built once: statement construction costs more than execution on this hot path.
_INSERT = insert(T).returning(T.c.id)
_INSERT_RAW = insert(_R)
_INSERT_KEY = insert(_K)
_KNOWN_KEYS = select(_K.c.key, _K.c.inbound_message_id).where(
    _K.c.key.in_(bindparam("keys", expanding=True)))
_OWNED = (T.c.id == bindparam("claimed_id")) & (T.c.claim_token == bindparam("token"))
_FINISH = (update(T).where(_OWNED, T.c.status == MessageStatus.PROCESSING)
           .values(status=MessageStatus.DONE, outcome=bindparam("outcome"), error=None,
                   reason=bindparam("reason"), ticket_id=bindparam("ticket"),
                   processed_at=bindparam("now", type_=UTCDateTime()), lease_expires_at=None))
_FAIL = (update(T).where(_OWNED)
         .values(status=MessageStatus.FAILED, error=bindparam("error"),
                 processed_at=bindparam("now", type_=UTCDateTime()), lease_expires_at=None))

# Outcomes after which processing again would file or write a second time.
FILING_OUTCOMES = frozenset({
    Outcome.TICKET_CREATED, Outcome.FILED_CUSTOMER_REPLY, Outcome.FILED_EMPLOYEE_REPLY,
    Outcome.AUTOMATED_TICKET, Outcome.XML_PROCESSED, Outcome.DUPLICATE,
})


@dataclass(frozen=True, slots=True)
class PreparedDelivery:
    delivery: InboundDelivery
    summary: HeaderSummary
    sha256: str
    keys: list[str]


@dataclass(frozen=True, slots=True)
class Stored:
    id: int
    status: str  # "queued" | "duplicate"
    duplicate_of: int | None = None


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    token: str
    generation: int
    source: str
    envelope_from: str | None
    envelope_to: tuple[str, ...]
    received_at: datetime


def store(session: Session, items: list[PreparedDelivery], now: datetime) -> list[Stored]:
    """Insert a batch of deliveries; those already stored are recorded as duplicates."""
    wanted = [key for item in items for key in item.keys]
    connection = session.connection()
    known: dict[str, int] = dict(connection.execute(_KNOWN_KEYS, {"keys": wanted}).all())
    results: list[Stored] = []
    for item in items:
        original = next((known[key] for key in item.keys if key in known), None)
        row = _row(item, now)
        if original is not None:
            row.update(status=MessageStatus.DONE, outcome=Outcome.DUPLICATE, duplicate_of_id=original,
                       reason=f"duplicate of inbound message {original}: already received",
                       processed_at=now)
        new_id = connection.execute(_INSERT, row).scalar_one()
        if original is not None:
            results.append(Stored(new_id, "duplicate", original))
            continue
        connection.execute(_INSERT_RAW, {"inbound_message_id": new_id, "data": item.delivery.raw})
        connection.execute(_INSERT_KEY, [{"key": key, "inbound_message_id": new_id}
                                         for key in item.keys])
        known.update({key: new_id for key in item.keys})
        results.append(Stored(new_id, "queued"))
    return results


def _row(item: PreparedDelivery, now: datetime) -> dict[str, object]:
    d, s = item.delivery, item.summary
    return {
        "source": d.source, "received_at": now, "message_id": s.message_id,
        "from_address": s.from_address, "to_addresses": s.to, "subject": s.subject,
        "envelope_from": d.envelope_from, "envelope_to": list(d.envelope_to), "size": len(d.raw),
        "sha256": item.sha256, "provider_event_id": d.provider_event_id,
        "spam_score": d.spam_score, "spam_verdict": d.spam_verdict,
        "status": MessageStatus.QUEUED, "attempts": 0, "generation": 0,
    }


def claim(session: Session, *, limit: int, token: str, now: datetime, lease_seconds: float,
          max_attempts: int, skip_locked: bool) -> tuple[list[Claimed], list[int]]:
    """Claim queued messages (and ones whose lease ran out) in arrival order.

    Returns the claimed messages and the ids given up on: a message whose processing was
    interrupted max_attempts times (a crash or kill each time) is marked failed, not retried.
    """
    expired = (select(T.c.id, T.c.attempts)
               .where(T.c.status == MessageStatus.PROCESSING, T.c.lease_expires_at < now)
               .order_by(T.c.id).limit(limit))
    queued = (select(T.c.id, T.c.attempts)
              .where(T.c.status == MessageStatus.QUEUED).order_by(T.c.id).limit(limit))
    if skip_locked:  # PostgreSQL: concurrent workers skip each other's rows
        expired = expired.with_for_update(skip_locked=True)
        queued = queued.with_for_update(skip_locked=True)
    rows = list(session.execute(expired).all())
    if len(rows) < limit:
        rows += session.execute(queued.limit(limit - len(rows))).all()
    given_up = [row_id for row_id, attempts in rows if attempts >= max_attempts]
    if given_up:
        session.execute(
            update(T).where(T.c.id.in_(given_up)).values(
                status=MessageStatus.FAILED, lease_expires_at=None, claim_token=None,
                error=f"processing was interrupted {max_attempts} times (crash or timeout); "
                      "reprocess it once the cause is fixed",
            )
        )
    ids = [row_id for row_id, attempts in rows if attempts < max_attempts]
    if not ids:
        return [], given_up
    session.execute(
        update(T).where(T.c.id.in_(ids)).values(
            status=MessageStatus.PROCESSING, claim_token=token, attempts=T.c.attempts + 1,
            lease_expires_at=now + timedelta(seconds=lease_seconds),
        )
    )
    claimed = session.execute(
        select(T.c.id, T.c.generation, T.c.source, T.c.envelope_from, T.c.envelope_to,
               T.c.received_at).where(T.c.id.in_(ids)).order_by(T.c.id)
    ).all()
    return [Claimed(i, token, g, src, ef, tuple(et or ()), at)
            for i, g, src, ef, et, at in claimed], given_up


def release(session: Session, claims: list[Claimed]) -> None:
    """Put claimed messages back in the queue, as if never claimed (a clean shutdown)."""
    for claimed in claims:
        session.execute(
            update(T).where(T.c.id == claimed.id, T.c.claim_token == claimed.token,
                            T.c.status == MessageStatus.PROCESSING)
            .values(status=MessageStatus.QUEUED, claim_token=None, lease_expires_at=None,
                    attempts=T.c.attempts - 1))


def raw_bytes(session: Session, inbound_ids: list[int]) -> dict[int, bytes]:
    rows = session.execute(
        select(RawMessage.inbound_message_id, RawMessage.data)
        .where(RawMessage.inbound_message_id.in_(inbound_ids))
    ).all()
    return {row_id: bytes(data) for row_id, data in rows}


def finish(session: Session, claimed: Claimed, *, outcome: str, reason: str,
           ticket_id: int | None, now: datetime) -> bool:
    """Record the outcome, only if this claim still holds (another worker may have taken over)."""
    result = session.connection().execute(_FINISH, {
        "claimed_id": claimed.id, "token": claimed.token, "outcome": str(outcome),
        "reason": reason, "ticket": ticket_id, "now": now})
    return result.rowcount == 1


def fail(session: Session, claimed: Claimed, *, error: str, now: datetime) -> None:
    session.connection().execute(_FAIL, {"claimed_id": claimed.id, "token": claimed.token,
                                         "error": error[:4000], "now": now})


def requeue(session: Session, inbound_id: int) -> bool:
    """Queue a finished or failed message again (reprocess); False when that would double-file."""
    result = session.execute(
        update(T).where(
            T.c.id == inbound_id,
            T.c.status.in_([MessageStatus.DONE, MessageStatus.FAILED]),
            (T.c.outcome.is_(None)) | (T.c.outcome.not_in(list(FILING_OUTCOMES))),
        ).values(status=MessageStatus.QUEUED, generation=T.c.generation + 1, attempts=0,
                 outcome=None, reason=None, error=None, claim_token=None, lease_expires_at=None)
    )
    return result.rowcount == 1


def queue_depth(session: Session) -> int:
    return session.execute(
        select(func.count()).select_from(T).where(T.c.status == MessageStatus.QUEUED)
    ).scalar_one()
