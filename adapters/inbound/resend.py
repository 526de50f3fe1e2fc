"""Resend inbound (`email.received`): a Svix-signed notice, the message fetched from the API.

Quirks (docs/providers.md, Resend; sources there):
* The webhook carries metadata only [RS-received]; the original .eml is fetched through
  `GET /emails/receiving/{email_id}` (Bearer API key), whose `raw.download_url` is a signed URL
  of the message with all attachments [RS-retrieve][AM-rs]. The API key is not sent to that
  signed URL: it needs none, and it may point at another host.
* Svix signature [RS-verify][SVIX]: HMAC-SHA256 over "{svix-id}.{svix-timestamp}.{raw body}"
  with the base64 secret after `whsec_`; `svix-signature` lists "v1,<base64>" entries (several
  while a secret rotates); timestamps more than 5 minutes off are refused. The `webhook-*`
  header names of white-labelled Svix senders are accepted too.
* `svix-id` stays the same across retries [AM-rs]: the event id.
* The inbound webhook has its own signing secret, not the one of tracking webhooks [AM-rs-doc].
* If the API cannot be reached, the answer is a 5xx so that Resend retries [RS-retry].
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import httpx

from adapters.inbound.base import (
    EXAMPLE_SUBJECT,
    InboundWebhook,
    Provider,
    WebhookRequest,
    WebhookResult,
    ascii_digits,
    envelope_recipients,
    load_json,
    safe_id,
)
from domain.errors import MalformedPayload, Unauthorized, UpstreamUnavailable
from domain.messages import InboundDelivery
from domain.settings import SettingSpec

TOLERANCE_SECONDS = 300  # the Svix libraries' WEBHOOK_TOLERANCE_IN_SECONDS [SVIX]


def svix_signature(secret: str, msg_id: str, timestamp: str, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def verify_svix(secret: str | None, request: WebhookRequest, *, now: float) -> str:
    """The svix-id of a correctly signed, fresh request; Unauthorized otherwise."""
    if not secret:
        raise Unauthorized("Resend webhooks are not configured (CONNECTOR_RESEND_WEBHOOK_SECRET)")
    msg_id = request.header("svix-id") or request.header("webhook-id") or ""
    stamp = request.header("svix-timestamp") or request.header("webhook-timestamp") or ""
    listed = request.header("svix-signature") or request.header("webhook-signature") or ""
    if not msg_id or not ascii_digits(stamp):
        raise Unauthorized("the Svix id or timestamp header is missing")
    if abs(now - int(stamp)) > TOLERANCE_SECONDS:
        raise Unauthorized("the Svix timestamp is outside the accepted window")
    try:
        expected = svix_signature(secret, msg_id, stamp, request.body).encode()
    except (binascii.Error, ValueError):
        raise Unauthorized("CONNECTOR_RESEND_WEBHOOK_SECRET is not a Svix secret") from None
    matched = False
    for entry in listed.split():
        version, _, signature = entry.partition(",")
        if version == "v1":  # check every entry: no early exit
            matched |= hmac.compare_digest(expected, signature.encode("utf-8", "replace"))
    if not matched:
        raise Unauthorized("the Svix signature does not match")
    return msg_id


class ResendApi:
    """Fetches received messages; the client is injected (tests use httpx.MockTransport)."""

    def __init__(self, client: httpx.Client, api_key: str | None,
                 base_url: str = "https://api.resend.com") -> None:
        self._client = client
        self._key = api_key
        self._base = base_url.rstrip("/")

    def raw_message(self, email_id: str) -> bytes:
        if not self._key:
            raise UpstreamUnavailable("CONNECTOR_RESEND_API_KEY is needed to fetch the message")
        email_id = safe_id(email_id, "the Resend email_id")
        details = self._get(f"{self._base}/emails/receiving/{quote(email_id, safe='')}",
                            {"Authorization": f"Bearer {self._key}"})
        body = load_json(details, "the Resend API answer")
        raw = body.get("raw") if isinstance(body, dict) else None
        url = raw.get("download_url") if isinstance(raw, dict) else None
        if not isinstance(url, str) or not url.startswith("https://"):
            raise UpstreamUnavailable("the Resend API gave no download URL for the message")
        return self._get(url, {})

    def _get(self, url: str, headers: dict[str, str]) -> bytes:
        try:
            response = self._client.get(url, headers=headers)
            response.raise_for_status()
        except httpx.HTTPStatusError as exc:
            raise UpstreamUnavailable(
                f"the Resend API answered {exc.response.status_code}") from None
        except httpx.HTTPError as exc:
            raise UpstreamUnavailable(f"the Resend API could not be reached "
                                      f"({type(exc).__name__})") from None
        return response.content


class ResendWebhook(InboundWebhook[dict[str, Any]]):
    provider = "resend"

    def __init__(self, secret: str | None, api: ResendApi,
                 clock: Callable[[], float] = time.time) -> None:
        self._secret = secret
        self._api = api
        self._clock = clock

    def precheck(self, headers: Mapping[str, str]) -> None:
        if not self._secret:
            raise Unauthorized("Resend webhooks are not configured (CONNECTOR_RESEND_WEBHOOK_SECRET)")
        stamp = headers.get("svix-timestamp") or headers.get("webhook-timestamp") or ""
        if not (headers.get("svix-id") or headers.get("webhook-id")) or not stamp.isdecimal():
            raise Unauthorized("the Svix id or timestamp header is missing")
        if not (headers.get("svix-signature") or headers.get("webhook-signature")):
            raise Unauthorized("the Svix signature header is missing")

    def receive(self, request: WebhookRequest) -> WebhookResult:
        # The signature covers the exact body: check it before the JSON is even parsed.
        verify_svix(self._secret, request, now=self._clock())
        return super().receive(request)

    def decode(self, request: WebhookRequest) -> dict[str, Any]:
        payload = load_json(request.body, "the Resend payload")
        if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
            raise MalformedPayload("not a Resend webhook payload")
        if payload.get("type") != "email.received":
            raise MalformedPayload(f"a {payload.get('type')!r} event was sent to the inbound URL")
        return payload

    def deliveries(self, request: WebhookRequest, payload: dict[str, Any]) -> WebhookResult:
        data = payload["data"]
        email_id = safe_id(data.get("email_id"), "the Resend event's email_id")
        to = data.get("to")
        return WebhookResult([InboundDelivery(
            raw=self._api.raw_message(email_id),
            source="resend",
            # Header-level recipients: Resend documents no separate envelope (docs/providers.md, Resend).
            envelope_to=envelope_recipients([str(t) for t in to] if isinstance(to, list) else []),
            provider_event_id=request.header("svix-id") or request.header("webhook-id"),
        )])


PROVIDER = Provider(
    name="resend", paths=("/inbound/resend",),
    summary="Resend email.received webhook (Svix-signed); the raw message is fetched from the API.",
    build=lambda s, ports: ResendWebhook(s.resend_webhook_secret,
                                         ResendApi(ports.http, s.resend_api_key, s.resend_api_url)),
    auth="signature",
    settings=(
        SettingSpec("resend_webhook_secret", str | None, None, "whsec_... of the inbound webhook",
                    "providers", runtime=True, secret=True),
        SettingSpec("resend_api_key", str | None, None, "Resend API key", "providers",
                    runtime=True, secret=True),
        SettingSpec("resend_api_url", str, "https://api.resend.com", "Resend API base URL",
                    "providers"),
    ),
    max_request_bytes=1024 * 1024,  # the event names the message; its bytes come from the API
    payload="Resend's email.received event (metadata only): data.email_id names the message, "
    "which is then fetched through Resend's API (GET /emails/receiving/{email_id}, with "
    "CONNECTOR_RESEND_API_KEY) as the raw .eml; data.to gives the recipients.",
    credential="The Svix headers svix-id, svix-timestamp and svix-signature (or webhook-id, "
    "webhook-timestamp, webhook-signature): \"v1,\" + base64(HMAC-SHA256(the secret after "
    "whsec_ of CONNECTOR_RESEND_WEBHOOK_SECRET, base64-decoded; \"{svix-id}.{svix-timestamp}."
    "{body}\")); a timestamp more than 5 minutes off is refused.",
    example={"type": "email.received", "created_at": "2026-12-02T09:30:01.000Z",
             "data": {"email_id": "4ef9a417-02e9-4d39-ad75-9611e0fcc33c",
                      "from": "Bob Jones <bob@acme.example>", "to": ["support@msp.example"],
                      "subject": EXAMPLE_SUBJECT, "message_id": "<printer-2@acme.example>",
                      "attachments": []}},
)
