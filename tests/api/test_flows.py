"""Every outcome of SPEC §2, end to end: HTTP in, worker, database, real SMTP out."""

from __future__ import annotations

import email
import os
from email.policy import default

from tests.api.conftest import Api
from tests.conftest import SmtpSink
from tests.mail import email as make_email

TEAM = "team@msp.example"


def parsed(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=default)  # type: ignore[return-value]


def attached_original(mail: bytes) -> bytes:
    """The bytes of the message/rfc822 part of a forward, exactly as they were sent."""
    marker = b"Content-Type: message/rfc822\r\n"
    start = mail.index(marker)
    body_start = mail.index(b"\r\n\r\n", start) + 4
    boundary = parsed(mail).get_boundary().encode()
    end = mail.index(b"\r\n--" + boundary, body_start)
    return mail[body_start:end]


class TestNewTickets:
    def test_a_contact_address_opens_a_ticket_filed_with_its_first_document(self, api: Api, smtp: SmtpSink) -> None:
        account = api.account("Acme")
        contact = api.post(f"/api/v1/accounts/{account['id']}/contacts",
                           {"name": "Bob", "email": "Bob@Acme.example"})
        message = api.deliver(make_email())

        assert message["outcome"] == "ticket_created"
        assert f"account {account['id']} (Acme) by address bob@acme.example" in message["reason"]
        ticket = api.get(f"/api/v1/tickets/{message['ticket_number']}")
        assert ticket["account_id"] == account["id"]
        assert ticket["contact_id"] == contact["id"]
        assert ticket["subject"] == "Printer is offline"
        assert ticket["source"] == "email"
        documents = api.get(f"/api/v1/tickets/{ticket['number']}/documents")["items"]
        assert [d["kind"] for d in documents] == ["customer_email"]
        assert "printer on floor 2 is offline" in documents[0]["text"]
        assert documents[0]["inbound_message_id"] == message["id"]

    def test_the_new_ticket_is_acknowledged_with_its_tag_so_replies_thread(self, api: Api, smtp: SmtpSink) -> None:
        api.account("Acme", email="acme.example")
        message = api.deliver(make_email())

        ack = smtp.wait_for(1)[0]
        assert ack.rcpt_tos == ["bob@acme.example"]
        mail = parsed(ack.data)
        assert mail["Subject"] == f"[Ticket #{message['ticket_number']}] Printer is offline"
        assert mail["Auto-Submitted"] == "auto-replied"
        assert "acknowledgement queued" in message["reason"]
        outbound = api.get("/api/v1/outbound-messages", params={"kind": "acknowledgement"})
        assert outbound["items"][0]["status"] == "sent"

    def test_the_domain_matches_only_when_no_account_holds_the_full_address(self, api: Api) -> None:
        by_domain = api.account("Acme by domain", email="acme.example")
        by_address = api.account("Bob's own account", email2="bob@acme.example")

        bob = api.deliver(make_email())
        carol = api.deliver(make_email(sender="carol@ACME.example"))

        assert bob["outcome"] == carol["outcome"] == "ticket_created"
        assert api.get(f"/api/v1/tickets/{bob['ticket_number']}")["account_id"] == by_address["id"]
        assert api.get(f"/api/v1/tickets/{carol['ticket_number']}")["account_id"] == by_domain["id"]
        assert "by domain acme.example" in carol["reason"]

    def test_a_domain_held_by_a_contact_matches_its_account(self, api: Api) -> None:
        account = api.account("Acme")
        api.post(f"/api/v1/accounts/{account['id']}/contacts", {"name": "All of Acme", "email": "acme.example"})
        message = api.deliver(make_email(sender="dave@acme.example"))
        assert message["outcome"] == "ticket_created"
        assert api.get(f"/api/v1/tickets/{message['ticket_number']}")["account_id"] == account["id"]


