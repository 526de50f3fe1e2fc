"""The inbound queue: durable ingest, claims with a lease, and the final state of each message."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, literal, or_, select, update
from sqlmodel import Session

from adapters.persistence.blobs import insert_raw, read_raws
from adapters.persistence.paging import ordered, page
from adapters.persistence.prepared import Prepared, changed_each
from adapters.persistence.tables import DedupeKey, InboundMessage, RawMessage, ReplayToken
from adapters.persistence.types import UTCDateTime, utcnow
from domain.errors import NotFound
from domain.messages import Claimed, Finished, InboundFilter, PreparedDelivery, Stored
from domain.model import MessageStatus, Outcome

T = InboundMessage.__table__  # type: ignore[attr-defined]
_R, _K = RawMessage.__table__, DedupeKey.__table__  # type: ignore[attr-defined]
# Built once: statement construction costs more than execution on this hot path.
_INSERT = Prepared(insert(T).returning(T.c.id))
_INSERT_KEY = Prepared(insert(_K))
_P = ReplayToken.__table__  # type: ignore[attr-defined]
_KNOWN_TOKENS = select(_P.c.token).where(_P.c.token.in_(bindparam("tokens", expanding=True)))
_PURGE_TOKENS_EVERY = 60.0  # seconds; expired tokens are refused by their timestamp anyway
_last_purge = [0.0]
_KNOWN_KEYS = select(_K.c.key, _K.c.inbound_message_id).where(
    _K.c.key.in_(bindparam("keys", expanding=True)))
_OWNED = (T.c.id == bindparam("claimed_id")) & (T.c.claim_token == bindparam("token"))
_FINISH = Prepared(
    update(T).where(_OWNED, T.c.status == MessageStatus.PROCESSING)
    .values(status=MessageStatus.DONE, outcome=bindparam("outcome"), error=None,
            reason=bindparam("reason"), ticket_id=bindparam("ticket"),
            processed_at=bindparam("now", type_=UTCDateTime()), lease_expires_at=None,
            updated_at=bindparam("now", type_=UTCDateTime())))
_FAIL = Prepared(update(T).where(_OWNED)
                 .values(status=MessageStatus.FAILED, error=bindparam("error"),
                         processed_at=bindparam("now", type_=UTCDateTime()),
                         updated_at=bindparam("now", type_=UTCDateTime()),
                         lease_expires_at=None))
_CLAIMABLE = Prepared(select(literal(1)).where(or_(
    T.c.status == MessageStatus.QUEUED,
    and_(T.c.status == MessageStatus.PROCESSING,
         T.c.lease_expires_at < bindparam("now", type_=UTCDateTime())))).limit(1))

# The claim's statements, built once (as the others here): built per claim, with the ids as
# literals, they cost about half the claim's CPU (cProfile; 2.5 ms of CPU a batch of 32).
_NOW = bindparam("now", type_=UTCDateTime())
_IDS: Any = bindparam("ids", expanding=True)
_EXPIRED_QUERY = (select(T.c.id, T.c.attempts)
                  .where(T.c.status == MessageStatus.PROCESSING, T.c.lease_expires_at < _NOW)
                  .order_by(T.c.id).limit(bindparam("limit")))
_QUEUED_QUERY = (select(T.c.id, T.c.attempts).where(T.c.status == MessageStatus.QUEUED)
                 .order_by(T.c.id).limit(bindparam("limit")))
# [plain, with FOR UPDATE SKIP LOCKED]: PostgreSQL's workers skip rows another is claiming
_EXPIRED = (_EXPIRED_QUERY, _EXPIRED_QUERY.with_for_update(skip_locked=True))
_QUEUED = (_QUEUED_QUERY, _QUEUED_QUERY.with_for_update(skip_locked=True))
_GIVE_UP = update(T).where(T.c.id.in_(_IDS)).values(
    status=MessageStatus.FAILED, lease_expires_at=None, claim_token=None, updated_at=_NOW,
    error=bindparam("error"))
_TAKE = update(T).where(T.c.id.in_(_IDS)).values(
    status=MessageStatus.PROCESSING, claim_token=bindparam("token"), attempts=T.c.attempts + 1,
    lease_expires_at=bindparam("lease", type_=UTCDateTime()), updated_at=_NOW)
_CLAIMED = (select(T.c.id, T.c.generation, T.c.source, T.c.envelope_from, T.c.envelope_to,
                   T.c.received_at).where(T.c.id.in_(_IDS)).order_by(T.c.id))

# Outcomes after which processing again would file or write a second time.
FILING_OUTCOMES = frozenset({
    Outcome.TICKET_CREATED, Outcome.FILED_CUSTOMER_REPLY, Outcome.FILED_EMPLOYEE_REPLY,
    Outcome.AUTOMATED_TICKET, Outcome.XML_PROCESSED, Outcome.DUPLICATE,
})


def _row(item: PreparedDelivery, now: datetime) -> dict[str, object]:
    d, s = item.delivery, item.summary
    return {
        "source": d.source, "received_at": now, "updated_at": now, "message_id": s.message_id,
        "from_address": s.from_address, "to_addresses": s.to, "subject": s.subject,
        "envelope_from": d.envelope_from, "envelope_to": list(d.envelope_to), "size": len(d.raw),
        "sha256": item.sha256, "provider_event_id": d.provider_event_id,
        "spam_score": d.spam_score, "spam_verdict": d.spam_verdict,
        "status": MessageStatus.QUEUED, "attempts": 0, "generation": 0,
    }


class SqlInbox:
    """The inbound queue on SQL, inside one unit of work (never commits)."""

    def __init__(self, session: Session, *, skip_locked: bool = False) -> None:
        self.session = session
        self._skip_locked = skip_locked  # PostgreSQL: concurrent workers skip each other's rows

    def store(self, items: list[PreparedDelivery], now: datetime) -> list[Stored]:
        """Insert a batch of deliveries; those already stored are recorded as duplicates.

        A delivery whose provider token was presented before (a replayed signed request) is
        answered `replayed` and nothing of it is stored: the token is recorded in the same
        transaction as the message it came with, so a failed commit leaves it unused.
        """
        session = self.session
        wanted = [key for item in items for key in item.keys]
        connection = session.connection()
        known: dict[str, int] = dict(connection.execute(_KNOWN_KEYS, {"keys": wanted}).all())
        used = self._used_tokens(items, now)
        shas: dict[int, str] = {}  # of the messages stored in this batch
        results: list[Stored] = []
        for item in items:
            if item.replay is not None:
                token = _token_key(item.replay.provider, item.replay.token)
                if token in used:
                    results.append(Stored(0, "replayed"))
                    continue
                used.add(token)
                connection.execute(insert(_P), {"token": token, "provider": item.replay.provider,
                                                "expires_at": item.replay.expires_at})
            original = next((known[key] for key in item.keys if key in known), None)
            row = _row(item, now)
            # The same Message-ID for the same recipient, but other bytes: maybe the same mail
            # by another route, maybe someone pre-empting a real message's Message-ID. Its bytes
            # are kept (every byte received is), and it waits for a person to reprocess it.
            held = original is not None and self._other_content(item, original, shas)
            if original is not None:
                reason = (f"same Message-ID and recipient as inbound message {original}, other "
                          "content: kept, not processed; reprocess it if it is another message"
                          if held else f"duplicate of inbound message {original}: already received")
                row.update(status=MessageStatus.DONE, outcome=Outcome.DUPLICATE,
                           duplicate_of_id=original, reason=reason, processed_at=now)
            new_id = _INSERT.execute(connection, row).scalar_one()
            if held:
                insert_raw(connection, new_id, item.delivery.raw)
            if original is not None:
                results.append(Stored(new_id, "duplicate", original))
                continue
            shas[new_id] = item.sha256
            insert_raw(connection, new_id, item.delivery.raw)
            _INSERT_KEY.execute(connection, [{"key": key, "inbound_message_id": new_id}
                                             for key in item.keys])
            known.update(dict.fromkeys(item.keys, new_id))
            results.append(Stored(new_id, "queued"))
        return results

    def _other_content(self, item: PreparedDelivery, original: int, shas: dict[int, str]) -> bool:
        """A Message-ID match whose bytes differ (an event id or the bytes themselves: same)."""
        if item.delivery.provider_event_id or not item.summary.message_id:
            return False
        if original not in shas:
            shas[original] = self.session.execute(
                select(T.c.sha256).where(T.c.id == original)).scalar_one()
        return shas[original] != item.sha256

    def _used_tokens(self, items: list[PreparedDelivery], now: datetime) -> set[str]:
        tokens = [_token_key(i.replay.provider, i.replay.token) for i in items if i.replay]
        if not tokens:
            return set()
        if time.monotonic() - _last_purge[0] > _PURGE_TOKENS_EVERY:
            _last_purge[0] = time.monotonic()
            self.session.execute(delete(_P).where(_P.c.expires_at < now))
        return set(self.session.connection().execute(_KNOWN_TOKENS, {"tokens": tokens}).scalars())

    def has_claimable(self, now: datetime) -> bool:
        return _CLAIMABLE.execute(self.session.connection(), {"now": now}).first() is not None

    def claim(self, *, limit: int, token: str, now: datetime, lease_seconds: float,
              max_attempts: int) -> tuple[list[Claimed], list[int]]:
        """Claim queued messages (and ones whose lease ran out) in arrival order.

        Returns the claimed messages and the ids given up on: a message whose processing was
        interrupted max_attempts times (a crash or kill each time) is marked failed, not retried.
        """
        connection = self.session.connection()
        locked = 1 if self._skip_locked else 0
        rows = list(connection.execute(_EXPIRED[locked], {"now": now, "limit": limit}).all())
        if len(rows) < limit:
            rows += connection.execute(_QUEUED[locked], {"limit": limit - len(rows)}).all()
        given_up = [row_id for row_id, attempts in rows if attempts >= max_attempts]
        if given_up:
            connection.execute(_GIVE_UP, {
                "ids": given_up, "now": now,
                "error": f"processing was interrupted {max_attempts} times (crash or timeout); "
                         "reprocess it once the cause is fixed"})
        ids = [row_id for row_id, attempts in rows if attempts < max_attempts]
        if not ids:
            return [], given_up
        connection.execute(_TAKE, {"ids": ids, "token": token, "now": now,
                                   "lease": now + timedelta(seconds=lease_seconds)})
        claimed = connection.execute(_CLAIMED, {"ids": ids}).all()
        return [Claimed(i, token, g, src, ef, tuple(et or ()), at)
                for i, g, src, ef, et, at in claimed], given_up

    def release(self, claims: list[Claimed]) -> None:
        """Put claimed messages back in the queue, as if never claimed (a clean shutdown)."""
        session = self.session
        for claimed in claims:
            session.execute(
                update(T).where(T.c.id == claimed.id, T.c.claim_token == claimed.token,
                                T.c.status == MessageStatus.PROCESSING)
                .values(status=MessageStatus.QUEUED, claim_token=None, lease_expires_at=None,
                        attempts=T.c.attempts - 1, updated_at=utcnow()))

    def raw_bytes(self, inbound_ids: list[int]) -> dict[int, bytes]:
        return read_raws(self.session.connection(), inbound_ids)

    def finish(self, done: Sequence[Finished], *, now: datetime) -> bool:
        """Record the outcomes, each only if its claim still holds (another worker may have
        taken over): True when every one did. One statement for them all."""
        return changed_each(_FINISH, self.session.connection(), [
            {"claimed_id": f.claimed.id, "token": f.claimed.token, "outcome": str(f.outcome),
             "reason": f.reason, "ticket": f.ticket_id, "now": now} for f in done])

    def fail(self, claimed: Claimed, *, error: str, now: datetime) -> None:
        session = self.session
        _FAIL.execute(session.connection(), {"claimed_id": claimed.id, "token": claimed.token,
                                             "error": error[:4000], "now": now})

    def requeue(self, inbound_id: int) -> bool:
        """Queue a finished or failed message again (reprocess); False when that would double-file."""
        session = self.session
        result = session.execute(
            update(T).where(
                T.c.id == inbound_id,
                T.c.status.in_([MessageStatus.DONE, MessageStatus.FAILED]),
                (T.c.outcome.is_(None)) | (T.c.outcome.not_in(list(FILING_OUTCOMES)))
                # a held "duplicate" with bytes of its own (other content) may be processed
                | ((T.c.outcome == Outcome.DUPLICATE)
                   & T.c.id.in_(select(_R.c.inbound_message_id)
                                .where(_R.c.inbound_message_id == inbound_id))),
            ).values(status=MessageStatus.QUEUED, generation=T.c.generation + 1, attempts=0,
                     outcome=None, reason=None, error=None, claim_token=None, lease_expires_at=None,
                     duplicate_of_id=None, updated_at=utcnow())
        )
        return result.rowcount == 1

    def queue_depth(self) -> int:
        session = self.session
        return session.execute(
            select(func.count()).select_from(T).where(T.c.status == MessageStatus.QUEUED)
        ).scalar_one()

    def get(self, inbound_id: int) -> Any:
        message = self.session.get(InboundMessage, inbound_id)
        if message is None:
            raise NotFound(f"inbound message {inbound_id} not found")
        return message

    def page(self, *, status: str | None, outcome: str | None, limit: int, offset: int,
             where: InboundFilter | None = None, sort: str = "-id") -> tuple[list[Any], int]:
        f = replace(where or InboundFilter(), **{k: v for k, v in
                                                  (("status", status), ("outcome", outcome)) if v})
        query = select(InboundMessage).order_by(InboundMessage.id.desc())  # type: ignore[union-attr]
        for column, value in ((T.c.status, f.status), (T.c.outcome, f.outcome),
                              (T.c.source, f.source), (T.c.ticket_id, f.ticket_id)):
            if value is not None:
                query = query.where(column == value)
        for column, part in ((T.c.from_address, f.sender), (T.c.subject, f.subject)):
            if part:
                query = query.where(column.icontains(part, autoescape=True))
        if f.received_from is not None:
            query = query.where(T.c.received_at >= f.received_from)
        if f.received_to is not None:
            query = query.where(T.c.received_at < f.received_to)
        query = ordered(query, InboundMessage, f.updated_since, sort)
        return page(self.session, query, limit=limit, offset=offset)

    def outcome_counts(self, since: datetime) -> dict[str, int]:
        rows = self.session.execute(
            select(T.c.outcome, func.count()).where(T.c.received_at >= since)
            .group_by(T.c.outcome)).all()
        return {outcome or "": int(count) for outcome, count in rows}

    def sources(self) -> dict[str, datetime]:
        rows = self.session.execute(
            select(T.c.source, func.max(T.c.received_at)).group_by(T.c.source)).all()
        return {source: last for source, last in rows}  # noqa: C416 (rows of a Result)


def _token_key(provider: str, token: str) -> str:
    return f"{provider}:{token}"[:400]
