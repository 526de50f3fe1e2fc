"""The one decision taken for each inbound message, with the reason a person can read."""

from __future__ import annotations

from dataclasses import dataclass

from domain.model import DocumentKind, Outcome
from domain.xml_model import XmlTransaction


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    outcome: Outcome
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Ignore(Decision):
    """Nothing is filed and nothing is sent (loops, our own mail, bounces)."""

    bounced_outbound_message_id: str | None = None
    undeliverable: tuple[str, ...] = ()
    diagnostic: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Forward(Decision):
    """Forward the untouched original to the internal support team."""

    send: bool = True  # False when the hourly limit of forwards for this sender is reached


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateTicket(Decision):
    account_id: int
    contact_id: int | None = None
    acknowledge: bool = False
    forward: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class FileReply(Decision):
    ticket_id: int
    ticket_number: str
    document_kind: DocumentKind
    forward: bool
    reopen: bool = False
    matched_by: str = ""  # what threaded it: the subject's number, our reference, a Message-ID
    caution: str = ""  # what a person should check (a bare number from an unrelated sender)


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplyXml(Decision):
    """Carry out XML transactions record by record and answer each where asked.

    The outcome (xml_processed or xml_rejected) and reason are settled by what gets written.
    """

    transactions: tuple[XmlTransaction, ...]
