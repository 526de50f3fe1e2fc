"""NUL is dropped from every string the reader hands over (PostgreSQL text cannot hold it)."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from adapters.mail.reading import read_or_error, without_nul
from domain.messages import ExtractedAttachment, ExtractedDocument, ReadMessage


class Kind(StrEnum):
    PLAIN = "pla\x00in"


def document(text: str, filename: str = "a.txt") -> ExtractedDocument:
    return ExtractedDocument(
        text=text, html=None, reply_text="reply", date=datetime(2026, 12, 4, tzinfo=UTC),
        attachments=[ExtractedAttachment(filename, "text/plain", b"\x00bytes stay\x00")])


def test_every_string_in_nested_values_loses_its_nul_and_bytes_keep_theirs() -> None:
    value = {"k\x00ey": (document("te\x00xt", "fi\x00le.txt"), ["a\x00", 3, None]),
             "kind": Kind.PLAIN}
    cleaned = without_nul(value)
    doc, rest = cleaned["key"]
    assert doc.text == "text" and doc.attachments[0].filename == "file.txt"
    assert doc.attachments[0].data == b"\x00bytes stay\x00"
    assert rest == ["a", 3, None]
    assert cleaned["kind"] == "plain"
    assert value["k\x00ey"][0].text == "te\x00xt"  # the original is left as it was


def test_a_value_without_nul_is_handed_back_as_the_same_object() -> None:
    value = document("clean")
    assert without_nul(value) is value
    assert without_nul([value, ("a", "b")])[0] is value


def test_a_message_with_nul_in_headers_and_body_is_read_without_any() -> None:
    raw = (b"From: bob@acme.example\r\nSubject: hel\x00lo\r\nContent-Type: text/plain\r\n"
           b"\r\nbo=00dy\x00\r\n")
    read = read_or_error(raw.replace(b"bo=00", b"bo\x00"), None, None)
    assert isinstance(read, ReadMessage)
    assert read.view.subject == "hello" and "\x00" not in read.document.text
    assert "body" in read.document.text
