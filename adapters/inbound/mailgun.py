"""Mailgun Routes `forward()`: the parsed form (`/inbound/mailgun`) and raw MIME (`.../mime`).

Quirks (docs/providers.md, Mailgun; sources there):
* The signature covers only `timestamp` + `token`, not the body [MG-um]: a captured request
  could be replayed with another body, so a token is accepted once (recorded with the message
  in the ingest transaction, shared by all processes through the database) and only while its
  timestamp is in the window.
* The window is long by default (8 h 15 min): Mailgun retries for 8 hours and does not document
  whether retries are signed again [MG-um], and a retry refused as stale would lose the mail.
  Each token is remembered for the whole window, so a long window does not open a replay hole;
  it only keeps more rows.
* Mailgun picks the format by URL: raw MIME when the URL ends in `mime` [MG-um]. Both paths
  accept both formats, so a route pointed at the wrong one still delivers.
* 406 is the only status that stops Mailgun's retries [MG-um]: malformed payloads and replays.
* `message-headers` is a JSON list of [name, value] pairs in the original order, and
  `content-id-map` maps "<cid>" to an attachment field [MG-um][AM-mg-test].
* Spam: `X-Mailgun-Sflag` / `X-Mailgun-Sscore` headers, when the domain's filter adds them.
* `store(notify=...)` posts are not messages: the attachments are only links (`attachments`,
  a JSON list of urls) and the MIME stays on Mailgun (`message-url`) [AM-mg]. Taking the parsed
  fields would file the mail without its attachments, so they are refused with 406 (Mailgun
  stops retrying; the stored message stays retrievable on Mailgun) and a reason naming the fix.
  Fetching it is not done: it would mean requests to a URL chosen by the payload.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from adapters.inbound.base import (
    EXAMPLE_HEADERS,
    EXAMPLE_SUBJECT,
    EXAMPLE_TEXT,
    InboundWebhook,
    Provider,
    WebhookRequest,
    WebhookResult,
    ascii_digits,
    envelope_recipients,
    envelope_sender,
    load_json,
    spam_score,
    yes_no_verdict,
)
from adapters.inbound.forms import Form, parse_form
from adapters.inbound.rebuild import Attachment, Body, build_message
from domain.errors import Conflict, MalformedPayload, Unauthorized
from domain.messages import InboundDelivery, ReplayToken
from domain.settings import SettingSpec

FUTURE_SKEW_SECONDS = 300  # a sender's clock slightly ahead of ours


def mailgun_signature(signing_key: str, timestamp: str, token: str) -> str:
    signed = f"{timestamp}{token}".encode()
    return hmac.new(signing_key.encode(), signed, hashlib.sha256).hexdigest()


def check_signature(signing_key: str | None, timestamp: str, token: str, signature: str,
                    *, now: float, max_age: float) -> None:
    """Raise Unauthorized unless the signature is right and the timestamp inside the window."""
    if not signing_key:
        raise Unauthorized("Mailgun webhooks are not configured (CONNECTOR_MAILGUN_SIGNING_KEY)")
    expected = mailgun_signature(signing_key, timestamp, token)
    if not (token and hmac.compare_digest(expected.encode(), signature.encode())):
        raise Unauthorized("the Mailgun signature does not match")
    if not ascii_digits(timestamp, max_length=12):
        raise Unauthorized("the Mailgun timestamp is not a number")
    signed_at = int(timestamp)
    if signed_at < now - max_age or signed_at > now + FUTURE_SKEW_SECONDS:
        raise Unauthorized("the Mailgun timestamp is outside the accepted window")


class MailgunWebhook(InboundWebhook[Form]):
    provider = "mailgun"

    def __init__(self, signing_key: str | None, *, max_age_seconds: float,
                 clock: Callable[[], float] = time.time) -> None:
        self._key = signing_key
        self._max_age = max_age_seconds
        self._clock = clock

    def precheck(self, headers: Mapping[str, str]) -> None:
        if not self._key:  # the signature itself is in the body; an unset key refuses at once
            raise Unauthorized("Mailgun webhooks are not configured (CONNECTOR_MAILGUN_SIGNING_KEY)")

    def decode(self, request: WebhookRequest) -> Form:
        if request.media_type == "application/json":
            raise MalformedPayload("this URL takes Mailgun inbound routes (forward()); "
                                   "tracking webhooks (JSON) belong elsewhere")
        form = parse_form(request.body, request.content_type)
        if form.get("event") not in (None, b"inbound"):
            raise MalformedPayload("this URL takes inbound messages, not tracking events")
        return form

    def verify(self, request: WebhookRequest, payload: Form) -> None:
        check_signature(self._key, payload.text("timestamp") or "", payload.text("token") or "",
                        payload.text("signature") or "", now=self._clock(), max_age=self._max_age)

    def deliveries(self, request: WebhookRequest, payload: Form) -> WebhookResult:
        delivery = parse(payload)
        token = delivery.provider_event_id or ""
        expires = datetime.fromtimestamp(int(payload.text("timestamp") or 0) + self._max_age, UTC)
        return WebhookResult([delivery], replay=ReplayToken(self.provider, token, expires))


def parse(form: Form) -> InboundDelivery:
    """One Mailgun form (parsed or raw MIME) as a delivery."""
    headers = _message_headers(form)
    raw = form.get("body-mime")
    if raw is None and _stored_notification(form):
        raise MalformedPayload(STORE_NOTIFY_REFUSAL)
    if raw is None:
        if "message-headers" not in form and "body-plain" not in form and "body-html" not in form:
            raise MalformedPayload("neither body-mime nor a parsed message: is this a "
                                   "Mailgun forward() route?")
        raw = rebuild(form, headers)
    elif not raw.strip():
        raise MalformedPayload("body-mime is empty")
    lookup = {name.lower(): value for name, value in reversed(headers)}
    return InboundDelivery(
        raw=raw,
        source="mailgun",
        envelope_from=envelope_sender(form.text("sender")),
        envelope_to=envelope_recipients([form.text("recipient")]),
        provider_event_id=form.text("token") or None,
        spam_score=spam_score(lookup.get("x-mailgun-sscore")),
        spam_verdict=yes_no_verdict(lookup.get("x-mailgun-sflag")),
    )


STORE_NOTIFY_REFUSAL = (
    "a Mailgun store(notify) notification: its attachments are links and the message stays on "
    "Mailgun (message-url), so it is not accepted with its attachments missing; refused with "
    "406 so Mailgun stops retrying. Point the route at forward() to /inbound/mailgun/mime "
    "instead (the message stays retrievable in Mailgun's storage meanwhile)")


def _stored_notification(form: Form) -> bool:
    """A store() notification: a message-url, or `attachments` (links) instead of files."""
    return "message-url" in form or "attachments" in form


def rebuild(form: Form, headers: list[tuple[str, str]]) -> bytes:
    if not headers:  # an old or minimal route: the few headers Mailgun posts as fields
        headers = [(name, form.text(field) or "") for name, field in
                   (("From", "from"), ("To", "recipient"), ("Subject", "subject")) if field in form]
    cids = {}
    if "content-id-map" in form:
        mapping = load_json(form.get("content-id-map") or b"", "content-id-map")
        if isinstance(mapping, dict):
            cids = {str(field): str(cid) for cid, field in mapping.items()}
    text, html = form.get("body-plain"), form.get("body-html")
    return build_message(
        headers,
        text=Body(text) if text is not None else None,  # Mailgun transcodes bodies to UTF-8
        html=Body(html) if html is not None else None,
        attachments=[_attachment(form, name, cids.get(name)) for name in _attachment_fields(form)],
    )


def _attachment_fields(form: Form) -> list[str]:
    text = (form.text("attachment-count") or "").strip()
    count = int(text) if ascii_digits(text, max_length=6) else 0
    names = [f"attachment-{i}" for i in range(1, min(count, 1000) + 1)]
    # Some posts carry files without a (correct) count: take every attachment-N field.
    names += [p.name for p in form.parts if p.name.startswith("attachment-")
              and ascii_digits(p.name[11:], max_length=6) and p.name not in names]
    return [n for n in names if n in form]


def _attachment(form: Form, name: str, content_id: str | None) -> Attachment:
    part = form.part(name)
    assert part is not None
    return Attachment(data=part.data, content_type=part.content_type or "application/octet-stream",
                      filename=part.filename, content_id=content_id,
                      charset=_charset(part.content_type))


def _charset(content_type: str | None) -> str | None:
    for param in (content_type or "").split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip('"') or None
    return None


def _message_headers(form: Form) -> list[tuple[str, str]]:
    data = form.get("message-headers")
    if data is None:
        return []
    pairs = load_json(data, "message-headers")
    if not isinstance(pairs, list):
        raise MalformedPayload("message-headers is not a list")
    return [(str(p[0]), str(p[1])) for p in pairs
            if isinstance(p, list | tuple) and len(p) == 2]


PROVIDER = Provider(
    name="mailgun", paths=("/inbound/mailgun", "/inbound/mailgun/mime"),
    summary="Mailgun Routes forward(), parsed form or raw MIME (body-mime); signed (HMAC).",
    build=lambda s, ports: MailgunWebhook(s.mailgun_signing_key,
                                          max_age_seconds=s.mailgun_max_age_seconds),
    auth="signature", media_types=("multipart/form-data", "application/x-www-form-urlencoded"),
    errors=(401, 406),
    settings=(
        SettingSpec("mailgun_signing_key", str | None, None, "Mailgun webhook signing key",
                    "providers", runtime=True, secret=True),
        # Mailgun retries for 8 hours and may not re-sign retries; tokens are kept this long.
        SettingSpec("mailgun_max_age_seconds", int, 8 * 3600 + 15 * 60,
                    "accepted age of a Mailgun signature", "providers", runtime=True, minimum=60,
                    maximum=7 * 86400),
    ),
    # 406 is the only status that stops Mailgun retrying: malformed posts, and replays
    # (already accepted, or an attack).
    refusals={MalformedPayload: 406, Conflict: 406},
    # Mailgun's documented message limit is 25 MB; the form may carry it parsed and raw (MIME).
    max_request_bytes=64 * 1024 * 1024,
    payload="The parsed message as form fields: recipient and sender (the envelope), from, "
    "subject, body-plain, body-html, message-headers (JSON: [[name, value], ...] in their "
    "order), attachment-count with attachment-1 ... as files, content-id-map (JSON: "
    "{\"<cid>\": \"attachment-1\"}); or, for a route URL ending in mime, the raw message in "
    "body-mime. multipart/form-data when there are attachments, else urlencoded. Posts of "
    "store(notify) (message-url, attachments as links) are refused with 406.",
    credential="The timestamp, token and signature fields: signature = hex(HMAC-SHA256("
    "CONNECTOR_MAILGUN_SIGNING_KEY, timestamp + token)); a token is accepted once, and only "
    "within CONNECTOR_MAILGUN_MAX_AGE_SECONDS of its timestamp.",
    example={"recipient": "support@msp.example", "sender": "bob@acme.example",
             "from": "Bob Jones <bob@acme.example>", "subject": EXAMPLE_SUBJECT,
             "body-plain": EXAMPLE_TEXT, "message-headers": json.dumps([[n, v] for n, v in EXAMPLE_HEADERS]),
             "attachment-count": "0", "timestamp": "1796203800",
             "token": "5e1b0c3d2f6a4b8e9c7d1f0a3b5c7e9d2f4a6b8c0e1d3f5a7b",
             "signature": "<hex HMAC-SHA256 of timestamp + token>"},
)
