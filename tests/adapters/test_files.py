"""Untrusted attachment names and content types (adapters/mail/files.py)."""

from __future__ import annotations

import pytest

from adapters.mail.documents import extract_document
from adapters.mail.files import safe_attachment, safe_content_type, safe_filename
from adapters.mail.headers import parse_message


@pytest.mark.parametrize("name", [
    "invoice\u202efdp.exe", "\u2066invoice\u2069\u202efdp.exe", "in\u200evoice\u200f\u061cfdp.exe",
    "invoice\u202a\u202b\u202cfdp\u202d.exe",
])
def test_bidi_controls_are_removed_from_filenames(name: str) -> None:
    assert safe_filename(name) == "invoicefdp.exe"


@pytest.mark.parametrize(("value", "safe"), [
    ("image/png", "image/png"),
    ("Application/VND.ms-excel; name=x", "application/vnd.ms-excel"),
    ("text/html\r\nX-Injected: 1", "application/octet-stream"),
    ("image/p\u00e9ng", "application/octet-stream"),
    ("image/png\x00", "application/octet-stream"),
    ("text/ht ml", "application/octet-stream"),
    ("text", "application/octet-stream"),
    ("a/b/c", "application/octet-stream"),
    ("", "application/octet-stream"),
])
def test_content_types_are_tokens_or_octet_stream(value: str, safe: str) -> None:
    assert safe_content_type(value) == safe


def test_an_extracted_attachment_is_made_safe_where_it_is_built() -> None:
    item = safe_attachment("a\u202egpj.exe", "image/jp\u200beg", b"x")
    assert (item.filename, item.content_type) == ("agpj.exe", "application/octet-stream")


def test_a_message_with_a_hostile_content_type_and_name() -> None:
    raw = ("From: a@b.example\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
           "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
           "hi\r\n--b\r\nContent-Type: image/p\u00e9ng\u0007\r\n"
           "Content-Disposition: attachment; filename*=UTF-8''report%E2%80%AEfdp.exe\r\n\r\n"
           "data\r\n--b--\r\n").encode()
    document = extract_document(parse_message(raw))
    [attachment] = document.attachments
    assert attachment.filename == "reportfdp.exe"
    assert attachment.content_type == "application/octet-stream"
