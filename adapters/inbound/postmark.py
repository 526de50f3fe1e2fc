"""Postmark inbound webhook (JSON), with `RawEmail` or rebuilt from the parsed fields.

Quirks (docs/providers.md, Postmark; sources there):
* `RawEmail` is present only when "Include raw email content in JSON payload" is on; it is then
  the message, handed over untouched [AM-pm-doc][AMB-pm].
* Postmark prepends a `Return-Path` header (the envelope sender) to `Headers`; it is not part of
  the message, so it becomes the envelope sender and is left out of a rebuilt message [AM-pm].
* From/To/Cc/Bcc, Subject, Date and Reply-To are not in `Headers`: they come from FromFull,
  ToFull, CcFull, BccFull and their own fields [AM-pm].
* `MessageID` is Postmark's UUID, not the Message-ID header: it is the event id [AM-pm].
* Attachments carry base64 in `Content` (Postmark's own samples use `Data`) [AM-pm-test].
* `MailboxHash` (the +tag of the address) stays in the envelope recipient `OriginalRecipient`.
* 403 is the only status that stops Postmark's retries [PM-retry]: used for malformed payloads.
"""

from __future__ import annotations

import binascii
from typing import Any

from adapters.inbound.base import (
    EXAMPLE_SUBJECT,
    EXAMPLE_TEXT,
    InboundWebhook,
    Provider,
    WebhookRequest,
    WebhookResult,
    envelope_recipients,
    envelope_sender,
    load_json_body_setting_aside,
    spam_score,
    text_bytes,
    yes_no_verdict,
)
from adapters.inbound.rebuild import Attachment, Body, Pieces, address, build_message
from domain.errors import MalformedPayload
from domain.messages import InboundDelivery


class PostmarkWebhook(InboundWebhook[dict[str, Any]]):
    provider = "postmark"

    def decode(self, request: WebhookRequest) -> dict[str, Any]:
        """The payload, each attachment's long base64 already decoded, in pieces (the parser
        never made a string of it)."""
        payload, strings = load_json_body_setting_aside(request, "the Postmark payload")
        if not isinstance(payload, dict):
            raise MalformedPayload("the Postmark payload is not a JSON object")
        for item in payload.get("Attachments") or []:
            for key in ("Content", "Data"):
                if isinstance(item, dict) and key in item:
                    item[key] = strings.take(item[key])
        strings.restore(payload)
        if payload.get("RecordType", "Inbound") != "Inbound":
            raise MalformedPayload(f"a {payload.get('RecordType')!r} webhook was sent to the "
                                   "inbound URL")
        return payload

    def deliveries(self, request: WebhookRequest, payload: dict[str, Any]) -> WebhookResult:
        return WebhookResult([parse(payload)])


def parse(payload: dict[str, Any]) -> InboundDelivery:
    headers = [(str(h.get("Name", "")), str(h.get("Value", "")))
               for h in payload.get("Headers") or [] if isinstance(h, dict)]
    return_path = None
    if headers and headers[0][0].lower() == "return-path":
        return_path = headers.pop(0)[1]
    raw_email = payload.get("RawEmail")
    if isinstance(raw_email, str) and raw_email.strip():
        raw = text_bytes(raw_email)
    else:
        raw = rebuild(payload, headers)
    lookup = {name.lower(): value for name, value in reversed(headers)}
    recipient = payload.get("OriginalRecipient")
    return InboundDelivery(
        raw=raw,
        source="postmark",
        envelope_from=envelope_sender(return_path),
        envelope_to=envelope_recipients([recipient if isinstance(recipient, str) else None]),
        provider_event_id=str(payload.get("MessageID") or "") or None,
        spam_score=spam_score(lookup.get("x-spam-score")),
        spam_verdict=yes_no_verdict(lookup.get("x-spam-status")),
    )


