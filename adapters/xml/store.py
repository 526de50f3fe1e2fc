"""Writing a planned XML record (domain.xml_records.RecordPlan) in the caller's transaction.

Each record is written inside its own savepoint: if the database refuses it, nothing of that
record remains and the records before and after it are unaffected.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError
from sqlmodel import Session, SQLModel

from adapters.persistence import records
from adapters.persistence.tables import Account, Asset, Charge, Contact, HistoryNote, Ticket
from domain.model import DocumentKind
from domain.xml_model import XmlCode, XmlError
from domain.xml_records import RecordPlan

log = logging.getLogger(__name__)

MODELS: dict[str, type[SQLModel]] = {
    "ACCOUNT": Account, "CONTACT": Contact, "TICKET": Ticket, "ASSET": Asset, "CHARGE": Charge,
    "HISTORYNOTE": HistoryNote,
}


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a transaction came from, for the documents of the tickets it creates."""

    inbound_message_id: int | None = None
    from_address: str | None = None
    message_id: str | None = None


class XmlStore:
    """The domain's Writer (domain.xml_api.Writer) on SQL."""

    def __init__(self, session: Session, now: datetime, origin: Origin) -> None:
        self._session = session
        self._now = now
        self._origin = origin

    def __call__(self, plan: RecordPlan) -> int | XmlError:
        try:
            with self._session.begin_nested():
                return self._write(plan)
        except (IntegrityError, DataError) as exc:
            log.warning("XML %s record refused by the database: %s", plan.kind, exc.orig)
            return XmlError(XmlCode.WRITE_FAILED,
                            f"the {plan.kind.lower()} could not be stored ({type(exc.orig).__name__})"
                            "; nothing of this record was written")

    def _write(self, plan: RecordPlan) -> int:
        model = MODELS[plan.kind]
        if plan.record_id is None:
            values = dict(plan.values)
            if plan.kind == "TICKET":
                values.update(source="xml", status=values.get("status") or "open")
            record: Any = records.create(self._session, model, values, self._now)
        else:
            record = records.get(self._session, model, plan.record_id)
            records.patch(self._session, record, plan.values, self._now)
        assert record.id is not None
        if plan.kind == "ACCOUNT" and plan.first_contact:
            self._first_contact(record, plan.first_contact, created=plan.creates)
        if plan.kind == "TICKET":
            self._document(record, plan)
        return int(record.id)

    def _first_contact(self, account: Account, name: str, *, created: bool) -> None:
        contact = None if created else self._session.execute(
            select(Contact).where(Contact.account_id == account.id).order_by(Contact.id).limit(1)
        ).scalars().first()
        if contact is not None:
            records.patch(self._session, contact, {"name": name}, self._now)
            return
        # The account's own Email1 reaches the contact too, when it is an address (not a domain).
        email = account.email if account.email and "@" in account.email else None
        records.create(self._session, Contact, {"account_id": account.id, "name": name,
                                                "email": email}, self._now)

    def _document(self, ticket: Ticket, plan: RecordPlan) -> None:
        """The transaction is filed on the ticket as a document of kind xml."""
        origin = self._origin
        text = (ticket.description or "") if plan.creates else _changes_text(ticket, plan)
        records.add_document(self._session, {
            "ticket_id": ticket.id, "kind": DocumentKind.XML,
            "inbound_message_id": origin.inbound_message_id, "message_id": origin.message_id,
            "from_address": origin.from_address, "subject": ticket.subject, "date": self._now,
            "text": text, "reply_text": text, "created_at": self._now,
        }, [])


def _changes_text(ticket: Ticket, plan: RecordPlan) -> str:
    changed = ", ".join(f"{column} = {getattr(ticket, column)}" for column in plan.values
                        if column not in ("description", "subject"))
    lines = ["Updated by an XML transaction" + (f": {changed}" if changed else ".")]
    if "description" in plan.values:
        lines += ["", ticket.description or ""]
    return "\n".join(lines)
