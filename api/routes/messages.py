"""The processing log (inbound messages) and the outbox (outbound messages)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy import select

from adapters.persistence import inbox, records
from adapters.persistence.tables import InboundMessage, OutboundMessage
from api.deps import ContainerDep
from api.routes.common import AUTH, Limit, Offset, errors
from api.schemas import MAX_ID, InboundMessagePublic, OutboundMessagePublic, Page
from domain.errors import Conflict, NotFound
from domain.model import MessageStatus, Outcome, format_ticket_number

router = APIRouter(prefix="/api/v1", tags=["processing log"], dependencies=AUTH, responses=errors())
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


def inbound_public(m: InboundMessage) -> InboundMessagePublic:
    assert m.id is not None
    return InboundMessagePublic(
        id=m.id, source=m.source, received_at=m.received_at, message_id=m.message_id,
        from_address=m.from_address, to=list(m.to_addresses or []), subject=m.subject,
        status=m.status, outcome=m.outcome, reason=m.reason,
        ticket_number=format_ticket_number(m.ticket_id) if m.ticket_id else None,
        attempts=m.attempts, error=m.error, envelope_from=m.envelope_from,
        envelope_to=list(m.envelope_to or []), size=m.size, spam_score=m.spam_score,
        spam_verdict=m.spam_verdict, duplicate_of=m.duplicate_of_id, processed_at=m.processed_at,
    )


@router.get("/inbound-messages", response_model=Page[InboundMessagePublic], responses=errors(422))
def list_inbound(container: ContainerDep, limit: Limit = 100, offset: Offset = 0,
                 status: MessageStatus | None = None,
                 outcome: Outcome | None = None) -> dict[str, object]:
    """The processing log, newest first: every message received, its outcome and why."""
    query = select(InboundMessage).order_by(InboundMessage.id.desc())
    if status is not None:
        query = query.where(InboundMessage.status == status)
    if outcome is not None:
        query = query.where(InboundMessage.outcome == outcome)
    with container.db.reading() as session:
        items, total = records.page(session, query, limit=limit, offset=offset)
    return {"items": [inbound_public(m) for m in items], "total": total}


@router.get("/inbound-messages/{message_id}", response_model=InboundMessagePublic,
            responses=errors(404))
def get_inbound(message_id: Id, container: ContainerDep) -> InboundMessagePublic:
    """One entry of the processing log."""
    with container.db.reading() as session:
        return inbound_public(records.get(session, InboundMessage, message_id))


@router.get("/inbound-messages/{message_id}/raw", responses={
    **errors(404), 200: {"content": {"message/rfc822": {}}, "description": "The stored bytes"}})
def get_inbound_raw(message_id: Id, container: ContainerDep) -> Response:
    """The message exactly as it was received."""
    with container.db.reading() as session:
        message = records.get(session, InboundMessage, message_id)
        source_id = message.duplicate_of_id or message_id
        raw = inbox.raw_bytes(session, [source_id]).get(source_id)
    if raw is None:
        raise NotFound(f"inbound message {message_id} has no stored raw message")
    return Response(content=raw, media_type="message/rfc822",
                    headers={"Content-Disposition": f'attachment; filename="{message_id}.eml"'})


@router.post("/inbound-messages/{message_id}/reprocess", response_model=InboundMessagePublic,
             responses=errors(404, 409))
def reprocess_inbound(message_id: Id, container: ContainerDep) -> InboundMessagePublic:
    """Process the message again: for `failed` ones, or after fixing data (a new account).

    Refused (409) for messages already filed or still queued: that would file them twice.
    """
    with container.db.writing() as session:
        message = records.get(session, InboundMessage, message_id)
        if not inbox.requeue(session, message_id):
            raise Conflict(
                f"inbound message {message_id} is {message.status}"
                + (f" with outcome {message.outcome}" if message.outcome else "")
                + "; only failed messages and ones that filed nothing can be processed again"
            )
        session.refresh(message)
        result = inbound_public(message)
    container.wake_processing()
    return result


@router.get("/outbound-messages", response_model=Page[OutboundMessagePublic], responses=errors(422))
def list_outbound(container: ContainerDep, limit: Limit = 100, offset: Offset = 0,
                  status: Literal["pending", "sent", "failed"] | None = None,
                  kind: Literal["forward", "acknowledgement", "xml_response", "test"] | None = None,
                  inbound_message_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
                  ) -> dict[str, object]:
    """Mail the connector sent or will send, newest first."""
    query = select(OutboundMessage).order_by(OutboundMessage.id.desc())
    if status is not None:  # "sending" (handed to the server, answer pending) shows as pending
        statuses = ["pending", "sending"] if status == "pending" else [status]
        query = query.where(OutboundMessage.status.in_(statuses))
    if kind is not None:
        query = query.where(OutboundMessage.kind == kind)
    if inbound_message_id is not None:
        query = query.where(OutboundMessage.inbound_message_id == inbound_message_id)
    with container.db.reading() as session:
        items, total = records.page(session, query, limit=limit, offset=offset)
    return {"items": [
        OutboundMessagePublic(
            id=o.id, kind=o.kind, to=list(o.to_addresses or []), subject=o.subject,  # type: ignore[arg-type]
            status="pending" if o.status == "sending" else o.status, attempts=o.attempts,
            last_error=o.last_error,
            inbound_message_id=o.inbound_message_id,
            ticket_number=format_ticket_number(o.ticket_id) if o.ticket_id else None,
            message_id=o.message_id, created_at=o.created_at, sent_at=o.sent_at,
            bounced_at=o.bounced_at)
        for o in items], "total": total}
