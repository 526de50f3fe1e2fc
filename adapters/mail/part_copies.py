"""The customer's files of an original, as MIME parts to attach to its forward at the top level.

The forward carries the original untouched (message/rfc822); a technician would have to open it
to reach a file. Copies of the file parts go next to it. They are found by walking the original's
bytes: only each part's header block is parsed (small); a file part is copied as it is encoded in
the original, never decoded, and slices of the one buffer are handed to the final join, so a
large original costs no more than the bytes of the forward itself.
"""

from __future__ import annotations

import base64
import re
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32

COPY_LIMIT = 10 * 1024 * 1024  # the files copied per forward; the rest stay in the original
_MAX_DEPTH = 12
_MAX_PARTS = 500
_PARSER = BytesHeaderParser(policy=compat32)
_NOT_7BIT = re.compile(rb"[\x80-\xff\x00]")
_LONG_LINE = re.compile(rb"(?m)^[^\r\n]{999}")  # RFC 5321 §4.5.3.1.6
_CTE = re.compile(rb"(?im)^content-transfer-encoding:[^\r\n]*\r\n(?:[ \t][^\r\n]*\r\n)*")


def file_copies(data: bytes, *, allow_8bit: bool, limit: int = COPY_LIMIT,
                eol: bytes = b"\r\n") -> list[bytes | memoryview]:
    """The file parts of `data` (CRLF line endings), each a whole MIME part (headers and body)
    that travels over SMTP as it is; together at most `limit` bytes. A part that would need
    re-encoding from quoted-printable or base64 (8-bit junk in it) stays only in the original.

    `eol=b"\n"`: `data` has bare LF line endings only; the parts are found in it as they would
    be in its CRLF form, and each copy is converted to CRLF (the original is not copied whole)."""
    found: list[tuple[int, int, int, Message]] = []
    _walk(data, 0, len(data), 0, found, eol)
    copies: list[bytes | memoryview] = []
    total = 0
    view = memoryview(data)
    for start, body, end, head in found:
        if head.get_content_type() == "application/ms-tnef":
            continue  # winmail.dat opens nowhere but in Outlook; the filing unpacks it
        if total + (end - start) > limit:  # before scanning it: a large file costs nothing
            continue
        copy = _travelling(data, view, start, body, end, head, allow_8bit, eol)
        if copy is None or total + len(copy) > limit:
            continue
        copies.append(copy)
        total += len(copy)
    return copies


def _travelling(data: bytes, view: memoryview, start: int, body: int, end: int, head: Message,
                allow_8bit: bool, eol: bytes) -> bytes | memoryview | None:
    eight_bit = _NOT_7BIT.search(data, start, end) is not None
    if not _LONG_LINE.search(data, start, end) and (not eight_bit or (
            allow_8bit and data.find(b"\x00", start, end) == -1)):  # (`in` a memoryview: ints)
        return view[start:end] if eol == b"\r\n" else _crlf(view[start:end])
    encoding = str(head.get("content-transfer-encoding") or "7bit").strip().lower()
    if encoding not in ("7bit", "8bit", "binary"):
        return None
    headers = _CTE.sub(b"", _crlf(view[start:body]))
    if _NOT_7BIT.search(headers) and not allow_8bit:
        return None
    content = _crlf(view[body:end])  # the CRLF before the next delimiter belongs to it
    return (headers.removesuffix(b"\r\n") + b"Content-Transfer-Encoding: base64\r\n\r\n"
            + base64.encodebytes(content).replace(b"\n", b"\r\n"))


def _crlf(piece: memoryview) -> bytes:
    """A piece of a bare-LF original in CRLF form (of a CRLF one: as it is)."""
    data = bytes(piece)
    return data if b"\r" in data else data.replace(b"\n", b"\r\n")


def _walk(data: bytes, start: int, end: int, depth: int,
          found: list[tuple[int, int, int, Message]], eol: bytes) -> None:
    if depth > _MAX_DEPTH or len(found) >= _MAX_PARTS:
        return
    if data.startswith(eol, start):
        body = start + len(eol)
    else:
        split = data.find(eol + eol, start, end)
        if split < 0:
            return
        body = split + 2 * len(eol)
    head = _PARSER.parsebytes(data[start:body])
    if head.get_content_maintype() == "multipart":
        boundary = head.get_boundary()
        if boundary and boundary.isascii():
            for part_start, part_end in _parts(data, body, end, boundary.encode(), eol):
                _walk(data, part_start, part_end, depth + 1, found, eol)
        return
    if depth > 0 and _is_file(head):
        found.append((start, body, end, head))


def _is_file(head: Message) -> bool:
    disposition = str(head.get("content-disposition") or "").split(";")[0].strip().lower()
    if disposition == "attachment":
        return True
    return bool(head.get_filename() or head.get_param("name"))


def _parts(data: bytes, start: int, end: int, boundary: bytes,
           eol: bytes) -> list[tuple[int, int]]:
    """The spans of a multipart body's parts (RFC 2046 §5.1.1): each delimiter line starts
    with CRLF (or opens the body) and holds the boundary, `--` for the last, then white space."""
    delimiter = eol + b"--" + boundary
    spans: list[tuple[int, int]] = []
    part_start: int | None = None
    position = data.find(delimiter, start - len(eol), end)
    while position >= 0 and len(spans) < _MAX_PARTS:
        after = position + len(delimiter)
        line_end = data.find(eol, after, end)
        rest = data[after:line_end if line_end >= 0 else end]
        closing = rest.startswith(b"--")
        if closing or not rest.strip(b" \t"):
            if part_start is not None:
                spans.append((part_start, position))
            if closing or line_end < 0:
                return spans
            part_start = line_end + len(eol)
        position = data.find(delimiter, after, end)
    return spans  # no closing delimiter: the last part, cut off, is left in the original
