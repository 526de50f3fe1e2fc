"""The SMTP adapter against a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

from contextlib import AbstractContextManager

import pytest

from adapters.mail.smtp import SmtpConnection, SmtpMailer
from domain.errors import SendFailed
from domain.messages import SmtpServer
from tests.conftest import SmtpSink, free_port


class _Mailer:
    """The mailer, bound to the sink's address (it takes the server at each use)."""

    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    def connect(self) -> AbstractContextManager[SmtpConnection]:
        return SmtpMailer().connect(self.server)

    def check(self) -> tuple[bool, str]:
        return SmtpMailer().check(self.server)


def mailer(smtp: SmtpSink) -> _Mailer:
    return _Mailer(SmtpServer(host=smtp.host, port=smtp.port, timeout=5))


def test_a_message_is_delivered_with_its_envelope(smtp: SmtpSink) -> None:
    with mailer(smtp).connect() as connection:
        connection.send_bytes("support@msp.example", ["a@x.example", "b@x.example"],
                        b"Subject: hi\r\n\r\nbody\r\n")
    [mail] = smtp.wait_for(1)
    assert (mail.mail_from, mail.rcpt_tos) == ("support@msp.example", ["a@x.example", "b@x.example"])
    assert b"body" in mail.data


def test_an_address_with_a_display_name_goes_into_the_envelope_bare(smtp: SmtpSink) -> None:
    # Plain addresses skip smtplib's parser (adapters/mail/smtp.py _command); others keep it.
    with mailer(smtp).connect() as connection:
        connection.send_bytes("Support <support@msp.example>",
                              ["Team Lead <lead@x.example>", "plain@x.example"], b"\r\nbody\r\n")
    [mail] = smtp.wait_for(1)
    assert (mail.mail_from, mail.rcpt_tos) == ("support@msp.example",
                                               ["lead@x.example", "plain@x.example"])


def test_an_address_with_a_line_break_cannot_add_a_command(smtp: SmtpSink) -> None:
    with mailer(smtp).connect() as connection:
        connection.send_bytes("support@msp.example", ["a@x.example\r\nRCPT TO:<b@x.example>"],
                              b"\r\nbody\r\n")
    [mail] = smtp.wait_for(1)
    assert mail.rcpt_tos == ["a@x.example"]


def test_8bit_mail_is_announced_with_body_8bitmime(smtp: SmtpSink) -> None:
    with mailer(smtp).connect() as connection:
        assert connection.supports_8bit
        connection.send_bytes("s@msp.example", ["a@x.example"], "Subject: ü\r\n\r\nGrüße\r\n".encode())
    assert "Grüße".encode() in smtp.wait_for(1)[0].data


def test_a_5xx_refusal_is_permanent_and_a_4xx_is_not(smtp: SmtpSink) -> None:
    smtp.refuse_with = "550 no such user"
    with pytest.raises(SendFailed) as permanent, mailer(smtp).connect() as connection:
        connection.send_bytes("s@msp.example", ["gone@x.example"], b"Subject: x\r\n\r\nx\r\n")
    assert permanent.value.permanent
    smtp.refuse_with = "451 try again later"
    with pytest.raises(SendFailed) as temporary, mailer(smtp).connect() as connection:
        connection.send_bytes("s@msp.example", ["busy@x.example"], b"Subject: x\r\n\r\nx\r\n")
    assert not temporary.value.permanent


def test_the_check_reports_a_server_that_is_not_there() -> None:
    ok, detail = SmtpMailer().check(SmtpServer(host="127.0.0.1", port=free_port(), timeout=2))
    assert not ok and "cannot connect" in detail


def test_the_check_passes_against_a_live_server(smtp: SmtpSink) -> None:
    assert mailer(smtp).check() == (True, f"connected to 127.0.0.1:{smtp.port}")


def test_the_server_takes_the_mail_only_after_the_commit_point(smtp: SmtpSink) -> None:
    seen_before_commit: list[int] = []

    def commit_point() -> None:
        seen_before_commit.append(len(smtp.messages))

    with mailer(smtp).connect() as connection:
        connection.send_bytes("s@msp.example", ["a@x.example"], b"Subject: x\r\n\r\n.leading dot\r\n", commit_point)
    assert seen_before_commit == [0]
    assert b"\r\n.leading dot" in smtp.wait_for(1)[0].data  # dot-stuffing undone by the server


def test_a_failing_commit_point_leaves_the_server_with_nothing(smtp: SmtpSink) -> None:
    def broken_commit() -> None:
        raise RuntimeError("database down")

    with pytest.raises(RuntimeError), mailer(smtp).connect() as connection:
        connection.send_bytes("s@msp.example", ["a@x.example"], b"Subject: x\r\n\r\nbody\r\n", broken_commit)
    import time

    time.sleep(0.2)
    assert smtp.messages == []


def test_a_body_without_a_final_line_end_or_a_leading_dot_arrives_whole(smtp: SmtpSink) -> None:
    with mailer(smtp).connect() as connection:
        connection.send_bytes("s@msp.example", ["a@x.example"], b"Subject: x\r\n\r\nline one\r\nend")
        connection.send_bytes("s@msp.example", ["a@x.example"], b".first\r\nSubject: y\r\n\r\nx")
        connection.send_bytes("s@msp.example", ["a@x.example"], b"Subject: z\r\n\r\n.x\r\n")
    first, second, third = smtp.wait_for(3)
    assert first.data.endswith(b"line one\r\nend\r\n")
    assert second.data.startswith(b".first\r\n")
    assert third.data.endswith(b"\r\n.x\r\n")
