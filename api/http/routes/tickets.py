"""Tickets, their documents, and attachments."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Header, Path, Query, Response

from api.application import records
from api.http.deps import ServicesDep
from api.http.routes.common import AUTH, Limit, Offset, Sort, UpdatedSince, body_errors, errors
from api.http.schemas import (
    MAX_ID,
    AttachmentMeta,
    DocumentPublic,
    Page,
    TicketCreate,
    TicketPublic,
    TicketStatus,
    TicketUpdate,
)
from domain.model import format_ticket_number

router = APIRouter(prefix="/api/v1", tags=["tickets"], dependencies=AUTH, responses=errors())
Number = Annotated[str, Path(max_length=20, description="0000123 or 123")]


def ticket_public(ticket: Any) -> TicketPublic:
    assert ticket.id is not None
    return TicketPublic(
        id=ticket.id, number=format_ticket_number(ticket.id), account_id=ticket.account_id,
        contact_id=ticket.contact_id, subject=ticket.subject, description=ticket.description,
        status=ticket.status, priority=ticket.priority, source=ticket.source,
        created_at=ticket.created_at, updated_at=ticket.updated_at,
    )


@router.post("/tickets", status_code=201, response_model=TicketPublic, responses=body_errors(422))
def create_ticket(body: TicketCreate, app: ServicesDep, response: Response,
                  idempotency_key: Annotated[str | None, Header(
                      alias="Idempotency-Key", min_length=1, max_length=255, pattern=r"^[!-~]+$",
                      description="Retry safely: the same key with the same body answers the "
                      "ticket made the first time (Idempotent-Replayed: true); with another "
                      "body, 422")] = None) -> TicketPublic:
    """Create a ticket directly (its description is filed as its first document, kind `api`)."""
    if idempotency_key is None:
        return ticket_public(records.create_ticket(app, **body.model_dump()))
    ticket, replayed = records.create_ticket_once(app, idempotency_key=idempotency_key,
                                                  **body.model_dump())
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return ticket_public(ticket)


@router.get("/tickets", response_model=Page[TicketPublic], responses=errors(422))
def list_tickets(app: ServicesDep, limit: Limit = 100, offset: Offset = 0,
                 account_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
                 status: TicketStatus | None = None,  # type: ignore[valid-type]
                 updated_since: UpdatedSince = None, sort: Sort = "-id",
                 ) -> dict[str, object]:
    """List tickets, newest first (or in the `sort` order)."""
    items, total = records.list_records(app, kind="ticket", limit=limit, offset=offset,
                                        account_id=account_id, status=status,
                                        updated_since=updated_since, sort=sort)
    return {"items": [ticket_public(t) for t in items], "total": total}


@router.get("/tickets/{number}", response_model=TicketPublic, responses=errors(404))
def get_ticket(number: Number, app: ServicesDep) -> TicketPublic:
    """Read a ticket by its number as shown in subjects."""
    return ticket_public(records.get_ticket(app, number=number))


@router.patch("/tickets/{number}", response_model=TicketPublic, responses=body_errors(404, 422))
def update_ticket(number: Number, body: TicketUpdate, app: ServicesDep) -> TicketPublic:
    """Change a ticket's subject, description, status, priority or contact."""
    return ticket_public(records.update_ticket(app, number=number,
                                               changes=body.model_dump(exclude_unset=True)))


@router.get("/tickets/{number}/documents", response_model=Page[DocumentPublic],
            responses=errors(404))
def list_documents(number: Number, app: ServicesDep, limit: Limit = 100,
                   offset: Offset = 0) -> dict[str, object]:
    """The ticket's documents (filed emails, API and XML entries), newest first."""
    rows, total = records.ticket_documents(app, number=number, limit=limit, offset=offset)
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


@router.get("/attachments/{attachment_id}", response_class=Response, responses={
    **errors(404), 200: {"description": "The bytes, with the attachment's own content type",
                         "content": {"*/*": {"schema": {"type": "string", "format": "binary"},
                                             "example": "%PDF-1.7 (the file's bytes)"}}}})
def get_attachment(attachment_id: Annotated[int, Path(ge=1, le=MAX_ID)],
                   app: ServicesDep) -> Response:
    """An attachment's bytes, with its content type, as a download."""
    return attachment_download(records.get_record(app, kind="attachment",
                                                  record_id=attachment_id))


def attachment_download(attachment: Any) -> Response:
    """An attachment's bytes as a download, never rendered (REST API and console)."""
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