class TestForwards:
    def test_an_unknown_sender_is_forwarded_untouched_to_the_support_team(self, api: Api, smtp: SmtpSink) -> None:
        raw = make_email(sender="stranger@elsewhere.example", subject="Quote request")
        message = api.deliver(raw)

        assert message["outcome"] == "forwarded_unrecognized"
        assert "stranger@elsewhere.example matches no account" in message["reason"]
        forward = smtp.wait_for(1)[0]
        assert forward.rcpt_tos == [TEAM]
        mail = parsed(forward.data)
        assert mail["Subject"] == "[Unrecognized] Quote request"
        assert mail["Reply-To"] == "stranger@elsewhere.example"
        assert mail["X-Email-Connector-Outcome"] == "forwarded_unrecognized"
        first_line = mail.get_body(("plain",)).get_content().splitlines()[0]
        assert first_line.startswith("stranger@elsewhere.example is not a known customer")
        assert attached_original(forward.data) == raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")

    def test_two_accounts_claiming_a_domain_is_an_error_naming_both(self, api: Api, smtp: SmtpSink) -> None:
        first = api.account("Acme East", email="acme.example")
        second = api.account("Acme West", email2="ACME.example")
        message = api.deliver(make_email())

        assert message["outcome"] == "forwarded_error"
        assert f"{first['id']} (Acme East)" in message["reason"]
        assert f"{second['id']} (Acme West)" in message["reason"]
        assert message["ticket_number"] is None
        mail = parsed(smtp.wait_for(1)[0].data)
        assert mail["X-Email-Connector-Outcome"] == "forwarded_error"
        assert api.get("/api/v1/tickets")["total"] == 0

    def test_a_message_without_a_sender_is_forwarded_not_lost(self, api: Api, smtp: SmtpSink) -> None:
        message = api.deliver(b"Subject: who am I\r\n\r\nno From header at all\r\n")
        assert message["outcome"] == "forwarded_unrecognized"
        assert "no usable sender" in message["reason"]
        assert smtp.wait_for(1)[0].rcpt_tos == [TEAM]


class TestThreading:
    def _ticket(self, api: Api) -> str:
        api.account("Acme", email="acme.example")
        return api.deliver(make_email())["ticket_number"]

    def test_a_customer_reply_is_filed_and_forwarded_to_the_team(self, api: Api, smtp: SmtpSink) -> None:
        number = self._ticket(api)
        reply = api.deliver(make_email(subject=f"Re: [Ticket #{number}] Printer is offline",
                                       body="Still broken.\n\nOn Monday Support wrote:\n> restart it\n"))
        assert reply["outcome"] == "filed_customer_reply"
        assert reply["ticket_number"] == number
        documents = api.get(f"/api/v1/tickets/{number}/documents")["items"]
        assert len(documents) == 2
        assert documents[0]["reply_text"] == "Still broken."
        assert "restart it" in documents[0]["text"]
        smtp.wait_for(2)  # the acknowledgement of the ticket, then the forward
        forward = parsed(smtp.to(TEAM)[0].data)
        assert forward["X-Email-Connector-Outcome"] == "filed_customer_reply"
        assert f"[Ticket #{number}]" in forward["Subject"]

    def test_leading_zeros_and_other_forms_of_the_number_thread_too(self, api: Api) -> None:
        number = self._ticket(api)
        bare = str(int(number))
        for subject in (f"Ticket {bare}", f"RE: ticket: {bare} more", f"AW: Ticket#{number}"):
            assert api.deliver(make_email(subject=subject))["outcome"] == "filed_customer_reply", subject

    def test_an_active_employee_bcc_copy_is_filed_without_a_forward(self, api: Api, smtp: SmtpSink) -> None:
        number = self._ticket(api)
        smtp.wait_for(1)
        api.post("/api/v1/employees", {"name": "Tina Tech", "email1": "tina@msp.example",
                                       "email2": "tina.tech@gmail.example"})
        reply = api.deliver(make_email(sender="tina.tech@gmail.example", to="bob@acme.example",
                                       subject=f"Re: [Ticket #{number}] Printer is offline"))
        assert reply["outcome"] == "filed_employee_reply"
        assert "active employee" in reply["reason"]
        documents = api.get(f"/api/v1/tickets/{number}/documents")["items"]
        assert documents[0]["kind"] == "employee_email"
        assert smtp.to(TEAM) == []

    def test_an_inactive_employee_counts_as_anyone_else(self, api: Api, smtp: SmtpSink) -> None:
        number = self._ticket(api)
        api.post("/api/v1/employees", {"name": "Former", "email1": "old@msp.example", "active": False})
        reply = api.deliver(make_email(sender="old@msp.example", subject=f"[Ticket #{number}]"))
        assert reply["outcome"] == "filed_customer_reply"

    def test_a_reply_to_our_acknowledgement_threads_without_the_tag(self, api: Api, smtp: SmtpSink) -> None:
        number = self._ticket(api)
        ack_id = parsed(smtp.wait_for(1)[0].data)["Message-ID"]
        reply = api.deliver(make_email(subject="Re: your message", headers={"In-Reply-To": ack_id}))
        assert reply["outcome"] == "filed_customer_reply"
        assert reply["ticket_number"] == number
        assert "reply to our message" in reply["reason"]

    def test_a_number_naming_no_ticket_is_ignored_and_matching_goes_on(self, api: Api) -> None:
        api.account("Acme", email="acme.example")
        message = api.deliver(make_email(subject="Re: [Ticket #0999999] old thread"))
        assert message["outcome"] == "ticket_created"
        huge = api.deliver(make_email(subject="Ticket 99999999999999 is not ours"))
        assert huge["outcome"] == "ticket_created"  # beyond any id: not a database error

    def test_a_customer_reply_reopens_a_closed_ticket(self, api: Api) -> None:
        number = self._ticket(api)
        api.patch(f"/api/v1/tickets/{number}", {"status": "closed"})
        reply = api.deliver(make_email(subject=f"Re: [Ticket #{number}]"))
        assert "reopened" in reply["reason"]
        assert api.get(f"/api/v1/tickets/{number}")["status"] == "open"


