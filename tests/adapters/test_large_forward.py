"""A forward of a large original: sent from the stored bytes in chunks, never built whole, and
received byte for byte by a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import base64
import email
import os
import tracemalloc
from email.policy import compat32

from adapters.mail.compose import CHUNK, composed
from adapters.mail.smtp import SmtpMailer
from domain.messages import OutgoingMail, SmtpServer
from tests.conftest import SmtpSink

MAIL = OutgoingMail(mail_from="support@msp.example", to=["team@msp.example"], subject="Fwd: big",
                    body="Reason: no account\n", message_id="fwd.big@msp.example")


def large_original(size: int, *, line_end: bytes = b"\r\n") -> bytes:
    """A message of about `size` bytes whose lines start with a dot here and there, some of
    them exactly where the SMTP client's chunks end."""
    head = line_end.join([b"From: bob@acme.example", b"Subject: scans",
                          b"Message-ID: <big@acme.example>", b"", b""])
    line = base64.b64encode(os.urandom(57)) + line_end
    lines = [line] * (size // len(line))
    for index in range(0, len(lines), 997):
        lines[index] = b"." + line
    body = b"".join(lines)
    cut = CHUNK - len(head)  # a dot line starting right at the first chunk boundary
    body = body[:cut - len(line_end)] + line_end + b".at-a-chunk-boundary" + line_end + body[cut:]
    return head + body


def _attached_original(data: bytes) -> bytes:
    """The body of the message/rfc822 part of a received forward, up to its delimiter."""
    boundary = email.message_from_bytes(data.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n",
                                        policy=compat32).get_boundary()
    marker = b"Content-Transfer-Encoding: 7bit\r\n\r\n"
    start = data.index(marker, data.index(b"Content-Type: message/rfc822")) + len(marker)
    return data[start:data.index(b"\r\n--" + boundary.encode(), start)]


def _send(smtp: SmtpSink, original: bytes) -> bytes:
    with SmtpMailer().connect(SmtpServer(host=smtp.host, port=smtp.port, timeout=30)) as c:
        assert c.prepare(MAIL, original).finish() == []
    [mail] = smtp.wait_for(1, timeout=30)
    return mail.data


def test_a_large_forward_arrives_with_the_original_byte_for_byte(smtp: SmtpSink) -> None:
    original = large_original(12_000_000)
    received = _send(smtp, original)
    assert _attached_original(received) == original
    assert len(received) == composed(MAIL, original=original).size


def test_a_large_original_with_bare_line_feeds_arrives_with_crlf_only(smtp: SmtpSink) -> None:
    original = large_original(6_000_000, line_end=b"\n")
    assert _attached_original(_send(smtp, original)) == original.replace(b"\n", b"\r\n")


def test_an_original_that_cannot_travel_as_is_arrives_base64_and_decodes_to_it(
        smtp: SmtpSink) -> None:
    original = large_original(6_000_000) + b"a NUL \x00 byte\r\n"
    received = email.message_from_bytes(_send(smtp, original), policy=compat32)
    [part] = [p for p in received.walk() if p.get_filename() == "original.eml"]
    assert part.get_payload(decode=True) == original


def _composed_and_sent(original: bytes) -> tuple[int, int, int]:
    """(bytes sent, the composed size, the peak of memory traced meanwhile)."""
    tracemalloc.start()
    try:
        message = composed(MAIL, original=original)
        sent = sum(len(chunk) for chunk in message.chunks())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return sent, message.size, peak


def test_composing_and_chunking_a_large_forward_copies_no_original() -> None:
    original = large_original(20_000_000)
    sent, size, peak = _composed_and_sent(original)
    assert sent == size > len(original)
    assert peak < 2 * CHUNK  # the original is sent from its own bytes, never joined


def test_the_base64_fallback_is_encoded_a_chunk_at_a_time() -> None:
    sent, size, peak = _composed_and_sent(large_original(20_000_000) + b"\x00\r\n")
    assert sent == size
    assert peak < 8 * CHUNK  # the whole encoding would be 27 MB
