"""The processing log, the outbox and the connector."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.http.schemas.common import (
    _address,
    _Patch,
    _required_address,
    _Strict,
)

# --- processing log -------------------------------------------------------------------------------

class InboundMessagePublic(BaseModel):
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


class OutboundMessagePublic(BaseModel):
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


class IngestResponse(BaseModel):
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
    ok: bool
    detail: str


class TestEmailRequest(_Strict):
    to: str = Field(max_length=320)
    from_: str | None = Field(default=None, alias="from", max_length=320)

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    _check_to = field_validator("to")(_required_address)
    _check_from = field_validator("from_")(_address)


class AcknowledgementPreviewRequest(_Strict):
    """A sample sender, and optionally templates to try before saving them."""

    sender_name: str = Field(default="Bob Jones", max_length=500)
    sender_address: str = Field(default="bob@customer.example", max_length=320)
    subject: str = Field(default="Printer on floor 2 is offline", max_length=5000)
    ticket_number: int = Field(default=123, ge=1, le=2**31 - 1)
    subject_template: str | None = Field(default=None, max_length=2000)
    body_template: str | None = Field(default=None, max_length=100_000)
    html_template: str | None = Field(default=None, max_length=200_000)


class AcknowledgementPreviewPublic(BaseModel):
    from_name: str
    from_address: str
    to: str
    reply_to: str | None
    subject: str
    text: str
    html: str | None
