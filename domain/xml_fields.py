"""The field codes each XML data kind accepts, and what each one writes (docs/xml-api.md).

Codes are RangerMSP's database field names where they are known (rangermsp.md §2.3); the few
this project had to define (FLDCRDCARDID on a contact, FLDTKTEMAIL) follow the same pattern.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

TEXT = "text"
ID = "id"
INT = "int"
ADDRESS = "address"
ADDRESS_OR_DOMAIN = "address_or_domain"
DECIMAL = "decimal"
DATE = "date"
DATETIME = "datetime"
CHOICE = "choice"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    code: str
    column: str | None  # None: read by the rules of the kind, not stored as such
    type: str
    meaning: str
    max_length: int = 250
    refers_to: str | None = None  # ID fields: the data kind the id names
    choices: Mapping[str, object] = field(default_factory=dict)
    required: bool = False  # on create; and it may not be emptied by an update
    create_only: bool = False  # fixed once the record exists
    read_only: bool = False  # assigned by the connector, given back in responses


@dataclass(frozen=True, slots=True)
class KindSpec:
    name: str
    label: str
    recid: str
    fields: Mapping[str, FieldSpec]


def _kind(name: str, label: str, recid: str, *specs: FieldSpec) -> KindSpec:
    return KindSpec(name, label, recid, {s.code: s for s in specs})


_STATUS = {"open": "open", "in_progress": "in_progress", "in progress": "in_progress",
           "waiting": "waiting", "closed": "closed"}
_BILLABLE = {"b": True, "billable": True, "y": True, "yes": True, "true": True, "1": True,
             "n": False, "not billable": False, "no": False, "false": False, "0": False}
_STAGE = {"d": "draft", "draft": "draft", "b": "billed", "billed": "billed"}

ACCOUNT = _kind(
    "ACCOUNT", "account", "FLDCRDRECID",
    FieldSpec("FLDCRDFULLNAME", "name", TEXT, "Account name (RangerMSP \"File As\")"),
    FieldSpec("FLDCRDCOMPANY", "name", TEXT,
              "Company name; the account name when FLDCRDFULLNAME is not given"),
    FieldSpec("FLDCRDCONTACT", None, TEXT,
              "Contact person: the account's first contact (created with Email1 when that is "
              "an address; on update its name is changed, or it is added)"),
    FieldSpec("FLDCRDEMAIL1", "email", ADDRESS_OR_DOMAIN,
              "Email (an address, or a bare domain to match a whole domain)", 320),
    FieldSpec("FLDCRDEMAIL2", "email2", ADDRESS_OR_DOMAIN, "Email 2", 320),
    FieldSpec("FLDCRDCARDID2", "account_number", TEXT, "Account number (Account #)", 100),
    FieldSpec("FLDCRDCARDID3", "external_id", TEXT, "External (foreign system) id", 100),
    FieldSpec("FLDCRDNOTES", "notes", TEXT, "Notes", 100_000),
)

CONTACT = _kind(
    "CONTACT", "contact", "FLDCRDRECID",
    FieldSpec("FLDCRDCARDID", "account_id", ID, "Record id of the contact's account",
              refers_to="ACCOUNT", required=True, create_only=True),
    FieldSpec("FLDCRDCONTACT", "name", TEXT, "Contact name", required=True),
    FieldSpec("FLDCRDEMAIL1", "email", ADDRESS_OR_DOMAIN, "Email (an address or a bare domain)",
              320),
)

TICKET = _kind(
    "TICKET", "ticket", "FLDTKTRECID",
    FieldSpec("FLDTKTCARDID", "account_id", ID, "Record id of the ticket's account",
              refers_to="ACCOUNT", create_only=True),
    FieldSpec("FLDTKTEMAIL", None, ADDRESS,
              "Requester's address: finds the account (and contact) by sender matching "
              "when FLDTKTCARDID is not given", 320, create_only=True),
    FieldSpec("FLDTKTCONTACTID", "contact_id", ID, "Record id of a contact of that account",
              refers_to="CONTACT"),
    FieldSpec("FLDTKTPROBLEM", "description", TEXT,
              "Problem description; its first line is the ticket subject", 1_000_000,
              required=True),
    FieldSpec("FLDTKTPRIORITY", "priority", INT, "Priority, 0 to 1000"),
    FieldSpec("FLDTKTSTATUS", "status", CHOICE, "open, in_progress, waiting or closed",
              choices=_STATUS),
    FieldSpec("FLDTKTTICKETNO", None, TEXT, "Ticket number (0000124), given back in responses",
              read_only=True),
)

ASSET = _kind(
    "ASSET", "asset", "FLDASTRECID",
    FieldSpec("FLDASTACCRECID", "account_id", ID, "Record id of the asset's account",
              refers_to="ACCOUNT", required=True, create_only=True),
    FieldSpec("FLDASTCONTACTRECID", "contact_id", ID, "Record id of a contact of that account",
              refers_to="CONTACT"),
    FieldSpec("FLDASTNAME", "name", TEXT, "Asset name", required=True),
    FieldSpec("FLDASTASSETCODE", "code", TEXT, "Asset code", 100),
    FieldSpec("FLDASTASSETTYPE", "asset_type", TEXT, "Asset type", 100),
    FieldSpec("FLDASTSTATUS", "status", TEXT, "Status (default active)", 50),
    FieldSpec("FLDASTSERIALNO", "serial_no", TEXT, "Serial number", 100),
    FieldSpec("FLDASTMANUFACTURER", "manufacturer", TEXT, "Manufacturer", 100),
    FieldSpec("FLDASTMODEL", "model", TEXT, "Model", 100),
    FieldSpec("FLDASTLOCATION", "location", TEXT, "Location"),
    FieldSpec("FLDASTDESC", "description", TEXT, "Description", 10_000),
    FieldSpec("FLDASTNOTES", "notes", TEXT, "Notes", 100_000),
    FieldSpec("FLDASTCUSTPURDATE", "purchase_date", DATE, "Purchase date (YYYY-MM-DD)"),
    FieldSpec("FLDASTWARREXPDATE", "warranty_expires", DATE, "Warranty expiry (YYYY-MM-DD)"),
)

CHARGE = _kind(
    "CHARGE", "charge", "FLDSLPRECID",
    FieldSpec("FLDSLPCARDID", "account_id", ID,
              "Record id of the account charged (or taken from FLDSLPTICKETID)",
              refers_to="ACCOUNT", create_only=True),
    FieldSpec("FLDSLPTICKETID", "ticket_id", ID, "Record id of a ticket of that account",
              refers_to="TICKET"),
    FieldSpec("FLDSLPWORKERID", "employee_id", ID, "Record id of the employee",
              refers_to="EMPLOYEE"),
    FieldSpec("FLDSLPITEMID", "item", TEXT, "Item code", 100),
    FieldSpec("FLDSLPSLIPDATE", "charge_date", DATE, "Date (YYYY-MM-DD; default today)"),
    FieldSpec("FLDSLPDESC", "description", TEXT, "Description", 10_000, required=True),
    FieldSpec("FLDSLPQUANTITY", "quantity", DECIMAL, "Quantity or hours (default 1)"),
    FieldSpec("FLDSLPPRICE", "price", DECIMAL, "Unit price"),
    FieldSpec("FLDSLPBILLKIND", "billable", CHOICE, "B billable (default) or N not billable",
              choices=_BILLABLE),
    FieldSpec("FLDSLPSTAGE", "stage", CHOICE, "D draft (default) or B billed", choices=_STAGE),
)

HISTORYNOTE = _kind(
    "HISTORYNOTE", "history note", "FLDHISRECID",
    FieldSpec("FLDHISCARDID", "account_id", ID,
              "Record id of the account (or taken from FLDHISLINKRECID)",
              refers_to="ACCOUNT", create_only=True),
    FieldSpec("FLDHISLINKRECID", "ticket_id", ID, "Record id of a ticket the note is about",
              refers_to="TICKET"),
    FieldSpec("FLDHISCONTACTID", "contact_id", ID, "Record id of a contact of that account",
              refers_to="CONTACT"),
    FieldSpec("FLDHISWORKERID", "employee_id", ID, "Record id of the employee",
              refers_to="EMPLOYEE"),
    FieldSpec("FLDHISNOTEDATETIME", "note_date", DATETIME,
              "Date and time (ISO 8601; UTC when no offset; default now)"),
    FieldSpec("FLDHISDESCRIPTION", "description", TEXT, "The note", 100_000, required=True),
    FieldSpec("FLDHISKIND", "kind", TEXT, "What the note is about", 50),
)

KINDS: Mapping[str, KindSpec] = {k.name: k for k in (ACCOUNT, CONTACT, TICKET, ASSET, CHARGE,
                                                      HISTORYNOTE)}
