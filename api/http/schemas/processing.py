"""The processing log, the outbox and the connector."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from api.http.schemas.common import (
    WHEN,
    _address,
    _Patch,
    _required_address,
    _Strict,
    example,
)

# --- processing log -------------------------------------------------------------------------------

class InboundMessagePublic(BaseModel):
    model_config = example({
        "id": 4711, "source": "postmark", "received_at": WHEN,
        "message_id": "<printer-2@acme.example>", "from_address": "bob@acme.example",
        "to": ["support@msp.example"], "subject": "Printer on floor 2 is offline",
        "status": "processed", "outcome": "ticket_created",
        "reason": "new ticket for account 7 (Acme Corp): the sender's domain acme.example",
        "ticket_number": "0000123", "attempts": 1, "error": None,
        "envelope_from": "bob@acme.example", "envelope_to": ["support@msp.example"],
        "size": 48940, "spam_score": 0.1, "spam_verdict": "not_spam", "duplicate_of": None,
        "processed_at": "2026-12-02T09:30:01Z", "updated_at": "2026-12-02T09:30:01Z"})
    id: int
    source: str
    received_at: datetime
    message_id: str | None
    from_address: str | None
    to: list[str]
    subject: str | None
    status: str
    outcome: str | None
    reason: str | None
    ticket_number: str | None
    attempts: int
    error: str | None
    envelope_from: str | None
    envelope_to: list[str]
    size: int
    spam_score: float | None
    spam_verdict: str | None
    duplicate_of: int | None
    processed_at: datetime | None
    updated_at: datetime


class OutboundMessagePublic(BaseModel):
    model_config = example({
        "id": 902, "kind": "acknowledgement", "to": ["bob@acme.example"],
        "subject": "[Ticket #0000123] Printer on floor 2 is offline", "status": "sent",
        "attempts": 1, "last_error": None, "inbound_message_id": 4711,
        "ticket_number": "0000123", "message_id": "<ack-902@msp.example>",
        "created_at": "2026-12-02T09:30:01Z", "sent_at": "2026-12-02T09:30:02Z",
        "bounced_at": None, "updated_at": "2026-12-02T09:30:02Z"})
    id: int
    kind: str
    to: list[str]
    subject: str
    status: str
    attempts: int
    last_error: str | None
    inbound_message_id: int | None
    ticket_number: str | None
    message_id: str
    created_at: datetime
    sent_at: datetime | None
    bounced_at: datetime | None = None
    updated_at: datetime


class IngestResponse(BaseModel):
    """Stored durably (queued), or recognised as a delivery already stored (duplicate)."""

    model_config = example({"id": 4711, "status": "queued", "duplicate_of": None})
    id: int
    status: Literal["queued", "duplicate"]
    duplicate_of: int | None = None


# --- connector --------------------------------------------------------------------------------------

class ConnectorPublic(BaseModel):
    status: Literal["on", "off"]
    public_address: str
    support_team_address: str
    from_address: str
    acknowledge_new_tickets: bool
    acknowledgements_per_hour: int
    forwards_per_sender_per_hour: int
    undeliverable_days: int
    xml_api_enabled: bool
    queued_messages: int
    outbox_backlog: int


class ConnectorUpdate(_Patch):
    _not_null = ("status", "public_address", "support_team_address", "from_address",
                 "acknowledge_new_tickets", "acknowledgements_per_hour",
                 "forwards_per_sender_per_hour", "undeliverable_days")
    status: Literal["on", "off"] | None = None
    public_address: str | None = None
    support_team_address: str | None = None
    from_address: str | None = None
    acknowledge_new_tickets: bool | None = None
    acknowledgements_per_hour: int | None = Field(default=None, ge=0, le=10_000)
    forwards_per_sender_per_hour: int | None = Field(default=None, ge=0, le=100_000)
    undeliverable_days: int | None = Field(default=None, ge=0, le=3650)

    _check_addresses = field_validator("public_address", "support_team_address",
                                       "from_address")(_address)


class CheckResult(BaseModel):
    model_config = example({"ok": True, "detail": "connected to smtp.msp.example:587 (STARTTLS), "
                                                  "authenticated"})
    ok: bool
    detail: str


class TestEmailRequest(_Strict):
    to: str = Field(max_length=320)
    from_: str | None = Field(default=None, alias="from", max_length=320)

    model_config = example({"to": "tina@msp.example", "from": "support@msp.example"},
                           extra="forbid", populate_by_name=True)
    _check_to = field_validator("to")(_required_address)
    _check_from = field_validator("from_")(_address)


class AcknowledgementPreviewRequest(_Strict):
    """A sample sender, and optionally templates to try before saving them."""

    model_config = example({"sender_name": "Bob Jones", "sender_address": "bob@acme.example",
                            "subject": "Printer on floor 2 is offline", "ticket_number": 123,
                            "subject_template": "[Ticket #{ticket}] {subject}"})

    sender_name: str = Field(default="Bob Jones", max_length=500)
    sender_address: str = Field(default="bob@customer.example", max_length=320)
    subject: str = Field(default="Printer on floor 2 is offline", max_length=5000)
    ticket_number: int = Field(default=123, ge=1, le=2**31 - 1)
    subject_template: str | None = Field(default=None, max_length=2000)
    body_template: str | None = Field(default=None, max_length=100_000)
    html_template: str | None = Field(default=None, max_length=200_000)


class AcknowledgementPreviewPublic(BaseModel):
    model_config = example({
        "from_name": "MSP Support", "from_address": "support@msp.example",
        "to": "Bob Jones <bob@acme.example>", "reply_to": None,
        "subject": "[Ticket #0000123] Printer on floor 2 is offline",
        "text": "Dear Bob Jones,\n\nthank you: your request is ticket 0000123.\n", "html": None})
    from_name: str
    from_address: str
    to: str
    reply_to: str | None
    subject: str
    text: str
    html: str | None
