"""Forwards keep the original byte for byte; acknowledgements are plain and marked automatic."""

from __future__ import annotations

import base64
import email
from dataclasses import replace
from email.policy import default

from adapters.mail.compose import compose
from domain.messages import OutgoingMail

MAIL = OutgoingMail(mail_from="support@msp.example", to=["team@msp.example"], subject="Fwd ü",
                    body="Reason: ü\n", message_id="fwd.1@msp.example",
                    headers={"Reply-To": "bob@acme.example"})


def _attachment(data: bytes) -> email.message.EmailMessage:
    msg = email.message_from_bytes(data, policy=default)
    return [p for p in msg.walk() if p.get_filename() == "original.eml"][0]  # type: ignore[return-value]


def test_the_original_travels_unchanged_as_message_rfc822() -> None:
    original = b"From: bob@acme.example\r\nSubject: hi\r\n\r\nline one\r\nline two\r\n"
    data = compose(MAIL, original=original)
    assert b"Content-Type: message/rfc822\r\n" in data
    start = data.index(b"Content-Transfer-Encoding: 7bit\r\n\r\n", data.index(b"message/rfc822"))
    body = data[start + len(b"Content-Transfer-Encoding: 7bit\r\n\r\n"):]
    assert body.startswith(original)


def test_8bit_originals_go_as_8bit_or_as_base64_when_the_server_cannot_take_8bit() -> None:
    original = "From: bob@acme.example\r\nSubject: hi\r\n\r\nGrüße\r\n".encode("latin-1")
    assert b"Content-Transfer-Encoding: 8bit" in compose(MAIL, original=original, allow_8bit=True)
    fallback = compose(MAIL, original=original, allow_8bit=False)
    assert fallback.isascii()
    assert _attachment(fallback).get_content() == original


def test_overlong_lines_are_carried_as_base64_that_decodes_to_the_same_bytes() -> None:
    original = b"From: a@b.example\r\n\r\n" + b"x" * 2000 + b"\r\n"
    data = compose(MAIL, original=original)
    encoded = data[data.index(b"base64\r\n\r\n") + 10:data.rindex(b"\r\n--=_ec_")]
    assert base64.b64decode(encoded) == original


def test_headers_and_non_ascii_subjects_are_encoded_for_smtp() -> None:
    msg = email.message_from_bytes(compose(MAIL), policy=default)
    assert msg["Subject"] == "Fwd ü"
    assert msg["Message-ID"] == "<fwd.1@msp.example>"
    assert msg["Reply-To"] == "bob@acme.example"
    assert msg.get_content().splitlines() == ["Reason: ü"]


def test_mail_to_bcc_recipients_only_has_no_empty_to_header() -> None:
    data = compose(replace(MAIL, to=[], bcc=["audit@msp.example"]))
    head = data.split(b"\r\n\r\n", 1)[0]
    assert b"\r\nTo:" not in head and not head.startswith(b"To:")
    assert b"audit@msp.example" not in head  # a Bcc is never written into the message


def test_an_html_alternative_follows_the_plain_text() -> None:
    msg = email.message_from_bytes(compose(replace(MAIL, html="<p>Grüße</p>")), policy=default)
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert msg.get_body(("html",)).get_content().strip() == "<p>Grüße</p>"
