"""The response document of a transaction (docs/xml-api.md, "Response").

Built with ElementTree so every value sent back (including text the sender chose, such as
ReturnTransactionID) is escaped. The password is never part of it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from domain.xml_api import TransactionResult


def render_response(result: TransactionResult) -> str:
    tx = result.transaction
    root = ET.Element(f"{tx.root}Response")
    _add(root, "ExternalApplicationName", tx.application)
    _add(root, "ReturnTransactionID", tx.return_id)
    _add(root, "PassThroughData", tx.pass_through)
    _add(root, "Status", "OK" if result.ok else "ERROR")
    _add(root, "Code", str(int(result.code)))
    _add(root, "Message", result.message)
    _add(root, "DataKind", tx.data_kind.strip().upper() if tx.data_kind else None)
    for record in result.records:
        # Each record's own result in attributes, so the children are field codes only.
        data = ET.SubElement(root, "RecordData", {
            "Index": str(record.index), "Status": "OK" if record.ok else "ERROR",
            "Code": str(int(record.code)), "Message": _xml_safe(record.message),
        })
        for code, value in record.ids:
            _add(data, code, value)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _add(parent: ET.Element, tag: str, text: str | None) -> None:
    if text:
        ET.SubElement(parent, tag).text = _xml_safe(text)


def _xml_safe(text: str) -> str:
    # XML 1.0 cannot carry most control characters, even escaped.
    return "".join(ch for ch in text if ch in "\t\n\r" or ord(ch) >= 0x20)
