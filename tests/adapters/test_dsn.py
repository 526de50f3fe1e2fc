"""Reading delivery reports (adapters/mail/dsn.py): per-recipient blocks, read receipts."""

from __future__ import annotations

from adapters.mail.dsn import delivery_report
from adapters.mail.headers import parse_message
from adapters.mail.view import message_view

MULTI = (
    b"From: MAILER-DAEMON@mx.acme.example\r\nTo: support@msp.example\r\n"
    b"Subject: Undelivered Mail Returned to Sender\r\n"
    b"Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n"
    b"--b\r\nContent-Type: text/plain\r\n\r\nSome recipients failed.\r\n"
    b"--b\r\nContent-Type: message/delivery-status\r\n\r\n"
    b"Reporting-MTA: dns; mx.acme.example\r\n\r\n"
    b"Final-Recipient: rfc822; late@acme.example\r\nAction: delayed\r\nStatus: 4.2.2\r\n\r\n"
    b"Original-Recipient: rfc822; bob@acme.example\r\n"
    b"Final-Recipient: rfc822; bob@mailhost.acme.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
    b"Diagnostic-Code: smtp; 550 5.1.1 no such user\r\n"
    b"--b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <ack.1@msp.example>\r\n--b--\r\n"
)

MDN = (
    b"From: Bob <bob@acme.example>\r\nTo: support@msp.example\r\nSubject: Read: Printer\r\n"
    b"X-Failed-Recipients: ceo@victim.example\r\n"
    b"Content-Type: multipart/report; report-type=disposition-notification; boundary=b\r\n\r\n"
    b"--b\r\nContent-Type: text/plain\r\n\r\nYour message was read. 5.1.1\r\n"
    b"--b\r\nContent-Type: message/disposition-notification\r\n\r\n"
    b"Final-Recipient: rfc822; bob@acme.example\r\n"
    b"Original-Message-ID: <ack.1@msp.example>\r\n"
    b"Disposition: manual-action/MDN-sent-manually; displayed\r\n"
    b"--b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <ack.1@msp.example>\r\n--b--\r\n"
)


def test_each_per_recipient_block_keeps_its_own_action_and_status() -> None:
    report = delivery_report(parse_message(MULTI))
    assert report is not None and report.message_ids == ("ack.1@msp.example",)
    late, bob = report.per_recipient
    assert (late.address, late.action, late.status, late.permanent) == (
        "late@acme.example", "delayed", "4.2.2", False)
    assert (bob.address, bob.original, bob.action, bob.status, bob.permanent) == (
        "bob@mailhost.acme.example", "bob@acme.example", "failed", "5.1.1", True)
    assert "no such user" in bob.diagnostic


def test_a_read_receipt_is_not_read_as_a_delivery_report() -> None:
    msg = parse_message(MDN)
    assert delivery_report(msg) is None
    assert message_view(msg).report_type == "disposition-notification"


def test_an_old_style_bounce_names_its_failed_recipients_from_x_failed_recipients() -> None:
    raw = (b"From: Mail Delivery System <Mailer-Daemon@mx.acme.example>\r\n"
           b"To: support@msp.example\r\nSubject: Mail delivery failed\r\n"
           b"X-Failed-Recipients: gone@acme.example\r\n\r\n"
           b"This is a permanent error. 550 5.1.1 unknown user\r\n"
           b"Message-ID: <ack.1@msp.example>\r\n")
    report = delivery_report(parse_message(raw))
    assert report is not None
    assert [(r.address, r.permanent) for r in report.per_recipient] == [("gone@acme.example", True)]