def rebuild(payload: dict[str, Any], headers: list[tuple[str, str]]) -> bytes:
    if not isinstance(payload.get("FromFull"), dict) and not payload.get("From"):
        raise MalformedPayload("the Postmark payload has neither RawEmail nor a sender")
    top: list[tuple[str, str]] = [("From", _from(payload))]
    for name, key in (("To", "ToFull"), ("Cc", "CcFull"), ("Bcc", "BccFull")):
        people = _addresses(payload.get(key)) or str(payload.get(name) or "")
        if people:
            top.append((name, people))
    for name, key in (("Subject", "Subject"), ("Date", "Date"), ("Reply-To", "ReplyTo")):
        if payload.get(key):
            top.append((name, str(payload[key])))
    present = {name.lower() for name, _ in headers}
    top = [(n, v) for n, v in top if n.lower() not in present]
    return build_message(top + headers, text=Body.of(_str(payload.get("TextBody"))),
                         html=Body.of(_str(payload.get("HtmlBody"))),
                         attachments=[_attachment(a) for a in payload.get("Attachments") or []])


def _from(payload: dict[str, Any]) -> str:
    full = payload.get("FromFull")
    if isinstance(full, dict):
        return address(full.get("Name"), full.get("Email"))
    return address(payload.get("FromName"), payload.get("From"))


def _addresses(people: Any) -> str:
    if not isinstance(people, list):
        return ""
    return ", ".join(address(p.get("Name"), p.get("Email")) for p in people
                     if isinstance(p, dict) and p.get("Email"))


def _attachment(item: Any) -> Attachment:
    if not isinstance(item, dict):
        raise MalformedPayload("an attachment is not a JSON object")
    key = "Content" if "Content" in item else "Data"
    content = item.get(key)
    if not isinstance(content, (str, Pieces)):
        raise MalformedPayload(f"attachment {item.get('Name')!r} has no content")
    try:
        # A long one was decoded as the body was read (json_strings.py); binascii takes the
        # ASCII text of a short one as it is (base64.b64decode copies it first).
        data = content if isinstance(content, Pieces) else binascii.a2b_base64(content)
    except (binascii.Error, ValueError):
        raise MalformedPayload(f"attachment {item.get('Name')!r} is not valid base64") from None
    item[key] = None  # the text is not needed again: freed now, not with the whole payload
    return Attachment(data=data, content_type=str(item.get("ContentType") or ""),
                      filename=_str(item.get("Name")), content_id=_str(item.get("ContentID")))


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


PROVIDER = Provider(
    name="postmark", paths=("/inbound/postmark",),
    summary="Postmark inbound webhook, with RawEmail or without.",
    build=lambda s, ports: PostmarkWebhook(), errors=(401, 403), reads_pieces=True,
    refusals={MalformedPayload: 403},  # the only code that stops Postmark retrying
    payload="Postmark's inbound JSON: RawEmail (the message, when \"Include raw email content\" "
    "is on) or the parsed fields FromFull, ToFull, CcFull, Subject, Date, TextBody, HtmlBody, "
    "Headers ([{Name, Value}], Return-Path first: the envelope sender), Attachments "
    "([{Name, ContentType, Content (base64), ContentID}]); OriginalRecipient is the envelope "
    "recipient and MessageID (Postmark's id) the event id. Malformed posts are answered 403, "
    "the one status that stops Postmark's retries.",
    example={"MessageID": "b7bc2f4a-e38e-4336-af7d-e6c392c2f817",
             "FromFull": {"Email": "bob@acme.example", "Name": "Bob Jones"},
             "ToFull": [{"Email": "support@msp.example", "Name": ""}],
             "OriginalRecipient": "support@msp.example", "Subject": EXAMPLE_SUBJECT,
             "Date": "Wed, 02 Dec 2026 09:30:00 +0000", "TextBody": EXAMPLE_TEXT,
             "Headers": [{"Name": "Return-Path", "Value": "<bob@acme.example>"},
                         {"Name": "Message-ID", "Value": "<printer-2@acme.example>"}],
             "Attachments": []},
)
