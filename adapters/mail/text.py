"""Turning bytes of unknown or wrongly declared charset into text, never failing."""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

# Labels seen in real mail that Python does not know, or knows by another name.
_ALIASES = {
    "unknown-8bit": None,
    "x-unknown": None,
    "unknown": None,
    "x-user-defined": None,
    "default": None,
    "ansi_x3.4-1968": "ascii",
    "us-ascii": "ascii",
    "ks_c_5601-1987": "cp949",
    "x-mac-roman": "mac_roman",
    "iso-8859-8-i": "iso-8859-8",
    "windows-874": "cp874",
    "gb2312": "gb18030",  # GB18030 is a superset; Outlook mislabels GBK text as GB2312
    "gbk": "gb18030",
}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def known_codec(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().strip('"').lower()
    if label in _ALIASES:
        return _ALIASES[label]
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def decode_bytes(data: bytes, charset: str | None, *, detect: bool = True) -> str:
    """Decode with the declared charset; if that is missing or wrong, guess; never raise."""
    codec = known_codec(charset)
    if codec:
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if detect and len(data) >= 16:
        best = from_bytes(data[:65536]).best()
        if best is not None and best.encoding:
            try:
                return data.decode(best.encoding)
            except (UnicodeDecodeError, LookupError):
                pass
    return data.decode("cp1252", errors="replace")


def single_line(text: str, limit: int = 998) -> str:
    """A header value made safe to show or store: no CR/LF or control characters, bounded."""
    return _CONTROL.sub("", " ".join(text.split()))[:limit]
