"""Accounts, contacts, employees, tickets, documents: reads and writes (never commits)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, bindparam, delete, false, func, insert, or_, select, update
from sqlmodel import Session, SQLModel

from adapters.mail.files import ExtractedAttachment
from adapters.persistence.tables import (
    Account,
    Asset,
    Attachment,
    Charge,
    Contact,
    Document,
    Employee,
    HistoryNote,
    Ticket,
)
from adapters.persistence.types import UTCDateTime
from domain.addresses import address_key, domain_of
from domain.automation import field_key
from domain.errors import Conflict, InvalidInput, NotFound

M = TypeVar("M", bound=SQLModel)
MAX_ID = 2**31 - 1  # ids are INTEGER columns (PostgreSQL refuses larger values outright)

# Which key column follows which column, and how it is keyed.
_KEYED = {
    Account: {"email": "email_key", "email2": "email2_key", "name": "name_key",
              "account_number": "account_number_key", "external_id": "external_id_key"},
    Contact: {"email": "email_key"},
    Employee: {"email1": "email1_key", "email2": "email2_key"},
}
_FIELD_KEYED = {"name", "account_number", "external_id"}  # compared as text, not as addresses


def page(session: Session, query: Select[Any], *, limit: int, offset: int) -> tuple[list[Any], int]:
    total = session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    items = list(session.execute(query.limit(limit).offset(offset)).scalars())
    return items, total


def get(session: Session, model: type[M], record_id: int) -> M:
    record = session.get(model, record_id)
    if record is None:
        raise NotFound(f"{model.__name__.lower()} {record_id} not found")
    return record


def create(session: Session, model: type[M], values: dict[str, Any], now: datetime) -> M:
    record = model(**_with_keys(model, values))
    if hasattr(record, "created_at"):
        record.created_at = now  # type: ignore[attr-defined]
    if hasattr(record, "updated_at"):
        record.updated_at = now  # type: ignore[attr-defined]
    session.add(record)
    session.flush()
    return record


def patch(session: Session, record: M, values: dict[str, Any], now: datetime) -> M:
    for name, value in _with_keys(type(record), values).items():
        setattr(record, name, value)
    if hasattr(record, "updated_at"):
        record.updated_at = now  # type: ignore[attr-defined]
    session.add(record)
    session.flush()
    return record


def remove(session: Session, record: SQLModel) -> None:
    session.delete(record)
    session.flush()


def _with_keys(model: type[SQLModel], values: dict[str, Any]) -> dict[str, Any]:
    result = dict(values)
    for column, key_column in _KEYED.get(model, {}).items():  # type: ignore[call-overload]
        if column in values:
            keyed = field_key if column in _FIELD_KEYED else address_key
            result[key_column] = keyed(values[column])
    return result


# --- accounts ---------------------------------------------------------------------------------

def accounts_query(email: str | None) -> Select[Any]:
    query = select(Account).order_by(Account.id.desc())
    if email is None:
        return query
    key = address_key(email)
    if key is None:  # no address or domain in the filter: nothing can hold it
        return query.where(false())
    keys = [key, *([domain_of(key)] if domain_of(key) else [])]
    holders = select(Contact.account_id).where(Contact.email_key.in_(keys))
    return query.where(or_(Account.email_key.in_(keys), Account.email2_key.in_(keys),
                           Account.id.in_(holders)))


def delete_account(session: Session, account: Account) -> None:
    for model, what in ((Ticket, "ticket"), (Asset, "asset"), (Charge, "charge"),
                        (HistoryNote, "history note")):
        count = session.execute(
            select(func.count()).select_from(model).where(model.account_id == account.id)  # type: ignore[attr-defined]
        ).scalar_one()
        if count:
            raise Conflict(f"account {account.id} has {count} {what}(s); it cannot be deleted")
    session.execute(delete(Contact).where(Contact.account_id == account.id))
    remove(session, account)


# --- tickets and documents ----------------------------------------------------------------------

def ticket_by_number(session: Session, number: str) -> Ticket:
    digits = number.strip().lstrip("#")
    if not digits.isdigit() or not 0 < int(digits) <= MAX_ID:
        raise NotFound(f"ticket {number} not found")
    ticket = session.get(Ticket, int(digits))
    if ticket is None:
        raise NotFound(f"ticket {number} not found")
    return ticket


def check_ticket_links(session: Session, account_id: int | None, contact_id: int | None) -> None:
    if account_id is not None and session.get(Account, account_id) is None:
        raise InvalidInput(f"account {account_id} does not exist")
    if contact_id is not None:
        contact = session.get(Contact, contact_id)
        if contact is None:
            raise InvalidInput(f"contact {contact_id} does not exist")
        if account_id is not None and contact.account_id != account_id:
            raise InvalidInput(f"contact {contact_id} does not belong to account {account_id}")


# Built once: these run for nearly every inbound message.
_TICKETS, _DOCUMENTS = Ticket.__table__, Document.__table__  # type: ignore[attr-defined]
_INSERT_TICKET = insert(_TICKETS).returning(_TICKETS.c.id)
_INSERT_DOCUMENT = insert(_DOCUMENTS).returning(_DOCUMENTS.c.id)
_INSERT_ATTACHMENT = insert(Attachment.__table__)  # type: ignore[attr-defined]
_TOUCH = (update(_TICKETS).where(_TICKETS.c.id == bindparam("ticket"))
          .values(updated_at=bindparam("now", type_=UTCDateTime())))
_REOPEN = _TOUCH.values(status="open")


def insert_ticket(session: Session, values: dict[str, Any]) -> int:
    return int(session.connection().execute(_INSERT_TICKET, values).scalar_one())


def touch_ticket(session: Session, ticket_id: int, now: datetime, *, reopen: bool) -> None:
    session.connection().execute(_REOPEN if reopen else _TOUCH, {"ticket": ticket_id, "now": now})


def add_document(session: Session, values: dict[str, Any],
                 attachments: Sequence[ExtractedAttachment]) -> int:
    connection = session.connection()
    document_id = int(connection.execute(_INSERT_DOCUMENT, values).scalar_one())
    if attachments:
        connection.execute(_INSERT_ATTACHMENT, [
            {"document_id": document_id, "filename": a.filename, "content_type": a.content_type,
             "size": len(a.data), "content_id": a.content_id, "inline": a.inline, "data": a.data}
            for a in attachments
        ])
    return document_id


def documents_of(session: Session, ticket_id: int, *, limit: int, offset: int
                 ) -> tuple[list[tuple[Document, list[tuple[int, str, str, int, str | None, bool]]]], int]:
    query = select(Document).where(Document.ticket_id == ticket_id).order_by(Document.id.desc())
    documents, total = page(session, query, limit=limit, offset=offset)
    ids = [d.id for d in documents]
    files: dict[int, list[tuple[int, str, str, int, str | None, bool]]] = {i: [] for i in ids}
    if ids:
        rows = session.execute(
            select(Attachment.document_id, Attachment.id, Attachment.filename,
                   Attachment.content_type, Attachment.size, Attachment.content_id,
                   Attachment.inline)
            .where(Attachment.document_id.in_(ids)).order_by(Attachment.id)
        ).all()
        for document_id, *meta in rows:
            files[document_id].append(tuple(meta))  # type: ignore[arg-type]
    return [(d, files[d.id]) for d in documents], total  # type: ignore[index]
