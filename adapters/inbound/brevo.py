"""Brevo (formerly Sendinblue) inbound parsing: `{"items": [...]}`, one item per message.

Quirks (docs/providers.md, Brevo; sources there):
* There is no raw MIME: each message is rebuilt from `Headers` (an object; a header that occurs
  several times is a list), `RawTextBody`, `RawHtmlBody` and the attachments [AM-br].
* Attachment content is not in the payload: it is downloaded with the item's `DownloadToken`
  from `GET /v3/inbound/attachments/{token}` (header `api-key`); the response's Content-Type is
  preferred, as it carries the charset [AM-br]. If that fails the answer is a 5xx, so Brevo
  retries (4 times over ~11 hours [BR-retry]) rather than the message losing its files.
* The envelope is known only from `Return-Path` / `Delivered-To` headers, when present [AM-br].
* `SpamScore` is a number (the docs say `Spam.Score`; payloads do not) [AM-br]; `Uuid[0]` is
  the event id.
* Authentication is HTTP Basic in the URL (checked by the route) [BR-secure].
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from adapters.inbound.base import (
    EXAMPLE_SUBJECT,
    EXAMPLE_TEXT,
    InboundWebhook,
    Provider,
    WebhookRequest,
    WebhookResult,
    envelope_recipients,
    envelope_sender,
    load_json_body,
    safe_id,
    spam_score,
)
from adapters.inbound.rebuild import Attachment, Body, address, build_message
from domain.errors import MalformedPayload, UpstreamUnavailable
from domain.messages import InboundDelivery
from domain.settings import SettingSpec


class BrevoApi:
    def __init__(self, client: httpx.Client, api_key: str | None,
                 base_url: str = "https://api.brevo.com/v3") -> None:
        self._client = client
        self._key = api_key
        self._base = base_url.rstrip("/")

    def attachment(self, token: str) -> tuple[bytes, str | None]:
        if not self._key:
            raise UpstreamUnavailable("CONNECTOR_BREVO_API_KEY is needed to download attachments")
        token = safe_id(token, "a Brevo attachment DownloadToken")
        try:
            response = self._client.get(
                f"{self._base}/inbound/attachments/{quote(token, safe='')}",
                headers={"api-key": self._key})
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise UpstreamUnavailable(f"a Brevo attachment could not be downloaded "
                                      f"({type(exc).__name__})") from None
        return response.content, response.headers.get("content-type")


class BrevoWebhook(InboundWebhook[list[dict[str, Any]]]):
    provider = "brevo"

    def __init__(self, api: BrevoApi) -> None:
        self._api = api

    def decode(self, request: WebhookRequest) -> list[dict[str, Any]]:
        payload = load_json_body(request, "the Brevo payload")
        items = payload.get("items") if isinstance(payload, dict) else None
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise MalformedPayload("not a Brevo inbound payload (no items list)")
        return items

    def deliveries(self, request: WebhookRequest, payload: list[dict[str, Any]]) -> WebhookResult:
        return WebhookResult([parse_item(item, self._api) for item in payload])


def parse_item(item: dict[str, Any], api: BrevoApi) -> InboundDelivery:
    headers = _headers(item)
    lookup = {name.lower(): value for name, value in reversed(headers)}
    uuid = item.get("Uuid")
    event_id = uuid[0] if isinstance(uuid, list) and uuid else uuid
    return InboundDelivery(
        raw=rebuild(item, headers, api),
        source="brevo",
        envelope_from=envelope_sender(lookup.get("return-path")),
        envelope_to=envelope_recipients([v for n, v in headers if n.lower() == "delivered-to"]),
        provider_event_id=str(event_id) if event_id else None,
        spam_score=spam_score(item.get("SpamScore")),
    )


def rebuild(item: dict[str, Any], headers: list[tuple[str, str]], api: BrevoApi) -> bytes:
    present = {name.lower() for name, _ in headers}
    top = []  # what Brevo gives as fields when the headers object lacks it
    sender = item.get("From") if isinstance(item.get("From"), dict) else {}
    for name, value in (("From", address(sender.get("Name"), sender.get("Address"))),
                        ("To", _people(item.get("To"))), ("Cc", _people(item.get("Cc"))),
                        ("Subject", item.get("Subject")), ("Date", item.get("SentAtDate")),
                        ("Message-ID", item.get("MessageId"))):
        if value and name.lower() not in present:
            top.append((name, str(value)))
    text, html = item.get("RawTextBody"), item.get("RawHtmlBody")
    return build_message(top + headers, text=Body.of(text if isinstance(text, str) else None),
                         html=Body.of(html if isinstance(html, str) else None),
                         attachments=[_attachment(a, api) for a in item.get("Attachments") or []])


def _headers(item: dict[str, Any]) -> list[tuple[str, str]]:
    block = item.get("Headers") if isinstance(item.get("Headers"), dict) else {}
    pairs: list[tuple[str, str]] = []
    for name, value in block.items():
        values = value if isinstance(value, list) else [value]
        pairs += [(str(name), str(v)) for v in values if v is not None]
    return pairs


def _people(people: Any) -> str:
    if not isinstance(people, list):
        return ""
    return ", ".join(address(p.get("Name"), p.get("Address")) for p in people
                     if isinstance(p, dict) and p.get("Address"))


def _attachment(meta: Any, api: BrevoApi) -> Attachment:
    if not isinstance(meta, dict):
        raise MalformedPayload("a Brevo attachment has no DownloadToken")
    data, served_type = api.attachment(safe_id(meta.get("DownloadToken"),
                                               "a Brevo attachment DownloadToken"))
    ctype = served_type or str(meta.get("ContentType") or "")
    charset = None
    for param in ctype.split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip('"') or None
    return Attachment(data=data, content_type=ctype, filename=str(meta.get("Name") or "") or None,
                      content_id=str(meta.get("ContentID") or "") or None, charset=charset)


PROVIDER = Provider(
    name="brevo", paths=("/inbound/brevo",),
    summary="Brevo inbound parsing: every item of the batch is stored before the answer.",
    build=lambda s, ports: BrevoWebhook(BrevoApi(ports.http, s.brevo_api_key, s.brevo_api_url)),
    answer="batch",
    payload="Brevo's inbound JSON, {\"items\": [...]}, one item per message (no raw message: "
    "it is rebuilt): Uuid (the event id), MessageId, From {Name, Address}, To, Cc, Subject, "
    "SentAtDate, Headers (an object), RawTextBody, RawHtmlBody, SpamScore, Attachments "
    "([{Name, ContentType, ContentID, DownloadToken}]: downloaded with CONNECTOR_BREVO_API_KEY).",
    example={"items": [{
        "Uuid": ["0c8c4e21-2b9d-4f6e-9a1c-3d5e7f9b1a2c"], "MessageId": "<printer-2@acme.example>",
        "From": {"Name": "Bob Jones", "Address": "bob@acme.example"},
        "To": [{"Name": None, "Address": "support@msp.example"}], "Subject": EXAMPLE_SUBJECT,
        "SentAtDate": "Wed, 02 Dec 2026 09:30:00 +0000",
        "Headers": {"Return-Path": "<bob@acme.example>"}, "RawTextBody": EXAMPLE_TEXT,
        "SpamScore": 0.1, "Attachments": []}]},
    settings=(
        SettingSpec("brevo_api_key", str | None, None, "Brevo API key (to download attachments)",
                    "providers", runtime=True, secret=True),
        SettingSpec("brevo_api_url", str, "https://api.brevo.com/v3", "Brevo API base URL",
                    "providers"),
    ),
)
