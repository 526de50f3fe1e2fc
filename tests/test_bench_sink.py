"""The bench's SMTP sink answers a real SMTP client the way a relay does (bench/sink.py): if it
mis-read the end of the data, the bench's outbox would stall or report failures."""

from __future__ import annotations

import smtplib

from bench.sink import Sink
from tests.conftest import free_port


def test_the_bench_sink_accepts_consecutive_mails_on_one_connection():
    sink = Sink(free_port())
    sink.start()
    try:
        with smtplib.SMTP("127.0.0.1", sink.port, timeout=5) as client:
            assert client.ehlo()[0] == 250 and client.has_extn("8bitmime")
            big = b"Subject: big\r\n\r\n" + b"x" * 70 + b"\r\n" + b".dotted line\r\n" * 20000
            for body in (b"Subject: one\r\n\r\nhello\r\n", big, b"Subject: three\r\n\r\n.\r\n"):
                assert client.sendmail("a@example.com", ["b@example.com"], body) == {}
            assert client.noop()[0] == 250
    finally:
        sink.stop()
