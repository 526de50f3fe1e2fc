"""Real-world odd messages, built with the standard library at test time (no binary fixtures).

Each builder returns the raw bytes a relay would post. The customer domain is acme.example
(the tests create that account), so a readable sender is expected to become a ticket and an
unreadable or missing one a forward: the outcome says how much of the message was understood.
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Callable

CUSTOMER = "bob@acme.example"
_HEAD = (f"From: Bob <{CUSTOMER}>\r\nTo: support@msp.example\r\n"
         "Date: Fri, 27 Nov 2026 10:00:00 +0000\r\n")


def _msg(subject: str | bytes, rest: bytes, *, head: bytes | None = None) -> bytes:
    head = head if head is not None else _HEAD.encode()
    raw_subject = subject if isinstance(subject, bytes) else subject.encode()
    msgid = b"<%s.odd@acme.example>" % raw_subject.hex().encode()[:60]
    return head + b"Subject: " + raw_subject + b"\r\nMessage-ID: " + msgid + b"\r\n" + rest


def no_from() -> bytes:
    return (b"To: support@msp.example\r\nSubject: who am I\r\nMessage-ID: <nofrom@x.example>\r\n"
            b"\r\nThere is no From header at all.\r\n")


def broken_boundaries() -> bytes:
    # The declared boundary never appears; another one does, and there is no closing line.
    return _msg("broken boundaries", b"MIME-Version: 1.0\r\n"
                b'Content-Type: multipart/mixed; boundary="declared"\r\n\r\n'
                b"--other\r\nContent-Type: text/plain\r\n\r\nbody under a wrong boundary\r\n"
                b"--other\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4 not closed\r\n")


def bad_base64() -> bytes:
    return _msg("bad base64", b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
                b"--b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                b"SGVsbG8g!!!not*base64***d29ybGQ=\r\n=====\r\n"
                b"--b\r\nContent-Type: image/png; name=x.png\r\nContent-Transfer-Encoding: base64\r\n"
                b"Content-Disposition: attachment; filename=x.png\r\n\r\n\xff\xfe\x00garbage\r\n--b--\r\n")


def wrong_charsets() -> bytes:
    latin = "Grüße aus Köln".encode("latin-1")
    return _msg("wrong charsets", b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
                b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + latin + b"\r\n"
                b"--b\r\nContent-Type: text/plain; charset=x-no-such-charset\r\n\r\n" + latin + b"\r\n"
                b'--b\r\nContent-Type: text/html; charset="utf-16"\r\n\r\n<p>odd</p>\r\n--b--\r\n')


def eight_bit_headers() -> bytes:
    head = ("From: Jürgen Müller <" + CUSTOMER + ">\r\nTo: support@msp.example\r\n").encode("latin-1")
    return _msg("Störung im Büro".encode("latin-1"), b"\r\nHeaders in raw latin-1.\r\n", head=head)


def huge_header_count(count: int = 20_000) -> bytes:
    extra = b"".join(b"X-Filler-%d: value %d\r\n" % (i, i) for i in range(count))
    return _msg("twenty thousand headers", extra + b"\r\nbody after a header flood\r\n")


def deep_nesting(levels: int = 2_000) -> bytes:
    opening = b"".join(b"--n%d\r\nContent-Type: multipart/mixed; boundary=n%d\r\n\r\n" % (i, i + 1)
                       for i in range(levels))
    closing = b"".join(b"--n%d--\r\n" % i for i in range(levels, -1, -1))
    return _msg("deep nesting", b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=n0\r\n\r\n"
                + opening + b"--n%d\r\nContent-Type: text/plain\r\n\r\nthe innermost text\r\n" % levels
                + closing)


def huge_single_line(size: int = 8 * 1024 * 1024) -> bytes:
    return _msg("one huge line", b"\r\n" + b"A" * size)


def nul_bytes() -> bytes:
    return _msg("nul\x00bytes", b"X-Nul: a\x00b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                b"text with \x00 NUL \x00 bytes\r\n")


def _tnef_attribute(level: int, name: int, kind: int, data: bytes) -> bytes:
    return struct.pack("<BHHI", level, name, kind, len(data)) + data + struct.pack("<H", sum(data) & 0xFFFF)


def tnef() -> bytes:
    blob = struct.pack("<IH", 0x223E9F78, 1) + b"".join([
        _tnef_attribute(1, 0x800C, 0x0002, b"Body from Outlook"),
        _tnef_attribute(2, 0x9002, 0x0006, b"\x00" * 14),
        _tnef_attribute(2, 0x8010, 0x0001, b"report.txt\x00"),
        _tnef_attribute(2, 0x800F, 0x0006, b"quarterly numbers\r\n"),
    ])
    return _msg("winmail", b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n"
                b"--x\r\nContent-Type: application/ms-tnef; name=winmail.dat\r\n"
                b"Content-Disposition: attachment; filename=winmail.dat\r\n"
                b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(blob) + b"--x--\r\n")


def many_attachments(count: int = 1_000) -> bytes:
    parts = b"".join(b"--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; "
                     b"filename=f%d.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n"
                     % (i, base64.b64encode(b"file %d" % i)) for i in range(count))
    return _msg("a thousand attachments", b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n"
                b"\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n" + parts + b"--b--\r\n")


def only_headers() -> bytes:
    return _msg("only headers", b"")  # no blank line, no body


def whitespace_body() -> bytes:
    return _msg("whitespace body", b"\r\n \t \r\n\r\n   \r\n")


# Inputs that made a regular expression or the stdlib parser quadratic or recurse (fixed in
# adapters/mail): each took from seconds to hours, some in the web process at ingest.
def encoded_word_flood() -> bytes:
    return _msg(b"=?a?q?x" * 100_000, b"\r\nsubject of unterminated encoded words\r\n")


def from_without_at() -> bytes:
    return (b"From: " + b"a" * 500_000 + b"\r\nTo: support@msp.example\r\nSubject: no at\r\n"
            b"Message-ID: <no-at@x.example>\r\n\r\nbody\r\n")


def nested_comments_in_from() -> bytes:
    head = b"From: " + b"(" * 50_000 + b" " + CUSTOMER.encode() + b"\r\nTo: support@msp.example\r\n"
    return _msg("nested comments", b"\r\nbody\r\n", head=head)


def unclosed_html() -> bytes:
    return _msg("unclosed html", b"Content-Type: text/html\r\n\r\n<p>hello</p>" + b"<a " * 200_000)


def encoded_word_filename() -> bytes:
    return _msg("hostile filename", b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n"
                b"\r\n--b\r\nContent-Type: application/octet-stream\r\n"
                b'Content-Disposition: attachment; filename="' + b"=?a?q?x" * 100_000 + b'"\r\n\r\n'
                b"data\r\n--b--\r\n")


# name -> (builder, the outcome expected)
ODD: dict[str, tuple[Callable[[], bytes], str]] = {
    "no_from": (no_from, "forwarded_unrecognized"),
    "broken_boundaries": (broken_boundaries, "ticket_created"),
    "bad_base64": (bad_base64, "ticket_created"),
    "wrong_charsets": (wrong_charsets, "ticket_created"),
    "eight_bit_headers": (eight_bit_headers, "ticket_created"),
    "huge_header_count": (huge_header_count, "ticket_created"),
    "deep_nesting": (deep_nesting, "ticket_created"),
    "huge_single_line": (huge_single_line, "ticket_created"),
    "nul_bytes": (nul_bytes, "ticket_created"),
    "tnef": (tnef, "ticket_created"),
    "many_attachments": (many_attachments, "ticket_created"),
    "only_headers": (only_headers, "ticket_created"),
    "whitespace_body": (whitespace_body, "ticket_created"),
    "encoded_word_flood": (encoded_word_flood, "ticket_created"),
    "from_without_at": (from_without_at, "forwarded_unrecognized"),
    "nested_comments_in_from": (nested_comments_in_from, "ticket_created"),
    "unclosed_html": (unclosed_html, "ticket_created"),
    "encoded_word_filename": (encoded_word_filename, "ticket_created"),
}