class TestGuards:
    def test_our_own_address_as_sender_is_ignored_as_a_loop(self, api: Api, smtp: SmtpSink) -> None:
        message = api.deliver(make_email(sender="support@msp.example"))
        assert message["outcome"] == "ignored_loop"
        assert smtp.messages == []

    def test_a_message_carrying_our_x_loop_is_ignored(self, api: Api) -> None:
        message = api.deliver(make_email(headers={"X-Loop": "support@msp.example"}))
        assert message["outcome"] == "ignored_loop"

    def test_our_own_forward_coming_back_is_ignored(self, api: Api, smtp: SmtpSink) -> None:
        api.deliver(make_email(sender="stranger@elsewhere.example"))
        forward = smtp.wait_for(1)[0].data
        # The team address forwards everything back to the public address: a classic loop.
        echoed = api.deliver(forward.replace(b"X-Loop: support@msp.example\r\n", b""))
        assert echoed["outcome"] == "ignored_loop"
        assert "we sent" in echoed["reason"]

    def test_a_delivery_status_report_is_recorded_as_a_bounce(self, api: Api, smtp: SmtpSink) -> None:
        raw = (b"From: MAILER-DAEMON@mx.acme.example\r\nTo: support@msp.example\r\n"
               b"Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn1@mx>\r\n"
               b"Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n"
               b"--b\r\nContent-Type: text/plain\r\n\r\nfailed\r\n"
               b"--b\r\nContent-Type: message/delivery-status\r\n\r\nStatus: 5.1.1\r\n--b--\r\n")
        message = api.deliver(raw)
        assert message["outcome"] == "bounce"
        assert smtp.messages == []


class TestAcknowledgementLimits:
    def test_automatic_mail_gets_a_ticket_but_no_acknowledgement(self, api: Api, smtp: SmtpSink) -> None:
        api.account("Acme", email="acme.example")
        for headers in ({"Auto-Submitted": "auto-generated"}, {"Precedence": "bulk"},
                        {"List-Id": "<alerts.acme.example>"}, {"X-Auto-Response-Suppress": "All"}):
            message = api.deliver(make_email(headers=headers))
            assert message["outcome"] == "ticket_created"
            assert "not acknowledged" in message["reason"], headers
        noreply = api.deliver(make_email(sender="no-reply@acme.example"))
        assert "no-reply or system address" in noreply["reason"]
        assert api.get("/api/v1/outbound-messages")["total"] == 0

    def test_at_most_n_acknowledgements_per_sender_and_hour(self, api: Api, smtp: SmtpSink) -> None:
        api.account("Acme", email="acme.example")
        api.patch("/api/v1/connector", {"acknowledgements_per_hour": 2})
        reasons = [api.deliver(make_email(subject=f"issue {i}"))["reason"] for i in range(3)]
        assert "acknowledgement queued" in reasons[0] and "acknowledgement queued" in reasons[1]
        assert "acknowledgement suppressed: 2 already sent" in reasons[2]
        assert len(smtp.wait_for(2)) == 2


