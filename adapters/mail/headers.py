"""Reading headers quickly and robustly.

compat32 parses about ten times faster than policy.default on this machine. Its header values
are raw strings (8-bit bytes kept as surrogates); the display-ready values are produced here by
hand, tolerant of 8-bit headers (RFC 6532 or just wrong), malformed encoded words and broken
address lists, because real mail has all of them.
"""

from __future__ import annotations

import binascii
import functools
import quopri
import re
from email.errors import MissingHeaderBodySeparatorDefect
from email.message import Message
from email.parser import BytesHeaderParser, BytesParser
from email.policy import compat32
from email.utils import getaddresses

from adapters.mail import boundaries
from adapters.mail.jis import decode_jis, looks_like_jis
from adapters.mail.large_bodies import Elided
from adapters.mail.line_runs import CollapsedLines
from adapters.mail.text import decode_bytes, single_line
from adapters.mail.transfer import lenient_b64decode
from domain.addresses import address_key
from domain.messages import HeaderSummary

boundaries.install()  # one pattern compile per message less (adapters/mail/boundaries.py)

_HEAD_LIMIT = 1024 * 1024  # headers beyond 1 MiB are not read (hostile header floods)
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_HEADER_LINE = re.compile(rb"^([!-9;-~]+:|[ \t])")
# No control characters in an id: PostgreSQL text cannot hold NUL, and none is legitimate.
_MSGID = re.compile(r"<([^<>\s\x00-\x1f\x7f]{1,900})>")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# RFC 2047 encoded word, leniently: 8-bit bytes inside the payload are seen in the wild, and so
# is a stray "?" (at most three). The payload never runs past a "?" otherwise: a lazy `.*?`
# made every "=?x?q?" without an end scan the rest of the header, quadratic in its length
# (a 56 KB subject took 11 s, in the web process, at ingest).
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([qQbB])\?([^?]*(?:\?(?!=)[^?]*){0,3}?)\?=")
# Only from the start of a run of address characters, at most 64 of them (RFC 5321's local-part
# limit): unanchored, a long run without "@" was retried from every position (quadratic: an
# 80 KB From took 31 s).
_LOOSE_ADDRESS = re.compile(r"(?<![\w.!#$%&'*+/=?^`{|}~-])[\w.!#$%&'*+/=?^`{|}~-]{1,64}"
                            r"@[\w-]+(?:\.[\w-]+)+")
MAX_REFERENCES = 100
# A quoted boundary parameter with a line break (and the folding white space after it) inside.
_FOLDED_BOUNDARY = re.compile(
    rb'(boundary\*?=[ \t]*"[^"\r\n]{0,200}(?:\r?\n[ \t][^"\r\n]{0,200}){1,5}")', re.IGNORECASE)


class RawHeaders:
    """The header fields of a message as text, read once: name (lower-case) -> values."""

    def __init__(self, msg: Message) -> None:
        self._fields: dict[str, list[str]] = {}
        for name, value in msg.raw_items():
            self._fields.setdefault(name.lower(), []).append(_as_text(value))

    def get(self, name: str) -> str | None:
        values = self._fields.get(name)
        return values[0] if values else None

    def get_all(self, name: str) -> list[str]:
        return self._fields.get(name, [])


def parse_message(raw: bytes | bytearray, *, headers_only: bool = False) -> Message:
    """Parse with compat32; a header block broken by a stray line is repaired and re-read.

    A bytearray (a reader child's copy, adapters/mail/reader_pool.py) lets the large base64
    bodies set aside be decoded in it, over their text (transfer.file_body); the rest of the
    message is parsed from bytes."""
    if headers_only:
        parser: BytesParser | BytesHeaderParser = BytesHeaderParser(policy=compat32)
        msg = _parse(parser, data := _unfold_boundary(_split_head(raw)))
    else:
        parser = BytesParser(policy=compat32)
        elided = Elided(_unfold_boundary(raw))  # large base64 bodies set aside
        data = elided.data
        if elided.runs:
            msg = elided.restore(_parse(parser, data))
            data = elided.source
        else:  # runs of plain body lines parsed as one line each (adapters/mail/line_runs.py)
            collapsed = CollapsedLines(data)
            msg = collapsed.restore(_parse(parser, collapsed.data))
    if any(isinstance(d, MissingHeaderBodySeparatorDefect) for d in msg.defects):
        repaired = _drop_stray_header_lines(data)
        if repaired != data:
            msg = _parse(parser, repaired)
    return msg


def _parse(parser: BytesParser | BytesHeaderParser, data: bytes | bytearray) -> Message:
    try:
        return parser.parsebytes(data)
    except RecursionError:
        # MIME nested deeper than the parser's recursion allows (a few hundred levels): the
        # headers are read and the body is kept unsplit, for extract_document to read best-effort
        # (adapters/mail/unsplit.py) instead of the whole message failing.
        return BytesHeaderParser(policy=compat32).parsebytes(data)


def decode_words(text: str) -> str:
    """Decode RFC 2047 encoded words; whitespace between adjacent words is dropped (§6.2)."""
    if "\x1b" in text:
        text = _unjis(text)
    if "=?" not in text:
        return single_line(text)
    out: list[str] = []
    position = 0
    previous_was_word = False
    for match in _ENCODED_WORD.finditer(text):
        between = text[position:match.start()]
        if not (previous_was_word and not between.strip()):
            out.append(between)
        out.append(_decode_word(match))
        position = match.end()
        previous_was_word = True
    out.append(text[position:])
    return single_line("".join(out))


