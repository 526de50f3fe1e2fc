"""Accounts, contacts, employees, tickets, documents, rules and the XML records: reads and
writes by record kind (the application layer never sees a table), never committing."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, bindparam, case, delete, false, func, insert, or_, select, update
from sqlmodel import Session, SQLModel

from adapters.persistence.blobs import LARGE, insert_row
from adapters.persistence.paging import ordered, page
from adapters.persistence.prepared import Prepared
from adapters.persistence.tables import (
    Account,
    Attachment,
    Contact,
    Document,
    Employee,
    OutboundMessage,
    Ticket,
    TicketRequest,
)
from adapters.persistence.types import UTCDateTime
from adapters.persistence.xml_tables import Asset, AutomationRule, Charge, HistoryNote
from domain.addresses import address_key, domain_of
from domain.automation import field_key
from domain.errors import Conflict, InvalidInput, NotFound
from domain.messages import FiledDocument
from domain.model import MAX_ID, TicketStatus

M = TypeVar("M", bound=SQLModel)
MODELS: dict[str, type[SQLModel]] = {
    "account": Account, "contact": Contact, "employee": Employee, "ticket": Ticket,
    "asset": Asset, "charge": Charge, "history_note": HistoryNote,
    "automation_rule": AutomationRule, "attachment": Attachment,
    "outbound_message": OutboundMessage,
}
_RULES_IN_RUN_ORDER = case({"detect": 0, "skip": 1, "account": 2}, value=AutomationRule.kind,
                           else_=3)

# Which key column follows which column, and how it is keyed.
_KEYED = {
    Account: {"email": "email_key", "email2": "email2_key", "name": "name_key",
              "account_number": "account_number_key", "external_id": "external_id_key"},
    Contact: {"email": "email_key"},
    Employee: {"email1": "email1_key", "email2": "email2_key"},
}
_FIELD_KEYED = {"name", "account_number", "external_id"}  # compared as text, not as addresses


def _with_keys(model: type[SQLModel], values: dict[str, Any]) -> dict[str, Any]:
    result = dict(values)
    for column, key_column in _KEYED.get(model, {}).items():  # type: ignore[call-overload]
        if column in values:
            keyed = field_key if column in _FIELD_KEYED else address_key
            result[key_column] = keyed(values[column])
    return result


# --- accounts ---------------------------------------------------------------------------------

def _accounts_query(email: str | None) -> Select[Any]:
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


# --- tickets and documents ----------------------------------------------------------------------


# Built once: these run for nearly every inbound message.
_TICKETS, _DOCUMENTS = Ticket.__table__, Document.__table__  # type: ignore[attr-defined]
_INSERT_TICKET = Prepared(insert(_TICKETS).returning(_TICKETS.c.id))
_INSERT_DOCUMENT = Prepared(insert(_DOCUMENTS).returning(_DOCUMENTS.c.id))
_ATTACHMENTS = Attachment.__table__  # type: ignore[attr-defined]
_INSERT_ATTACHMENT = Prepared(insert(_ATTACHMENTS))
_TOUCHED = (update(_TICKETS).where(_TICKETS.c.id == bindparam("ticket"))
            .values(updated_at=bindparam("now", type_=UTCDateTime())))
_TOUCH, _REOPEN = Prepared(_TOUCHED), Prepared(_TOUCHED.values(status=TicketStatus.OPEN))


class SqlRecords:
    """Records by kind ("account", "ticket", ...; see MODELS), inside one unit of work."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, kind: str, record_id: int) -> Any:
        record = self.session.get(MODELS[kind], record_id) if 0 < record_id <= MAX_ID else None
        if record is None:
            raise NotFound(f"{kind.replace('_', ' ')} {record_id} not found")
        return record

    def create(self, kind: str, values: dict[str, Any], now: datetime) -> Any:
        model = MODELS[kind]
        record = model(**_with_keys(model, values))
        if hasattr(record, "created_at"):
            record.created_at = now  # type: ignore[attr-defined]
        if hasattr(record, "updated_at"):
            record.updated_at = now  # type: ignore[attr-defined]
        self.session.add(record)
        self.session.flush()
        return record

    def patch(self, kind: str, record_id: int, values: dict[str, Any], now: datetime) -> Any:
        record = self.get(kind, record_id)
        for name, value in _with_keys(type(record), values).items():
            setattr(record, name, value)
        if hasattr(record, "updated_at"):
            record.updated_at = now
        self.session.add(record)
        self.session.flush()
        return record

    def remove(self, kind: str, record_id: int) -> None:
        if kind == "account":
            self._check_account_unused(record_id)
            self.get(kind, record_id)
            self.session.execute(delete(Contact).where(Contact.account_id == record_id))
        self.session.delete(self.get(kind, record_id))
        self.session.flush()

    def _check_account_unused(self, account_id: int) -> None:
        for model, what in ((Ticket, "ticket"), (Asset, "asset"), (Charge, "charge"),
                            (HistoryNote, "history note")):
            count = self.session.execute(
                select(func.count()).select_from(model).where(model.account_id == account_id)  # type: ignore[attr-defined]
            ).scalar_one()
            if count:
                raise Conflict(f"account {account_id} has {count} {what}(s); it cannot be deleted")

    def page(self, kind: str, *, limit: int, offset: int, updated_since: datetime | None = None,
             sort: str = "-id", **equal: Any) -> tuple[list[Any], int]:
        """Records of a kind, newest first, with the columns given equal to their values."""
        model = MODELS[kind]
        query = select(model)
        for column, value in equal.items():
            if value is not None:
                query = query.where(getattr(model, column) == value)
        return page(self.session, ordered(query, model, updated_since, sort),
                    limit=limit, offset=offset)

    def accounts_page(self, *, email: str | None, limit: int, offset: int,
                      updated_since: datetime | None = None,
                      sort: str = "-id") -> tuple[list[Any], int]:
        """Accounts holding an address or its domain (in Email, Email2 or a contact)."""
        return page(self.session, ordered(_accounts_query(email), Account, updated_since, sort),
                    limit=limit, offset=offset)

    def rules_page(self, *, kind: str | None, limit: int, offset: int,
                   updated_since: datetime | None = None) -> tuple[list[Any], int]:
        """The automation rules in the order they run: detect, skip, account; each by position."""
        query = select(AutomationRule).order_by(_RULES_IN_RUN_ORDER, AutomationRule.position,
                                                AutomationRule.id)
        if kind is not None:
            query = query.where(AutomationRule.kind == kind)
        if updated_since is not None:
            query = query.where(AutomationRule.updated_at >= updated_since)
        return page(self.session, query, limit=limit, offset=offset)

    def next_rule_position(self, kind: str) -> int:
        highest = self.session.execute(
            select(func.max(AutomationRule.position)).where(AutomationRule.kind == kind)
        ).scalar_one()
        return 1 if highest is None else int(highest) + 1

    def ticket_by_number(self, number: str) -> Any:
        digits = number.strip().lstrip("#")
        # isdecimal() and ASCII only: "²".isdigit() is true, and int("²") fails.
        if not (digits.isascii() and digits.isdecimal()) or not 0 < int(digits) <= MAX_ID:
            raise NotFound(f"ticket {number} not found")
        ticket = self.session.get(Ticket, int(digits))
        if ticket is None:
            raise NotFound(f"ticket {number} not found")
        return ticket

    def check_ticket_links(self, account_id: int | None, contact_id: int | None) -> None:
        session = self.session
        if account_id is not None and session.get(Account, account_id) is None:
            raise InvalidInput(f"account {account_id} does not exist")
        if contact_id is not None:
            contact = session.get(Contact, contact_id)
            if contact is None:
                raise InvalidInput(f"contact {contact_id} does not exist")
            if account_id is not None and contact.account_id != account_id:
                raise InvalidInput(f"contact {contact_id} does not belong to account {account_id}")

    def open_ticket(self, values: dict[str, Any], document: FiledDocument, now: datetime) -> int:
        """The one way a ticket is opened: the ticket and its first document together."""
        ticket_id = int(_INSERT_TICKET.execute(self.session.connection(), {
            "status": TicketStatus.OPEN, "priority": None, "contact_id": None,
            "description": None, **values, "created_at": now, "updated_at": now,
        }).scalar_one())
        self.add_document(ticket_id, document, now)
        return ticket_id

    def ticket_request(self, idempotency_key: str) -> tuple[bytes, int] | None:
        row = self.session.get(TicketRequest, idempotency_key)
        return None if row is None else (bytes(row.request_digest), row.ticket_id)

    def remember_ticket_request(self, idempotency_key: str, request_digest: bytes,
                                ticket_id: int, now: datetime) -> None:
        self.session.add(TicketRequest(idempotency_key=idempotency_key, ticket_id=ticket_id,
                                       request_digest=request_digest, created_at=now))
        self.session.flush()  # a concurrent twin fails here: StorageConflict, run again

    def touch_ticket(self, ticket_id: int, now: datetime, *, reopen: bool) -> None:
        (_REOPEN if reopen else _TOUCH).execute(self.session.connection(),
                                               {"ticket": ticket_id, "now": now})

    def add_document(self, ticket_id: int, document: FiledDocument, now: datetime) -> int:
        connection = self.session.connection()
        d = document
        document_id = int(_INSERT_DOCUMENT.execute(connection, {
            "ticket_id": ticket_id, "kind": d.kind, "inbound_message_id": d.inbound_message_id,
            "message_id": d.message_id, "from_address": d.from_address,
            "to_addresses": list(d.to), "cc_addresses": list(d.cc), "subject": d.subject,
            "date": d.date, "text": d.text, "reply_text": d.reply_text, "html": d.html,
            "created_at": now,
        }).scalar_one())
        rows = [{"document_id": document_id, "filename": a.filename, "content_type": a.content_type,
                 "size": len(a.data), "content_id": a.content_id, "inline": a.inline, "data": a.data}
                for a in d.attachments]
        if any(len(a.data) > LARGE for a in d.attachments):  # in order: the ids keep it
            for row in rows:
                insert_row(connection, _ATTACHMENTS, row, _INSERT_ATTACHMENT)
        elif rows:
            _INSERT_ATTACHMENT.execute(connection, rows)
        return document_id

    def first_contact(self, account_id: int) -> Any:
        return self.session.execute(
            select(Contact).where(Contact.account_id == account_id).order_by(Contact.id).limit(1)
        ).scalars().first()

    def documents_of(self, ticket_id: int, *, limit: int, offset: int
                     ) -> tuple[list[tuple[Any, list[tuple[int, str, str, int, str | None, bool]]]], int]:
        query = select(Document).where(Document.ticket_id == ticket_id).order_by(Document.id.desc())
        documents, total = page(self.session, query, limit=limit, offset=offset)
        return self._with_files(documents), total

    def documents_of_message(self, inbound_id: int
                             ) -> list[tuple[Any, list[tuple[int, str, str, int, str | None, bool]]]]:
        query = select(Document).where(Document.inbound_message_id == inbound_id).order_by(
            Document.id)  # type: ignore[arg-type]
        return self._with_files(list(self.session.execute(query).scalars()))

    def _with_files(self, documents: list[Any]
                    ) -> list[tuple[Any, list[tuple[int, str, str, int, str | None, bool]]]]:
        ids = [d.id for d in documents]
        files: dict[int, list[tuple[int, str, str, int, str | None, bool]]] = {i: [] for i in ids}
        if ids:
            rows = self.session.execute(
                select(Attachment.document_id, Attachment.id, Attachment.filename,
                       Attachment.content_type, Attachment.size, Attachment.content_id,
                       Attachment.inline)
                .where(Attachment.document_id.in_(ids)).order_by(Attachment.id)
            ).all()
            for document_id, *meta in rows:
                files[document_id].append(tuple(meta))  # type: ignore[arg-type]
        return [(d, files[d.id]) for d in documents]
