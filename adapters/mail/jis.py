"""ISO-2022-JP as Microsoft mailers write it (CP50220/CP50221/CP50222), which Python lacks.

Outlook and other Windows mailers label mail "iso-2022-jp" but use the NEC row 13 characters
("№", "①", "㈱", ...) and the NEC-selected IBM extensions, which Python's strict iso2022_jp
codec rejects. Here each JIS X 0208 two-byte sequence is converted to the Shift_JIS bytes of
the same cell and decoded with cp932, which has those rows; JIS X 0212 (ESC $ ( D) is decoded
with euc_jp, half-width katakana (ESC ( I, or SO/SI) through cp932 as well. Escape sequences are
consumed, never kept as text; a byte that makes no character becomes U+FFFD.
"""

from __future__ import annotations

import re

# The designations of ISO-2022-JP and its Microsoft and -1 variants.
_ESCAPE = re.compile(rb"\x1b(?:\(B|\(J|\(H|\(I|\$@|\$B|\$\(B|\$\(@|\$\(D|&@\x1b\$B)")
_ASCII, _KATAKANA, _JIS0208, _JIS0212 = range(4)
_MODES = {b"(B": _ASCII, b"(J": _ASCII, b"(H": _ASCII, b"(I": _KATAKANA, b"$@": _JIS0208,
          b"$B": _JIS0208, b"$(B": _JIS0208, b"$(@": _JIS0208, b"$(D": _JIS0212,
          b"&@\x1b$B": _JIS0208}


def looks_like_jis(data: bytes) -> bool:
    """7-bit data that switches to a Japanese character set somewhere."""
    return b"\x1b" in data and data.isascii() and _ESCAPE.search(data) is not None


def decode_jis(data: bytes) -> str:
    out: list[str] = []
    sjis = bytearray()   # ASCII, katakana and JIS X 0208, as cp932 bytes
    euc = bytearray()    # JIS X 0212, as EUC-JP bytes
    mode, shifted, position = _ASCII, False, 0

    def flush() -> None:
        if sjis:
            out.append(sjis.decode("cp932", errors="replace"))
            sjis.clear()
        if euc:
            out.append(euc.decode("euc_jp", errors="replace"))
            euc.clear()

    while position < len(data):
        byte = data[position]
        if byte == 0x1B:
            match = _ESCAPE.match(data, position)
            if match is not None:
                mode, shifted = _MODES[match.group(0)[1:]], False
                position = match.end()
                continue
            position += 1  # an unknown escape: the ESC is dropped, the rest read as it comes
            continue
        if byte in (0x0E, 0x0F):  # SO/SI: half-width katakana in CP50222
            shifted = byte == 0x0E
            position += 1
            continue
        if byte < 0x21 or byte > 0x7E:  # controls, space and line breaks pass in every mode
            if euc:
                flush()
            sjis.append(byte)
            position += 1
            continue
        if shifted or mode == _KATAKANA:
            if euc:
                flush()
            sjis.append(byte + 0x80 if byte <= 0x5F else 0x3F)
            position += 1
        elif mode == _ASCII:
            if euc:
                flush()
            sjis.append(byte)
            position += 1
        else:
            second = data[position + 1] if position + 1 < len(data) else 0
            if not 0x21 <= second <= 0x7E:  # half a character: replaced, the next byte re-read
                flush()
                out.append("\ufffd")
                position += 1
                continue
            if mode == _JIS0212:
                if sjis:
                    flush()
                euc += bytes((0x8F, byte | 0x80, second | 0x80))
            else:
                if euc:
                    flush()
                sjis += _to_shift_jis(byte, second)
            position += 2
    flush()
    return "".join(out)


def _to_shift_jis(first: int, second: int) -> bytes:
    lead = ((first - 0x21) >> 1) + 0x81
    if lead > 0x9F:
        lead += 0x40
    if first & 1:
        trail = second + (0x1F if second < 0x60 else 0x20)
    else:
        trail = second + 0x7E
    return bytes((lead, trail))
