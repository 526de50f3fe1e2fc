"""The processing log (inbound messages) and the outbox (outbound messages)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BeforeValidator

from api.application import processing_log
from api.http.deps import ServicesDep
from api.http.documentation import EXAMPLE_MESSAGE
from api.http.routes.common import AUTH, Limit, Offset, Sort, UpdatedSince, errors
from api.http.schemas import MAX_ID, InboundMessagePublic, OutboundMessagePublic, Page
from domain.errors import InvalidInput
from domain.messages import InboundFilter
from domain.model import MessageStatus, Outcome, format_ticket_number

router = APIRouter(prefix="/api/v1", tags=["processing log"], dependencies=AUTH, responses=errors())
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


def inbound_public(m: Any) -> InboundMessagePublic:
    assert m.id is not None
    return InboundMessagePublic(
        id=m.id, source=m.source, received_at=m.received_at, message_id=m.message_id,
        from_address=m.from_address, to=list(m.to_addresses or []), subject=m.subject,
        status=m.status, outcome=m.outcome, reason=m.reason,
        ticket_number=format_ticket_number(m.ticket_id) if m.ticket_id else None,
        attempts=m.attempts, error=m.error, envelope_from=m.envelope_from,
        envelope_to=list(m.envelope_to or []), size=m.size, spam_score=m.spam_score,
        spam_verdict=m.spam_verdict, duplicate_of=m.duplicate_of_id, processed_at=m.processed_at,
        updated_at=m.updated_at,
    )


INBOUND_FILTERS = {"limit", "offset", "status", "outcome", "source", "sender", "subject",
                   "ticket", "received_from", "received_to", "updated_since", "sort"}


def _known_filters(request: Request) -> None:
    """An unknown query parameter is refused (422), not silently ignored: a misspelt filter
    would otherwise list every message."""
    unknown = sorted(set(request.query_params) - INBOUND_FILTERS)
    if unknown:
        raise InvalidInput(f"unknown query parameter(s): {', '.join(unknown)}; known: "
                           f"{', '.join(sorted(INBOUND_FILTERS))}")


def _iso_date(value: Any) -> Any:
    """Only an ISO 8601 date or date-time: pydantic would also read a number as a Unix time."""
    if isinstance(value, str) and not re.match(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("an ISO 8601 date or date-time is expected, e.g. 2026-01-31T08:00:00Z")
    return value


IsoMoment = Annotated[datetime | None, BeforeValidator(_iso_date)]


def _utc(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment and moment.tzinfo is None else moment


@router.get("/inbound-messages", response_model=Page[InboundMessagePublic], responses=errors(422),
            dependencies=[Depends(_known_filters)])
def list_inbound(app: ServicesDep, limit: Limit = 100, offset: Offset = 0,
                 status: MessageStatus | None = None,
                 outcome: Outcome | None = None,
                 source: Annotated[str | None, Query(
                     max_length=200, description="exactly: a provider, raw, imap:<user>, ...")] = None,
                 sender: Annotated[str | None, Query(
                     max_length=320, description="part of the From address")] = None,
                 subject: Annotated[str | None, Query(
                     max_length=500, description="part of the subject")] = None,
                 ticket: Annotated[str | None, Query(
                     pattern=r"^#?\d{1,10}$", description="the ticket number it was filed under")] = None,
                 received_from: Annotated[IsoMoment, Query(
                     description="received at or after (UTC unless the time says)")] = None,
                 received_to: Annotated[IsoMoment, Query(
                     description="received before (UTC unless the time says)")] = None,
                 updated_since: UpdatedSince = None, sort: Sort = "-id",
                 ) -> dict[str, object]:
    """The processing log, newest first: every message received, its outcome and why.

    Filters combine (all must match); an unknown query parameter is a 422. A message changes
    when it is received, claimed by a worker, finished (done or failed) and reprocessed:
    `updated_since` with `sort=updated_at` follows those changes page by page."""
    ticket_id = int(ticket.lstrip("#")) if ticket else None
    where = InboundFilter(source=source, sender=sender, subject=subject,
                          ticket_id=ticket_id if ticket_id is None or ticket_id <= MAX_ID else -1,
                          received_from=_utc(received_from), received_to=_utc(received_to),
                          updated_since=updated_since)
    items, total = processing_log.list_inbound(app, status=status, outcome=outcome, limit=limit,
                                               offset=offset, where=where, sort=sort)
    return {"items": [inbound_public(m) for m in items], "total": total}


@router.get("/inbound-messages/{message_id}", response_model=InboundMessagePublic,
            responses=errors(404))
def get_inbound(message_id: Id, app: ServicesDep) -> InboundMessagePublic:
    """One entry of the processing log."""
    return inbound_public(processing_log.get_inbound(app, inbound_id=message_id))


@router.get("/inbound-messages/{message_id}/raw", response_class=Response, responses={
    **errors(404), 200: {"content": {"message/rfc822": {"example": EXAMPLE_MESSAGE}},
                         "description": "The stored bytes"}})
def get_inbound_raw(message_id: Id, app: ServicesDep) -> Response:
    """The message exactly as it was received."""
    raw = processing_log.raw_message(app, inbound_id=message_id)
    return Response(content=raw, media_type="message/rfc822",
                    headers={"Content-Disposition": f'attachment; filename="{message_id}.eml"'})


@router.post("/inbound-messages/{message_id}/reprocess", response_model=InboundMessagePublic,
             responses=errors(404, 409))
def reprocess_inbound(message_id: Id, app: ServicesDep) -> InboundMessagePublic:
    """Process the message again: for `failed` ones, or after fixing data (a new account).

    Refused (409) for messages already filed or still queued: that would file them twice.
    """
    return inbound_public(processing_log.reprocess(app, inbound_id=message_id))


@router.get("/outbound-messages", response_model=Page[OutboundMessagePublic], responses=errors(422))
def list_outbound(app: ServicesDep, limit: Limit = 100, offset: Offset = 0,
                  status: Literal["pending", "sent", "failed"] | None = None,
                  kind: Literal["forward", "acknowledgement", "xml_response", "test"] | None = None,
                  inbound_message_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
                  updated_since: UpdatedSince = None, sort: Sort = "-id",
                  ) -> dict[str, object]:
    """Mail the connector sent or will send, newest first (or in the `sort` order).

    A mail changes when it is queued, each time a sender takes it (attempts), and when it is
    sent, retried, failed or bounced."""
    items, total = processing_log.list_outbound(app, status=status, kind=kind,
                                                inbound_message_id=inbound_message_id,
                                                limit=limit, offset=offset,
                                                updated_since=updated_since, sort=sort)
    return {"items": [outbound_public(o) for o in items], "total": total}


@router.post("/outbound-messages/{mail_id}/retry", response_model=OutboundMessagePublic,
             responses=errors(404, 409))
def retry_outbound(mail_id: Id, app: ServicesDep) -> OutboundMessagePublic:
    """Send a `failed` mail again, now, with its attempts counted afresh (409 for any other)."""
    return outbound_public(processing_log.retry_outbound(app, mail_id=mail_id))


def outbound_public(o: Any) -> OutboundMessagePublic:
    return OutboundMessagePublic(
        id=o.id, kind=o.kind, to=list(o.to_addresses or []), subject=o.subject,
        status="pending" if o.status == "sending" else o.status, attempts=o.attempts,
        last_error=o.last_error, inbound_message_id=o.inbound_message_id,
        ticket_number=format_ticket_number(o.ticket_id) if o.ticket_id else None,
        message_id=o.message_id, created_at=o.created_at, sent_at=o.sent_at,
        bounced_at=o.bounced_at, updated_at=o.updated_at)
