"""Resend: Svix signatures, and the raw message fetched through the API (§3.9)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import httpx
import pytest

from adapters.inbound.resend import ResendApi, ResendWebhook, svix_signature, verify_svix
from domain.errors import MalformedPayload, Unauthorized, UpstreamUnavailable
from tests.adapters.inbound.payloads import reference_message, request

SECRET = "whsec_" + base64.b64encode(b"resend-inbound-signing-secret!!").decode()
NOW = 1_771_803_672
EVENT = {"type": "email.received", "created_at": "2026-02-22T23:41:12.126Z",
         "data": {"email_id": "56761188-7520-42d8-8898-ff6fc54ce618",
                  "from": "Bob Jones <bob@acme.example>", "to": ["support@msp.example"],
                  "bcc": [], "cc": [], "message_id": "<ref-1@acme.example>",
                  "subject": "Imprimante", "attachments": []}}


def signed(body: bytes, *, msg_id: str = "msg_2Lh9KRb6pzvS", at: int = NOW,
           secret: str = SECRET) -> dict[str, str]:
    return {"svix-id": msg_id, "svix-timestamp": str(at),
            "svix-signature": "v1,bm90LXRoaXMtb25l v1," + svix_signature(secret, msg_id, str(at), body)}


def resend_api(raw: bytes, seen: list[httpx.Request], status: int = 200) -> ResendApi:
    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        if status != 200:
            return httpx.Response(status)
        if req.url.host == "api.resend.com":
            return httpx.Response(200, json={"id": EVENT["data"]["email_id"], "raw": {
                "download_url": "https://inbound-store.resend.example/raw/abc?sig=1",
                "expires_at": "2026-02-23T00:41:12Z"}})
        return httpx.Response(200, content=raw)
    return ResendApi(httpx.Client(transport=httpx.MockTransport(handler)), "re_key")


class TestSvix:
    def test_the_signature_is_hmac_sha256_of_id_timestamp_and_body_with_the_decoded_secret(self) -> None:
        key = base64.b64decode(SECRET.removeprefix("whsec_"))
        expected = base64.b64encode(hmac.new(key, b"msg_1.1700000000.{}", hashlib.sha256).digest())
        assert svix_signature(SECRET, "msg_1", "1700000000", b"{}") == expected.decode()

    def test_any_listed_v1_signature_may_match_while_a_secret_rotates(self) -> None:
        body = b'{"type":"email.received"}'
        assert verify_svix(SECRET, request(body, "application/json", headers=signed(body)),
                           now=NOW) == "msg_2Lh9KRb6pzvS"

    def test_a_changed_body_is_refused(self) -> None:
        headers = signed(b'{"a":1}')
        with pytest.raises(Unauthorized, match="does not match"):
            verify_svix(SECRET, request(b'{"a":2}', "application/json", headers=headers), now=NOW)

    def test_a_timestamp_more_than_five_minutes_off_is_refused(self) -> None:
        body = b"{}"
        with pytest.raises(Unauthorized, match="window"):
            verify_svix(SECRET, request(body, "application/json", headers=signed(body)),
                        now=NOW + 301)


class TestReceive:
    def test_the_raw_message_is_fetched_and_handed_over_with_the_svix_id(self) -> None:
        raw, seen = reference_message(), []
        body = json.dumps(EVENT).encode()
        hook = ResendWebhook(SECRET, resend_api(raw, seen), clock=lambda: NOW)
        (delivery,) = hook.receive(request(body, "application/json", headers=signed(body))).deliveries
        assert delivery.raw == raw
        assert delivery.provider_event_id == "msg_2Lh9KRb6pzvS"
        assert delivery.envelope_to == ("support@msp.example",)
        assert str(seen[0].url).endswith("/emails/receiving/56761188-7520-42d8-8898-ff6fc54ce618")
        assert seen[0].headers["authorization"] == "Bearer re_key"
        assert "authorization" not in seen[1].headers  # the signed download URL needs no key

    def test_an_unreachable_api_is_a_retryable_failure(self) -> None:
        body = json.dumps(EVENT).encode()
        hook = ResendWebhook(SECRET, resend_api(b"", [], status=500), clock=lambda: NOW)
        with pytest.raises(UpstreamUnavailable):
            hook.receive(request(body, "application/json", headers=signed(body)))

    def test_another_event_type_is_malformed(self) -> None:
        body = json.dumps({**EVENT, "type": "email.delivered"}).encode()
        hook = ResendWebhook(SECRET, resend_api(b"", []), clock=lambda: NOW)
        with pytest.raises(MalformedPayload):
            hook.receive(request(body, "application/json", headers=signed(body)))
