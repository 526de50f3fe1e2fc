"""What an XML transaction is once read (docs/xml-api.md), and the stable codes of its results.

Plain data only: reading bytes is the XML adapter's job, carrying a transaction out is
domain/xml_records.py and domain/xml_api.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import IntEnum


class XmlCode(IntEnum):
    """Result codes of the response's <Code>. Published in docs/xml-api.md: never renumber."""

    OK = 0
    # The document (nothing of it was read)
    MALFORMED = 100
    DTD_REFUSED = 101
    ENTITIES_REFUSED = 102
    EXTERNAL_REFUSED = 103
    TOO_LARGE = 104
    TOO_DEEP = 105
    TOO_MANY_ELEMENTS = 106
    BAD_ENVELOPE = 107
    # The transaction
    PASSWORD = 200
    UNKNOWN_KIND = 300
    NO_RECORDS = 301
    # One record (nothing of that record was written)
    UNKNOWN_FIELD = 302
    BAD_VALUE = 303
    MISSING_FIELD = 304
    RECORD_NOT_FOUND = 305
    REFERENCE_NOT_FOUND = 306
    MISMATCH = 307
    NO_ACCOUNT = 308
    NOT_SETTABLE = 309
    WRITE_FAILED = 500


@dataclass(frozen=True, slots=True)
class XmlError:
    code: XmlCode
    message: str


@dataclass(frozen=True, slots=True)
class XmlRecord:
    """One <RecordData>: its field codes (upper-case) and their text, in document order."""

    fields: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class XmlTransaction:
    """One transaction as read. `problem` is set when it could not be read as a whole; the
    envelope values found before that (where to answer, the id to echo) are still kept."""

    root: str = "CommitCRMTransaction"
    application: str = ""
    respond_to: str | None = None
    # Never shown: not in repr (so not in logs or tracebacks), never in a reason or response.
    password: str | None = field(default=None, repr=False)
    return_id: str | None = None
    pass_through: str | None = None
    data_kind: str = ""
    records: tuple[XmlRecord, ...] = ()
    problem: XmlError | None = None


def shown(value: str, limit: int = 60) -> str:
    """Untrusted text made short and single-line before it goes into a message."""
    text = " ".join(value.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# The transaction roots (docs/xml-api.md) and the largest document read as one.
MAX_BYTES = 1024 * 1024
ROOTS = {"commitcrmtransaction": "CommitCRMTransaction",
         "rangermsptransaction": "RangerMSPTransaction"}
ROOT_TAG = re.compile(rb"<\s*(?:[\w.-]+:)?(commitcrmtransaction|rangermsptransaction)\b",
                       re.IGNORECASE)


def names_a_transaction(data: bytes) -> bool:
    """Whether these bytes hold a transaction's root tag (read or not, it is meant as one)."""
    return ROOT_TAG.search(data) is not None
