"""The Directory port on SQL: every lookup is an index lookup."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlmodel import Session

from adapters.persistence.tables import (
    Account,
    Asset,
    AutomationRule,
    Charge,
    Contact,
    Employee,
    HistoryNote,
    OutboundMessage,
    Ticket,
)
from domain import model
from domain.model import (
    AccountMatch,
    EmployeeRef,
    FieldMatch,
    RecordRef,
    TicketRef,
    format_ticket_number,
)

_KEY_COLUMNS = {"name": Account.name_key, "account_number": Account.account_number_key,
                "external_id": Account.external_id_key}
# The record of each XML data kind and the column naming its account.
_RECORDS: dict[str, tuple[Any, Any]] = {
    "ACCOUNT": (Account, Account.id), "CONTACT": (Contact, Contact.account_id),
    "TICKET": (Ticket, Ticket.account_id), "ASSET": (Asset, Asset.account_id),
    "CHARGE": (Charge, Charge.account_id), "HISTORYNOTE": (HistoryNote, HistoryNote.account_id),
    "EMPLOYEE": (Employee, None),
}


class SqlDirectory:
    def __init__(self, session: Session) -> None:
        self.session = session

    def accounts_holding(self, key: str) -> Sequence[AccountMatch]:
        matches: list[AccountMatch] = []
        accounts = self.session.execute(
            select(Account.id, Account.name, Account.email_key, Account.email2_key)
            .where(or_(Account.email_key == key, Account.email2_key == key))
        ).all()
        for account_id, name, email_key, _ in accounts:
            matches.append(AccountMatch(account_id, name, None,
                                        "email" if email_key == key else "email2"))
        contacts = self.session.execute(
            select(Contact.account_id, Account.name, Contact.id)
            .join(Account, Account.id == Contact.account_id)
            .where(Contact.email_key == key)
        ).all()
        for account_id, name, contact_id in contacts:
            matches.append(AccountMatch(account_id, name, contact_id, "contact"))
        return matches

    def active_employee(self, address: str) -> EmployeeRef | None:
        row = self.session.execute(
            select(Employee.id, Employee.name)
            .where(or_(Employee.email1_key == address, Employee.email2_key == address))
            .where(Employee.active.is_(True))
            .order_by(Employee.id)
            .limit(1)
        ).first()
        return EmployeeRef(row[0], row[1]) if row else None

    def ticket_by_number(self, number: int) -> TicketRef | None:
        if number <= 0 or number > 2**62:
            return None
        row = self.session.execute(
            select(Ticket.id, Ticket.account_id, Ticket.status).where(Ticket.id == number)
        ).first()
        return _ticket(row) if row else None

    def ticket_by_own_message_ids(self, message_ids: Sequence[str]) -> TicketRef | None:
        if not message_ids:
            return None
        rows = self.session.execute(
            select(OutboundMessage.message_id, OutboundMessage.ticket_id)
            .where(OutboundMessage.message_id.in_(list(message_ids)))
            .where(OutboundMessage.ticket_id.is_not(None))
        ).all()
        by_id = {message_id: ticket_id for message_id, ticket_id in rows}
        for message_id in message_ids:
            ticket_id = by_id.get(message_id)
            if ticket_id is not None:
                return self.ticket_by_number(ticket_id)
        return None

    def is_own_message_id(self, message_id: str) -> bool:
        return self.session.execute(
            select(OutboundMessage.id).where(OutboundMessage.message_id == message_id).limit(1)
        ).first() is not None

    def acknowledgements_since(self, address: str, since: datetime) -> int:
        return self.session.execute(
            select(func.count())
            .select_from(OutboundMessage)
            .where(OutboundMessage.recipient_key == address)
            .where(OutboundMessage.kind == "acknowledgement")
            .where(OutboundMessage.created_at >= since)
        ).scalar_one()

    def accounts_by_field(self, field: str, keys: Sequence[str]) -> Sequence[FieldMatch]:
        if field == "id":
            ids = [int(k) for k in keys if k.isdigit() and 0 < int(k) <= 2**62]
            rows = self.session.execute(
                select(Account.id, Account.name, Account.id).where(Account.id.in_(ids))
            ).all() if ids else []
            return [FieldMatch(str(key), account_id, name) for account_id, name, key in rows]
        column = _KEY_COLUMNS.get(field)
        if column is None or not keys:
            return []
        rows = self.session.execute(
            select(column, Account.id, Account.name).where(column.in_(list(keys)))
            .order_by(Account.id)
        ).all()
        return [FieldMatch(key, account_id, name) for key, account_id, name in rows]

    def xml_record(self, kind: str, record_id: int) -> RecordRef | None:
        table, account_column = _RECORDS[kind]
        if not 0 < record_id <= 2**62:
            return None
        row = self.session.execute(
            select(table.id, account_column if account_column is not None else table.id)
            .where(table.id == record_id)
        ).first()
        if row is None:
            return None
        return RecordRef(kind, row[0], row[1] if account_column is not None else None)

    def automation_rules(self) -> tuple[model.AutomationRule, ...]:
        """The enabled rules in position order (read once per batch, into the Policy)."""
        rows = self.session.execute(
            select(AutomationRule).where(AutomationRule.enabled.is_(True))
            .order_by(AutomationRule.position, AutomationRule.id)
        ).scalars()
        return tuple(rule_of(row) for row in rows)


def rule_of(row: AutomationRule) -> model.AutomationRule:
    assert row.id is not None
    return model.AutomationRule(
        id=row.id, kind=row.kind, position=row.position, enabled=row.enabled, sender=row.sender,
        subject_contains=row.subject_contains, account_field=row.account_field,
        location=row.location, marker=row.marker,
    )


def _ticket(row: tuple[int, int | None, str]) -> TicketRef:
    ticket_id, account_id, status = row
    return TicketRef(id=ticket_id, number=format_ticket_number(ticket_id),
                     account_id=account_id, status=status)