def header_text(value: str | None) -> str:
    return decode_words(value) if value else ""


def addresses(values: list[str]) -> list[str]:
    """The addr-specs in address header values, lower-case, de-duplicated, invalid ones dropped."""
    result: list[str] = []
    if not values:
        return result
    for _, addr in _pairs(values):
        key = address_key(addr)
        if key and "@" in key and key not in result and not _CONTROL.search(key):
            result.append(key)
    if not result:  # "Big Bug bb@bug.com" and other unparseable forms: take what looks like one
        for value in values:
            for addr in _LOOSE_ADDRESS.findall(value) if "@" in value else ():
                key = address_key(addr)
                if key and key not in result:
                    result.append(key)
    return result


def display_name(values: list[str]) -> str:
    pairs = _pairs(values[:1]) if values else []
    return header_text(pairs[0][0]) if pairs else ""


def _pairs(values: list[str]) -> tuple[tuple[str, str], ...]:
    return _parsed_addresses(tuple(values))


@functools.lru_cache(maxsize=16)
def _parsed_addresses(values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Remembered: a reader parses From three times (its addresses, its display name, the
    bounce check), and getaddresses is a third of reading the headers."""
    try:
        return tuple(getaddresses(list(values)))
    except RecursionError:  # thousands of nested "(" comments: the stdlib parser recurses
        return ()


def message_id(value: str | None) -> str | None:
    if not value:
        return None
    match = _MSGID.search(value)
    if match:
        return match.group(1)
    token = value.strip().strip("<>").strip()
    return token[:900] if token and " " not in token and not _CONTROL.search(token) else None


def message_ids(values: list[str]) -> tuple[str, ...]:
    ids: list[str] = []
    for value in values:
        ids.extend(_MSGID.findall(value))
    return tuple(ids[-MAX_REFERENCES:])




def summarize(raw: bytes) -> HeaderSummary:
    try:
        headers = RawHeaders(parse_message(raw, headers_only=True))
        senders = addresses(headers.get_all("from"))
        return HeaderSummary(
            message_id=message_id(headers.get("message-id")),
            from_address=senders[0] if senders else None,
            to=(addresses(headers.get_all("to")) + addresses(headers.get_all("cc")))[:50],
            subject=header_text(headers.get("subject")),
        )
    except Exception:  # bad input is data: a message whose headers we cannot read is still kept
        return HeaderSummary(message_id=None, from_address=None)


def _decode_word(match: re.Match[str]) -> str:
    charset, encoding, payload = match.groups()
    charset = charset.split("*", 1)[0]  # RFC 2231 §5 language suffix: =?utf-8*en?Q?...?=
    try:
        if encoding in "bB":
            data = lenient_b64decode(payload.encode("ascii", "ignore"))
        else:
            data = quopri.decodestring(payload.encode("latin-1", "replace"), header=True)
    except (binascii.Error, ValueError):
        return match.group(0)
    return decode_bytes(data, charset, detect=False)


def _unjis(text: str) -> str:
    """Raw ISO-2022-JP in a header (7-bit, unencoded, as older Japanese mailers write it)
    decoded, never shown as "$B...(B" once single_line has dropped the ESC bytes."""
    data = text.encode("ascii") if text.isascii() else None
    return decode_jis(data) if data is not None and looks_like_jis(data) else text


def _as_text(value: object) -> str:
    text = str(value)
    if text.isascii():
        # Raw ISO-2022-JP (see decode_words) decoded before an address is parsed: "ESC ( B"
        # would otherwise open a comment and hide the display name.
        return _unjis(text) if "\x1b" in text else text
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:  # compat32 keeps undecodable 8-bit bytes as surrogates
        return decode_bytes(text.encode("ascii", "surrogateescape"), None, detect=False)


def _unfold_boundary(data: bytes | bytearray) -> bytes | bytearray:
    """A quoted boundary folded across lines (`boundary="foo<CRLF> bar"`) unfolded as RFC 5322
    says (the line break removed), so the parser splits the body by it: compat32 kept the
    line break in the value, no line matched it, and the recovery splitter then took a nested
    message's boundary, losing the outer body and the attached message."""
    head = _split_head(data)
    if b"oundary" not in head:
        return data
    unfolded = _FOLDED_BOUNDARY.sub(lambda m: m.group(1).replace(b"\r", b"").replace(b"\n", b""),
                                    head)
    return b"".join([unfolded, memoryview(data)[len(head):]]) if unfolded != head else data


def _split_head(raw: bytes | bytearray) -> bytes:
    match = _HEADER_END.search(raw, 0, _HEAD_LIMIT)
    return bytes(raw[: match.end()] if match else raw[:_HEAD_LIMIT])


def _drop_stray_header_lines(data: bytes | bytearray) -> bytes:
    head = _split_head(data)
    lines = head.splitlines(keepends=True)
    kept = [line for line in lines if _HEADER_LINE.match(line) or not line.strip()]
    return b"".join([*kept, memoryview(data)[len(head):]])
