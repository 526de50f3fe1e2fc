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
_RUNS = re.compile(rb"([\x21-\x7e]+)")
_HIGH = bytes(byte | 0x80 for byte in range(256))
_KATAKANA_BYTES = bytes(byte + 0x80 if 0x21 <= byte <= 0x5F else byte for byte in range(256))
# Where Python's JIS X 0208 table and Microsoft's (cp932) differ: the Microsoft characters,
# as Windows shows the mail (tests/adapters/test_charsets.py compares every cell).
_AS_CP932 = str.maketrans({"\u301c": "\uff5e", "\u2016": "\u2225", "\u2212": "\uff0d",
                           "\u00a2": "\uffe0", "\u00a3": "\uffe1", "\u00ac": "\uffe2"})
_MODES = {b"(B": _ASCII, b"(J": _ASCII, b"(H": _ASCII, b"(I": _KATAKANA, b"$@": _JIS0208,
          b"$B": _JIS0208, b"$(B": _JIS0208, b"$(@": _JIS0208, b"$(D": _JIS0212,
          b"&@\x1b$B": _JIS0208}


def looks_like_jis(data: bytes) -> bool:
    """7-bit data that switches to a Japanese character set somewhere."""
    return b"\x1b" in data and data.isascii() and _ESCAPE.search(data) is not None


def decode_jis(data: bytes) -> str:
    if b"\x0e" in data:  # SO/SI (CP50222): half-width katakana shifted in and out
        data = data.replace(b"\x0e", b"\x1b(I").replace(b"\x0f", b"\x1b(B")
    out: list[str] = []
    mode, position = _ASCII, 0
    for escape in _ESCAPE.finditer(data):
        out.append(_segment(data[position:escape.start()], mode))
        mode, position = _MODES[escape.group(0)[1:]], escape.end()
    out.append(_segment(data[position:], mode))
    return "".join(out)


def _segment(data: bytes, mode: int) -> str:
    data = data.replace(b"\x1b", b"")  # an unknown escape: the ESC dropped, the rest read
    if mode == _ASCII:
        return data.decode("cp932", errors="replace")
    if mode == _KATAKANA:
        return data.translate(_KATAKANA_BYTES).decode("cp932", errors="replace")
    # Two-byte characters in runs; controls, spaces and line breaks between them pass as they are.
    out: list[str] = []
    for run in _RUNS.split(data):
        if not run:
            continue
        if not 0x21 <= run[0] <= 0x7E:
            out.append(run.decode("cp932", errors="replace"))
        elif mode == _JIS0212:
            out.append(_jis0212(run))
        else:
            out.append(_jis0208(run))
    return "".join(out)


def _jis0208(run: bytes) -> str:
    if len(run) % 2 == 0:
        try:  # the C codec, fast, for the ordinary rows; then the Microsoft mappings of cp932
            return (b"\x1b$B" + run + b"\x1b(B").decode("iso2022_jp").translate(_AS_CP932)
        except UnicodeDecodeError:
            pass  # the NEC rows and the IBM extensions: through Shift_JIS and cp932
    sjis = bytearray()
    for index in range(0, len(run) - 1, 2):
        sjis += _to_shift_jis(run[index], run[index + 1])
    text = sjis.decode("cp932", errors="replace")
    return text + "\ufffd" if len(run) % 2 else text  # half a character


def _jis0212(run: bytes) -> str:
    pairs = len(run) // 2
    euc = bytearray(3 * pairs)
    euc[0::3] = b"\x8f" * pairs
    euc[1::3] = run[0:2 * pairs:2].translate(_HIGH)
    euc[2::3] = run[1:2 * pairs:2].translate(_HIGH)
    text = bytes(euc).decode("euc_jp", errors="replace")
    return text + "\ufffd" if len(run) % 2 else text


def _to_shift_jis(first: int, second: int) -> bytes:
    lead = ((first - 0x21) >> 1) + 0x81
    if lead > 0x9F:
        lead += 0x40
    if first & 1:
        trail = second + (0x1F if second < 0x60 else 0x20)
    else:
        trail = second + 0x7E
    return bytes((lead, trail))
