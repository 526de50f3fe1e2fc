"""Hypothesis strategies for broken mail: random bytes, and real messages mutated the way
relays, MUAs and attackers break them (truncated, bytes flipped, headers repeated, boundaries
broken, charsets and transfer encodings wrong, line endings mangled, two messages spliced)."""

from __future__ import annotations

import base64
import itertools
import re
from email.message import EmailMessage

from hypothesis import strategies as st

from tests.hostile.odd_messages import CUSTOMER, tnef
from tests.mail import email


def _report() -> bytes:
    return (b"From: MAILER-DAEMON@mx.acme.example\r\nTo: support@msp.example\r\n"
            b"Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn1@mx.acme.example>\r\n"
            b"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; "
            b'boundary="r1"\r\n\r\n--r1\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n'
            b"--r1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
            b"Final-Recipient: rfc822; gone@acme.example\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
            b"--r1\r\nContent-Type: message/rfc822\r\n\r\nFrom: support@msp.example\r\n"
            b"Subject: x\r\n\r\nbody\r\n--r1--\r\n")


def _forward_with_encodings() -> bytes:
    outer = EmailMessage()
    outer["From"] = f"=?utf-8?q?J=C3=BCrgen?= <{CUSTOMER}>"
    outer["To"] = "support@msp.example"
    outer["Subject"] = "=?iso-8859-1?q?Fw=3A_Gr=FC=DFe?= [Ticket #0000001]"
    outer["Message-ID"] = "<fw1@acme.example>"
    outer["References"] = "<a@msp.example> <b@msp.example>"
    outer.set_content("Grüße, see below.\n> quoted\nOn Monday Bob wrote:\n> older\n", cte="quoted-printable")
    inner = EmailMessage()
    inner["From"] = "someone@elsewhere.example"
    inner["Subject"] = "inner"
    inner.set_content("<p>inner <b>html</b></p>", subtype="html")
    outer.add_attachment(inner)
    return outer.as_bytes()


SEEDS: list[bytes] = [
    email(),
    email(sender="stranger@elsewhere.example", subject="Quote?"),
    email(html="<p>Hello <b>there</b></p>",
          attachments=[("report.pdf", "application/pdf", b"%PDF-1.4 " + bytes(range(256)))]),
    email(subject="Re: [Ticket #0000001] Printer offline", body="Still offline.\n"),
    _report(),
    _forward_with_encodings(),
    tnef(),
]

_CHARSETS = [b"x-unknown", b"utf-16", b"utf-7", b"iso-2022-jp", b"", b'"', b"bogus*en", b"unknown-8bit"]
_ENCODINGS = [b"base64", b"quoted-printable", b"x-uuencode", b"8bit", b"garbage", b""]
_HEADER_LINE = re.compile(rb"^[!-9;-~]+:.*\r?\n", re.MULTILINE)
_serial = itertools.count(1)
_MESSAGE_ID = re.compile(rb"^(Message-ID: *)<[^>\r\n]*>", re.MULTILINE | re.IGNORECASE)
_BASE64_BODY = re.compile(rb"(Content-Transfer-Encoding: base64\r?\n(?:.+\r?\n)*\r?\n)")


def _truncate(raw: bytes, draw: st.DrawFn) -> bytes:
    return raw[: draw(st.integers(0, len(raw)))]


def _flip(raw: bytes, draw: st.DrawFn) -> bytes:
    data = bytearray(raw)
    for _ in range(draw(st.integers(1, 8))):
        if data:
            data[draw(st.integers(0, len(data) - 1))] ^= draw(st.integers(1, 255))
    return bytes(data)


def _duplicate_header(raw: bytes, draw: st.DrawFn) -> bytes:
    lines = list(_HEADER_LINE.finditer(raw))
    if not lines:
        return raw
    line = lines[draw(st.integers(0, len(lines) - 1))]
    return raw[: line.end()] + line.group(0) * draw(st.integers(1, 50)) + raw[line.end():]


