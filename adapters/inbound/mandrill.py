"""Mandrill (Mailchimp Transactional) inbound routes: a batch of events in `mandrill_events`.

Quirks (docs/providers.md, Mandrill; sources there):
* Mandrill checks the URL with a HEAD request before it creates the webhook (the route answers
  it without a signature) [AMB-routes][MD-auth].
* `X-Mandrill-Signature` = base64(HMAC-SHA1(key, URL + every POST key and value, sorted by
  key)) [MD-auth]. The URL is the one *entered in Mandrill*, byte for byte, credentials and query
  included; behind a proxy the URL we see differs, so it is a setting. Without it, the request's
  URL is used, with `user:pass@` put back from the Basic header: Mandrill signs the URL with the
  credentials in it, which Rails forgets [AM-md][AM-issue48].
* One POST carries up to 1,000 events [MD-webhooks]; every message is stored before answering.
  An empty batch (Mandrill's test post) is fine; tracking events on this URL are refused.
* `raw_msg` is the message. Mandrill converts content to UTF-8 before posting, so it may not be
  byte-identical to what was received [MD-inbound]; it is the best copy there is.
* No event id [AM-md]: duplicates are found by Message-ID and recipient.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from adapters.inbound.base import (
    EXAMPLE_MESSAGE,
    EXAMPLE_SUBJECT,
    InboundWebhook,
    Provider,
    WebhookRequest,
    WebhookResult,
    envelope_recipients,
    load_json,
    spam_score,
    text_bytes,
)
from adapters.inbound.forms import Form, parse_form
from domain.errors import MalformedPayload, Unauthorized
from domain.messages import InboundDelivery
from domain.settings import SettingSpec


def mandrill_signature(key: str, url: str, params: list[tuple[str, str]]) -> str:
    signed = url + "".join(k + v for k, v in sorted(params))
    digest = hmac.new(key.encode("utf-8"), signed.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def signed_url(request: WebhookRequest) -> str:
    """The request's URL as Mandrill would have signed it: Basic credentials put back in."""
    auth = request.header("authorization") or ""
    scheme, _, data = auth.partition(" ")
    if scheme.lower() != "basic":
        return request.url
    try:
        user, _, password = base64.b64decode(data.strip()).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return request.url
    parts = urlsplit(request.url)
    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{parts.netloc}"
    return urlunsplit(parts._replace(netloc=netloc))


class MandrillWebhook(InboundWebhook[Form]):
    provider = "mandrill"

    def __init__(self, key: str | None, url: str | None = None) -> None:
        self._key = key
        self._url = url

    def decode(self, request: WebhookRequest) -> Form:
        form = parse_form(request.body, request.content_type)
        if "mandrill_events" not in form:
            raise MalformedPayload("mandrill_events is missing")
        return form

    def precheck(self, headers: Mapping[str, str]) -> None:
        if not self._key:
            raise Unauthorized("Mandrill webhooks are not configured (CONNECTOR_MANDRILL_WEBHOOK_KEY)")
        if not headers.get("x-mandrill-signature"):
            raise Unauthorized("the X-Mandrill-Signature header is missing")

    def verify(self, request: WebhookRequest, payload: Form) -> None:
        if not self._key:
            raise Unauthorized(
                "Mandrill webhooks are not configured (CONNECTOR_MANDRILL_WEBHOOK_KEY)")
        expected = mandrill_signature(self._key, self._url or signed_url(request), payload.pairs())
        presented = request.header("x-mandrill-signature") or ""
        if not hmac.compare_digest(expected.encode(), presented.encode("utf-8", "replace")):
            raise Unauthorized("the X-Mandrill-Signature does not match")

    def deliveries(self, request: WebhookRequest, payload: Form) -> WebhookResult:
        events = load_json(payload.get("mandrill_events") or b"", "mandrill_events")
        if not isinstance(events, list):
            raise MalformedPayload("mandrill_events is not a JSON array")
        return WebhookResult([parse_event(e) for e in events])


def parse_event(event: Any) -> InboundDelivery:
    if not isinstance(event, dict) or event.get("event") != "inbound":
        kind = event.get("event") if isinstance(event, dict) else None
        raise MalformedPayload(f"a {kind!r} event was sent to the inbound URL")
    msg = event.get("msg")
    if not isinstance(msg, dict) or not isinstance(msg.get("raw_msg"), str) \
            or not msg["raw_msg"].strip():
        raise MalformedPayload("an inbound event has no raw_msg")
    report = msg.get("spam_report") if isinstance(msg.get("spam_report"), dict) else {}
    recipient = msg.get("email")
    return InboundDelivery(
        raw=text_bytes(msg["raw_msg"]),
        source="mandrill",
        envelope_to=envelope_recipients([recipient if isinstance(recipient, str) else None]),
        spam_score=spam_score(report.get("score")),
    )


PROVIDER = Provider(
    name="mandrill", paths=("/inbound/mandrill",),
    summary="Mandrill inbound route: every event of the batch is stored before the answer.",
    build=lambda s, ports: MandrillWebhook(s.mandrill_webhook_key, s.mandrill_webhook_url),
    auth="signature", media_types=("application/x-www-form-urlencoded",), answer="batch",
    errors=(401, 422), head_check=True,
    settings=(
        SettingSpec("mandrill_webhook_key", str | None, None, "Mandrill webhook key",
                    "providers", runtime=True, secret=True),
        SettingSpec("mandrill_webhook_url", str | None, None,
                    "the webhook URL exactly as entered in Mandrill (it is signed)", "providers",
                    runtime=True),
    ),
    refusals={MalformedPayload: 422},
    payload="A urlencoded form with one field, mandrill_events: a JSON array of up to 1,000 "
    "inbound events, each with msg.raw_msg (the message), msg.email (the envelope recipient) "
    "and msg.spam_report. An empty array (Mandrill's test post) is answered with no items. "
    "HEAD on the URL answers 200: Mandrill checks it before saving the webhook.",
    credential="X-Mandrill-Signature: base64(HMAC-SHA1(CONNECTOR_MANDRILL_WEBHOOK_KEY, the "
    "webhook URL exactly as entered in Mandrill (CONNECTOR_MANDRILL_WEBHOOK_URL; else the "
    "request's URL) followed by every POST key and value, sorted by key)).",
    example={"mandrill_events": json.dumps([{
        "event": "inbound", "ts": 1796203800,
        "msg": {"raw_msg": EXAMPLE_MESSAGE, "email": "support@msp.example",
                "from_email": "bob@acme.example", "subject": EXAMPLE_SUBJECT,
                "spam_report": {"score": 0.1}}}])},
)
