"""Acknowledgements as the customer reads them, and replies that lose subject and headers
(issue 12, classes 8 and 10): through HTTP, the worker and a real SMTP server."""

from __future__ import annotations

import re
from email.utils import parseaddr

from tests.api.conftest import Api
from tests.api.test_flows import parsed
from tests.conftest import SmtpSink
from tests.mail import email as make_email

REFERENCE = re.compile(r"Reference: (t\d+-[a-z2-7]{10})")


def plain(mail: object) -> str:
    return mail.get_body(("plain",)).get_content().replace("\r\n", "\n")  # type: ignore[attr-defined]


def acknowledged(api: Api, smtp: SmtpSink, **fields: object) -> tuple[str, object]:
    api.account("Acme", email="acme.example")
    number = api.deliver(make_email(**fields))["ticket_number"]  # type: ignore[arg-type]
    return number, parsed(smtp.wait_for(1)[0].data)


class TestTheAcknowledgement:
    def test_the_default_reads_well_and_carries_the_reference_line(
            self, api: Api, smtp: SmtpSink) -> None:
        number, mail = acknowledged(api, smtp)
        text = plain(mail)
        assert text.startswith("Hello Bob Jones,\n\nWe have received your message \"Printer is "
                               f"offline\" and opened ticket {number} for it.")
        assert parseaddr(mail["From"]) == ("Email Connector", "support@msp.example")
        assert REFERENCE.search(text).group(1).startswith(f"t{int(number)}-")
        assert mail["Reply-To"] is None  # the sub-address only when turned on

    def test_a_long_subject_with_control_characters_is_quoted_cut_and_on_one_line(
            self, api: Api, smtp: SmtpSink) -> None:
        long = "Urgent\tprinter " + "very " * 100 + "broken"
        number, mail = acknowledged(api, smtp, subject=long)
        assert mail["Subject"].startswith(f"[Ticket #{number}] Urgent printer very")
        assert len(mail["Subject"]) <= len(f"[Ticket #{number}] ") + 120
        assert mail["Subject"].endswith("…")
        text = plain(mail)
        quoted = text.split('message "')[1].split('"')[0]
        assert len(quoted) == 120 and "\t" not in quoted

    def test_an_html_template_gives_an_alternative_with_escaped_fields(
            self, api: Api, smtp: SmtpSink) -> None:
        api.patch("/api/v1/connector", {
            "from_name": "Acme IT Support", "reply_subaddress": True,
            "acknowledgement_html_body": "<html><body><p>Hello{name}, ticket <b>{number}</b>: "
                                         "{subject}</p></body></html>"})
        number, mail = acknowledged(api, smtp, subject="<script>alert(1)</script>")
        html = mail.get_body(("html",)).get_content().replace("\r\n", "\n")
        assert f"<b>{number}</b>" in html and "&lt;script&gt;" in html and "<script>" not in html
        assert "Reference: t" in html and html.rstrip().endswith("</body></html>")
        assert parseaddr(mail["From"])[0] == "Acme IT Support"
        reply_to = mail["Reply-To"]
        assert reply_to.startswith(f"support+t{int(number)}-") and reply_to.endswith("@msp.example")

    def test_the_preview_renders_a_sample_and_unsaved_templates_without_sending(
            self, api: Api, smtp: SmtpSink) -> None:
        shown = api.post("/api/v1/connector/acknowledgement-preview", {
            "sender_name": "Bob\r\nJones", "subject": "x" * 500, "ticket_number": 42}, status=200)
        assert shown["subject"].startswith("[Ticket #0000042] xxx") and "\n" not in shown["subject"]
        assert shown["text"].startswith("Hello Bob Jones,\n\nWe have received")
        assert REFERENCE.search(shown["text"]).group(1).startswith("t42-")
        tried = api.post("/api/v1/connector/acknowledgement-preview", {
            "body_template": "Dear{name}, ticket {number} is open.\n{team}"}, status=200)
        assert tried["text"].startswith("Dear Bob Jones, ticket 0000123 is open.\nEmail Connector")
        assert api.client.post("/api/v1/connector/acknowledgement-preview",
                               json={"body_template": "{nope}"},
                               headers=api.headers).status_code == 422
        assert smtp.messages == []
        assert api.client.post("/api/v1/connector/acknowledgement-preview", json={}).status_code == 401


class TestRepliesThatLoseTheirClues:
    def test_a_reply_with_a_new_subject_and_no_headers_threads_by_the_quoted_reference(
            self, api: Api, smtp: SmtpSink) -> None:
        number, ack = acknowledged(api, smtp)
        line = REFERENCE.search(plain(ack)).group(0)
        reply = api.deliver(make_email(subject="AW: Drucker", body=f"Geht wieder.\n\n> {line}\n"))
        assert reply["outcome"] == "filed_customer_reply" and reply["ticket_number"] == number
        assert "signed reply reference" in reply["reason"]

    def test_a_reply_to_the_sub_address_threads_by_the_envelope_recipient(
            self, api: Api, smtp: SmtpSink) -> None:
        number, ack = acknowledged(api, smtp)
        token = REFERENCE.search(plain(ack)).group(1)
        reply = api.deliver(make_email(subject="thanks", to=f"support+{token}@msp.example"))
        assert reply["ticket_number"] == number and "signed reply reference" in reply["reason"]

    def test_a_forged_reference_starts_a_new_ticket(self, api: Api, smtp: SmtpSink) -> None:
        number, _ = acknowledged(api, smtp)
        forged = f"t{int(number)}-aaaaaaaaaa"
        reply = api.deliver(make_email(subject="hi", body=f"> Reference: {forged}\n"))
        assert reply["outcome"] == "ticket_created" and reply["ticket_number"] != number

    def test_a_bare_number_from_a_stranger_says_so_and_the_forward_asks_to_check(
            self, api: Api, smtp: SmtpSink) -> None:
        number, _ = acknowledged(api, smtp)
        reply = api.deliver(make_email(sender="Mallory <mallory@elsewhere.example>",
                                       subject=f"Re: [Ticket #{number}]"))
        assert reply["outcome"] == "filed_customer_reply"
        assert "is neither the ticket's contact" in reply["reason"]
        forward = parsed(smtp.wait_for(2)[1].data)
        assert "Check: the ticket number in the subject is the only clue" in \
            plain(forward)
