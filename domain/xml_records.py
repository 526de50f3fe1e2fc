"""One <RecordData>: every field checked, every reference looked up, before anything is written.

The result is either a plan (what to write) or the error that names what is wrong, so a
rejected record never leaves half of itself behind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from domain.model import RecordRef, format_ticket_number
from domain.ports import Directory
from domain.sender_matching import match_sender
from domain.xml_fields import ID, KindSpec
from domain.xml_model import XmlCode, XmlError, XmlRecord, shown
from domain.xml_values import convert, record_id_of

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
        record_id = record_id_of(recid)
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


def _resolve(kind: KindSpec, values: dict[str, Any], existing: RecordRef | None,
             directory: Directory) -> RecordPlan | XmlError:
    """Check the references and settle the account; then map codes to columns."""
    refs = _references(kind, values, directory)
    if isinstance(refs, XmlError):
        return refs
    columns = {spec.column: value for code, value in values.items()
               if (spec := kind.fields[code]).column}
    if kind.name == "ACCOUNT":
        name = _account_name(values, updating=existing is not None)
        if isinstance(name, XmlError):
            return name
        if name is not None:
            columns["name"] = name
    notes: list[str] = []
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
    if kind.name != "CONTACT":
        mismatch = _other_account(refs, account_id)
        if mismatch:
            return mismatch
    if kind.name == "TICKET" and "description" in columns:
        columns["subject"] = ticket_subject(columns["description"])
    return RecordPlan(kind=kind.name, record_id=existing.id if existing else None, values=columns,
                      first_contact=values.get("FLDCRDCONTACT") if kind.name == "ACCOUNT" else None,
                      notes=tuple(notes))


def _references(kind: KindSpec, values: dict[str, Any], directory: Directory
                ) -> dict[str, RecordRef] | XmlError:
    """The records the id fields name, by data kind; the first one missing is an error."""
    refs: dict[str, RecordRef] = {}
    for code, value in values.items():
        spec = kind.fields[code]
        if spec.type == ID and spec.refers_to and value is not None:
            ref = directory.xml_record(spec.refers_to, value)
            if ref is None:
                label = _LABELS.get(spec.refers_to, spec.refers_to.lower())
                return XmlError(XmlCode.REFERENCE_NOT_FOUND, f"{code}: there is no {label} {value}")
            refs[spec.refers_to] = ref
    return refs


def _account_name(values: dict[str, Any], *, updating: bool) -> str | None | XmlError:
    """RangerMSP has two name fields ("File As" and company); the account has one name."""
    naming = [values[c] for c in ("FLDCRDFULLNAME", "FLDCRDCOMPANY") if values.get(c)]
    if len(set(naming)) > 1:
        return XmlError(XmlCode.BAD_VALUE, "FLDCRDFULLNAME and FLDCRDCOMPANY both name the "
                                           "account and differ: give one of them")
    if naming:
        return str(naming[0])
    if not updating or "FLDCRDFULLNAME" in values or "FLDCRDCOMPANY" in values:
        return XmlError(XmlCode.MISSING_FIELD, "the account needs a name: FLDCRDFULLNAME or "
                                               "FLDCRDCOMPANY")
    return None


def _other_account(refs: dict[str, RecordRef], account_id: int | None) -> XmlError | None:
    for ref_kind in ("CONTACT", "TICKET"):
        ref = refs.get(ref_kind)
        if ref is not None and ref.account_id != account_id:
            return XmlError(XmlCode.MISMATCH, f"{ref_kind.lower()} {ref.id} belongs to account "
                                              f"{ref.account_id}, not to account {account_id}")
    return None


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
