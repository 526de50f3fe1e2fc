"""Brevo inbound parsing: items rebuilt, attachments downloaded through the API (§3.8)."""

from __future__ import annotations

import json

import httpx
import pytest

from adapters.inbound.brevo import BrevoApi, BrevoWebhook
from domain.errors import UpstreamUnavailable
from tests.adapters.inbound.payloads import PNG, document, request

# Anymail's sanitized real payload (docs/providers.md, Brevo; sources there), with the envelope headers added.
ITEM = {
    "Uuid": ["aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"],
    "MessageId": "<ABCDE12345@mail.example.com>", "InReplyTo": None,
    "From": {"Name": "Sender Name", "Address": "from@example.com"},
    "To": [{"Name": None, "Address": "test@anymail.dev"}],
    "Cc": [{"Name": None, "Address": "test+cc@anymail.dev"}],
    "ReplyTo": None, "SentAtDate": "Mon, 17 Jul 2023 11:11:22 -0700",
    "Subject": "Testing Brevo inbound",
    "Attachments": [{"Name": "image.png", "ContentType": "image/png", "ContentLength": 1032,
                     "ContentID": "abc123", "DownloadToken": "download-token-image"}],
    "Headers": {"Received": ["by outbound.example.com for <test@anymail.dev>",
                             "from [10.10.1.22] by smtp.example.com"],
                "Return-Path": "<bounce@example.com>", "Delivered-To": "test@anymail.dev",
                "MIME-Version": "1.0", "From": "Sender Name <from@example.com>",
                "Date": "Mon, 17 Jul 2023 11:11:22 -0700",
                "Message-ID": "<ABCDE12345@mail.example.com>", "Subject": "Testing Brevo inbound",
                "To": "test@anymail.dev", "Cc": "test+cc@anymail.dev",
                "Content-Type": "multipart/alternative"},
    "SpamScore": 2.9,
    "ExtractedMarkdownMessage": "This is a test message.  \n",
    "RawHtmlBody": "<div dir=\"ltr\">This is a <u>test message</u>.</div>\r\n",
    "RawTextBody": "This is a *test message*.\r\n\n- Sender\r\n",
}


def api(seen: list[httpx.Request] | None = None, status: int = 200) -> BrevoApi:
    def handler(req: httpx.Request) -> httpx.Response:
        (seen if seen is not None else []).append(req)
        return httpx.Response(status, content=PNG, headers={"Content-Type": "image/png"})
    return BrevoApi(httpx.Client(transport=httpx.MockTransport(handler)), "brevo-key")


def post(items: list, brevo: BrevoApi) -> list:
    body = json.dumps({"items": items}).encode()
    return BrevoWebhook(brevo).receive(request(body, "application/json")).deliveries


def test_each_item_is_rebuilt_with_its_headers_bodies_and_downloaded_attachment() -> None:
    seen: list[httpx.Request] = []
    (delivery,) = post([ITEM], api(seen))
    doc = document(delivery.raw)
    assert doc["text"] == "This is a *test message*.\r\n\r\n- Sender\r\n"
    assert doc["html"] == ITEM["RawHtmlBody"]
    assert doc["attachments"] == [("image.png", "image/png", "abc123", True, PNG)]
    assert str(seen[0].url) == "https://api.brevo.com/v3/inbound/attachments/download-token-image"
    assert seen[0].headers["api-key"] == "brevo-key"
    assert delivery.raw.count(b"Received: ") == 2


def test_envelope_event_id_and_spam_score_come_from_the_item() -> None:
    (delivery,) = post([ITEM], api())
    assert delivery.envelope_from == "bounce@example.com"
    assert delivery.envelope_to == ("test@anymail.dev",)
    assert delivery.provider_event_id == "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    assert delivery.spam_score == 2.9


def test_every_item_of_a_batch_is_a_delivery() -> None:
    second = {**ITEM, "Uuid": ["second"], "Attachments": []}
    assert [d.provider_event_id for d in post([ITEM, second], api())] == [ITEM["Uuid"][0], "second"]


def test_an_attachment_that_cannot_be_downloaded_is_a_retryable_failure() -> None:
    with pytest.raises(UpstreamUnavailable):
        post([ITEM], api(status=503))
