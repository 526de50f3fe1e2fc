"""Postmark: RawEmail untouched, or the message rebuilt from the JSON (§3.3)."""

from __future__ import annotations

import base64
import json
import os
import tracemalloc

import pytest

from adapters.inbound.postmark import PostmarkWebhook
from api.http.body import PIECE
from domain.errors import MalformedPayload
from tests.adapters.inbound.payloads import (
    document,
    postmark_payload,
    reference_message,
    request,
    split,
)


def receive(payload: dict) -> object:
    body = json.dumps(payload).encode()
    return PostmarkWebhook().receive(request(body, "application/json")).deliveries[0]


class TestRawEmail:
    def test_raw_email_is_handed_over_untouched(self) -> None:
        reference = reference_message()
        assert receive(postmark_payload(split(reference), raw=True)).raw == reference

    def test_envelope_event_id_spam_and_mailbox_hash_come_from_the_json(self) -> None:
        delivery = receive(postmark_payload(split(reference_message()), raw=True))
        assert delivery.envelope_from == "bounce@acme.example"  # the prepended Return-Path
        assert delivery.envelope_to == ("support+4711@msp.example",)  # MailboxHash kept
        assert delivery.provider_event_id == "b7bc2f4a-e38e-4336-af7d-e6c392c2f817"
        assert (delivery.spam_score, delivery.spam_verdict) == (-0.1, "not_spam")


class TestRebuilt:
    def test_the_json_becomes_the_same_document_as_the_raw_message(self) -> None:
        reference = reference_message()
        delivery = receive(postmark_payload(split(reference)))
        assert document(delivery.raw) == document(reference)

    def test_the_prepended_return_path_is_not_a_header_of_the_message(self) -> None:
        raw = receive(postmark_payload(split(reference_message()))).raw
        head = raw.split(b"\r\n\r\n", 1)[0]
        assert b"Return-Path" not in head
        assert b"From: Bob Jones <bob@acme.example>" in head
        assert b"Message-ID: <ref-1@acme.example>" in head
        assert "Subject: Imprimante hors ligne – étage 2".encode() in head

    def test_cc_bcc_and_reply_to_are_rebuilt_from_the_full_fields(self) -> None:
        payload = postmark_payload(split(reference_message()))
        payload.update(CcFull=[{"Email": "first@acme.example", "Name": "First, Cc"}],
                       BccFull=[{"Email": "support@msp.example", "Name": ""}],
                       ReplyTo="replies@acme.example")
        head = receive(payload).raw.split(b"\r\n\r\n", 1)[0]
        assert b'Cc: "First, Cc" <first@acme.example>' in head
        assert b"Bcc: support@msp.example" in head
        assert b"Reply-To: replies@acme.example" in head

    def test_attachments_sent_as_data_like_postmarks_samples_are_read_too(self) -> None:
        payload = postmark_payload(split(reference_message()))
        payload["Attachments"] = [{"Name": "test.txt", "ContentType": "text/plain",
                                   "Data": base64.b64encode(b"attachment").decode()}]
        (attachment,) = document(receive(payload).raw)["attachments"]
        assert attachment[0] == "test.txt" and attachment[-1] == b"attachment"

    def test_a_large_attachment_and_a_small_one_come_back_byte_for_byte(self) -> None:
        payload = postmark_payload(split(reference_message()))
        big, small = os.urandom(3_000_001), b"small"  # over a chunk of base64, not a multiple
        payload["Attachments"] = [
            {"Name": "scan.pdf", "ContentType": "application/pdf",
             "Content": base64.b64encode(big).decode()},
            {"Name": "note.txt", "ContentType": "text/plain",
             "Content": base64.b64encode(small).decode()}]
        raw = receive(payload).raw
        assert base64.encodebytes(big).replace(b"\n", b"\r\n") in raw  # 76-character lines
        assert [(a[0], a[-1]) for a in document(raw)["attachments"]] == \
            [("note.txt", small), ("scan.pdf", big)]  # sorted by name

    def test_attachment_content_that_is_not_base64_is_malformed(self) -> None:
        payload = postmark_payload(split(reference_message()))
        payload["Attachments"] = [{"Name": "x.bin", "Content": "abc"}]  # a wrong length
        with pytest.raises(MalformedPayload, match="base64"):
            receive(payload)

    def test_a_tracking_webhook_on_the_inbound_url_is_malformed(self) -> None:
        with pytest.raises(MalformedPayload, match="Bounce"):
            receive({"RecordType": "Bounce"})


def test_a_large_payloads_body_becomes_its_decoded_file_as_it_is_read() -> None:
    """Held at once before: the body, its text and the attachment's base64 string (3 x its
    size), later the body and the decoded file (1.75 x). Now the body, read in the pieces it
    arrived in, each let go once read, becomes the decoded file: at most the body and a few
    pieces at once (bench/memory.py measures the process, with the rebuild)."""
    data = os.urandom(12_000_000)
    payload = {"FromFull": {"Email": "eve@stranger.example", "Name": ""},
               "ToFull": [{"Email": "support@msp.example", "Name": ""}], "Subject": "scan",
               "TextBody": "attached", "Attachments": [{
                   "Name": "scan.pdf", "ContentType": "application/pdf",
                   "Content": base64.b64encode(data).decode()}]}
    text = json.dumps(payload)
    size = len(text)
    tracemalloc.start()
    try:
        body = text.encode()  # traced: what is freed of it counts
        pieces = [body[i:i + PIECE] for i in range(0, size, PIECE)]  # as read_pieces makes them
        del body, text
        hook = request(pieces, "application/json")  # type: ignore[arg-type]
        del pieces  # the request holds the only reference
        tracemalloc.reset_peak()
        decoded = PostmarkWebhook().decode(hook)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1.15 * size  # (a piece being decoded and copied: about 0.1 x here)
    [delivery] = PostmarkWebhook().deliveries(hook, decoded).deliveries
    assert document(delivery.raw)["attachments"] == [("scan.pdf", "application/pdf", None, False, data)]


def test_the_message_rebuilt_from_a_large_file_is_its_only_large_copy_at_the_peak() -> None:
    """The file is let go piece by piece as its base64 is written, and the base64 is made a
    few lines at a time: encoded a 1.9 MB piece at a time, its text, encodebytes' list of
    lines and the CRLF copy were alive at once beside the message (1.42 x the message at the
    peak for a 35 MB Postmark JSON; now the message and the growing buffer's spare room)."""
    data = os.urandom(12_000_000)
    payload = {"FromFull": {"Email": "eve@stranger.example", "Name": ""},
               "ToFull": [{"Email": "support@msp.example", "Name": ""}], "Subject": "scan",
               "Attachments": [{"Name": "scan.pdf", "ContentType": "application/pdf",
                                "Content": base64.b64encode(data).decode()}]}
    body = json.dumps(payload).encode()
    hook = request([body[i:i + PIECE] for i in range(0, len(body), PIECE)],  # type: ignore[arg-type]
                   "application/json")
    del body, payload
    decoded = PostmarkWebhook().decode(hook)
    tracemalloc.start()
    try:
        [delivery] = PostmarkWebhook().deliveries(hook, decoded).deliveries
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # BytesIO grows by an eighth at a time, so up to 1.125 x the message is its buffer.
    assert peak < 1.2 * len(delivery.raw)
    assert document(delivery.raw)["attachments"] == [("scan.pdf", "application/pdf", None, False, data)]
