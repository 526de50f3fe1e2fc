"""Request and response models of the REST API (the public contract of SPEC §3)."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Generic, Literal, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from domain.addresses import address_key

T = TypeVar("T")
# The largest record id: PostgreSQL's INTEGER. A larger one names no record, and reached the
# database as an out-of-range error (a 500) before it was refused here.
MAX_ID = 2_147_483_647
TicketStatus = Literal["open", "in_progress", "waiting", "closed"]


class ErrorBody(BaseModel):
    detail: str


class ValidationIssue(BaseModel):
    """One invalid part of a request, as FastAPI's request validation reports it."""

    model_config = ConfigDict(extra="allow")  # `input` and `ctx` vary by error type
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorBody(BaseModel):
    """A 422: a sentence (a rule of ours refused the values), or one entry per invalid field
    (the request did not match its schema)."""

    detail: str | list[ValidationIssue]


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int


def _address_or_domain(value: str | None) -> str | None:
    if value is None or value.strip() == "":
        return None
    if address_key(value) is None or ("@" not in value and "." not in value):
        raise ValueError("must be an email address or a bare domain such as acme.com")
    return value.strip()


def _address(value: str | None) -> str | None:
    if value is None or value.strip() == "":
        return None
    key = address_key(value)
    if key is None or "@" not in key:
        raise ValueError("must be an email address")
    return value.strip()


def _required_address(value: str) -> str:
    """An address that must be there: blank is refused here (422) rather than reaching the
    database's NOT NULL or the mailer as None (a 500 before)."""
    if value.strip() == "":
        raise ValueError("must be an email address")
    return _address(value)  # type: ignore[return-value]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        # PostgreSQL text cannot hold NUL: refused here (422), not at the database (a 500).
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(text, str) and "\x00" in text for text in texts):
            raise ValueError("must not contain NUL characters")
        return value


class _Patch(_Strict):
    """A partial update: fields left out are unchanged; these may not be set to null."""

    _not_null: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="after")
    def _required_stay_set(self) -> Self:
        nulled = [n for n in self._not_null if n in self.model_fields_set and getattr(self, n) is None]
        if nulled:
            raise ValueError(f"{', '.join(nulled)} cannot be null")
        return self


# --- accounts, contacts, employees ----------------------------------------------------------------

class AccountCreate(_Strict):
    name: str = Field(min_length=1, max_length=250)
    email: str | None = Field(default=None, max_length=320,
                              description="An address, or a bare domain (acme.com) to match by domain")
    email2: str | None = Field(default=None, max_length=320)
    account_number: str | None = Field(default=None, max_length=100)
    external_id: str | None = Field(default=None, max_length=100)
    notes: str | None = Field(default=None, max_length=100_000)

    _check_emails = field_validator("email", "email2")(_address_or_domain)


class AccountUpdate(_Patch):
    _not_null = ("name",)
    name: str | None = Field(default=None, min_length=1, max_length=250)
    email: str | None = Field(default=None, max_length=320)
    email2: str | None = Field(default=None, max_length=320)
    account_number: str | None = Field(default=None, max_length=100)
    external_id: str | None = Field(default=None, max_length=100)
    notes: str | None = Field(default=None, max_length=100_000)

    _check_emails = field_validator("email", "email2")(_address_or_domain)


class AccountPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    email: str | None
    email2: str | None
    account_number: str | None
    external_id: str | None
    notes: str | None
    created_at: datetime
    updated_at: datetime


class ContactCreate(_Strict):
    name: str = Field(min_length=1, max_length=250)
    email: str | None = Field(default=None, max_length=320,
                              description="An address, or a bare domain to match by domain")

    _check_email = field_validator("email")(_address_or_domain)


class ContactUpdate(_Patch):
    _not_null = ("name",)
    name: str | None = Field(default=None, min_length=1, max_length=250)
    email: str | None = Field(default=None, max_length=320)

    _check_email = field_validator("email")(_address_or_domain)


class ContactPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    account_id: int
    name: str
    email: str | None


class EmployeeCreate(_Strict):
    name: str = Field(min_length=1, max_length=250)
    email1: str = Field(max_length=320)
    email2: str | None = Field(default=None, max_length=320)
    active: bool = True

    _check_email1 = field_validator("email1")(_required_address)
    _check_email2 = field_validator("email2")(_address)


