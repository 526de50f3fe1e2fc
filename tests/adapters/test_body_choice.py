"""Which part is the body: an inline named text part, one alternative of multipart/alternative.

Shaped like real mail (issue 12): a message sent as an inline "notes.txt", an Exchange meeting
request (plain, HTML and text/calendar alternatives), Apple Mail's alternative with a mixed
part in it.
"""

from __future__ import annotations

import base64

from adapters.mail.documents import MAX_PARTS, extract_document
from adapters.mail.headers import parse_message
from domain.messages import ExtractedDocument

ICS = (b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nPRODID:Microsoft Exchange Server 2010\r\n"
       b"VERSION:2.0\r\nBEGIN:VEVENT\r\nSUMMARY;LANGUAGE=en-US:Server maintenance\r\n"
       b"DTSTART:20261203T090000Z\r\nDTEND:20261203T100000Z\r\n"
       b"UID:040000008200E00074C5B7101A82E0\r\n"
       b"ORGANIZER;CN=Bob Jones:mailto:bob@acme.example\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


def _read(raw: bytes) -> ExtractedDocument:
    return extract_document(parse_message(raw))


def test_a_message_whose_only_part_is_an_inline_text_file_has_that_text_as_body() -> None:
    raw = (b"From: Bob <bob@acme.example>\r\nTo: support@msp.example\r\nSubject: notes\r\n"
           b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8; name=\"notes.txt\"\r\n"
           b"Content-Disposition: inline; filename=\"notes.txt\"\r\n"
           b"Content-Transfer-Encoding: 7bit\r\n\r\nThe VPN drops every ten minutes.\r\n")
    doc = _read(raw)
    assert doc.text.strip() == "The VPN drops every ten minutes."
    assert [a.filename for a in doc.attachments] == ["notes.txt"]  # the named file is kept


def test_an_inline_named_text_part_first_in_a_mixed_message_is_the_body() -> None:
    raw = (b"From: bob@acme.example\r\nSubject: s\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
           b"--b1\r\nContent-Type: text/plain; name=\"body.txt\"\r\n"
           b"Content-Disposition: inline; filename=\"body.txt\"\r\n\r\nPlease see the log.\r\n"
           b"--b1\r\nContent-Type: text/plain; name=\"log.txt\"\r\n"
           b"Content-Disposition: inline; filename=\"log.txt\"\r\n\r\nERROR 42\r\n"
           b"--b1--\r\n")
    doc = _read(raw)
    assert doc.text.strip() == "Please see the log."  # the second named part stays a file only
    assert [a.filename for a in doc.attachments] == ["body.txt", "log.txt"]


def _meeting_request() -> bytes:
    ics = base64.encodebytes(ICS)
    return (b"From: Bob Jones <bob@acme.example>\r\nTo: support@msp.example\r\n"
            b"Subject: Server maintenance\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/alternative;\r\n\tboundary=\"_000_EXCH_\"\r\n\r\n"
            b"--_000_EXCH_\r\nContent-Type: text/plain; charset=\"us-ascii\"\r\n"
            b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
            b"The servers restart on Thursday.\r\n"
            b"--_000_EXCH_\r\nContent-Type: text/html; charset=\"us-ascii\"\r\n\r\n"
            b"<html><body><p>The servers restart on Thursday.</p></body></html>\r\n"
            b"--_000_EXCH_\r\nContent-Type: text/calendar; charset=\"utf-8\"; method=REQUEST\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" + ics +
            b"\r\n--_000_EXCH_--\r\n")


def test_an_exchange_meeting_request_keeps_its_calendar_as_an_ics_file_not_as_text() -> None:
    doc = _read(_meeting_request())
    assert doc.text.strip() == "The servers restart on Thursday."
    assert "VCALENDAR" not in doc.text
    assert doc.html is not None and "Thursday" in doc.html
    [invite] = doc.attachments
    assert (invite.filename, invite.content_type) == ("invite.ics", "text/calendar")
    assert invite.data == ICS


def test_only_one_alternative_is_the_body_when_one_holds_a_mixed_part() -> None:
    # Apple Mail: alternative of plain text and a multipart/mixed carrying a PDF between texts.
    raw = (b"From: bob@acme.example\r\nSubject: s\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n"
           b"--alt\r\nContent-Type: text/plain\r\n\r\nInvoice attached.\r\n\r\nBob\r\n"
           b"--alt\r\nContent-Type: multipart/mixed; boundary=\"mix\"\r\n\r\n"
           b"--mix\r\nContent-Type: text/html\r\n\r\n<p>Invoice attached.</p>\r\n"
           b"--mix\r\nContent-Type: application/pdf; name=\"inv.pdf\"\r\n"
           b"Content-Disposition: inline; filename=\"inv.pdf\"\r\n\r\n%PDF-1.4\r\n"
           b"--mix\r\nContent-Type: text/plain\r\n\r\nBob\r\n"
           b"--mix--\r\n--alt--\r\n")
    doc = _read(raw)
    assert doc.text.replace("\r\n", "\n").strip() == "Invoice attached.\n\nBob"
    assert [a.filename for a in doc.attachments] == ["inv.pdf"]


def test_an_html_only_alternative_with_a_calendar_is_the_html_rendered() -> None:
    raw = (b"From: bob@acme.example\r\nSubject: s\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n"
           b"--alt\r\nContent-Type: text/html\r\n\r\n<p>Call at <b>nine</b></p>\r\n"
           b"--alt\r\nContent-Type: text/calendar; method=REQUEST\r\n\r\n" + ICS +
           b"--alt--\r\n")
    doc = _read(raw)
    assert "Call at" in doc.text and "nine" in doc.text and "VCALENDAR" not in doc.text
    assert [a.content_type for a in doc.attachments] == ["text/calendar"]


def test_an_alternative_of_many_non_body_parts_keeps_at_most_max_parts() -> None:
    part = b"--alt\r\nContent-Type: text/calendar\r\n\r\nBEGIN:VCALENDAR\r\n"
    raw = (b"From: bob@acme.example\r\nSubject: s\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n"
           + part * (MAX_PARTS + 50) + b"--alt--\r\n")
    assert len(_read(raw).attachments) < MAX_PARTS
