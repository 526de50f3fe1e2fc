"""A boundary parameter folded across header lines is unfolded before the body is split.

Shape from the wild (issue 12): a forward whose `boundary="...<CRLF> ..."` was folded by the
sending mailer; the recovery splitter took the attached message's boundary instead, and the
outer body and the attached message were lost.
"""

from __future__ import annotations

from adapters.mail.documents import extract_document
from adapters.mail.headers import parse_message

INNER = (b"From: customer@client.example\r\nSubject: Original problem\r\nMIME-Version: 1.0\r\n"
         b"Content-Type: multipart/alternative; boundary=\"inner-b\"\r\n\r\n"
         b"--inner-b\r\nContent-Type: text/plain\r\n\r\nThe original text.\r\n"
         b"--inner-b\r\nContent-Type: text/html\r\n\r\n<p>The original text.</p>\r\n"
         b"--inner-b--\r\n")
FOLDED = b"boundary=\"----=_NextPart_000_0012\r\n _01DB0A\""
USED = b"------=_NextPart_000_0012 _01DB0A"  # the unfolded value (RFC 5322: CRLF removed)


def _forward_body() -> bytes:
    return (USED + b"\r\nContent-Type: text/plain\r\n\r\nSee the forward below.\r\n"
            + USED + b"\r\nContent-Type: message/rfc822\r\n\r\n" + INNER
            + b"\r\n" + USED + b"--\r\n")


def test_a_folded_top_level_boundary_keeps_the_body_and_the_attached_message() -> None:
    raw = (b"From: bob@acme.example\r\nSubject: Fwd: problem\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed;\r\n\t" + FOLDED + b"\r\n\r\n" + _forward_body())
    doc = extract_document(parse_message(raw))
    assert doc.text.strip() == "See the forward below."
    [forwarded] = doc.attachments
    assert forwarded.content_type == "message/rfc822"
    assert b"The original text." in forwarded.data and b"Original problem" in forwarded.data


def test_a_folded_boundary_of_a_nested_part_is_unfolded_by_the_recovery_splitter() -> None:
    raw = (b"From: bob@acme.example\r\nSubject: Fwd: problem\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=\"top\"\r\n\r\n"
           b"--top\r\nContent-Type: multipart/mixed;\r\n " + FOLDED + b"\r\n\r\n" + _forward_body()
           + b"\r\n--top--\r\n")
    doc = extract_document(parse_message(raw))
    assert doc.text.strip() == "See the forward below."
    [forwarded] = doc.attachments
    assert b"The original text." in forwarded.data
