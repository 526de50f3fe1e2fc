"""Files taken out of a message, and their untrusted names made safe."""

from __future__ import annotations

import re

from domain.messages import ExtractedAttachment

_UNSAFE_FILENAME = re.compile(r'[\x00-\x1f\x7f<>:"|?*]')
# Bidirectional controls: "invoice\u202Efdp.exe" shows as "invoiceexe.pdf" (CVE-2021-42574 kind).
_BIDI = re.compile("[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")
# RFC 2045 §5.1: type "/" subtype, each a token (US-ASCII, no space, no control, no tspecial).
_TOKEN = r"[!#$%&'*+\-.^_`{|}~0-9a-z]+"
_CONTENT_TYPE = re.compile(rf"{_TOKEN}/{_TOKEN}")
OCTET_STREAM = "application/octet-stream"


def safe_attachment(filename: str, content_type: str | None, data: bytes | memoryview,
                    content_id: str | None = None, inline: bool = False) -> ExtractedAttachment:
    """Every attachment is built here: what is stored is safe to show and to serve."""
    return ExtractedAttachment(filename=_BIDI.sub("", filename),
                               content_type=safe_content_type(content_type), data=data,
                               content_id=content_id, inline=inline)


def safe_filename(name: str) -> str:
    """An untrusted filename made harmless: no path, no control, bidi or shell-hostile characters."""
    name = _BIDI.sub("", name)
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_FILENAME.sub("_", name).strip().lstrip(".").strip()
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:190] + dot + ext[:9]) if dot else name[:200]
    return name


def safe_content_type(value: str | None) -> str:
    """`type/subtype` in RFC 2045 token characters (lower-case, parameters dropped), else
    application/octet-stream: a content type with control or non-ASCII characters is never
    stored or served back as it came."""
    ctype = (value or "").split(";", 1)[0].strip().lower()
    if len(ctype) <= 255 and _CONTENT_TYPE.fullmatch(ctype):
        return ctype
    return OCTET_STREAM