def _break_boundary(raw: bytes, draw: st.DrawFn) -> bytes:
    found = re.search(rb'boundary="?([^";\r\n]+)"?', raw)
    if not found:
        return raw
    boundary = found.group(1)
    how = draw(st.sampled_from(["rename_in_body", "drop_closing", "drop_first", "in_header_only"]))
    head, body = raw[: found.end()], raw[found.end():]
    if how == "rename_in_body":
        return head + body.replace(b"--" + boundary, b"--" + boundary[::-1])
    if how == "drop_closing":
        return head + body.replace(b"--" + boundary + b"--", b"")
    if how == "drop_first":
        return head + body.replace(b"--" + boundary + b"\r\n", b"", 1).replace(b"--" + boundary + b"\n", b"", 1)
    return head + body.replace(boundary, b"x")


def _wrong_encodings(raw: bytes, draw: st.DrawFn) -> bytes:
    charset = draw(st.sampled_from(_CHARSETS))
    encoding = draw(st.sampled_from(_ENCODINGS))
    raw = re.sub(rb"charset=\"?[\w-]+\"?", b"charset=" + charset, raw)
    if b"Content-Transfer-Encoding:" in raw:
        return re.sub(rb"Content-Transfer-Encoding: *[\w-]+", b"Content-Transfer-Encoding: " + encoding, raw)
    return raw.replace(b"\r\n\r\n", b"\r\nContent-Transfer-Encoding: " + encoding + b"\r\n\r\n", 1)


def _insert(raw: bytes, draw: st.DrawFn) -> bytes:
    at = draw(st.integers(0, len(raw)))
    junk = draw(st.one_of(st.binary(max_size=200), st.sampled_from(
        [b"\x00", b"\r", b"\n\n", b"=?utf-8?b?", b"--", b"\xff\xfe", b"<", b"(", b'"', b"\t"])))
    return raw[:at] + junk + raw[at:]


def _line_endings(raw: bytes, draw: st.DrawFn) -> bytes:
    how = draw(st.sampled_from(["lf", "cr", "no_separator", "mixed"]))
    if how == "lf":
        return raw.replace(b"\r\n", b"\n")
    if how == "cr":
        return raw.replace(b"\r\n", b"\r")
    if how == "no_separator":
        return raw.replace(b"\r\n\r\n", b"\r\n", 1).replace(b"\n\n", b"\n", 1)
    return raw.replace(b"\r\n", b"\n", draw(st.integers(1, 20)))


def _base64_garbage(raw: bytes, draw: st.DrawFn) -> bytes:
    junk = base64.b64encode(draw(st.binary(max_size=100)))[:-1] + b"*!"
    return _BASE64_BODY.sub(lambda m: m.group(1) + junk + b"\r\n", raw, count=1)


_MUTATIONS = [_truncate, _flip, _duplicate_header, _break_boundary, _wrong_encodings, _insert,
              _line_endings, _base64_garbage]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    raw = draw(st.sampled_from(SEEDS))
    if draw(st.booleans()) and draw(st.booleans()):  # a quarter are two messages spliced
        other = draw(st.sampled_from(SEEDS))
        raw = raw[: draw(st.integers(0, len(raw)))] + other[draw(st.integers(0, len(other))):]
    for mutation in draw(st.lists(st.sampled_from(_MUTATIONS), min_size=1, max_size=4)):
        raw = mutation(raw, draw)
    return raw


def with_fresh_message_id(raw: bytes) -> bytes:
    """The message with a Message-ID never used before (when it still has one), so that
    mutations of one seed are each read, not recorded as duplicates of the first."""
    unique = b"<fuzz-%d@fuzz.example>" % next(_serial)
    return _MESSAGE_ID.sub(lambda m: m.group(1) + unique, raw, count=1)


def messages() -> st.SearchStrategy[bytes]:
    """Mostly mutated real messages (three in four), some plain random bytes."""
    return st.one_of(mutated(), mutated(), mutated(), st.binary(min_size=0, max_size=3000))


def envelope_senders() -> st.SearchStrategy[str | None]:
    """What a relay may put in X-Envelope-From (one header line: printable Latin-1)."""
    printable = st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f")
    return st.one_of(st.none(), st.sampled_from(["", "<>", CUSTOMER, "MAILER-DAEMON"]),
                     st.text(printable, max_size=80))
