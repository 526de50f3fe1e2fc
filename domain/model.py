"""What the rules read and what they return."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from domain.xml_model import XmlTransaction


class Outcome(StrEnum):
    TICKET_CREATED = "ticket_created"
    FILED_CUSTOMER_REPLY = "filed_customer_reply"
    FILED_EMPLOYEE_REPLY = "filed_employee_reply"
    FORWARDED_UNRECOGNIZED = "forwarded_unrecognized"
    FORWARDED_ERROR = "forwarded_error"
    XML_PROCESSED = "xml_processed"
    XML_REJECTED = "xml_rejected"
    AUTOMATED_TICKET = "automated_ticket"
    AUTOMATED_SKIPPED = "automated_skipped"
    IGNORED_LOOP = "ignored_loop"
    BOUNCE = "bounce"
    DUPLICATE = "duplicate"


class MessageStatus(StrEnum):
    QUEUED = "queued"
    PROCESSING = "processing"
    DONE = "done"
    FAILED = "failed"


class TicketStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    WAITING = "waiting"
    CLOSED = "closed"


class OutboxKind(StrEnum):
    FORWARD = "forward"
    ACKNOWLEDGEMENT = "acknowledgement"
    XML_RESPONSE = "xml_response"
    TEST = "test"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # handed to the SMTP server, its answer not yet recorded
    SENT = "sent"
    FAILED = "failed"


# Ids are INTEGER columns: PostgreSQL refuses larger values outright, so a larger number names
# no record (a 404, or no ticket for a number in a subject) instead of failing the lookup.
MAX_ID = 2**31 - 1


class DocumentKind(StrEnum):
    CUSTOMER_EMAIL = "customer_email"
    EMPLOYEE_EMAIL = "employee_email"
    API = "api"
    XML = "xml"


@dataclass(frozen=True, slots=True)
class RecipientStatus:
    """One per-recipient block of an RFC 3464 report (§2.3): who, and what became of the mail."""

    address: str  # Final-Recipient
    original: str | None = None  # Original-Recipient, when it differs (the address we wrote to)
    action: str | None = None  # failed | delayed | delivered | relayed | expanded
    status: str | None = None  # an RFC 3463 code such as 5.1.1
    diagnostic: str = ""

    @property
    def permanent(self) -> bool:
        """The MTA gave up on this recipient for good: Action failed with a 5.x.x Status.

        "failed" with a 4.x.x Status (e.g. 4.4.7, retries expired) says nothing about the address.
        """
        if (self.action or "").lower() != "failed":
            return False
        return self.status is None or self.status.startswith("5")

    @property
    def addresses(self) -> tuple[str, ...]:
        return (self.address, self.original) if self.original else (self.address,)


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What a bounce says (RFC 3464 delivery status, or a best reading of an older one)."""

    action: str | None = None  # failed | delayed | delivered | relayed | expanded
    status: str | None = None  # an RFC 3463 code such as 5.1.1
    recipients: tuple[str, ...] = ()  # the addresses that could not be reached
    diagnostic: str = ""
    message_ids: tuple[str, ...] = ()  # Message-IDs of the mail that bounced, if readable
    # What the report says of each recipient; only these may mark an address undeliverable.
    per_recipient: tuple[RecipientStatus, ...] = ()

    @property
    def permanent(self) -> bool:
        if self.status:
            return self.status.startswith("5")
        return self.action == "failed"


@dataclass(frozen=True, slots=True)
class AuthResult:
    """One method's verdict in an Authentication-Results header: dkim=pass header.d=acme.com."""

    method: str  # dmarc | spf | dkim | arc | ... (lower-case)
    result: str  # pass | fail | softfail | none | neutral | temperror | permerror | ...
    properties: tuple[tuple[str, str], ...] = ()  # (ptype.property, value), e.g. header.from

    def prop(self, name: str) -> str | None:
        return next((v for k, v in self.properties if k == name), None)


