"""Attacks from outside (issue 15), end to end through the public HTTP endpoints only."""

from __future__ import annotations

import email
from email.policy import default

from tests.api.conftest import BASIC, Api
from tests.conftest import SmtpSink
from tests.mail import email as make_email


def _report(report_type: str, ack_id: str, body: str,
            sender: str = "MAILER-DAEMON@mx.attacker.example") -> bytes:
    return (
        f"From: {sender}\r\nTo: support@msp.example\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <forged-1@attacker.example>\r\n"
        f"Content-Type: multipart/report; report-type={report_type}; boundary=b\r\n\r\n"
        "--b\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        f"{body}"
        f"--b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {ack_id}\r\n--b--\r\n"
    ).encode()


def _acknowledged(api: Api, smtp: SmtpSink) -> str:
    api.account("Acme", email="acme.example")
    api.deliver(make_email(sender="bob@acme.example"))
    return email.message_from_bytes(smtp.wait_for(1)[0].data, policy=default)["Message-ID"]


def test_a_forged_bounce_of_our_mail_cannot_mark_addresses_it_was_not_sent_to(
        api: Api, smtp: SmtpSink) -> None:
    ack_id = _acknowledged(api, smtp)
    forged = _report("delivery-status", ack_id, (
        "--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.attacker.example\r\n\r\n"
        "Final-Recipient: rfc822; bob@acme.example\r\nAction: delayed\r\nStatus: 4.2.2\r\n\r\n"
        "Final-Recipient: rfc822; ceo@acme.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"))
    bounce = api.deliver(forged)
    assert bounce["outcome"] == "bounce"
    assert "not marked: ceo@acme.example" in bounce["reason"]
    for sender in ("ceo@acme.example", "bob@acme.example"):
        again = api.deliver(make_email(sender=sender, subject=f"new problem for {sender}"))
        assert again["outcome"] == "ticket_created"
        assert "acknowledgement queued" in again["reason"], again["reason"]


def test_a_read_receipt_of_our_mail_is_ignored_and_marks_nothing(api: Api, smtp: SmtpSink) -> None:
    ack_id = _acknowledged(api, smtp)
    receipt = _report("disposition-notification", ack_id, (
        "--b\r\nContent-Type: message/disposition-notification\r\n\r\n"
        "Final-Recipient: rfc822; bob@acme.example\r\n"
        f"Original-Message-ID: {ack_id}\r\nDisposition: automatic-action/MDN-sent-automatically; "
        "displayed\r\n"), sender="bob@acme.example")
    receipt = receipt.replace(b"Subject: Undelivered Mail Returned to Sender",
                              b"Subject: Read: Printer is offline\r\nReturn-Path: <>\r\n"
                              b"X-Failed-Recipients: bob@acme.example")
    message = api.deliver(receipt)
    assert message["outcome"] == "ignored_loop"
    assert "read receipt" in message["reason"]
    again = api.deliver(make_email(sender="bob@acme.example", subject="another problem"))
    assert "acknowledgement queued" in again["reason"]


def test_a_forged_employee_reply_failing_dmarc_is_forwarded_as_a_customer_reply(
        api: Api, smtp: SmtpSink) -> None:
    api.post("/api/v1/employees", {"name": "Alice", "email1": "alice@msp.example", "active": True})
    api.account("Acme", email="acme.example")
    created = api.deliver(make_email(sender="bob@acme.example"))
    number = created["ticket_number"]
    smtp.wait_for(1)  # the acknowledgement
    verdict = {"Authentication-Results": "mx.msp.example; spf=fail smtp.mailfrom=evil.example; "
                                         "dkim=none; dmarc=fail (p=reject) header.from=msp.example"}
    forged = api.deliver(make_email(sender="Alice <alice@msp.example>", headers=verdict,
                                    subject=f"Re: [Ticket #{number}] Printer is offline"))
    assert forged["outcome"] == "filed_customer_reply"
    assert "DMARC fails for msp.example" in forged["reason"]
    smtp.wait_for(2)  # the forward: a person sees it

    genuine = {"Authentication-Results": "mx.msp.example; dkim=pass header.d=msp.example; "
                                         "dmarc=pass header.from=msp.example"}
    real = api.deliver(make_email(sender="alice@msp.example", headers=genuine,
                                  subject=f"Re: [Ticket #{number}] Printer is offline"))
    assert real["outcome"] == "filed_employee_reply"


def test_plus_addressed_variants_share_the_acknowledgement_limit(api: Api, smtp: SmtpSink) -> None:
    api.account("Acme", email="acme.example")
    reasons = [api.deliver(make_email(sender=f"bob+{n}@acme.example", subject=f"problem {n}"))["reason"]
               for n in range(6)]  # the default limit is 5 an hour
    assert "acknowledgement suppressed" in reasons[-1]


DEEP = b"[" * 100_000 + b"]" * 100_000


def test_deeply_nested_json_is_refused_as_malformed_not_a_500(api: Api) -> None:
    for path in ("/inbound/postmark", "/inbound/mailjet"):
        response = api.client.post(path, content=DEEP, headers={
            "Authorization": BASIC, "Content-Type": "application/json"})
        assert 400 <= response.status_code < 500, (path, response.status_code, response.text)
    assert api.get("/api/v1/inbound-messages")["total"] == 0


def test_a_sendgrid_field_named_with_a_superscript_digit_is_no_crash(api: Api) -> None:
    boundary = "xYzZY"
    headers = b"From: bob@acme.example\r\nTo: support@msp.example\r\nSubject: hi\r\n"
    parts = [("headers", headers, None), ("text", b"hello", None), ("subject", b"hi", None),
             ("to", b"support@msp.example", None),
             ("from", b"bob@acme.example", None), ("attachment\u00b2", b"data", "x.bin")]
    chunks = []
    for name, value, filename in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        chunks.append(f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
                      + value + b"\r\n")
    body = b"".join(chunks) + f"--{boundary}--\r\n".encode()
    response = api.client.post("/inbound/sendgrid", content=body, headers={
        "Authorization": BASIC, "Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert response.status_code == 200, response.text


def test_an_attachment_name_with_bidi_controls_and_a_hostile_type_are_stored_safe(api: Api) -> None:
    api.account("Acme", email="acme.example")
    raw = ("From: bob@acme.example\r\nTo: support@msp.example\r\nSubject: invoice\r\n"
           "Message-ID: <bidi-1@acme.example>\r\nMIME-Version: 1.0\r\n"
           "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
           "see attached\r\n--b\r\nContent-Type: text/h\u00e9ml\u0007\r\n"
           "Content-Disposition: attachment; filename*=UTF-8''invoice%E2%80%AEfdp.exe\r\n\r\n"
           "<script>1</script>\r\n--b--\r\n").encode()
    created = api.deliver(raw)
    assert created["outcome"] == "ticket_created"
    document = api.get(f"/api/v1/tickets/{created['ticket_number']}/documents")["items"][0]
    [attachment] = document["attachments"]
    assert attachment["filename"] == "invoicefdp.exe"
    assert attachment["content_type"] == "application/octet-stream"
    served = api.client.get(f"/api/v1/attachments/{attachment['id']}", headers=api.headers)
    assert served.headers["content-type"].startswith("application/octet-stream")
