"""Building the messages we send: forwards of the untouched original, acknowledgements, tests.

Outbound rows store what to say (recipients, subject, body, extra headers); the bytes are built
at delivery time, so the original is read once, when it is actually sent. A forward is not
built as one big bytes: `composed` gives its pieces (the original itself among them, as
stored, or base64-encoded a chunk at a time) for the SMTP client to send in chunks.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.header import Header
from email.utils import format_datetime, formataddr

from adapters.mail.part_copies import file_copies
from domain.messages import OutgoingMail

_LINE_ENDINGS = re.compile(rb"\r\n|\r|\n")
# RFC 5321 §4.5.3.1.6: 998 octets per line. Anchored at line starts: unanchored, the engine
# tried 999 characters from every position (2.7 ms for a 27 KB message).
_LONG_LINE = re.compile(rb"(?m)^[^\r\n]{999}")
_EIGHT_BIT = re.compile(rb"[\x80-\xff]")
CHUNK = 1024 * 1024  # what goes to the socket at a time
_BASE64_CHUNK = 57 * 16 * 1024  # whole 76-character lines (57 bytes each) per chunk


class Lazy:
    """A piece made a chunk at a time as it is sent: `size` octets in all."""

    size: int

    def chunks(self) -> Iterator[bytes]:
        raise NotImplementedError


class Base64Lines(Lazy):
    """`data` base64-encoded in CRLF lines of 76 characters (RFC 2045 §6.8), made a chunk at
    a time as it is sent: the encoding of a 30 MB original is never held whole."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        full = 4 * -(-len(data) // 3)
        self.size = full + 2 * -(-full // 76)

    def chunks(self) -> Iterator[bytes]:
        view = memoryview(self.data)
        for start in range(0, len(view), _BASE64_CHUNK):
            yield base64.encodebytes(view[start:start + _BASE64_CHUNK]).replace(b"\n", b"\r\n")


class CrlfLines(Lazy):
    """`data` with bare LF line endings only, in CRLF form a chunk of whole lines at a time."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.size = len(data) + data.count(b"\n")

    def chunks(self) -> Iterator[bytes]:
        start = 0
        while start < len(self.data):
            stop = self.data.find(b"\n", start + CHUNK) + 1 or len(self.data)
            yield self.data[start:stop].replace(b"\n", b"\r\n")
            start = stop


Piece = bytes | memoryview | Lazy


@dataclass(frozen=True, slots=True)
class Composed:
    """A message as the pieces that make it, in order; `eight_bit`: some octet is over 127."""

    pieces: list[Piece]
    eight_bit: bool

    @property
    def size(self) -> int:
        return sum(p.size if isinstance(p, Lazy) else memoryview(p).nbytes
                   for p in self.pieces)

    def chunks(self) -> Iterator[bytes | memoryview]:
        """The message in chunks of at most CHUNK bytes, slices of the pieces where it can."""
        for piece in self.pieces:
            if isinstance(piece, Lazy):
                yield from piece.chunks()
                continue
            view = memoryview(piece).cast("B")
            for start in range(0, len(view), CHUNK):
                yield view[start:start + CHUNK]

    def __bytes__(self) -> bytes:
        return b"".join(self.chunks())


def compose(mail: OutgoingMail, *, original: bytes | None = None, allow_8bit: bool = True) -> bytes:
    """The message as bytes: `composed`, joined (for tests and small mail)."""
    return bytes(composed(mail, original=original, allow_8bit=allow_8bit))


def composed(mail: OutgoingMail, *, original: bytes | None = None,
             allow_8bit: bool = True) -> Composed:
    """The message (CRLF line endings), with the original attached when given.

    The original is attached byte for byte as message/rfc822 (RFC 2046 §5.2.1 allows only
    7bit/8bit/binary there, so it is never re-encoded). When it cannot travel that way (bare
    8-bit to a server without 8BITMIME, NUL bytes, lines over 998 octets) it is attached as
    base64 application/octet-stream "original.eml", which decodes to the very same bytes.

    Built by hand rather than with email.message.EmailMessage: its header machinery cost 1.4 ms
    per acknowledgement here, more than everything else the outbox does for a mail.
    """
    head = _headers(mail)
    text = _text_part(mail.body)
    if mail.html is not None:  # RFC 2046 §5.1.4: the plain text first, the preferred last
        alternative = f"=_ec_alt_{secrets.token_hex(16)}".encode()
        text = b"".join([
            b'Content-Type: multipart/alternative; boundary="', alternative, b'"\r\n\r\n',
            b"--", alternative, b"\r\n", text, b"\r\n",
            b"--", alternative, b"\r\n", _text_part(mail.html, "html"), b"\r\n",
            b"--", alternative, b"--\r\n"])
    if original is None:
        whole = head + b"MIME-Version: 1.0\r\n" + text
        return Composed([whole], not whole.isascii())
    boundary = f"=_ec_{secrets.token_hex(16)}".encode()
    # Bare LF only (a Postfix pipe's): walked and sent as it is, converted a chunk at a time;
    # other line endings: converted once here.
    bare_lf = b"\r" not in original and b"\n" in original
    data = original if bare_lf else _crlf(original)
    # The customer's files next to the original (after it: the original stays the first
    # attachment), so the team opens them at once; copied as encoded, never decoded.
    files = file_copies(data, allow_8bit=allow_8bit, eol=b"\n" if bare_lf else b"\r\n")
    copies = [piece for part in files for piece in (b"--" + boundary + b"\r\n", part, b"\r\n")]
    attached, eight_bit = _attach_original(original, data, allow_8bit, bare_lf)
    start = b"".join([
        head, b"MIME-Version: 1.0\r\n",
        b'Content-Type: multipart/mixed; boundary="', boundary, b'"\r\n\r\n',
        b"This is a multi-part message in MIME format.\r\n",
        b"--", boundary, b"\r\n", text, b"\r\n",
        b"--", boundary, b"\r\n"])
    eight_bit = eight_bit or any(_EIGHT_BIT.search(part) for part in files)
    return Composed([start, *attached, b"\r\n", *copies, b"--" + boundary + b"--\r\n"],
                    eight_bit)


def _headers(mail: OutgoingMail) -> bytes:
    fields = [
        ("From", formataddr((mail.from_name, mail.mail_from), charset="utf-8")),
        # No empty To: mail to Bcc recipients only has none (RFC 5322 §3.6.3 allows that).
        *([("To", ", ".join(mail.to))] if mail.to else []),
        ("Subject", mail.subject),
        ("Date", format_datetime(datetime.now(UTC))),
        ("Message-ID", f"<{mail.message_id}>"),
        *mail.headers.items(),
    ]
    return "".join(f"{name}: {_encoded(value, name)}\r\n" for name, value in fields).encode("ascii")


def _encoded(value: str, name: str) -> str:
    """A header value: as it is when plain ASCII of SMTP length, else RFC 2047 encoded words,
    folded (email.header, the compat32 machinery, is fast enough here)."""
    value = " ".join(value.splitlines())  # no header injection: CR or LF would start a new one
    if value.isascii() and len(value) + len(name) < 990:
        return value
    return Header(value, "utf-8", header_name=name).encode(linesep="\r\n")


def _text_part(body: str, subtype: str = "plain") -> bytes:
    # 7bit only for ASCII in lines SMTP carries (998 octets); quoted-printable wraps them: an
    # acknowledgement quoting a 998-character subject was refused ("500 Line too long").
    data = _crlf(body.encode("utf-8"))
    if data.isascii() and not _LONG_LINE.search(data):
        cte, payload = b"7bit", data
    else:
        cte, payload = b"quoted-printable", _LINE_ENDINGS.sub(
            b"\r\n", binascii.b2a_qp(data.replace(b"\r\n", b"\n"), istext=True))
    if not payload.endswith(b"\r\n"):
        payload += b"\r\n"
    return (b"Content-Type: text/" + subtype.encode() + b'; charset="utf-8"\r\n'
            b"Content-Transfer-Encoding: " + cte + b"\r\n\r\n" + payload)


def _crlf(data: bytes) -> bytes:
    """CRLF line endings (RFC 5321 §2.3.8), without copying what already has them."""
    crlf = data.count(b"\r\n")
    if data.count(b"\n") == crlf and data.count(b"\r") == crlf:
        return data
    # Three replaces, not _LINE_ENDINGS.sub: the regex gathered every line as a bytes of its
    # own before joining them (142 MB for a 30 MB original); a replace that finds nothing
    # hands back its input, so a message with bare LF only is copied once.
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(b"\n", b"\r\n")


def _attach_original(original: bytes, data: bytes, allow_8bit: bool,
                     bare_lf: bool) -> tuple[list[Piece], bool]:
    """The original's part as pieces (its headers, then the original itself: never copied),
    and whether it is 8-bit."""
    # SMTP carries CRLF line endings (`data`, or `original` converted as it is sent when it has
    # bare LF only: the same checks hold on both): that is the one change made to it.
    seven_bit = data.isascii() and b"\x00" not in data
    if not _LONG_LINE.search(data) and (seven_bit or (allow_8bit and b"\x00" not in data)):
        encoding = b"7bit" if seven_bit else b"8bit"
        return [b"Content-Type: message/rfc822\r\n"
                b"Content-Disposition: attachment; filename=\"original.eml\"\r\n"
                b"Content-Transfer-Encoding: " + encoding + b"\r\n\r\n",
                CrlfLines(original) if bare_lf else data], not seven_bit
    return [b"Content-Type: application/octet-stream; name=\"original.eml\"\r\n"
            b"Content-Disposition: attachment; filename=\"original.eml\"\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n", Base64Lines(original)], False
