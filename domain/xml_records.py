"""One <RecordData>: every field checked, every reference looked up, before anything is written.

The result is either a plan (what to write) or the error that names what is wrong, so a
rejected record never leaves half of itself behind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from domain.addresses import address_key
from domain.model import RecordRef, format_ticket_number
from domain.ports import Directory
from domain.sender_matching import match_sender
from domain.xml_fields import (
    ADDRESS,
    ADDRESS_OR_DOMAIN,
    CHOICE,
    DATE,
    DATETIME,
    DECIMAL,
    ID,
    INT,
    FieldSpec,
    KindSpec,
)
from domain.xml_model import XmlCode, XmlError, XmlRecord, shown

MAX_ID = 2**62
_LABELS = {"ACCOUNT": "account", "CONTACT": "contact", "TICKET": "ticket", "EMPLOYEE": "employee"}


@dataclass(frozen=True, slots=True)
class RecordPlan:
    """What to write for one record: column values of a new record, or the changes to one."""

    kind: str
    record_id: int | None  # None: create
    values: dict[str, Any]
    first_contact: str | None = None  # ACCOUNT: FLDCRDCONTACT
    notes: tuple[str, ...] = field(default=())  # how references were resolved, for the message

    @property
    def creates(self) -> bool:
        return self.record_id is None


def plan_record(kind: KindSpec, record: XmlRecord, directory: Directory) -> RecordPlan | XmlError:
    given, problem = _fields(kind, record)
    if problem:
        return problem
    existing: RecordRef | None = None
    recid = given.pop(kind.recid, "")
    if recid:
        record_id = _id(recid)
        if record_id is None:
            return XmlError(XmlCode.BAD_VALUE, f"{kind.recid} {shown(recid)!r} is not a record id "
                                               "(a whole number above 0)")
        existing = directory.xml_record(kind.name, record_id)
        if existing is None:
            return XmlError(XmlCode.RECORD_NOT_FOUND,
                            f"{kind.label} {record_id} ({kind.recid}) does not exist")
    values, problems = _values(kind, given, updating=existing is not None)
    if problems:
        return _first(problems)
    return _resolve(kind, values, existing, directory)


def _fields(kind: KindSpec, record: XmlRecord) -> tuple[dict[str, str], XmlError | None]:
    given: dict[str, str] = {}
    unknown: list[str] = []
    twice: list[str] = []
    for code, text in record.fields:
        if code != kind.recid and code not in kind.fields:
            unknown.append(shown(code, 40))
        elif code in given:
            twice.append(code)
        given[code] = text.strip()
    if unknown:
        return given, XmlError(XmlCode.UNKNOWN_FIELD,
                               f"unknown field code(s) for {kind.name}: {', '.join(unknown)}")
    if twice:
        return given, XmlError(XmlCode.BAD_VALUE, f"field(s) given twice: {', '.join(twice)}")
    return given, None


def _values(kind: KindSpec, given: dict[str, str], *, updating: bool
            ) -> tuple[dict[str, Any], list[XmlError]]:
    """Field code -> converted value (None: emptied by an update)."""
    values: dict[str, Any] = {}
    problems: list[XmlError] = []
    for code, text in given.items():
        spec = kind.fields[code]
        if spec.read_only:
            problems.append(XmlError(XmlCode.NOT_SETTABLE,
                                     f"{code} is assigned by the connector and cannot be set"))
            continue
        if spec.create_only and updating:
            problems.append(XmlError(XmlCode.NOT_SETTABLE,
                                     f"{code} can only be given when the {kind.label} is created"))
            continue
        if text == "":
            if updating and spec.required:
                problems.append(XmlError(XmlCode.MISSING_FIELD, f"{code} cannot be emptied"))
            elif updating:
                values[code] = None
            continue  # an empty element on create is the same as leaving it out
        converted = convert(spec, text)
        if isinstance(converted, XmlError):
            problems.append(converted)
        else:
            values[code] = converted
    if not updating:
        missing = [s.code for s in kind.fields.values() if s.required and s.code not in values]
        if missing:
            problems.append(XmlError(XmlCode.MISSING_FIELD,
                                     f"required for a new {kind.label}: {', '.join(missing)}"))
    return values, problems


def convert(spec: FieldSpec, text: str) -> object | XmlError:
    """The typed value of one field, or the error naming the field and the bad value."""
    bad = f"{spec.code}: {shown(text)!r} is not"
    if "\x00" in text:
        return XmlError(XmlCode.BAD_VALUE, f"{spec.code} holds a NUL character")
    if spec.type == ID:
        number = _id(text)
        return number if number is not None else XmlError(
            XmlCode.BAD_VALUE, f"{bad} a record id (a whole number above 0)")
    if spec.type == INT:
        if not (text.isascii() and text.isdigit()) or len(text) > 4 or int(text) > 1000:
            return XmlError(XmlCode.BAD_VALUE, f"{bad} a whole number from 0 to 1000")
        return int(text)
    if spec.type in (ADDRESS, ADDRESS_OR_DOMAIN):
        key = address_key(text) if len(text) <= spec.max_length else None
        domain_ok = spec.type == ADDRESS_OR_DOMAIN and key is not None and "." in key
        if key is None or ("@" not in key and not domain_ok):
            what = "an email address" + (" or a bare domain" if spec.type != ADDRESS else "")
            return XmlError(XmlCode.BAD_VALUE, f"{bad} {what}")
        return key if spec.type == ADDRESS else text
    if spec.type == DECIMAL:
        return _decimal(text, bad)
    if spec.type == DATE:
        try:
            return date.fromisoformat(text)
        except ValueError:
            return XmlError(XmlCode.BAD_VALUE, f"{bad} a date (YYYY-MM-DD)")
    if spec.type == DATETIME:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return XmlError(XmlCode.BAD_VALUE, f"{bad} a date and time (ISO 8601)")
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    if spec.type == CHOICE:
        key = " ".join(text.lower().split())
        if key not in spec.choices:
            return XmlError(XmlCode.BAD_VALUE, f"{bad} one of: {spec.meaning}")
        return spec.choices[key]
    if len(text) > spec.max_length:
        return XmlError(XmlCode.BAD_VALUE,
                        f"{spec.code} is {len(text)} characters long; at most {spec.max_length}")
    return text


def _decimal(text: str, bad: str) -> str | XmlError:
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or abs(number) >= 10**12:
        return XmlError(XmlCode.BAD_VALUE, f"{bad} a number (for example 1.5)")
    if number.as_tuple().exponent < -4:  # type: ignore[operator]
        return XmlError(XmlCode.BAD_VALUE, f"{bad} a number with at most 4 decimals")
    # Kept as text: money and hours must not pass through binary floating point.
    return format(number, "f")  # as written ("95.00"), without exponent notation ("1E+3")


def _id(text: str) -> int | None:
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def _resolve(kind: KindSpec, values: dict[str, Any], existing: RecordRef | None,
             directory: Directory) -> RecordPlan | XmlError:
    """Check the references and settle the account; then map codes to columns."""
    notes: list[str] = []
    refs: dict[str, RecordRef] = {}
    for code, value in values.items():
        spec = kind.fields[code]
        if spec.type == ID and spec.refers_to and value is not None:
            ref = directory.xml_record(spec.refers_to, value)
            if ref is None:
                label = _LABELS.get(spec.refers_to, spec.refers_to.lower())
                return XmlError(XmlCode.REFERENCE_NOT_FOUND, f"{code}: there is no {label} {value}")
            refs[spec.refers_to] = ref
    columns = {spec.column: value for code, value in values.items()
               if (spec := kind.fields[code]).column}
    first_contact = None
    if kind.name == "ACCOUNT":
        naming = [values[c] for c in ("FLDCRDFULLNAME", "FLDCRDCOMPANY") if values.get(c)]
        if len(set(naming)) > 1:
            return XmlError(XmlCode.BAD_VALUE, "FLDCRDFULLNAME and FLDCRDCOMPANY both name the "
                                               "account and differ: give one of them")
        if naming:
            columns["name"] = naming[0]
        elif existing is None or "FLDCRDFULLNAME" in values or "FLDCRDCOMPANY" in values:
            return XmlError(XmlCode.MISSING_FIELD, "the account needs a name: FLDCRDFULLNAME "
                                                   "or FLDCRDCOMPANY")
        first_contact = values.get("FLDCRDCONTACT")
    account_id = existing.account_id if existing else columns.get("account_id")
    if kind.name in ("TICKET", "CHARGE", "HISTORYNOTE") and existing is None and account_id is None:
        found = _account_from(kind, values, refs, directory)
        if isinstance(found, XmlError):
            return found
        account_id, contact_id, note = found
        columns["account_id"] = account_id
        if contact_id is not None and "contact_id" not in columns:
            columns["contact_id"] = contact_id
        notes.append(note)
    for ref_kind in ("CONTACT", "TICKET"):
        ref = refs.get(ref_kind)
        if ref is not None and kind.name != "CONTACT" and ref.account_id != account_id:
            return XmlError(XmlCode.MISMATCH, f"{ref_kind.lower()} {ref.id} belongs to account "
                                              f"{ref.account_id}, not to account {account_id}")
    if kind.name == "TICKET" and "description" in columns:
        columns["subject"] = ticket_subject(columns["description"])
    return RecordPlan(kind=kind.name, record_id=existing.id if existing else None, values=columns,
                      first_contact=first_contact, notes=tuple(notes))


def _account_from(kind: KindSpec, values: dict[str, Any], refs: dict[str, RecordRef],
                  directory: Directory) -> tuple[int, int | None, str] | XmlError:
    """The account of a new ticket, charge or note that does not name one by record id."""
    ticket = refs.get("TICKET")
    if ticket is not None and ticket.account_id is not None:
        return ticket.account_id, None, f"account {ticket.account_id} of ticket {ticket.id}"
    address = values.get("FLDTKTEMAIL")
    if kind.name != "TICKET" or not address:
        needed = {"TICKET": "FLDTKTCARDID or FLDTKTEMAIL", "CHARGE": "FLDSLPCARDID or "
                  "FLDSLPTICKETID", "HISTORYNOTE": "FLDHISCARDID or FLDHISLINKRECID"}[kind.name]
        return XmlError(XmlCode.MISSING_FIELD, f"a new {kind.label} needs its account: {needed}")
    match = match_sender(address, directory)
    if match.is_ambiguous:
        return XmlError(XmlCode.NO_ACCOUNT, f"FLDTKTEMAIL {address} matches several accounts by "
                                            f"{match.by} {match.key}: {match.describe_accounts()}")
    account = match.account
    if account is None:
        return XmlError(XmlCode.NO_ACCOUNT, f"FLDTKTEMAIL {address} matches no account by "
                                            "address or domain")
    return (account.account_id, account.contact_id,
            f"account {account.account_id} ({account.account_name}) found by FLDTKTEMAIL "
            f"{address} by {match.by} {match.key}")


def ticket_subject(description: str | None) -> str:
    """A ticket made from XML takes the first line of its description as subject."""
    line = next((ln.strip() for ln in (description or "").splitlines() if ln.strip()), "")
    return (line[:197] + "...") if len(line) > 200 else (line or "(no subject)")


def written_message(plan: RecordPlan, record_id: int) -> str:
    label = {"HISTORYNOTE": "History note"}.get(plan.kind, plan.kind.capitalize())
    shown_id = format_ticket_number(record_id) if plan.kind == "TICKET" else str(record_id)
    text = f"{label} {shown_id} {'created' if plan.creates else 'updated'}"
    return text + (f" ({'; '.join(plan.notes)})" if plan.notes else "")


def _first(problems: list[XmlError]) -> XmlError:
    return XmlError(problems[0].code, "; ".join(p.message for p in problems))
