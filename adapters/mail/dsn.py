"""Reading bounces: RFC 3464 delivery status reports, and the older free-text kind."""

from __future__ import annotations

import re
from email.message import Message

from adapters.mail.headers import RawHeaders, addresses, message_id, parse_message
from adapters.mail.text import decode_bytes, single_line
from adapters.mail.transfer import base64_body
from domain.addresses import address_key
from domain.model import DeliveryReport, RecipientStatus

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


def is_read_receipt(msg: Message) -> bool:
    """A message disposition notification (RFC 8098, "read receipt"): never a bounce."""
    if msg.get_content_type() != "multipart/report":
        return False
    report_type = msg.get_param("report-type")
    if isinstance(report_type, tuple):  # RFC 2231 encoded parameter
        report_type = report_type[2]
    if str(report_type or "").strip().lower() == "disposition-notification":
        return True
    return any(part.get_content_type() in ("message/disposition-notification",
                                           "message/global-disposition-notification")
               for part in msg.walk())


def delivery_report(msg: Message) -> DeliveryReport | None:
    headers = RawHeaders(msg)
    if not looks_like_bounce(msg, headers) or is_read_receipt(msg):
        return None
    fields: dict[str, str] = {}
    recipients: list[str] = list(addresses(headers.get_all("x-failed-recipients")))
    per_recipient: list[RecipientStatus] = []
    ids: list[str] = []
    texts: list[str] = []
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype in ("message/delivery-status", "message/global-delivery-status"):
            _read_status(part, fields, recipients, per_recipient)
        elif ctype in ("text/rfc822-headers", "message/rfc822", "message/global",
                       "message/global-headers"):
            ids.extend(_original_ids(part))
        elif part.get_content_maintype() == "text":
            texts.append(_text(part))
    if not ids:  # an older bounce: the returned mail is quoted as text somewhere
        for text in texts:
            ids.extend(_MESSAGE_ID.findall(text))
    status = fields.get("status") or next((m.group(1) for t in texts for m in [_STATUS.search(t)] if m), None)
    if not per_recipient:
        # No RFC 3464 part: Exim's X-Failed-Recipients names the recipients it gave up on
        # (it is only set on permanent failures); the status is the one quoted in the text.
        failed = addresses(headers.get_all("x-failed-recipients"))
        per_recipient = [RecipientStatus(address, action="failed", status=status) for address in failed]
    return DeliveryReport(
        action=(fields.get("action") or "").lower() or None,
        status=status,
        recipients=tuple(dict.fromkeys(recipients))[:MAX_IDS],
        diagnostic=single_line(fields.get("diagnostic-code", ""), 500),
        message_ids=tuple(dict.fromkeys(ids))[:MAX_IDS],
        per_recipient=tuple(per_recipient)[:MAX_IDS],
    )


def _read_status(part: Message, fields: dict[str, str], recipients: list[str],
                 per_recipient: list[RecipientStatus]) -> None:
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
        named: dict[str, str] = {}
        for name in ("final-recipient", "original-recipient"):
            value = block.get(name)
            if value:
                key = address_key(str(value).rpartition(";")[2])
                if key and "@" in key:
                    named[name] = key
                    if key not in recipients:
                        recipients.append(key)
        if not named:
            continue  # the per-message block (Reporting-MTA, ...) or a block naming no one
        status = _STATUS.search(str(block.get("status") or ""))
        final = named.get("final-recipient") or named["original-recipient"]
        original = named.get("original-recipient")
        per_recipient.append(RecipientStatus(
            address=final,
            original=original if original != final else None,
            action=str(block.get("action") or "").strip().lower() or None,
            status=status.group(1) if status else None,
            diagnostic=single_line(str(block.get("diagnostic-code") or "").strip(), 500),
        ))


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
        data = part.get_payload(decode=True)  # type: ignore[assignment]  # bytes, decoded
    if isinstance(data, bytes):
        return data
    raw = part.get_payload()
    return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""


def _text(part: Message) -> str:
    return decode_bytes(_bytes(part)[:200_000], part.get_content_charset(), detect=False)
