"""Turning bytes of unknown or wrongly declared charset into text, never failing."""

from __future__ import annotations

import codecs
import functools
import re

from charset_normalizer import from_bytes

from adapters.mail.jis import decode_jis, looks_like_jis

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
}
# A declared charset is read as the superset that the mailers writing that label really use
# (Microsoft's code pages, as the WHATWG Encoding Standard does), the strict codec after it:
# Python's strict codecs reject the vendor characters (NEC row 13 "№", "①", "㈱") and
# the text ended up guessed, or with its escape sequences kept as text.
_JIS = "iso-2022-jp-ms"  # decoded by adapters.mail.jis (CP50220/CP50221/CP50222)
_SUPERSETS = {
    "iso2022_jp": (_JIS,),
    "iso2022_jp_1": (_JIS,),
    "iso2022_jp_ext": (_JIS,),
    "iso2022_jp_2": ("iso2022_jp_2", _JIS),
    "iso2022_jp_3": ("iso2022_jp_3", _JIS),
    "iso2022_jp_2004": ("iso2022_jp_2004", _JIS),
    # The strict codec first, then UTF-8 (mislabelled UTF-8 is common, and the supersets would
    # read it as mojibake), then the superset: Outlook's "①" fails the first two.
    "shift_jis": ("shift_jis", "utf_8", "cp932"),
    "shift_jis_2004": ("shift_jis_2004", "utf_8", "cp932"),
    "shift_jisx0213": ("shift_jisx0213", "utf_8", "cp932"),
    "euc_jp": ("euc_jp", "utf_8", "euc_jis_2004"),
    "gb2312": ("gb2312", "utf_8", "gb18030"),  # Outlook labels GBK text GB2312
    "gbk": ("gbk", "utf_8", "gb18030"),
    "euc_kr": ("euc_kr", "utf_8", "cp949"),
    "cp949": ("cp949", "utf_8"),
    "johab": ("johab", "utf_8", "cp949"),
    "big5": ("big5", "utf_8", "cp950", "big5hkscs"),
}
_MS_LABELS = {"cp50220": "iso2022_jp", "cp50221": "iso2022_jp", "cp50222": "iso2022_jp",
              "iso-2022-jp-ms": "iso2022_jp", "csiso2022jp": "iso2022_jp",
              "x-sjis": "shift_jis", "windows-31j": "shift_jis", "ms_kanji": "shift_jis",
              "csshiftjis": "shift_jis"}
# ISO-8859-x has C1 controls at 0x80-0x9F where the matching windows-125x has the characters
# people typed ("€", curly quotes, dashes): mail labelled ISO-8859-x is mostly written in the
# Windows code page. Only that range is taken from it: elsewhere the two differ (ISO-8859-2
# "ą" is 0xB1, cp1250's 0xB9), and text that really is ISO-8859-x must keep its letters.
_WINDOWS_C1 = {"iso8859_1": "cp1252", "iso8859_15": "cp1252", "iso8859_2": "cp1250",
               "iso8859_5": "cp1251", "iso8859_6": "cp1256", "iso8859_7": "cp1253",
               "iso8859_8": "cp1255", "iso8859_9": "cp1254", "iso8859_4": "cp1257",
               "iso8859_13": "cp1257", "iso8859_11": "cp874", "tis_620": "cp874"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_C1 = re.compile("[\x80-\x9f]")


def known_codec(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().strip('"').lower()
    if label in _MS_LABELS:
        return _MS_LABELS[label]
    if label in _ALIASES:
        label = _ALIASES[label]
        if label is None:
            return None
    try:
        return codecs.lookup(label).name.replace("-", "_")
    except LookupError:
        return None


def decode_bytes(data: bytes, charset: str | None, *, detect: bool = True) -> str:
    """Decode with the declared charset; if that is missing or wrong, guess; never raise."""
    codec = known_codec(charset)
    jis = looks_like_jis(data)
    for candidate in _SUPERSETS.get(codec, (codec,)) if codec else ():
        if candidate == _JIS:
            if not data.isascii():  # 8-bit under a 7-bit label: UTF-8, or else Shift_JIS
                try:
                    return data.decode("utf-8")
                except UnicodeDecodeError:
                    pass
            return decode_jis(data)  # (its 8-bit bytes are read as cp932)
        try:
            text = data.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
        if candidate in _WINDOWS_C1 and _C1.search(text):
            text = text.translate(_c1_table(_WINDOWS_C1[candidate]))
        # A 7-bit label (us-ascii, utf-8, ...) on ISO-2022-JP text: the escapes were kept.
        return decode_jis(data) if jis and "\x1b" in text else text
    if jis:  # undeclared or wrongly declared ISO-2022-JP (7-bit, so UTF-8 would "decode" it)
        return decode_jis(data)
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


@functools.cache
def _c1_table(windows: str) -> dict[int, str]:
    table = {}
    for byte in range(0x80, 0xA0):
        try:
            table[byte] = bytes((byte,)).decode(windows)
        except UnicodeDecodeError:
            pass  # undefined in that code page (cp1252 0x81): the control stays
    return table


def single_line(text: str, limit: int = 998) -> str:
    """A header value made safe to show or store: no CR/LF or control characters, bounded."""
    return _CONTROL.sub("", " ".join(text.split()))[:limit]