class TestConnectorStatus:
    def test_messages_wait_while_off_and_are_processed_in_order_once_on(self, api: Api) -> None:
        api.account("Acme", email="acme.example")
        api.patch("/api/v1/connector", {"status": "off"})
        ids = [api.send(make_email(subject=f"while off {i}"))["id"] for i in range(3)]
        import time

        time.sleep(0.3)
        assert all(api.get(f"/api/v1/inbound-messages/{i}")["status"] == "queued" for i in ids)
        assert api.get("/api/v1/connector")["queued_messages"] == 3

        api.patch("/api/v1/connector", {"status": "on"})
        tickets = [api.processed(i)["ticket_number"] for i in ids]
        assert tickets == sorted(tickets)


class TestDuplicates:
    def test_the_same_message_delivered_twice_is_processed_once(self, api: Api) -> None:
        api.account("Acme", email="acme.example")
        raw = make_email()
        first = api.send(raw)
        second = api.send(raw)
        assert second == {"id": second["id"], "status": "duplicate", "duplicate_of": first["id"]}
        api.processed(first["id"])
        assert api.get("/api/v1/tickets")["total"] == 1
        logged = api.get(f"/api/v1/inbound-messages/{second['id']}")
        assert (logged["status"], logged["outcome"]) == ("done", "duplicate")

    def test_without_a_message_id_the_bytes_identify_the_message(self, api: Api) -> None:
        raw = b"From: bob@acme.example\r\nSubject: no id\r\n\r\nbody\r\n"
        assert api.send(raw)["status"] == "queued"
        assert api.send(raw)["status"] == "duplicate"
        assert api.send(raw + b"changed\r\n")["status"] == "queued"


class TestReprocessing:
    def test_an_unrecognized_message_becomes_a_ticket_once_its_account_exists(self, api: Api) -> None:
        message = api.deliver(make_email())
        assert message["outcome"] == "forwarded_unrecognized"
        api.account("Acme", email="acme.example")

        api.post(f"/api/v1/inbound-messages/{message['id']}/reprocess", status=200)
        again = api.processed(message["id"])
        assert again["outcome"] == "ticket_created"

    def test_a_filed_message_cannot_be_processed_twice(self, api: Api) -> None:
        api.account("Acme", email="acme.example")
        message = api.deliver(make_email())
        response = api.client.post(f"/api/v1/inbound-messages/{message['id']}/reprocess",
                                   headers=api.headers)
        assert response.status_code == 409
        assert "ticket_created" in response.json()["detail"]


