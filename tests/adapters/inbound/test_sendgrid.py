"""SendGrid Inbound Parse: parsed mode with charsets and attachments, and Send Raw (§3.1)."""

from __future__ import annotations

import json

import pytest

from adapters.inbound.sendgrid import SendgridWebhook
from domain.errors import MalformedPayload
from tests.adapters.inbound.payloads import (
    document,
    multipart,
    reference_message,
    request,
    sendgrid_fields,
    split,
)


def receive(fields: list) -> object:
    body, ctype = multipart(fields)
    return SendgridWebhook().receive(request(body, ctype)).deliveries[0]


class TestParsedMode:
    def test_the_parsed_post_becomes_the_same_document_as_the_raw_message(self) -> None:
        reference = reference_message()
        delivery = receive(sendgrid_fields(split(reference)))
        assert document(delivery.raw) == document(reference)

    def test_text_in_a_non_utf8_charset_keeps_its_bytes_and_label(self) -> None:
        parts = split(reference_message())
        assert parts.text_charset == "iso-8859-1" and b"\xe9" in (parts.text or b"")
        raw = receive(sendgrid_fields(parts)).raw
        assert b"Content-Type: text/plain; charset=iso-8859-1" in raw
        assert "l'imprimante de l'étage 2" in document(raw)["text"]

    def test_envelope_and_spam_score_are_kept(self) -> None:
        delivery = receive(sendgrid_fields(split(reference_message())))
        assert delivery.envelope_from == "bounce@acme.example"
        assert delivery.envelope_to == ("support@msp.example",)
        assert delivery.spam_score == 2.597
        assert delivery.provider_event_id is None  # SendGrid gives none [AM-sg]

    def test_the_header_block_is_kept_apart_from_its_mime_structure(self) -> None:
        raw = receive(sendgrid_fields(split(reference_message()))).raw
        head = raw.split(b"\r\n\r\n", 1)[0]
        assert b"Received: from mail.acme.example" in head
        assert b"Message-ID: <ref-1@acme.example>" in head
        assert head.count(b"Content-Type:") == 1 and b"===============" not in head

    def test_a_content_id_given_only_in_content_ids_still_makes_the_part_inline(self) -> None:
        fields = [("headers", "From: a@b.example\nSubject: x\n"), ("html", '<img src="cid:ii_1">'),
                  ("content-ids", json.dumps({"ii_1": "attachment1"})),
                  ("attachment1", ("photo.jpg", "image/jpeg", b"\xff\xd8\xff"))]
        (attachment,) = document(receive(fields).raw)["attachments"]
        assert attachment[:4] == ("photo.jpg", "image/jpeg", "ii_1", True)


class TestSendRaw:
    def test_the_email_field_is_handed_over_byte_exact_even_above_1_mb(self) -> None:
        raw = reference_message().replace(b"Bob\r\n", b"Bob\r\n" + b"\xe9\xff" * 700_000, 1)
        delivery = receive([("email", raw), ("to", "support@msp.example"),
                            ("envelope", json.dumps({"to": ["support@msp.example"],
                                                     "from": "bounce@acme.example"})),
                            ("spam_score", "0.1")])
        assert delivery.raw == raw
        assert delivery.envelope_to == ("support@msp.example",)

    def test_a_post_with_neither_headers_nor_email_is_malformed(self) -> None:
        with pytest.raises(MalformedPayload, match="Inbound Parse"):
            receive([("to", "support@msp.example")])
