"""The tables of the records XML transactions write (docs/xml-api.md) and of the automated
alerts' rules; the others are in tables.py."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Index, Text
from sqlmodel import Field, SQLModel

from adapters.persistence.types import foreign_key, utc_field, utcnow


class Asset(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = foreign_key("account.id", nullable=False)
    contact_id: int | None = foreign_key("contact.id", ondelete="SET NULL", index=False)
    name: str
    code: str | None = None
    asset_type: str | None = None
    status: str = "active"
    serial_no: str | None = None
    manufacturer: str | None = None
    model: str | None = None
    location: str | None = None
    description: str | None = Field(default=None, sa_type=Text)
    notes: str | None = Field(default=None, sa_type=Text)
    purchase_date: date | None = Field(default=None, sa_type=Date)
    warranty_expires: date | None = Field(default=None, sa_type=Date)
    created_at: datetime = utc_field(default_factory=utcnow)
    updated_at: datetime = utc_field(default_factory=utcnow)


class Charge(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = foreign_key("account.id", nullable=False)
    ticket_id: int | None = foreign_key("ticket.id", ondelete="SET NULL")
    employee_id: int | None = foreign_key("employee.id", ondelete="SET NULL", index=False)
    item: str | None = None
    charge_date: date = Field(default_factory=lambda: utcnow().date(), sa_type=Date)
    description: str = Field(sa_type=Text)
    # Decimal text ("1.5"): money and hours never pass through binary floating point.
    quantity: str = "1"
    price: str | None = None
    billable: bool = True
    stage: str = "draft"
    created_at: datetime = utc_field(default_factory=utcnow)
    updated_at: datetime = utc_field(default_factory=utcnow)


class HistoryNote(SQLModel, table=True):
    __tablename__ = "history_note"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = foreign_key("account.id", nullable=False)
    ticket_id: int | None = foreign_key("ticket.id", ondelete="SET NULL")
    contact_id: int | None = foreign_key("contact.id", ondelete="SET NULL", index=False)
    employee_id: int | None = foreign_key("employee.id", ondelete="SET NULL", index=False)
    kind: str | None = None
    note_date: datetime = utc_field(default_factory=utcnow)
    description: str = Field(sa_type=Text)
    created_at: datetime = utc_field(default_factory=utcnow)
    updated_at: datetime = utc_field(default_factory=utcnow)


class AutomationRule(SQLModel, table=True):
    """An automated-email rule (SPEC §3); each kind runs in position order."""
    __tablename__ = "automation_rule"
    __table_args__ = (Index("ix_automation_rule_kind_position", "kind", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str
    position: int = 0
    enabled: bool = True
    sender: str | None = None
    subject_contains: str | None = None
    account_field: str | None = None
    location: str = "anywhere"
    marker: str | None = None
    created_at: datetime = utc_field(default_factory=utcnow)
    updated_at: datetime = utc_field(default_factory=utcnow)