class TestDocuments:
    def test_attachments_and_inline_images_are_kept_byte_for_byte(self, api: Api) -> None:
        api.account("Acme", email="acme.example")
        pdf = b"%PDF-1.4\n" + bytes(range(256)) * 40
        png = b"\x89PNG\r\n\x1a\n" + bytes(range(200))
        raw = make_email(
            html='<p>See <img src="cid:logo@acme"></p>',
            attachments=[("report.pdf", "application/pdf", pdf)],
        )
        msg = email.message_from_bytes(raw, policy=default)
        related = [p for p in msg.walk() if p.get_content_type() == "text/html"][0]
        related.add_related(png, maintype="image", subtype="png", cid="<logo@acme>")
        message = api.deliver(msg.as_bytes())

        document = api.get(f"/api/v1/tickets/{message['ticket_number']}/documents")["items"][0]
        assert 'src="cid:logo@acme"' in document["html"]
        files = {a["filename"] or a["content_id"]: a for a in document["attachments"]}
        report = files["report.pdf"]
        assert report["size"] == len(pdf)
        downloaded = api.client.get(f"/api/v1/attachments/{report['id']}", headers=api.headers)
        assert downloaded.content == pdf
        assert downloaded.headers["content-type"] == "application/pdf"
        inline = [a for a in document["attachments"] if a["content_id"] == "logo@acme"][0]
        assert inline["inline"] is True
        assert api.client.get(f"/api/v1/attachments/{inline['id']}", headers=api.headers).content == png

    def test_a_large_attachment_between_small_ones_is_kept_byte_for_byte_in_order(
            self, api: Api) -> None:
        api.account("Acme", email="acme.example")
        files = [("a.txt", "text/plain", b"first"),
                 ("scan.pdf", "application/pdf", os.urandom(3_000_000)),  # over 1 MiB
                 ("c.txt", "text/plain", b"last")]
        message = api.deliver(make_email(attachments=files))
        document = api.get(f"/api/v1/tickets/{message['ticket_number']}/documents")["items"][0]
        assert [a["filename"] for a in document["attachments"]] == ["a.txt", "scan.pdf", "c.txt"]
        for attachment, (_, _, data) in zip(document["attachments"], files, strict=True):
            served = api.client.get(f"/api/v1/attachments/{attachment['id']}", headers=api.headers)
            assert (attachment["size"], served.content) == (len(data), data)

    def test_a_body_in_an_undeclared_charset_is_still_read(self, api: Api) -> None:
        api.account("Acme", email="acme.example")
        raw = (b"From: bob@acme.example\r\nSubject: =?iso-8859-1?Q?M=FCller?=\r\n"
               b"Content-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\n\r\n") \
            + "Grüße aus Köln, der Drucker geht nicht.\r\n".encode("latin-1")
        message = api.deliver(raw)
        assert message["subject"] == "Müller"
        document = api.get(f"/api/v1/tickets/{message['ticket_number']}/documents")["items"][0]
        assert "Grüße aus Köln" in document["text"]


class TestFailures:
    def test_a_message_that_fails_to_apply_fails_alone_and_can_be_reprocessed(
            self, api: Api, monkeypatch) -> None:  # type: ignore[no-untyped-def]
        import api.application.processing as processing

        real_apply = processing.apply

        def apply_failing_on_poison(session, decision, item, *args, **kwargs):  # type: ignore[no-untyped-def]
            if item.view.subject == "poison":
                raise RuntimeError("simulated bug while filing")
            return real_apply(session, decision, item, *args, **kwargs)

        from adapters.persistence.directory import SqlDirectory

        real_lookup = SqlDirectory.is_own_message_id

        def lookup_failing_in_the_database(directory, message_id):  # type: ignore[no-untyped-def]
            if message_id.startswith("bad-sql"):  # a database error must not spoil the batch
                from sqlalchemy import text
                directory._connection.execute(text("SELECT * FROM no_such_table"))
            return real_lookup(directory, message_id)

        monkeypatch.setattr(processing, "apply", apply_failing_on_poison)
        monkeypatch.setattr(SqlDirectory, "is_own_message_id", lookup_failing_in_the_database)
        api.account("Acme", email="acme.example")
        api.patch("/api/v1/connector", {"status": "off"})  # so all three share one batch
        subjects = ("before", "poison", "bad sql", "after")
        ids = [api.send(make_email(subject=s, message_id=f"<{s.replace(' ', '-')}@acme.example>"))["id"]
               for s in subjects]
        api.patch("/api/v1/connector", {"status": "on"})
        before, poison, bad_sql, after = (api.processed(i) for i in ids)

        assert (before["outcome"], after["outcome"]) == ("ticket_created", "ticket_created")
        assert poison["status"] == "failed" and "simulated bug while filing" in poison["error"]
        assert bad_sql["status"] == "failed" and "no_such_table" in bad_sql["error"]
        assert api.get("/api/v1/tickets")["total"] == 2  # nothing of the failed ones was kept
        monkeypatch.setattr(processing, "apply", real_apply)
        api.post(f"/api/v1/inbound-messages/{poison['id']}/reprocess", status=200)
        assert api.processed(poison["id"])["outcome"] == "ticket_created"
