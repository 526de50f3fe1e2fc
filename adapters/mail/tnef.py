"""Outlook's winmail.dat (application/ms-tnef) unpacked into its body and files."""

from __future__ import annotations

import logging

from tnefparse import TNEF

from adapters.mail.files import safe_attachment, safe_filename
from adapters.mail.text import decode_bytes
from domain.messages import ExtractedAttachment

log = logging.getLogger(__name__)


def unpack_tnef(data: bytes) -> tuple[str, list[ExtractedAttachment]] | None:
    """The body text and attachments inside a TNEF blob, or None when it cannot be read."""
    try:
        tnef = TNEF(data)
    except Exception as exc:  # a broken winmail.dat is kept as it is
        log.info("winmail.dat could not be unpacked: %s", type(exc).__name__)
        return None
    body = ""
    raw_body = getattr(tnef, "body", None)
    if isinstance(raw_body, bytes):
        body = decode_bytes(raw_body, None)
    elif isinstance(raw_body, str):
        body = raw_body
    files = []
    for index, item in enumerate(getattr(tnef, "attachments", []) or []):
        try:
            name = item.long_filename() or item.name
        except Exception:
            name = getattr(item, "name", "") or ""
        if isinstance(name, bytes):
            name = decode_bytes(name, None, detect=False)
        filename = safe_filename(str(name)) or f"winmail-{index + 1}.bin"
        files.append(safe_attachment(
            filename=filename,
            content_type="application/octet-stream",
            data=bytes(item.data or b""),
        ))
    return body.strip(), files
