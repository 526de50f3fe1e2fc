"""Ports: what the rules need from the outside world, implemented by adapters."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from domain.model import AccountMatch, EmployeeRef, FieldMatch, RecordRef, TicketRef


class Directory(Protocol):
    """Lookups the rules make. Each one is an index lookup in the persistence adapter."""

    def accounts_holding(self, keys: Sequence[str]) -> Sequence[AccountMatch]:
        """Accounts whose Email/Email2, or one of whose contacts' email, equals one of `keys`

        (full addresses or bare domains, already lower-case; each match names its key).
        One lookup for the address and its domain: the rules pick the exact match first.
        """
        ...

    def active_employee(self, address: str) -> EmployeeRef | None:
        """The active employee whose Email1 or Email2 is `address`."""
        ...

    def ticket_by_number(self, number: int) -> TicketRef | None: ...

    def ticket_by_own_message_ids(self, message_ids: Sequence[str]) -> TicketRef | None:
        """The ticket of the first of these Message-IDs that we sent out ourselves."""
        ...

    def is_own_message_id(self, message_id: str) -> bool:
        """True when we sent a message with this Message-ID."""
        ...

    def outbound_recipients(self, message_id: str) -> tuple[str, ...] | None:
        """The addresses (To and Bcc, lower-case) our outbound message with this Message-ID was
        sent to, or None when we sent no message with this Message-ID."""
        ...

    def acknowledgements_since(self, address: str, since: datetime) -> int:
        """How many acknowledgements were queued to `address` since `since`."""
        ...

    def forwards_since(self, address: str, since: datetime) -> int:
        """How many mails from `address` were forwarded to the support team since `since`."""
        ...

    def undeliverable(self, address: str, now: datetime) -> str | None:
        """Why mail to `address` is not sent now (a recent permanent bounce), or None."""
        ...

    def accounts_by_field(self, field: str, keys: Sequence[str]) -> Sequence[FieldMatch]:
        """Accounts whose `field` (name, account_number, external_id or id) equals one of `keys`

        (compared case-folded, whitespace collapsed: see domain.automation.field_key).
        """
        ...

    def xml_record(self, kind: str, record_id: int) -> RecordRef | None:
        """The record of this XML data kind (or EMPLOYEE) with this id, and its account."""
        ...
