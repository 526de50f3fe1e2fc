"""Accounts, contacts, employees, tickets and documents."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.http.schemas.common import (
    MAX_ID,
    TicketStatus,
    _address,
    _address_or_domain,
    _Patch,
    _required_address,
    _Strict,
)

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
    created_at: datetime
    updated_at: datetime


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
    created_at: datetime
    updated_at: datetime


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
    status: TicketStatus | None = None  # type: ignore[valid-type]  # a Literal of the statuses
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
