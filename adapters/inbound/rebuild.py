"""Rebuilding an RFC 822 message from a provider's parsed payload.

Parsed modes (Mailgun's form, SendGrid's default mode, Postmark without RawEmail, Mailjet,
Brevo) hand over headers, bodies and attachments separately; the connector stores and processes
raw messages, so they are put back together here, as faithfully as the payload allows:

* every header the provider gives, in its order, except the MIME structure headers
  (Content-Type, Content-Transfer-Encoding), which describe the tree built here instead;
* header values that are not ASCII are written as UTF-8 (RFC 6532) rather than re-encoded as
  RFC 2047 words, so nothing the provider sent is altered or lost;
* text and HTML bodies keep their bytes and their declared charset (SendGrid posts them in the
  original charset [AM-187]); line breaks become CRLF, the canonical form of text/* (RFC 2045
  §2.10), and the body is quoted-printable so long lines and 8-bit bytes survive any transport;
* attachments keep their bytes, filename (RFC 2231 when not ASCII) and Content-ID; parts with a
  Content-ID are inline and sit in multipart/related next to the bodies that reference them.

The tree is django-anymail's `construct` [AM-inbound]: mixed > related > alternative, each level
only when needed.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import quote

_STRUCTURE_HEADERS = {"content-type", "content-transfer-encoding", "content-length"}
_HEADER_NAME = re.compile(r"^[!-9;-~]{1,200}$")  # printable ASCII without ':' (RFC 5322 §2.2)
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_BARE_NEWLINE = re.compile(r"\r?\n(?![ \t])|\r(?!\n)")
_NEWLINES = re.compile(r"[\r\n]+")
_MEDIA_TYPE = re.compile(r"^[A-Za-z0-9!#$&^_.+-]{1,64}/[A-Za-z0-9!#$&^_.+-]{1,64}$")
_CHARSET = re.compile(r"^[A-Za-z0-9!#$%&'+^_`{}~.:-]{1,40}$")
_TO_CRLF = re.compile(rb"\r\n|\r(?!\n)|\n")
CRLF = b"\r\n"
B64_CHUNK = 57 * 32 * 1024  # whole lines, and over a MiB: a buffer the system takes back
_B64_STEP = 57 * 1024  # whole lines: B64_CHUNK is a multiple


@dataclass(frozen=True, slots=True)
class Body:
    data: bytes
    charset: str = "utf-8"

    @classmethod
    def of(cls, text: str | None) -> Body | None:
        return None if text is None else cls(text.encode("utf-8", "surrogateescape"), "utf-8")


class Pieces:
    """A file's bytes in pieces of whole base64 lines (B64_CHUNK bytes; the last any size),
    each let go once encoded: a 35 MB file decoded from base64 text as it was read
    (json_strings.py) is not held whole beside the message built from it."""

    def __init__(self, pieces: list[bytes]) -> None:
        self._pieces = pieces

    def take(self) -> Iterator[bytes]:
        """Each piece once, released as it is handed over."""
        while self._pieces:
            yield self._pieces.pop(0)


@dataclass(frozen=True, slots=True)
class Attachment:
    data: bytes | Pieces
    content_type: str = "application/octet-stream"
    filename: str | None = None
    content_id: str | None = None
    inline: bool | None = None  # None: inline exactly when there is a Content-ID
    charset: str | None = None


def build_message(headers: Iterable[tuple[str, str]], *, text: Body | None = None,
                  html: Body | None = None, attachments: Iterable[Attachment] = ()) -> bytes:
    kept = [(n, v) for n, v in headers
            if _HEADER_NAME.match(n) and n.lower() not in _STRUCTURE_HEADERS]
    if not any(n.lower() == "mime-version" for n, _ in kept):
        kept.append(("MIME-Version", "1.0"))

    bodies = [_text_part("plain", b) for b in (text,) if b is not None]
    bodies += [_text_part("html", b) for b in (html,) if b is not None]
    if not bodies:
        bodies = [_text_part("plain", Body(b""))]
    tree = bodies[0] if len(bodies) == 1 else _multipart("alternative", bodies)

    files = list(attachments)
    inline = [a for a in files if _is_inline(a)]
    regular = [a for a in files if not _is_inline(a)]
    if inline:
        tree = _multipart("related", [tree] + [_attachment_part(a) for a in inline])
    if regular:
        tree = _multipart("mixed", [tree] + [_attachment_part(a) for a in regular])

    # Written piece by piece into one buffer that becomes the result without a copy: joining
    # the parts level by level held a 35 MB attachment's base64 three times (bench/memory.py).
    part_headers, part_body = tree
    message = io.BytesIO()
    for name, value in [*kept, *part_headers]:
        message.write(_header(name, value))
    message.write(CRLF)
    for piece in part_body:
        message.write(piece)
    return message.getvalue()


_Part = tuple[list[tuple[str, str]], Iterable[bytes]]  # headers, and the body in pieces


def _text_part(subtype: str, body: Body) -> _Part:
    charset = body.charset if _CHARSET.match(body.charset or "") else None
    ctype = f"text/{subtype}" + (f"; charset={charset}" if charset else "")
    if charset and charset.lower().replace("-", "").startswith(("utf16", "utf32")):
        # Line breaks in UTF-16/32 are not the bytes 0D 0A: carry the bytes as they are.
        return [("Content-Type", ctype), ("Content-Transfer-Encoding", "base64")], _b64(body.data)
    canonical = _TO_CRLF.sub(CRLF, body.data)
    encoded = binascii.b2a_qp(canonical)
    return [("Content-Type", ctype), ("Content-Transfer-Encoding", "quoted-printable")], [encoded]


def _attachment_part(item: Attachment) -> _Part:
    ctype = item.content_type.split(";")[0].strip().lower()
    if not _MEDIA_TYPE.match(ctype):
        ctype = "application/octet-stream"
    if item.charset and _CHARSET.match(item.charset):
        ctype += f"; charset={item.charset}"
    disposition = "inline" if _is_inline(item) else "attachment"
    name = _NEWLINES.sub(" ", item.filename or "").strip()
    if name:
        ctype += "; " + _param("name", name)
        disposition += "; " + _param("filename", name)
    headers = [("Content-Type", ctype), ("Content-Disposition", disposition),
               ("Content-Transfer-Encoding", "base64")]
    cid = _content_id(item.content_id)
    if cid:
        headers.append(("Content-ID", f"<{cid}>"))
    return headers, _b64(item.data)


def _multipart(subtype: str, parts: list[_Part]) -> _Part:
    boundary = "=_" + secrets.token_hex(16)  # "=_" cannot occur in base64 or quoted-printable
    return [("Content-Type", f'multipart/{subtype}; boundary="{boundary}"')], \
        _multipart_body(boundary.encode(), parts)


def _multipart_body(boundary: bytes, parts: list[_Part]) -> Iterator[bytes]:
    for headers, body in parts:
        yield b"--" + boundary + CRLF
        yield from (_header(n, v) for n, v in headers)
        # The CRLF before a delimiter belongs to the delimiter (RFC 2046 §5.1.1), not the body.
        yield CRLF
        yield from body
        yield CRLF
    yield b"--" + boundary + b"--" + CRLF


def _is_inline(item: Attachment) -> bool:
    return item.inline if item.inline is not None else bool(_content_id(item.content_id))


def _content_id(value: str | None) -> str:
    return "".join((value or "").split()).strip("<>")


def _param(key: str, value: str) -> str:
    if value.isascii():
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return f'{key}="{escaped}"'
    return f"{key}*=utf-8''{quote(value, safe='')}"  # RFC 2231 §4


def _header(name: str, value: str) -> bytes:
    # Folding is kept (as CRLF + WSP, RFC 5322 §2.2.3); a line break that is not folding
    # becomes a space, so a value can never start a header line of its own.
    flat = _FOLD.sub("\r\n", _BARE_NEWLINE.sub(" ", value.strip()))
    return f"{name}: {flat}".encode("utf-8", "surrogateescape") + CRLF


def _b64(data: bytes | Pieces) -> Iterator[bytes]:
    """Base64 in CRLF lines of 76 characters, _B64_STEP bytes (whole lines) at a time: a
    step's text is written and let go before the next is made. Encoded a piece (1.9 MB) at a
    time, the text, encodebytes' list of its lines and the CRLF copy were alive at once, 7.5
    MB on top of the message being built (tracemalloc, a 35 MB Postmark JSON: bench/memory.py)."""
    chunks = data.take() if isinstance(data, Pieces) else (data,)
    for chunk in chunks:  # each a chunk of whole lines (but the last)
        view = memoryview(chunk)
        for start in range(0, len(view), _B64_STEP):
            yield base64.encodebytes(view[start:start + _B64_STEP]).replace(b"\n", CRLF)


def address(name: str | None, email: str | None) -> str:
    """'Name <email>' for a header, quoting the display name when RFC 5322 requires it."""
    email = (email or "").strip()
    name = _NEWLINES.sub(" ", name or "").strip()
    if not name:
        return email
    if re.search(r'[()<>\[\]:;@\\,."]', name):
        name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{name} <{email}>" if email else name


def split_header_block(block: bytes) -> list[tuple[str, str]]:
    """A raw header block (SendGrid's `headers` field) as (name, value) pairs, in order."""
    pairs: list[tuple[str, str]] = []
    for line in _TO_CRLF.sub(b"\n", block).split(b"\n"):
        if line[:1] in (b" ", b"\t") and pairs:
            name, value = pairs[-1]
            pairs[-1] = (name, value + "\r\n" + line.decode("utf-8", "surrogateescape"))
            continue
        head, colon, rest = line.partition(b":")
        if not colon or not head.strip():
            continue
        pairs.append((head.decode("latin-1").strip(),
                      rest.decode("utf-8", "surrogateescape").strip()))
    return pairs
