"""What a filed email keeps: text, reply without quoted history, HTML, attachments.

Robust to broken MIME: every part is read defensively, and a part that cannot be decoded is
kept as an attachment rather than dropped.
"""

from __future__ import annotations

import mimetypes
from datetime import UTC, datetime
from email.message import Message
from email.utils import parsedate_to_datetime

from adapters.mail.files import safe_attachment, safe_filename
from adapters.mail.headers import RawHeaders, header_text
from adapters.mail.html_text import html_to_text
from adapters.mail.replies import reply_part
from adapters.mail.text import decode_bytes
from adapters.mail.tnef import unpack_tnef
from adapters.mail.transfer import base64_body, file_body
from adapters.mail.unsplit import unsplit_parts
from domain.messages import ExtractedAttachment, ExtractedDocument

MAX_PARTS = 1000
_BODY_TYPES = ("text/plain", "text/html")


def extract_document(msg: Message) -> ExtractedDocument:
    doc = ExtractedDocument(date=_date(msg))
    texts: list[str] = []
    htmls: list[str] = []
    _collect(msg, texts, htmls, doc.attachments, depth=0, budget=[MAX_PARTS])
    doc.text = "\n".join(t for t in texts if t.strip()) or (html_to_text(htmls[0]) if htmls else "")
    doc.html = htmls[0] if htmls else None
    doc.reply_text = reply_part(doc.text)
    return doc


def _collect(part: Message, texts: list[str], htmls: list[str],
             attachments: list[ExtractedAttachment], depth: int, budget: list[int],
             *, split: bool = True, first: bool = True) -> None:
    """`first`: the part is the message itself or the first of its multipart (RFC 8621 §4.1.4:
    a text part there is body even when it has a filename)."""
    budget[0] -= 1
    if budget[0] < 0 or depth > 50:
        return
    ctype = part.get_content_type()
    if part.is_multipart():
        children = part.get_payload()
        if ctype == "message/rfc822" or not isinstance(children, list):
            attachments.append(_attachment(part, len(attachments)))
            return
        if ctype == "multipart/alternative":
            _alternatives(children, texts, htmls, attachments, depth,  # type: ignore[arg-type]
                          budget)  # a multipart's payload is its list of parts
            return
        for index, child in enumerate(children):
            _collect(child, texts, htmls, attachments, depth + 1, budget, first=index == 0)
        return
    if part.get_content_maintype() == "multipart":
        # The parser could not split it (wrong boundary, or nested too deep): split it here,
        # once; what still cannot be split is shown as text rather than hidden in a .bin file.
        leaves = unsplit_parts(part, max(budget[0], 0)) if split else None
        if leaves is None:
            texts.append(_text(part))
        for leaf in leaves or ():
            _collect(leaf, texts, htmls, attachments, depth + 1, budget, split=False)
        return
    if first and ctype in _BODY_TYPES and _disposition(part) != "attachment":
        # An inline text part with a filename (a whole message sent as "notes.txt", inline):
        # the body, as RFC 8621 and the mail clients read it; the named file is kept as well.
        if part.get_filename():
            attachments.append(_attachment(part, len(attachments)))
        (htmls if ctype == "text/html" else texts).append(_text(part))
        return
    if _is_attachment(part):
        name = _filename(part)  # read once: it is the costliest header of an attachment
        if ctype == "application/ms-tnef" or name.lower() == "winmail.dat":
            unpacked = unpack_tnef(_payload(part))
            if unpacked is not None:
                if unpacked.text:
                    texts.append(unpacked.text)
                if unpacked.html:
                    htmls.append(unpacked.html)
                attachments.extend(unpacked.files)
                return
        attachments.append(_attachment(part, len(attachments), name))
        return
    if ctype == "text/html":
        htmls.append(_text(part))
    elif ctype.startswith("text/") or ctype == "message/delivery-status":
        texts.append(_text(part))
    else:
        attachments.append(_attachment(part, len(attachments)))


