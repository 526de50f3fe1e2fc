"""SparkPost relay webhooks: token, base64 rfc822, pings (§3.6)."""

from __future__ import annotations

import base64
import json

import pytest

from adapters.inbound.sparkpost import SparkpostWebhook
from domain.errors import MalformedPayload, Unauthorized
from tests.adapters.inbound.payloads import reference_message, request

TOKEN = "relay-token-123"


def relay(raw: bytes, *, as_base64: bool) -> dict:
    return {"msys": {"relay_message": {
        "content": {"email_rfc822": base64.b64encode(raw).decode() if as_base64 else raw.decode(),
                    "email_rfc822_is_base64": as_base64, "subject": "x", "to": ["support@msp.example"]},
        "customer_id": "1337", "friendly_from": "bob@acme.example", "msg_from": "bounce@acme.example",
        "rcpt_to": "support@msp.example", "webhook_id": "4839201967643219", "protocol": "smtp"}}}


def post(batch: list, token: str | None = TOKEN) -> object:
    headers = {"X-MessageSystems-Webhook-Token": token} if token else {}
    return SparkpostWebhook(TOKEN).receive(
        request(json.dumps(batch).encode(), "application/json", headers=headers))


def test_a_utf8_message_is_handed_over_as_its_bytes_with_the_envelope() -> None:
    raw = reference_message()
    (delivery,) = post([relay(raw, as_base64=False)]).deliveries
    assert delivery.raw == raw
    assert (delivery.envelope_from, delivery.envelope_to) == ("bounce@acme.example",
                                                               ("support@msp.example",))


def test_a_base64_message_with_non_utf8_bytes_is_decoded_byte_exact() -> None:
    raw = reference_message() + b"\xe9\xff\r\n"
    (delivery,) = post([relay(raw, as_base64=True)]).deliveries
    assert delivery.raw == raw


def test_an_empty_msys_ping_is_acknowledged_without_a_message() -> None:
    assert post([{"msys": {}}]).deliveries == []


def test_a_missing_or_wrong_token_is_refused() -> None:
    with pytest.raises(Unauthorized):
        post([{"msys": {}}], token=None)
    with pytest.raises(Unauthorized):
        post([{"msys": {}}], token="guess")


def test_a_tracking_event_on_the_relay_url_is_malformed() -> None:
    with pytest.raises(MalformedPayload, match="message_event"):
        post([{"msys": {"message_event": {"type": "delivery"}}}])
