"""Mailjet Parse API: the message rebuilt from Headers, parts and attachments (§3.7)."""

from __future__ import annotations

import json

from adapters.inbound.mailjet import MailjetWebhook
from tests.adapters.inbound.payloads import (
    document,
    mailjet_payload,
    reference_message,
    request,
    split,
)


def receive(payload: dict) -> object:
    return MailjetWebhook().receive(
        request(json.dumps(payload).encode(), "application/json")).deliveries[0]


def test_the_payload_becomes_the_same_document_as_the_raw_message() -> None:
    reference = reference_message()
    assert document(receive(mailjet_payload(split(reference))).raw) == document(reference)


def test_envelope_and_spamassassin_score_are_kept() -> None:
    delivery = receive(mailjet_payload(split(reference_message())))
    assert (delivery.envelope_from, delivery.envelope_to) == ("bounce@acme.example",
                                                               ("support@msp.example",))
    assert delivery.spam_score == 0.602


def test_multi_valued_headers_keep_every_value() -> None:
    payload = mailjet_payload(split(reference_message()))
    payload["Headers"]["Received"] = ["by relay-1", "by relay-2"]
    head = receive(payload).raw.split(b"\r\n\r\n", 1)[0]
    assert b"Received: by relay-1\r\nReceived: by relay-2\r\n" in head


def test_the_documented_example_with_a_base64_text_attachment_is_read() -> None:
    payload = {"Sender": "pilot@mailjet.com", "Recipient": "passenger@mailjet.com",
               "Headers": {"From": "Pilot <pilot@mailjet.com>", "Subject": "Hey! It's Friday!",
                           "To": "passenger@mailjet.com", "MIME-Version": ["1.0"]},
               "Parts": [{"Headers": {"Content-Type": "text/plain; charset=utf-8; name=helloworld.txt",
                                      "Content-Transfer-Encoding": "base64",
                                      "Content-Disposition": "attachment; filename=helloworld.txt"},
                          "ContentRef": "Attachment1"}],
               "Text-part": "Hi,\n\nImportant notice: it's Friday...", "Attachment1": "SGVsbG8gV29ybGQh"}
    doc = document(receive(payload).raw)
    assert doc["text"] == "Hi,\r\n\r\nImportant notice: it's Friday..."
    assert [(a[0], a[1], a[-1]) for a in doc["attachments"]] == [
        ("helloworld.txt", "text/plain", b"Hello World!")]
