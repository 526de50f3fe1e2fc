"""A dict-backed Directory for pure domain tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from domain.model import (
    AccountMatch,
    AutomationRule,
    EmployeeRef,
    TicketRef,
    format_ticket_number,
)


@dataclass
class FakeDirectory:
    holders: dict[str, list[AccountMatch]] = field(default_factory=dict)
    employees: dict[str, EmployeeRef] = field(default_factory=dict)
    tickets: dict[int, TicketRef] = field(default_factory=dict)
    own_message_ids: dict[str, int | None] = field(default_factory=dict)
    acknowledgements: list[tuple[str, datetime]] = field(default_factory=list)
    forwards: list[tuple[str, datetime]] = field(default_factory=list)
    bounced: dict[str, str] = field(default_factory=dict)
    rules: tuple[AutomationRule, ...] = ()
    # Message-ID of an outbound message -> the addresses it was sent to (To and Bcc).
    sent_to: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # ticket id -> the addresses that wrote on it or were written to about it
    correspondents: dict[int, set[str]] = field(default_factory=dict)

    def add_account(self, account_id: int, name: str, *keys: str, contact_id: int | None = None) -> None:
        for key in keys:
            via = "contact" if contact_id else "email"
            self.holders.setdefault(key, []).append(AccountMatch(account_id, name, contact_id, via, key))

    def add_ticket(self, ticket_id: int, account_id: int = 1, status: str = "open") -> TicketRef:
        ticket = TicketRef(ticket_id, format_ticket_number(ticket_id), account_id, status)
        self.tickets[ticket_id] = ticket
        return ticket

    def accounts_holding(self, keys: Sequence[str]) -> Sequence[AccountMatch]:
        return [match for key in keys for match in self.holders.get(key, [])]

    def active_employee(self, address: str) -> EmployeeRef | None:
        return self.employees.get(address)

    def ticket_by_number(self, number: int) -> TicketRef | None:
        return self.tickets.get(number)

    def ticket_by_own_message_ids(self, message_ids: Sequence[str]) -> TicketRef | None:
        for message_id in message_ids:
            ticket_id = self.own_message_ids.get(message_id)
            if ticket_id is not None:
                return self.tickets.get(ticket_id)
        return None

    def is_own_message_id(self, message_id: str) -> bool:
        return message_id in self.own_message_ids

    def prefetch_own_message_ids(self, message_ids: Sequence[str]) -> None:
        pass  # answered from memory anyway

    def ticket_correspondent(self, ticket_id: int, address: str) -> bool:
        return address in self.correspondents.get(ticket_id, set())

    def outbound_recipients(self, message_id: str) -> tuple[str, ...] | None:
        if message_id in self.sent_to:
            return self.sent_to[message_id]
        return () if message_id in self.own_message_ids else None

    def acknowledgements_since(self, address: str, since: datetime) -> int:
        return sum(1 for to, at in self.acknowledgements if to == address and at >= since)

    def forwards_since(self, address: str, since: datetime) -> int:
        return sum(1 for sender, at in self.forwards if sender == address and at >= since)

    def undeliverable(self, address: str, now: datetime) -> str | None:
        return self.bounced.get(address)

    def automation_rules(self) -> tuple[AutomationRule, ...]:
        return self.rules