def _alternatives(children: list[Message], texts: list[str], htmls: list[str],
                  attachments: list[ExtractedAttachment], depth: int, budget: list[int]) -> None:
    """One body out of a multipart/alternative: its first alternative with text (text/plain, or
    a multipart holding one), the HTML beside it; every other alternative (an Exchange meeting
    request's text/calendar, text/watch-html, ...) is kept as an attachment, not as more text."""
    chosen = False
    for child in children:
        if not isinstance(child, Message):
            continue
        kind = child.get_content_type()
        if _disposition(child) == "attachment" or not (
                kind in _BODY_TYPES or child.get_content_maintype() == "multipart"):
            budget[0] -= 1  # counted as _collect counts a part: MAX_PARTS holds here too
            if budget[0] < 0:
                return
            attachments.append(_attachment(child, len(attachments)))
            continue
        found: list[str] = []
        _collect(child, found, htmls, attachments, depth + 1, budget)
        if not chosen and any(text.strip() for text in found):
            texts.extend(found)
            chosen = True


def _is_attachment(part: Message) -> bool:
    disposition = _disposition(part)
    if disposition == "attachment":
        return True
    if part.get_content_maintype() == "text" and not part.get_filename():
        return False
    return part.get_content_type() not in ("text/plain", "text/html") or bool(part.get_filename())


def _disposition(part: Message) -> str:
    value = part.get("content-disposition")
    return str(value or "").split(";")[0].strip().lower()


def _payload(part: Message) -> bytes:
    data = base64_body(part)
    if data is not None:
        return data
    try:
        data = part.get_payload(decode=True)  # type: ignore[assignment]  # bytes, decoded
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    raw = part.get_payload()
    if isinstance(raw, str):
        return raw.encode("ascii", "surrogateescape")
    if isinstance(raw, list):  # an attached message: keep its serialization
        return b"".join(p.as_bytes() for p in raw if isinstance(p, Message))
    return b""


def _file_payload(part: Message) -> bytes | memoryview:
    """A file's bytes; a large base64 one, in a reader child, decoded over its own text."""
    data = file_body(part)
    return data if data is not None else _payload(part)


def _text(part: Message) -> str:
    charset = part.get_content_charset()
    return decode_bytes(_payload(part), charset)


def _attachment(part: Message, index: int, name: str | None = None) -> ExtractedAttachment:
    """`name`: the part's _filename when the caller has read it already."""
    ctype = part.get_content_type()
    content_id = part.get("content-id")
    cid = str(content_id).strip().strip("<>").strip() if content_id else None
    disposition = _disposition(part)
    return safe_attachment(
        filename=(_filename(part) if name is None else name) or _fallback_name(part, ctype, index),
        content_type=ctype,
        data=_file_payload(part),
        content_id=cid or None,
        inline=disposition == "inline" or (bool(cid) and disposition != "attachment"),
    )


def _filename(part: Message) -> str:
    # Read the parameters from the raw fields: compat32 replaces 8-bit bytes in them with U+FFFD.
    headers = RawHeaders(part)
    probe = Message()
    for field in ("content-disposition", "content-type"):
        value = headers.get(field)
        if value:
            probe[field] = value
    try:
        name = _rfc2231_name(probe) or probe.get_filename()
    except Exception:
        name = None
    return safe_filename(header_text(name)) if name else ""


def _rfc2231_name(probe: Message) -> str | None:
    """A `filename*=charset''...` name decoded like the rest (the charset's superset: the
    stdlib's strict codec turned Outlook's ISO-2022-JP "№" into U+FFFD); None otherwise."""
    value = probe.get_param("filename", header="content-disposition")
    if value is None:
        value = probe.get_param("name", header="content-type")
    if not isinstance(value, tuple) or not value[0]:
        return None
    return decode_bytes(value[2].encode("raw-unicode-escape"), value[0], detect=False).strip()


def _fallback_name(part: Message, ctype: str, index: int) -> str:
    if ctype == "message/rfc822":
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        subject = header_text(RawHeaders(inner).get("subject")) if isinstance(inner, Message) else ""
        return safe_filename(subject + ".eml") if subject else f"message-{index + 1}.eml"
    if ctype in ("text/calendar", "application/ics"):
        return "invite.ics"  # as the mail clients name a meeting request's calendar part
    ext = mimetypes.guess_extension(ctype) or ".bin"
    return f"attachment-{index + 1}{ext}"


def _date(msg: Message) -> datetime | None:
    value = msg.get("date")
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
