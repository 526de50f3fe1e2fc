"""Reading bounces: RFC 3464 delivery status reports, and the older free-text kind."""

from __future__ import annotations

import re
from email.message import Message

from adapters.mail.headers import RawHeaders, addresses, message_id, parse_message
from adapters.mail.text import decode_bytes, single_line
from adapters.mail.transfer import base64_body
from domain.addresses import address_key
from domain.model import DeliveryReport

_MESSAGE_ID = re.compile(r"<([^<>\s@]{1,400}@[^<>\s]{1,400})>")
_STATUS = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")
_BOUNCE_SENDER = re.compile(r"^(mailer-daemon|postmaster)@", re.IGNORECASE)
MAX_IDS = 20


def looks_like_bounce(msg: Message, headers: RawHeaders) -> bool:
    if msg.get_content_type() == "multipart/report":
        return True
    if headers.get("x-failed-recipients"):
        return True
    sender = (addresses(headers.get_all("from")) or [""])[0]
    return bool(_BOUNCE_SENDER.match(sender))


def delivery_report(msg: Message) -> DeliveryReport | None:
    headers = RawHeaders(msg)
    if not looks_like_bounce(msg, headers):
        return None
    fields: dict[str, str] = {}
    recipients: list[str] = [a for a in addresses(headers.get_all("x-failed-recipients"))]
    ids: list[str] = []
    texts: list[str] = []
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype in ("message/delivery-status", "message/global-delivery-status"):
            _read_status(part, fields, recipients)
        elif ctype in ("text/rfc822-headers", "message/rfc822", "message/global",
                       "message/global-headers"):
            ids.extend(_original_ids(part))
        elif part.get_content_maintype() == "text":
            texts.append(_text(part))
    if not ids:  # an older bounce: the returned mail is quoted as text somewhere
        for text in texts:
            ids.extend(_MESSAGE_ID.findall(text))
    status = fields.get("status") or next((m.group(1) for t in texts for m in [_STATUS.search(t)] if m), None)
    return DeliveryReport(
        action=(fields.get("action") or "").lower() or None,
        status=status,
        recipients=tuple(dict.fromkeys(recipients))[:MAX_IDS],
        diagnostic=single_line(fields.get("diagnostic-code", ""), 500),
        message_ids=tuple(dict.fromkeys(ids))[:MAX_IDS],
    )


def _read_status(part: Message, fields: dict[str, str], recipients: list[str]) -> None:
    # compat32 parses the status body as a list of header blocks: per message, per recipient.
    payload = part.get_payload()
    blocks = payload if isinstance(payload, list) else [parse_message(_bytes(part), headers_only=True)]
    for block in blocks:
        if not isinstance(block, Message):
            continue
        for name in ("action", "status", "diagnostic-code"):
            value = block.get(name)
            if value and name not in fields:
                fields[name] = str(value).strip()
        for name in ("final-recipient", "original-recipient"):
            value = block.get(name)
            if value:
                key = address_key(str(value).rpartition(";")[2])
                if key and "@" in key and key not in recipients:
                    recipients.append(key)


def _original_ids(part: Message) -> list[str]:
    payload = part.get_payload()
    inner = payload[0] if isinstance(payload, list) and payload else None
    if not isinstance(inner, Message):
        inner = parse_message(_bytes(part), headers_only=True)
    found = message_id(RawHeaders(inner).get("message-id"))
    return [found] if found else []


def _bytes(part: Message) -> bytes:
    data = base64_body(part)
    if data is None:
        data = part.get_payload(decode=True)
    if isinstance(data, bytes):
        return data
    raw = part.get_payload()
    return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""


def _text(part: Message) -> str:
    return decode_bytes(_bytes(part)[:200_000], part.get_content_charset(), detect=False)
