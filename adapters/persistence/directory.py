"""The Directory port on SQL: every lookup is an index lookup."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlmodel import Session

from adapters.persistence.tables import Account, Contact, Employee, OutboundMessage, Ticket
from domain.model import AccountMatch, EmployeeRef, TicketRef, format_ticket_number


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


def _ticket(row: tuple[int, int | None, str]) -> TicketRef:
    ticket_id, account_id, status = row
    return TicketRef(id=ticket_id, number=format_ticket_number(ticket_id),
                     account_id=account_id, status=status)
