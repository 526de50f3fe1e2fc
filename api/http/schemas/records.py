"""Accounts, contacts, employees, tickets and documents."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from api.http.schemas.common import (
    MAX_ID,
    WHEN,
    TicketStatus,
    _address,
    _address_or_domain,
    _Patch,
    _required_address,
    _Strict,
    example,
)

ACCOUNT = {"name": "Acme Corp", "email": "acme.example", "email2": "billing@acme.example",
           "account_number": "C-1042", "external_id": "crm-88", "notes": "Two sites"}
CONTACT = {"name": "Bob Jones", "email": "bob@acme.example"}
EMPLOYEE = {"name": "Tina Tech", "email1": "tina@msp.example", "email2": None, "active": True}
TICKET = {"account_id": 7, "contact_id": 12, "subject": "Printer on floor 2 is offline",
          "description": "It shows error E-301 since this morning.", "priority": 2}
STAMPS = {"created_at": WHEN, "updated_at": WHEN}

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
    model_config = example(ACCOUNT)


class AccountUpdate(_Patch):
    _not_null = ("name",)
    name: str | None = Field(default=None, min_length=1, max_length=250)
    email: str | None = Field(default=None, max_length=320)
    email2: str | None = Field(default=None, max_length=320)
    account_number: str | None = Field(default=None, max_length=100)
    external_id: str | None = Field(default=None, max_length=100)
    notes: str | None = Field(default=None, max_length=100_000)

    _check_emails = field_validator("email", "email2")(_address_or_domain)
    model_config = example({"notes": "Two sites; the second opens in January"})


class AccountPublic(BaseModel):
    model_config = example({"id": 7, **ACCOUNT, **STAMPS}, from_attributes=True)
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
    model_config = example(CONTACT)


class ContactUpdate(_Patch):
    _not_null = ("name",)
    name: str | None = Field(default=None, min_length=1, max_length=250)
    email: str | None = Field(default=None, max_length=320)

    _check_email = field_validator("email")(_address_or_domain)
    model_config = example({"email": "bob.jones@acme.example"})


class ContactPublic(BaseModel):
    model_config = example({"id": 12, "account_id": 7, **CONTACT, **STAMPS},
                           from_attributes=True)
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
    model_config = example(EMPLOYEE)


class EmployeeUpdate(_Patch):
    _not_null = ("name", "email1", "active")
    name: str | None = Field(default=None, min_length=1, max_length=250)
    email1: str | None = Field(default=None, max_length=320)
    email2: str | None = Field(default=None, max_length=320)
    active: bool | None = None

    _check_emails = field_validator("email1", "email2")(_address)
    model_config = example({"active": False})


class EmployeePublic(BaseModel):
    model_config = example({"id": 3, **EMPLOYEE, **STAMPS}, from_attributes=True)
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
    model_config = example(TICKET)


class TicketUpdate(_Patch):
    _not_null = ("subject", "status")
    contact_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    subject: str | None = Field(default=None, min_length=1, max_length=998)
    description: str | None = Field(default=None, max_length=1_000_000)
    status: TicketStatus | None = None  # type: ignore[valid-type]  # a Literal of the statuses
    priority: int | None = Field(default=None, ge=0, le=1000)
    model_config = example({"status": "closed"})


class TicketPublic(BaseModel):
    model_config = example({"id": 123, "number": "0000123", **TICKET, "status": "open",
                            "source": "api", **STAMPS})
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
    model_config = example({"id": 55, "filename": "error.png", "content_type": "image/png",
                            "size": 48213, "content_id": None, "inline": False})
    id: int
    filename: str
    content_type: str
    size: int
    content_id: str | None = None
    inline: bool = False


class DocumentPublic(BaseModel):
    model_config = example({
        "id": 301, "kind": "email", "from_address": "bob@acme.example",
        "to": ["support@msp.example"], "cc": [], "subject": "Printer on floor 2 is offline",
        "date": WHEN, "text": "It shows error E-301 since this morning.\n\nBob",
        "reply_text": "It shows error E-301 since this morning.", "html": None,
        "inbound_message_id": 4711, "created_at": WHEN, "attachments": [
            {"id": 55, "filename": "error.png", "content_type": "image/png", "size": 48213,
             "content_id": None, "inline": False}]})
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