@dataclass(frozen=True, slots=True)
class AuthVerdicts:
    """One Authentication-Results (RFC 8601) or ARC-Authentication-Results (RFC 8617) field."""

    header: str  # authentication-results | arc-authentication-results
    authserv_id: str  # lower-case
    instance: int | None = None  # the ARC instance (i=), None for Authentication-Results
    results: tuple[AuthResult, ...] = ()


@dataclass(frozen=True, slots=True)
class MessageView:
    """The parts of an inbound message the rules look at: headers, and (only when the XML API
    is on) the XML transactions its body or attachments hold. Other body text is not needed."""

    from_address: str | None
    from_name: str = ""
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    subject: str = ""
    message_id: str | None = None
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    content_type: str = "text/plain"
    report_type: str | None = None
    envelope_from: str | None = None
    return_path: str | None = None
    headers: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False, compare=False)
    xml: tuple[XmlTransaction, ...] | None = field(default=None, hash=False, compare=False)
    delivery_report: DeliveryReport | None = field(default=None, hash=False, compare=False)
    # Authentication verdicts in the headers, topmost first (Authentication-Results, then ARC).
    auth_results: tuple[AuthVerdicts, ...] = field(default=(), hash=False, compare=False)
    # What looks like our signed reply reference (domain/reply_reference.py), not yet verified:
    # from the recipients' sub-addresses (headers and envelope), then the body's lines.
    reply_references: tuple[str, ...] = field(default=(), hash=False, compare=False)

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[0] if values else None

    def has_header(self, name: str) -> bool:
        return name.lower() in self.headers


@dataclass(frozen=True, slots=True)
class Policy:
    """The connector settings the rules depend on, read once per batch."""

    public_address: str
    support_team_address: str
    from_address: str
    ticket_pattern: re.Pattern[str]
    acknowledge_new_tickets: bool = True
    acknowledgements_per_hour: int = 5
    forwards_per_sender_per_hour: int = 30
    now: datetime | None = None
    # The enabled automated-email rules (SPEC §2 step 2), in position order; read per batch.
    automation_rules: tuple[AutomationRule, ...] = ()
    # An active employee's reply that fails DMARC, or fails both SPF and DKIM, is filed as a
    # customer reply and forwarded (domain/authentication.py). Only when verdicts are present.
    distrust_failed_employee_auth: bool = True
    # The authserv-ids whose Authentication-Results / ARC-Authentication-Results are believed;
    # empty: only the topmost Authentication-Results header (the one our receiving MTA adds).
    trusted_authserv_ids: tuple[str, ...] = ()
    # The key our reply references are signed with ("": references are not checked).
    reply_reference_key: str = field(default="", repr=False)

    @property
    def own_addresses(self) -> frozenset[str]:
        return frozenset(
            a.lower() for a in (self.public_address, self.from_address) if a
        )


@dataclass(frozen=True, slots=True)
class AutomationRule:
    """An automated-email rule (SPEC §3). kind: detect | skip | account."""

    id: int
    kind: str
    position: int = 0
    enabled: bool = True
    sender: str | None = None
    subject_contains: str | None = None
    account_field: str | None = None  # name | account_number | external_id | id | sender
    location: str = "anywhere"  # anywhere | start | end | after
    marker: str | None = None


@dataclass(frozen=True, slots=True)
class FieldMatch:
    """An account whose name, account number, external id or id equals a key (case-folded)."""

    key: str
    account_id: int
    account_name: str


@dataclass(frozen=True, slots=True)
class RecordRef:
    """A record named by id in an XML transaction, and the account it belongs to."""

    kind: str
    id: int
    account_id: int | None = None


@dataclass(frozen=True, slots=True)
class AccountMatch:
    """One account field (or contact) that holds the looked-up address or domain."""

    account_id: int
    account_name: str
    contact_id: int | None = None
    via: str = "email"  # email | email2 | contact
    key: str = ""  # the address or domain that was found


@dataclass(frozen=True, slots=True)
class EmployeeRef:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class TicketRef:
    id: int
    number: str
    account_id: int | None
    status: str = "open"


def format_ticket_number(ticket_id: int) -> str:
    """Ticket numbers are shown with seven digits, as the original product does (0000123)."""
    return f"{ticket_id:07d}"
