"""Automated-email rules and the records XML transactions write."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from api.http.schemas.common import (
    WHEN,
    _Patch,
    _Strict,
    example,
)

RULE = {"kind": "detect", "position": 10, "enabled": True, "sender": "alerts@rmm.example",
        "subject_contains": None, "account_field": None, "location": "anywhere", "marker": None}

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
    model_config = example({"kind": "detect", "sender": "alerts@rmm.example"})


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
    model_config = example({"enabled": False})


class AutomationRulePublic(BaseModel):
    model_config = example({"id": 5, **RULE, "created_at": WHEN, "updated_at": WHEN},
                           from_attributes=True)
    id: int
    kind: str
    position: int
    enabled: bool
    sender: str | None
    subject_contains: str | None
    account_field: str | None
    location: str
    marker: str | None
    created_at: datetime
    updated_at: datetime


# --- records written by XML transactions ------------------------------------------------------

class AssetPublic(BaseModel):
    model_config = example({
        "id": 31, "account_id": 7, "contact_id": 12, "name": "Printer floor 2", "code": "PRN-02",
        "asset_type": "printer", "status": "active", "serial_no": "XK-99812",
        "manufacturer": "Brother", "model": "HL-L8360", "location": "Floor 2",
        "description": None, "notes": None, "purchase_date": "2024-03-01",
        "warranty_expires": "2027-03-01", "created_at": WHEN, "updated_at": WHEN},
        from_attributes=True)
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
    model_config = example({
        "id": 88, "account_id": 7, "ticket_id": 123, "employee_id": 3, "item": "Labor",
        "charge_date": "2026-12-02", "description": "Replaced the fuser", "quantity": "1.5",
        "price": "95.00", "billable": True, "stage": "draft", "created_at": WHEN,
        "updated_at": WHEN}, from_attributes=True)
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
    model_config = example({
        "id": 64, "account_id": 7, "ticket_id": 123, "contact_id": 12, "employee_id": 3,
        "kind": "call", "note_date": WHEN, "description": "Called Bob: printer works again",
        "created_at": WHEN, "updated_at": WHEN}, from_attributes=True)
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
