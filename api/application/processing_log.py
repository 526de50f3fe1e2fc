"""Use cases on the processing log (inbound messages) and the outbox (outbound messages)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from api.application.clock import utcnow
from api.application.services import Services
from domain.errors import Conflict, NotFound
from domain.messages import InboundFilter

Page = tuple[list[Any], int]


def list_inbound(app: Services, *, status: str | None, outcome: str | None, limit: int,
                 offset: int, where: InboundFilter | None = None, sort: str = "-id") -> Page:
    """The processing log, newest first (or in the `sort` order); `where` filters by source,
    sender, subject text, ticket, date range and last change too."""
    with app.storage.reading() as uow:
        return uow.inbox.page(status=status, outcome=outcome, limit=limit, offset=offset,
                              where=where, sort=sort)


def get_inbound(app: Services, *, inbound_id: int) -> Any:
    with app.storage.reading() as uow:
        return uow.inbox.get(inbound_id)


def raw_message(app: Services, *, inbound_id: int) -> bytes:
    """The bytes as received: its own, or a true duplicate's original's (stored once)."""
    with app.storage.reading() as uow:
        message = uow.inbox.get(inbound_id)
        raws = uow.inbox.raw_bytes([inbound_id, message.duplicate_of_id or inbound_id])
        raw = raws.get(inbound_id) or raws.get(message.duplicate_of_id or inbound_id)
    if raw is None:
        raise NotFound(f"inbound message {inbound_id} has no stored raw message")
    return raw


def reprocess(app: Services, *, inbound_id: int) -> Any:
    """Queue a message again: refused (Conflict) when that would file or write it twice."""
    with app.storage.writing() as uow:
        message = uow.inbox.get(inbound_id)
        status, outcome = message.status, message.outcome
        if not uow.inbox.requeue(inbound_id):
            raise Conflict(
                f"inbound message {inbound_id} is {status}"
                + (f" with outcome {outcome}" if outcome else "")
                + "; only failed messages and ones that filed nothing can be processed again")
    app.wake_processing()
    return get_inbound(app, inbound_id=inbound_id)


def list_outbound(app: Services, *, status: str | None, kind: str | None,
                  inbound_message_id: int | None, limit: int, offset: int,
                  updated_since: datetime | None = None, sort: str = "-id") -> Page:
    with app.storage.reading() as uow:
        return uow.outbox.page(status=status, kind=kind, inbound_message_id=inbound_message_id,
                               limit=limit, offset=offset, updated_since=updated_since,
                               sort=sort)


def retry_outbound(app: Services, *, mail_id: int) -> Any:
    """Send a failed mail again (a person's retry: its attempts are counted afresh)."""
    with app.storage.writing() as uow:
        mail = uow.records.get("outbound_message", mail_id)
        status = mail.status
        if not uow.outbox.retry(mail_id, utcnow()):
            raise Conflict(f"outbound message {mail_id} is {status}; only failed mail can be "
                           "sent again")
    app.wake_outbox()
    with app.storage.reading() as uow:
        return uow.records.get("outbound_message", mail_id)


def produced(app: Services, *, inbound_id: int) -> tuple[list[Any], list[Any]]:
    """What a message produced: its documents (with their attachments' metadata) and the
    outbound mail it caused."""
    with app.storage.reading() as uow:
        uow.inbox.get(inbound_id)  # NotFound for an unknown message
        documents = uow.records.documents_of_message(inbound_id)
        mails, _ = uow.outbox.page(status=None, kind=None, inbound_message_id=inbound_id,
                                   limit=100, offset=0)
    return documents, mails


def reprocess_matching(app: Services, *, status: str | None, outcome: str | None
                       ) -> tuple[list[int], list[int]]:
    """Queue again every message with this status and outcome: (queued, refused) ids."""
    ids: list[int] = []
    while True:
        items, total = list_inbound(app, status=status, outcome=outcome, limit=1000,
                                    offset=len(ids))
        ids += [m.id for m in items]
        if not items or len(ids) >= total:
            break
    queued: list[int] = []
    refused: list[int] = []
    for inbound_id in ids:
        with app.storage.writing() as uow:
            (queued if uow.inbox.requeue(inbound_id) else refused).append(inbound_id)
    if queued:
        app.wake_processing()
    return queued, refused


def counts(app: Services) -> dict[str, int]:
    """Inbound messages by status, and the outbox's backlog and failures."""
    found = {}
    for status in ("queued", "processing", "done", "failed"):
        found[f"inbound {status}"] = list_inbound(app, status=status, outcome=None, limit=1,
                                                  offset=0)[1]
    for status in ("pending", "failed"):
        found[f"outbound {status}"] = list_outbound(app, status=status, kind=None,
                                                    inbound_message_id=None, limit=1, offset=0)[1]
    return found
