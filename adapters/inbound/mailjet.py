"""Mailjet Parse API: a JSON object per message, with no raw MIME at all.

Quirks (docs/providers.md, Mailjet; sources there):
* The message is always rebuilt: `Headers` (an object whose values are lists of strings, except
  a few single-valued headers that are plain strings), `Text-part`, `Html-part`, and the
  `AttachmentN` / `InlineAttachmentN` fields named by `Parts[].ContentRef` [MJ-parse][AM-mj].
* Attachments are always base64 in the payload; the part's Content-Transfer-Encoding header
  shows the *original* encoding [MJ-parse], so only its type, filename and Content-ID are kept.
* The original MIME tree (boundaries, nesting) cannot be recovered [AM-mj].
* Authentication is HTTP Basic in the URL (checked by the route) [MJ-parse]; no event id.
"""

from __future__ import annotations

import base64
import binascii
import re
from email.message import Message
from typing import Any

from adapters.inbound.base import (
    EXAMPLE_HEADERS,
    EXAMPLE_SUBJECT,
    EXAMPLE_TEXT,
    InboundWebhook,
    Provider,
    WebhookRequest,
    WebhookResult,
    envelope_recipients,
    envelope_sender,
    load_json_body,
    spam_score,
)
from adapters.inbound.rebuild import Attachment, Body, build_message
from domain.errors import MalformedPayload
from domain.messages import InboundDelivery

_ATTACHMENT_REF = re.compile(r"^(Inline)?Attachment\d+$")


class MailjetWebhook(InboundWebhook[dict[str, Any]]):
    provider = "mailjet"

    def decode(self, request: WebhookRequest) -> dict[str, Any]:
        payload = load_json_body(request, "the Mailjet payload")
        if not isinstance(payload, dict) or not isinstance(payload.get("Headers"), dict):
            raise MalformedPayload("not a Mailjet Parse API payload (no Headers object)")
        return payload

    def deliveries(self, request: WebhookRequest, payload: dict[str, Any]) -> WebhookResult:
        return WebhookResult([parse(payload)])


def parse(payload: dict[str, Any]) -> InboundDelivery:
    sender, recipient = payload.get("Sender"), payload.get("Recipient")
    return InboundDelivery(
        raw=rebuild(payload),
        source="mailjet",
        envelope_from=envelope_sender(sender if isinstance(sender, str) else None),
        envelope_to=envelope_recipients([recipient if isinstance(recipient, str) else None]),
        spam_score=spam_score(payload.get("SpamAssassinScore")),
    )


def rebuild(payload: dict[str, Any]) -> bytes:
    headers: list[tuple[str, str]] = []
    for name, value in payload["Headers"].items():
        values = value if isinstance(value, list) else [value]
        headers += [(str(name), str(v)) for v in values if v is not None]
    text, html = payload.get("Text-part"), payload.get("Html-part")
    return build_message(headers, text=Body.of(text if isinstance(text, str) else None),
                         html=Body.of(html if isinstance(html, str) else None),
                         attachments=_attachments(payload))


def _attachments(payload: dict[str, Any]) -> list[Attachment]:
    part_headers: dict[str, dict[str, Any]] = {}
    for part in payload.get("Parts") or []:
        if isinstance(part, dict) and isinstance(part.get("ContentRef"), str):
            part_headers[part["ContentRef"]] = part.get("Headers") or {}
    refs = [r for r in part_headers if _ATTACHMENT_REF.match(r)]
    # Fields the Parts list does not name are still attachments of the message.
    refs += [k for k in payload if _ATTACHMENT_REF.match(k) and k not in refs]
    items = []
    for ref in refs:
        content = payload.get(ref)
        if not isinstance(content, str):
            continue
        try:
            data = base64.b64decode(content, validate=False)
        except (binascii.Error, ValueError):
            raise MalformedPayload(f"{ref} is not valid base64") from None
        items.append(_attachment(data, part_headers.get(ref, {}), inline=ref.startswith("Inline")))
    return items


def _attachment(data: bytes, headers: dict[str, Any], *, inline: bool) -> Attachment:
    probe = Message()  # to read the parameters (name, filename, charset) as email does
    for name, value in headers.items():
        if name.lower() in ("content-type", "content-disposition", "content-id"):
            probe[name] = str(value[0] if isinstance(value, list) and value else value)
    try:
        filename = probe.get_filename()
    except Exception:
        filename = None
    ctype = probe.get_content_type() if probe.get("content-type") else "application/octet-stream"
    return Attachment(data=data, content_type=ctype,
                      filename=str(filename) if filename else None,
                      content_id=str(probe.get("content-id") or "") or None,
                      inline=inline or None, charset=probe.get_content_charset())


PROVIDER = Provider(
    name="mailjet", paths=("/inbound/mailjet",), summary="Mailjet Parse API.",
    build=lambda s, ports: MailjetWebhook(),
    payload="Mailjet's Parse API JSON (no raw message: it is rebuilt): Sender and Recipient "
    "(the envelope), Headers (an object; most values are lists of strings), Text-part, "
    "Html-part, Parts ([{Headers, ContentRef}]) naming the Attachment1 / InlineAttachment1 ... "
    "fields (base64), SpamAssassinScore.",
    example={"Sender": "bob@acme.example", "Recipient": "support@msp.example",
             "From": "Bob Jones <bob@acme.example>", "Subject": EXAMPLE_SUBJECT,
             "Headers": dict(EXAMPLE_HEADERS), "Text-part": EXAMPLE_TEXT,
             "SpamAssassinScore": "0.1",
             "Parts": [{"Headers": {"Content-Type": "text/plain; charset=utf-8"},
                        "ContentRef": "Text-part"}]},
)
