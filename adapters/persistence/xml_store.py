"""Writing a planned XML record (domain.xml_records.RecordPlan) in the caller's transaction.

Each record is written inside its own savepoint: if the database refuses it, nothing of that
record remains and the records before and after it are unaffected.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.exc import DataError, IntegrityError
from sqlmodel import Session

from adapters.persistence.records import SqlRecords
from domain.messages import FiledDocument, Origin
from domain.model import DocumentKind, TicketStatus
from domain.xml_model import XmlCode, XmlError
from domain.xml_records import RecordPlan

log = logging.getLogger(__name__)

_KINDS = {"ACCOUNT": "account", "CONTACT": "contact", "TICKET": "ticket", "ASSET": "asset",
          "CHARGE": "charge", "HISTORYNOTE": "history_note"}


class XmlStore:
    """The domain's Writer (domain.xml_api.Writer) on SQL."""

    def __init__(self, session: Session, now: datetime, origin: Origin) -> None:
        self._session = session
        self._records = SqlRecords(session)
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
        kind = _KINDS[plan.kind]
        if plan.kind == "TICKET" and plan.record_id is None:
            values = {**plan.values, "source": "xml",
                      "status": plan.values.get("status") or TicketStatus.OPEN}
            description = values.get("description") or ""
            return self._records.open_ticket(values, self._document(values.get("subject"),
                                                                    description), self._now)
        if plan.record_id is None:
            record: Any = self._records.create(kind, dict(plan.values), self._now)
        else:
            record = self._records.patch(kind, plan.record_id, dict(plan.values), self._now)
        if plan.kind == "ACCOUNT" and plan.first_contact:
            self._first_contact(record, plan.first_contact, created=plan.creates)
        if plan.kind == "TICKET":
            self._records.add_document(record.id, self._document(
                record.subject, _changes_text(record, plan)), self._now)
        return int(record.id)

    def _first_contact(self, account: Any, name: str, *, created: bool) -> None:
        contact = None if created else self._records.first_contact(account.id)
        if contact is not None:
            self._records.patch("contact", contact.id, {"name": name}, self._now)
            return
        # The account's own Email1 reaches the contact too, when it is an address (not a domain).
        email = account.email if account.email and "@" in account.email else None
        self._records.create("contact", {"account_id": account.id, "name": name, "email": email},
                             self._now)

    def _document(self, subject: str | None, text: str) -> FiledDocument:
        """The transaction is filed on the ticket as a document of kind xml."""
        origin = self._origin
        return FiledDocument(kind=DocumentKind.XML, subject=subject, text=text, reply_text=text,
                             date=self._now, from_address=origin.from_address,
                             message_id=origin.message_id,
                             inbound_message_id=origin.inbound_message_id)


def _changes_text(ticket: Any, plan: RecordPlan) -> str:
    changed = ", ".join(f"{column} = {getattr(ticket, column)}" for column in plan.values
                        if column not in ("description", "subject"))
    lines = ["Updated by an XML transaction" + (f": {changed}" if changed else ".")]
    if "description" in plan.values:
        lines += ["", ticket.description or ""]
    return "\n".join(lines)
