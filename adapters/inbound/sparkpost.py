"""SparkPost relay webhooks: a JSON array of `{"msys": {"relay_message": {...}}}`.

Quirks (docs/providers.md, SparkPost; sources there):
* Authentication: the relay webhook's `auth_token`, echoed in `X-MessageSystems-Webhook-Token`
  [SP-api] (compared here), or, when no token is configured, HTTP Basic in the target URL
  (checked by the route).
* `content.email_rfc822` is the message; when it holds any byte that is not UTF-8, the whole
  value is base64 and `email_rfc822_is_base64` is true [SP-api]. The decoded bytes are used as
  they are (Anymail decodes them as UTF-8 again, which fails on exactly that mail [AM-sp]).
* SparkPost sometimes posts an empty `{"msys": {}}` as a ping [AM-sp]; it is acknowledged.
* No event id [AM-sp]: duplicates are found by Message-ID and recipient.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from typing import Any

from adapters.inbound.base import (
    EXAMPLE_MESSAGE,
    InboundWebhook,
    Provider,
    WebhookRequest,
    WebhookResult,
    envelope_recipients,
    envelope_sender,
    load_json_body,
    text_bytes,
)
from domain.errors import MalformedPayload, Unauthorized
from domain.messages import InboundDelivery
from domain.settings import SettingSpec

TOKEN_HEADER = "x-messagesystems-webhook-token"


class SparkpostWebhook(InboundWebhook[list[Any]]):
    provider = "sparkpost"

    def __init__(self, token: str | None) -> None:
        self._token = token

    def decode(self, request: WebhookRequest) -> list[Any]:
        batch = load_json_body(request, "the SparkPost payload")
        if not isinstance(batch, list):
            raise MalformedPayload("the SparkPost payload is not a JSON array")
        return batch

    def precheck(self, headers: Mapping[str, str]) -> None:
        if self._token:  # the token travels in a header: checked before the body is read
            presented = headers.get(TOKEN_HEADER.lower()) or ""
            if not hmac.compare_digest(self._token.encode(), presented.encode("utf-8", "replace")):
                raise Unauthorized(f"the {TOKEN_HEADER} header does not match")

    def verify(self, request: WebhookRequest, payload: list[Any]) -> None:
        if not self._token:
            return  # HTTP Basic, checked by the route
        presented = request.header(TOKEN_HEADER) or ""
        if not hmac.compare_digest(self._token.encode(), presented.encode("utf-8", "replace")):
            raise Unauthorized(f"the {TOKEN_HEADER} header does not match")

    def deliveries(self, request: WebhookRequest, payload: list[Any]) -> WebhookResult:
        messages = [parse_relay_message(item) for item in payload]
        return WebhookResult([m for m in messages if m is not None])


def parse_relay_message(item: Any) -> InboundDelivery | None:
    msys = item.get("msys") if isinstance(item, dict) else None
    if not isinstance(msys, dict):
        raise MalformedPayload("an element has no msys object")
    if not msys:
        return None  # SparkPost's ping
    relay = msys.get("relay_message")
    if not isinstance(relay, dict):
        raise MalformedPayload(f"a {', '.join(msys)} event was sent to the relay (inbound) URL")
    if str(relay.get("protocol", "smtp")).lower() != "smtp":
        raise MalformedPayload(f"relay protocol {relay.get('protocol')!r} is not supported")
    content = relay.get("content") if isinstance(relay.get("content"), dict) else {}
    rfc822 = content.get("email_rfc822")
    if not isinstance(rfc822, str) or not rfc822.strip():
        raise MalformedPayload("a relay message has no email_rfc822")
    if content.get("email_rfc822_is_base64"):
        try:
            raw = base64.b64decode(rfc822, validate=False)
        except (binascii.Error, ValueError):
            raise MalformedPayload("email_rfc822 is not valid base64") from None
    else:
        raw = text_bytes(rfc822)
    msg_from, rcpt_to = relay.get("msg_from"), relay.get("rcpt_to")
    return InboundDelivery(
        raw=raw,
        source="sparkpost",
        envelope_from=envelope_sender(msg_from if isinstance(msg_from, str) else None),
        envelope_to=envelope_recipients([rcpt_to if isinstance(rcpt_to, str) else None]),
    )


PROVIDER = Provider(
    name="sparkpost", paths=("/inbound/sparkpost",),
    summary="SparkPost relay webhook (X-MessageSystems-Webhook-Token, or HTTP Basic).",
    build=lambda s, ports: SparkpostWebhook(s.sparkpost_webhook_token),
    auth="token_or_basic", token_setting="sparkpost_webhook_token", answer="batch",
    settings=(SettingSpec("sparkpost_webhook_token", str | None, None,
                          "the relay webhook's auth_token", "providers", runtime=True,
                          secret=True),),
    max_request_bytes=64 * 1024 * 1024,  # 20 MB messages (SparkPost), a batch of them in JSON
    payload="A JSON array of {\"msys\": {\"relay_message\": {...}}}: content.email_rfc822 is the "
    "raw message (base64 when content.email_rfc822_is_base64 is true), msg_from and rcpt_to "
    "the envelope. An empty {\"msys\": {}} (SparkPost's ping) is acknowledged.",
    credential="X-MessageSystems-Webhook-Token: the relay webhook's auth_token, equal to "
    "CONNECTOR_SPARKPOST_WEBHOOK_TOKEN; while that setting is unset, HTTP Basic "
    "(CONNECTOR_INBOUND_USERNAME / _PASSWORD) instead.",
    example=[{"msys": {"relay_message": {
        "protocol": "smtp", "msg_from": "bob@acme.example", "rcpt_to": "support@msp.example",
        "webhook_id": "2389475632987",
        "content": {"email_rfc822": EXAMPLE_MESSAGE, "email_rfc822_is_base64": False}}}}],
)
