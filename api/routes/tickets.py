"""Tickets, their documents, and attachments."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy import select

from adapters.persistence import records
from adapters.persistence.tables import Attachment, Ticket
from adapters.persistence.types import utcnow
from api.deps import ContainerDep
from api.routes.common import AUTH, Limit, Offset, body_errors, errors
from api.schemas import (
    MAX_ID,
    AttachmentMeta,
    DocumentPublic,
    Page,
    TicketCreate,
    TicketPublic,
    TicketStatus,
    TicketUpdate,
)
from domain.errors import NotFound
from domain.model import DocumentKind, format_ticket_number

router = APIRouter(prefix="/api/v1", tags=["tickets"], dependencies=AUTH, responses=errors())
Number = Annotated[str, Path(max_length=20, description="0000123 or 123")]


def ticket_public(ticket: Ticket) -> TicketPublic:
    assert ticket.id is not None
    return TicketPublic(
        id=ticket.id, number=format_ticket_number(ticket.id), account_id=ticket.account_id,
        contact_id=ticket.contact_id, subject=ticket.subject, description=ticket.description,
        status=ticket.status, priority=ticket.priority, source=ticket.source,
        created_at=ticket.created_at, updated_at=ticket.updated_at,
    )


@router.post("/tickets", status_code=201, response_model=TicketPublic, responses=body_errors(422))
def create_ticket(body: TicketCreate, container: ContainerDep) -> TicketPublic:
    """Create a ticket directly (its description is filed as its first document, kind `api`)."""
    now = utcnow()
    with container.db.writing() as session:
        records.check_ticket_links(session, body.account_id, body.contact_id)
        ticket = records.create(session, Ticket, {**body.model_dump(), "source": "api",
                                                  "status": "open"}, now)
        assert ticket.id is not None
        records.add_document(session, {
            "ticket_id": ticket.id, "kind": DocumentKind.API, "subject": ticket.subject,
            "text": ticket.description or "", "reply_text": ticket.description or "",
            "date": now, "created_at": now,
        }, [])
        return ticket_public(ticket)


@router.get("/tickets", response_model=Page[TicketPublic], responses=errors(422))
def list_tickets(container: ContainerDep, limit: Limit = 100, offset: Offset = 0,
                 account_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
                 status: TicketStatus | None = None) -> dict[str, object]:
    """List tickets, newest first."""
    query = select(Ticket).order_by(Ticket.id.desc())
    if account_id is not None:
        query = query.where(Ticket.account_id == account_id)
    if status is not None:
        query = query.where(Ticket.status == status)
    with container.db.reading() as session:
        items, total = records.page(session, query, limit=limit, offset=offset)
    return {"items": [ticket_public(t) for t in items], "total": total}


@router.get("/tickets/{number}", response_model=TicketPublic, responses=errors(404))
def get_ticket(number: Number, container: ContainerDep) -> TicketPublic:
    """Read a ticket by its number as shown in subjects."""
    with container.db.reading() as session:
        return ticket_public(records.ticket_by_number(session, _in_range(number)))


@router.patch("/tickets/{number}", response_model=TicketPublic, responses=body_errors(404, 422))
def update_ticket(number: Number, body: TicketUpdate, container: ContainerDep) -> TicketPublic:
    """Change a ticket's subject, description, status, priority or contact."""
    with container.db.writing() as session:
        ticket = records.ticket_by_number(session, _in_range(number))
        changes = body.model_dump(exclude_unset=True)
        if changes.get("contact_id") is not None:
            records.check_ticket_links(session, ticket.account_id, changes["contact_id"])
        return ticket_public(records.patch(session, ticket, changes, utcnow()))


@router.get("/tickets/{number}/documents", response_model=Page[DocumentPublic],
            responses=errors(404))
def list_documents(number: Number, container: ContainerDep, limit: Limit = 100,
                   offset: Offset = 0) -> dict[str, object]:
    """The ticket's documents (filed emails, API and XML entries), newest first."""
    with container.db.reading() as session:
        ticket = records.ticket_by_number(session, _in_range(number))
        assert ticket.id is not None
        rows, total = records.documents_of(session, ticket.id, limit=limit, offset=offset)
    items = [
        DocumentPublic(
            id=d.id, kind=d.kind, from_address=d.from_address, to=d.to_addresses,  # type: ignore[arg-type]
            cc=d.cc_addresses, subject=d.subject, date=d.date, text=d.text,
            reply_text=d.reply_text, html=d.html, inbound_message_id=d.inbound_message_id,
            created_at=d.created_at,
            attachments=[AttachmentMeta(id=a, filename=f, content_type=c, size=s, content_id=cid,
                                        inline=inline) for a, f, c, s, cid, inline in files],
        )
        for d, files in rows
    ]
    return {"items": items, "total": total}


@router.get("/attachments/{attachment_id}", responses={
    **errors(404), 200: {"description": "The bytes, with the attachment's own content type",
                         "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}}})
def get_attachment(attachment_id: Annotated[int, Path(ge=1, le=MAX_ID)],
                   container: ContainerDep) -> Response:
    """An attachment's bytes, with its content type, as a download."""
    with container.db.reading() as session:
        attachment = records.get(session, Attachment, attachment_id)
    filename = attachment.filename.replace('"', "_")
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    return Response(
        content=bytes(attachment.data),
        media_type=attachment.content_type or "application/octet-stream",
        headers={
            # Served as a download, never rendered: an attachment is untrusted content.
            "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; "
                                   f"filename*=UTF-8''{quote(filename)}",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox",
        },
    )


def _in_range(number: str) -> str:
    """A number beyond the id range names no ticket: 404 here, where PostgreSQL would refuse
    the lookup itself as out of range (a 500)."""
    digits = number.strip().lstrip("#")
    if digits.isdigit() and int(digits) > MAX_ID:
        raise NotFound(f"ticket {number} not found")
    return number
