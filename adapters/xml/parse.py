"""Bytes to XmlTransaction, through defusedxml with hard limits, never raising.

Refused outright, before anything is read: any DTD (so no entity can be declared or expanded,
the "billion laughs", and no external entity or DTD can be fetched), documents over
MAX_BYTES, nesting deeper than MAX_DEPTH and more than MAX_ELEMENTS elements. A refused
document still yields a transaction carrying the problem, with the response address and
transaction id read by a literal scan, so the sender can be told why.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from defusedxml import DefusedXmlException, DTDForbidden
from defusedxml.ElementTree import DefusedXMLParser

from domain.xml_model import (
    MAX_BYTES,
    ROOT_TAG,
    ROOTS,
    XmlCode,
    XmlError,
    XmlRecord,
    XmlTransaction,
    names_a_transaction,
    shown,
)

__all__ = ["MAX_BYTES", "names_a_transaction", "parse_transaction"]

MAX_DEPTH = 8  # transaction, RecordData, field: anything deeper is not a transaction
MAX_ELEMENTS = 20_000
MAX_RECORDS = 500  # per transaction: all of them are written in the one processing transaction
_SINGLE = {"externalapplicationname": "application", "sendresponsetoemail": "respond_to",
           "password": "password", "returntransactionid": "return_id",
           "passthroughdata": "pass_through", "datakind": "data_kind"}
_SCAN = 64 * 1024
_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)
_EXTERNAL = re.compile(rb"<!(?:ENTITY|DOCTYPE)[^>]{0,2000}?\b(?:SYSTEM|PUBLIC)\b", re.IGNORECASE)


class _Refused(Exception):
    def __init__(self, code: XmlCode, message: str) -> None:
        super().__init__(message)
        self.error = XmlError(code, message)


class _LimitedTree:
    """An ElementTree builder that stops the parse as soon as a limit is passed."""

    def __init__(self) -> None:
        self._builder = ET.TreeBuilder()
        self._depth = 0
        self._count = 0

    def start(self, tag: str, attrs: dict[str, str]) -> Any:
        self._depth += 1
        self._count += 1
        if self._depth > MAX_DEPTH:
            raise _Refused(XmlCode.TOO_DEEP, f"refused: elements are nested more than {MAX_DEPTH} "
                                             "deep; a transaction needs three levels")
        if self._count > MAX_ELEMENTS:
            raise _Refused(XmlCode.TOO_MANY_ELEMENTS,
                           f"refused: the document has more than {MAX_ELEMENTS} elements")
        return self._builder.start(tag, attrs)

    def end(self, tag: str) -> Any:
        self._depth -= 1
        return self._builder.end(tag)

    def data(self, text: str) -> None:
        self._builder.data(text)

    def close(self) -> ET.Element:
        return self._builder.close()


def parse_transaction(data: bytes) -> XmlTransaction:
    """One document: the transaction it holds, or one that carries why it was refused."""
    try:
        if len(data) > MAX_BYTES:
            raise _Refused(XmlCode.TOO_LARGE, f"refused: the document is {len(data)} bytes; "
                                              f"at most {MAX_BYTES} are read")
        return _transaction(_parse(data))
    except _Refused as refused:
        return _scavenged(data, refused.error)


def _parse(data: bytes) -> ET.Element:
    parser = DefusedXMLParser(target=_LimitedTree(), forbid_dtd=True, forbid_entities=True,
                              forbid_external=True)
    try:
        parser.feed(data)
        return parser.close()  # type: ignore[no-any-return]
    except DTDForbidden as dtd:
        raise _Refused(*_dtd_problem(data, dtd)) from None
    except DefusedXmlException as exc:  # entity or external reference without a DTD handler
        raise _Refused(XmlCode.ENTITIES_REFUSED,
                       f"refused: entity declarations and references are not allowed ({exc})"
                       ) from None
    except ET.ParseError as exc:
        raise _Refused(XmlCode.MALFORMED, f"the document is not well-formed XML: {exc}") from None


def _dtd_problem(data: bytes, dtd: DTDForbidden) -> tuple[XmlCode, str]:
    head = data[:_SCAN]
    if dtd.sysid or dtd.pubid or _EXTERNAL.search(head):
        return XmlCode.EXTERNAL_REFUSED, ("refused: the document refers to an external DTD or "
                                          "entity (nothing outside the document is ever read)")
    if _ENTITY.search(head):
        return XmlCode.ENTITIES_REFUSED, ("refused: the document declares entities (<!ENTITY>); "
                                          "entity expansion such as the 'billion laughs' is not "
                                          "allowed")
    return XmlCode.DTD_REFUSED, "refused: the document has a DTD (<!DOCTYPE>); DTDs are not allowed"


def _local(tag: str) -> str:
    return tag.rpartition("}")[2].lower()


def _text(element: ET.Element, what: str, code: XmlCode = XmlCode.BAD_ENVELOPE) -> str:
    if len(element):
        raise _Refused(code, f"<{what}> must hold text, not elements")
    return element.text or ""


def _transaction(root: ET.Element) -> XmlTransaction:
    name = ROOTS.get(_local(root.tag))
    if name is None:
        raise _Refused(XmlCode.BAD_ENVELOPE, f"<{shown(_local(root.tag), 40)}> is not a "
                                             "transaction: the root must be CommitCRMTransaction "
                                             "or RangerMSPTransaction")
    values: dict[str, str] = {}
    records: list[XmlRecord] = []
    problem: XmlError | None = None
    for child in root:
        tag = _local(child.tag)
        try:
            if tag == "recorddata":
                records.append(_record(child))
            elif tag in _SINGLE:
                if _SINGLE[tag] in values:
                    raise _Refused(XmlCode.BAD_ENVELOPE, f"<{child.tag}> is given twice")
                values[_SINGLE[tag]] = _text(child, child.tag).strip()
            else:
                raise _Refused(XmlCode.BAD_ENVELOPE,
                               f"unknown element <{shown(child.tag, 40)}> in the transaction")
        except _Refused as refused:
            problem = problem or refused.error
    if len(records) > MAX_RECORDS and problem is None:
        problem = XmlError(XmlCode.TOO_MANY_ELEMENTS, f"the transaction has {len(records)} "
                           f"<RecordData>; at most {MAX_RECORDS}: send it in parts")
        records = []
    return XmlTransaction(root=name, records=tuple(records), problem=problem, **values)  # type: ignore[arg-type]


def _record(element: ET.Element) -> XmlRecord:
    fields = []
    for child in element:
        code = child.tag.rpartition("}")[2].upper()
        fields.append((code, _text(child, code, XmlCode.BAD_VALUE)))
    return XmlRecord(tuple(fields))


def _scavenged(data: bytes, error: XmlError) -> XmlTransaction:
    """What a refused document says about where to answer, read without parsing it."""
    head = data[:_SCAN]
    root = ROOT_TAG.search(head)
    return XmlTransaction(
        root=ROOTS[root.group(1).decode().lower()] if root else "CommitCRMTransaction",
        respond_to=_literal(head, b"SendResponseToEmail"),
        return_id=_literal(head, b"ReturnTransactionID"),
        application=_literal(head, b"ExternalApplicationName") or "",
        problem=error,
    )


def _literal(head: bytes, name: bytes) -> str | None:
    # Only plain text counts: no markup, no entity reference (nothing is expanded here).
    pattern = rb"<" + name + rb">\s*([^<&]{1,320}?)\s*</" + name + rb">"
    match = re.search(pattern, head, re.IGNORECASE)
    if not match:
        return None
    return match.group(1).decode("utf-8", "replace").strip() or None
