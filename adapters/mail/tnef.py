"""Outlook's winmail.dat (application/ms-tnef) unpacked into its body and files.

The body is the plain one (PR_BODY) when there is one; else the HTML one (PR_BODY_HTML), kept as
the document's HTML and rendered to text; else the compressed RTF (PR_RTF_COMPRESSED), which
tnefparse decompresses with `compressed-rtf` (MS-OXRTFCP) and `striprtf` turns into text. An
attached Outlook message (an embedded TNEF, ATTACH_EMBEDDED_MSG) is unpacked too: its body as a
text file, and its files next to the others, so no attachment stays locked inside.
"""

from __future__ import annotations

import logging
import mimetypes
from dataclasses import dataclass, field

from striprtf.striprtf import rtf_to_text
from tnefparse import TNEF

from adapters.mail.files import safe_attachment, safe_filename
from adapters.mail.html_text import html_to_text
from adapters.mail.text import decode_bytes
from domain.messages import ExtractedAttachment

log = logging.getLogger(__name__)
_MAX_EMBEDDED_DEPTH = 4


@dataclass(slots=True)
class TnefContent:
    text: str = ""
    html: str | None = None
    files: list[ExtractedAttachment] = field(default_factory=list)


def unpack_tnef(data: bytes) -> TnefContent | None:
    """The body and attachments inside a TNEF blob, or None when it cannot be read."""
    try:
        tnef = TNEF(data)
    except Exception as exc:  # a broken winmail.dat is kept as it is
        log.info("winmail.dat could not be unpacked: %s", type(exc).__name__)
        return None
    content = _content(tnef, 0)
    if not (content.text or content.html or content.files):
        return None  # nothing came out (a cut-off blob): the winmail.dat itself is kept
    return content


def _content(tnef: TNEF, depth: int) -> TnefContent:
    content = TnefContent(text=_as_text(getattr(tnef, "body", None)).strip())
    if not content.text:
        html = _as_text(getattr(tnef, "htmlbody", None)).strip()
        if html:
            content.html = html
            content.text = html_to_text(html).strip()
        else:
            content.text = _rtf_text(tnef)
    for index, item in enumerate(getattr(tnef, "attachments", []) or []):
        name = _name(item) or f"winmail-{index + 1}.bin"
        embedded = getattr(item, "embed", None)
        if isinstance(embedded, TNEF) and depth < _MAX_EMBEDDED_DEPTH:
            inner = _content(embedded, depth + 1)
            stem = name.removesuffix(".msg") or f"message-{index + 1}"
            if inner.text:
                content.files.append(safe_attachment(f"{stem}.txt", "text/plain",
                                                     inner.text.encode("utf-8")))
            if inner.html:
                content.files.append(safe_attachment(f"{stem}.html", "text/html",
                                                     inner.html.encode("utf-8")))
            content.files.extend(inner.files)
            continue
        guessed = mimetypes.guess_type(name)[0] or "application/octet-stream"
        content.files.append(safe_attachment(filename=name, content_type=guessed,
                                             data=bytes(item.data or b"")))
    return content


def _rtf_text(tnef: TNEF) -> str:
    try:
        rtf = tnef.rtfbody  # decompressed by tnefparse with compressed-rtf
    except Exception as exc:  # a corrupt compressed RTF: no body, the files still count
        log.info("winmail.dat RTF body could not be decompressed: %s", type(exc).__name__)
        return ""
    if not rtf:
        return ""
    try:
        source = rtf.decode("cp1252", "replace") if isinstance(rtf, bytes) else str(rtf)
        return str(rtf_to_text(source, errors="replace")).strip()
    except Exception as exc:
        log.info("winmail.dat RTF body could not be read: %s", type(exc).__name__)
        return ""


def _name(item: object) -> str:
    try:
        name = item.long_filename() or item.name  # type: ignore[attr-defined]
    except Exception:
        name = getattr(item, "name", "") or ""
    if isinstance(name, bytes):
        name = decode_bytes(name, None, detect=False)
    return safe_filename(str(name).rstrip("\x00"))


def _as_text(value: object) -> str:
    if isinstance(value, list):  # a MAPI property's values
        value = value[0] if value else None
    if isinstance(value, bytes):
        return decode_bytes(value.rstrip(b"\x00"), None)
    return str(value).rstrip("\x00") if value else ""