class EmployeeUpdate(_Patch):
    _not_null = ("name", "email1", "active")
    name: str | None = Field(default=None, min_length=1, max_length=250)
    email1: str | None = Field(default=None, max_length=320)
    email2: str | None = Field(default=None, max_length=320)
    active: bool | None = None

    _check_emails = field_validator("email1", "email2")(_address)


class EmployeePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    email1: str
    email2: str | None
    active: bool


# --- tickets and documents --------------------------------------------------------------------------

class TicketCreate(_Strict):
    account_id: int = Field(ge=1, le=MAX_ID)
    contact_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    subject: str = Field(min_length=1, max_length=998)
    description: str | None = Field(default=None, max_length=1_000_000)
    priority: int | None = Field(default=None, ge=0, le=1000)


class TicketUpdate(_Patch):
    _not_null = ("subject", "status")
    contact_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    subject: str | None = Field(default=None, min_length=1, max_length=998)
    description: str | None = Field(default=None, max_length=1_000_000)
    status: TicketStatus | None = None
    priority: int | None = Field(default=None, ge=0, le=1000)


class TicketPublic(BaseModel):
    id: int
    number: str = Field(description="As shown in subjects: [Ticket #0000123]")
    account_id: int | None
    contact_id: int | None
    subject: str
    description: str | None
    status: str
    priority: int | None
    source: str
    created_at: datetime
    updated_at: datetime


class AttachmentMeta(BaseModel):
    id: int
    filename: str
    content_type: str
    size: int
    content_id: str | None = None
    inline: bool = False


class DocumentPublic(BaseModel):
    id: int
    kind: str
    from_address: str | None
    to: list[str]
    cc: list[str]
    subject: str | None
    date: datetime | None
    text: str | None
    reply_text: str | None
    html: str | None
    inbound_message_id: int | None
    created_at: datetime
    attachments: list[AttachmentMeta]


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


# --- automated-email rules (SPEC §3) -----------------------------------------------------------

RuleKind = Literal["detect", "skip", "account"]
RuleAccountField = Literal["name", "account_number", "external_id", "id", "sender"]
RuleLocation = Literal["anywhere", "start", "end", "after"]


class AutomationRuleCreate(_Strict):
    kind: RuleKind
    position: int | None = Field(default=None, ge=0, le=1_000_000,
                                 description="Order within the kind; default: after the last")
    enabled: bool = True
    sender: str | None = Field(default=None, max_length=320,
                               description="detect: an address, or a domain for all its senders")
    subject_contains: str | None = Field(default=None, min_length=1, max_length=250)
    account_field: RuleAccountField | None = None
    location: RuleLocation = "anywhere"
    marker: str | None = Field(default=None, min_length=1, max_length=250)


class AutomationRuleUpdate(_Patch):
    _not_null = ("kind", "position", "enabled", "location")
    kind: RuleKind | None = None
    position: int | None = Field(default=None, ge=0, le=1_000_000)
    enabled: bool | None = None
    sender: str | None = Field(default=None, max_length=320)
    subject_contains: str | None = Field(default=None, min_length=1, max_length=250)
    account_field: RuleAccountField | None = None
    location: RuleLocation | None = None
    marker: str | None = Field(default=None, min_length=1, max_length=250)


class AutomationRulePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: str
    position: int
    enabled: bool
    sender: str | None
    subject_contains: str | None
    account_field: str | None
    location: str
    marker: str | None


# --- records written by XML transactions ------------------------------------------------------

class AssetPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    account_id: int
    contact_id: int | None
    name: str
    code: str | None
    asset_type: str | None
    status: str
    serial_no: str | None
    manufacturer: str | None
    model: str | None
    location: str | None
    description: str | None
    notes: str | None
    purchase_date: date | None
    warranty_expires: date | None
    created_at: datetime
    updated_at: datetime


class ChargePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    account_id: int
    ticket_id: int | None
    employee_id: int | None
    item: str | None
    charge_date: date
    description: str
    quantity: str = Field(description="A decimal number as text, e.g. \"1.5\"")
    price: str | None = Field(description="A decimal number as text, e.g. \"95.00\"")
    billable: bool
    stage: str = Field(description="draft or billed")
    created_at: datetime
    updated_at: datetime


class HistoryNotePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    account_id: int
    ticket_id: int | None
    contact_id: int | None
    employee_id: int | None
    kind: str | None
    note_date: datetime
    description: str
    created_at: datetime
    updated_at: datetime
