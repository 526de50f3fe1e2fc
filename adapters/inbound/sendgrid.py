"""SendGrid Inbound Parse: the default (parsed) mode and "Send Raw" (`email`).

Quirks (docs/providers.md, SendGrid; sources there):
* Both modes are multipart/form-data [SG-setup]; the raw message is a non-file field, often
  larger than Starlette's 1 MB limit for such fields, and not always valid UTF-8, so the body is
  parsed here byte-exactly (adapters.inbound.forms) [ST-form][AMB-sg].
* Parsed mode posts `text` and `html` in the message's original charsets, named in the JSON
  field `charsets` [AM-187]; the bytes are kept and labelled with that charset.
* `content-ids` is documented as a count but is a JSON map CID -> field [SG-setup]; the CID of
  each attachment is read from `attachment-info`, and from `content-ids` as a fallback [AM-sg].
* No event id is given [AM-sg]: duplicates are found by Message-ID and recipient (SPEC §2).
* Authentication is HTTP Basic in the URL (checked by the route) [AMB-sg][AM-sg-doc].
"""

from __future__ import annotations

import json
from typing import Any

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
)
from adapters.inbound.forms import Form, parse_form
from adapters.inbound.rebuild import Attachment, Body, build_message, split_header_block
from domain.errors import MalformedPayload
from domain.messages import InboundDelivery


class SendgridWebhook(InboundWebhook[Form]):
    provider = "sendgrid"

    def decode(self, request: WebhookRequest) -> Form:
        return parse_form(request.body, request.content_type)

    def deliveries(self, request: WebhookRequest, payload: Form) -> WebhookResult:
        return WebhookResult([parse(payload)])


def parse(form: Form) -> InboundDelivery:
    if "headers" in form:  # parsed mode; checked first, as Anymail does [AM-sg]
        raw = rebuild(form)
    elif "email" in form:
        raw = form.get("email") or b""
        if not raw.strip():
            raise MalformedPayload("the email field is empty")
    else:
        raise MalformedPayload("neither headers (parsed mode) nor email (Send Raw): "
                               "is this a SendGrid Inbound Parse post?")
    envelope = _json_object(form, "envelope")
    to = envelope.get("to")
    return InboundDelivery(
        raw=raw,
        source="sendgrid",
        envelope_from=envelope_sender(envelope.get("from") if isinstance(envelope.get("from"), str)
                                      else None),
        envelope_to=envelope_recipients(
            [str(t) for t in to] if isinstance(to, list) else [str(to)] if to else []),
        spam_score=spam_score(form.text("spam_score")),
    )


def rebuild(form: Form) -> bytes:
    charsets = _json_object(form, "charsets")
    text, html = form.get("text"), form.get("html")
    return build_message(
        split_header_block(form.get("headers") or b""),
        text=Body(text, _charset(charsets, "text")) if text is not None else None,
        html=Body(html, _charset(charsets, "html")) if html is not None else None,
        attachments=_attachments(form),
    )


def _attachments(form: Form) -> list[Attachment]:
    info = _json_object(form, "attachment-info")
    cid_by_field = {str(v): str(k) for k, v in _json_object(form, "content-ids").items()}
    fields = [p.name for p in form.parts
              if p.name.startswith("attachment") and ascii_digits(p.name[10:], max_length=6)]
    items = []
    for name in sorted(fields, key=lambda n: int(n[10:])):
        part = form.part(name)
        assert part is not None
        meta = info.get(name) if isinstance(info.get(name), dict) else {}
        items.append(Attachment(
            data=part.data,
            content_type=str(meta.get("type") or part.content_type or "application/octet-stream"),
            filename=str(meta.get("filename") or part.filename or "") or None,
            content_id=str(meta.get("content-id") or cid_by_field.get(name) or "") or None,
        ))
    return items


def _charset(charsets: dict[str, Any], field: str) -> str:
    value = charsets.get(field)
    return value if isinstance(value, str) and value.strip() else "utf-8"


def _json_object(form: Form, name: str) -> dict[str, Any]:
    data = form.get(name)
    if data is None or not data.strip():
        return {}
    value = load_json(data, name)
    if not isinstance(value, dict):
        raise MalformedPayload(f"{name} is not a JSON object")
    return value


PROVIDER = Provider(
    name="sendgrid", paths=("/inbound/sendgrid",),
    summary="SendGrid Inbound Parse, default (parsed) mode or Send Raw.",
    build=lambda s, ports: SendgridWebhook(), media_types=("multipart/form-data",),
    payload="multipart/form-data. Default (parsed) mode: headers (the message's header block), "
    "from, to, subject, text and html (in the charsets the JSON field charsets names), "
    "envelope (JSON: {\"to\": [...], \"from\": ...}), spam_score, attachments (the count), "
    "attachment-info (JSON) and attachment1 ... as files. Send Raw mode: email (the raw "
    "message) and envelope.",
    example={"headers": "".join(f"{n}: {v}\r\n" for n, v in EXAMPLE_HEADERS),
             "from": "Bob Jones <bob@acme.example>", "to": "support@msp.example",
             "subject": EXAMPLE_SUBJECT, "text": EXAMPLE_TEXT,
             "envelope": json.dumps({"to": ["support@msp.example"], "from": "bob@acme.example"}),
             "charsets": json.dumps({"to": "UTF-8", "from": "UTF-8", "subject": "UTF-8",
                                     "text": "UTF-8"}),
             "spam_score": "0.1", "attachments": "0"},
)
