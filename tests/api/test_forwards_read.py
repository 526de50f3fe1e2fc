"""Forwards as a technician reads them in the team's mail client (issue 12, class 7): a subject
tag, the sender's name with our address, one thread per ticket, the reason in words, and the
customer's files at the top level next to the untouched original."""

from __future__ import annotations

import base64
from email.utils import parseaddr

from tests.api.conftest import Api
from tests.api.test_flows import TEAM, attached_original, parsed
from tests.conftest import SmtpSink
from tests.mail import email as make_email

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <</Type/Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def outlook_reply(subject: str, *, sender: str = "Bob Jones <bob@acme.example>",
                  to: str | None = "support@msp.example") -> bytes:
    """The shape Outlook sends: mixed > related > alternative (plain, HTML), an inline image
    referenced by cid, and a PDF; CRLF, base64 wrapped at 76 columns."""
    def b64(data: bytes) -> str:
        return base64.encodebytes(data).decode().replace("\n", "\r\n")
    head = (f"From: {sender}\r\n" + (f"To: {to}\r\n" if to else "")
            + f"Subject: {subject}\r\nDate: Tue, 1 Dec 2026 09:14:03 +0000\r\n"
            "Message-ID: <DB9PR10MB5522A1@DB9PR10MB5522.EURPRD10.PROD.OUTLOOK.COM>\r\n"
            "Thread-Topic: Printer\r\nContent-Language: en-GB\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed;\r\n\tboundary="_004_DB9PR10MB5522A1_"\r\n\r\n')
    return (head + "--_004_DB9PR10MB5522A1_\r\n"
            'Content-Type: multipart/related;\r\n\tboundary="_003_DB9PR10MB5522A1_";\r\n'
            '\ttype="multipart/alternative"\r\n\r\n'
            "--_003_DB9PR10MB5522A1_\r\n"
            'Content-Type: multipart/alternative;\r\n\tboundary="_000_DB9PR10MB5522A1_"\r\n\r\n'
            "--_000_DB9PR10MB5522A1_\r\n"
            'Content-Type: text/plain; charset="iso-8859-1"\r\n'
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
            "Still offline, see the screenshot and the report. Gr=FC=DFe\r\n\r\n"
            "--_000_DB9PR10MB5522A1_\r\n"
            'Content-Type: text/html; charset="iso-8859-1"\r\n'
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
            '<html><body><p>Still offline</p><img src=3D"cid:image001.png@01DB43"></body></html>\r\n\r\n'
            "--_000_DB9PR10MB5522A1_--\r\n\r\n"
            "--_003_DB9PR10MB5522A1_\r\n"
            'Content-Type: image/png; name="image001.png"\r\n'
            'Content-Description: image001.png\r\n'
            'Content-Disposition: inline; filename="image001.png"; size=1032\r\n'
            "Content-ID: <image001.png@01DB43>\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + b64(PNG) + "\r\n"
            "--_003_DB9PR10MB5522A1_--\r\n\r\n"
            "--_004_DB9PR10MB5522A1_\r\n"
            'Content-Type: application/pdf; name="printer report.pdf"\r\n'
            'Content-Disposition: attachment;\r\n\tfilename="printer report.pdf"; size=97\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n"
            + b64(PDF) + "\r\n"
            "--_004_DB9PR10MB5522A1_--\r\n").encode("ascii")


def files(mail: bytes) -> dict[str, bytes]:
    """The forward's own top-level attachments (not those inside the original)."""
    return {part.get_filename(): part.get_payload(decode=True)
            for part in parsed(mail).iter_attachments()
            if part.get_content_type() != "message/rfc822"}


class TestForwardsTheTeamCanTriage:
    def test_an_unknown_senders_mail_says_so_with_their_name_our_address_and_their_files(
            self, api: Api, smtp: SmtpSink) -> None:
        raw = outlook_reply("Printer on floor 2", sender="Bob Jones <bob@elsewhere.example>")
        api.deliver(raw)
        forward = smtp.wait_for(1)[0]
        mail = parsed(forward.data)
        assert mail["Subject"] == "[Unrecognized] Printer on floor 2"
        assert parseaddr(mail["From"]) == ("Bob Jones via Email Connector", "support@msp.example")
        assert mail["Reply-To"] == "bob@elsewhere.example"
        lines = mail.get_body(("plain",)).get_content().splitlines()
        assert lines[0] == ("Bob Jones <bob@elsewhere.example> is not a known customer: the "
                            "address matches no account, so no ticket was opened.")
        assert files(forward.data) == {"printer report.pdf": PDF, "image001.png": PNG}
        assert attached_original(forward.data) == raw  # still byte for byte, and first
        assert mail["In-Reply-To"] is None  # no ticket, no thread

    def test_forwards_about_one_ticket_thread_together_and_name_it(
            self, api: Api, smtp: SmtpSink) -> None:
        api.account("Acme", email="acme.example")
        number = api.deliver(make_email())["ticket_number"]
        smtp.wait_for(1)
        api.deliver(outlook_reply(f"RE: [Ticket #{number}] Printer is offline"))
        api.deliver(make_email(subject=f"Re: [Ticket #{number}] one more thing"))
        first, second = (parsed(m.data) for m in smtp.wait_for(3)[1:])
        assert first["Subject"] == f"[Reply #{number}] RE: [Ticket #{number}] Printer is offline"
        assert first["References"] == second["References"] == first["In-Reply-To"]
        assert first["Message-ID"] != second["Message-ID"]
        assert number in first["References"]
        lines = first.get_body(("plain",)).get_content().splitlines()
        assert lines[0] == (f"Bob Jones <bob@acme.example> replied on ticket {number}. The reply "
                            "is filed under the ticket.")
        assert lines[1] == f"Matched by ticket number {number} in the subject."
        text = "\n".join(lines)
        assert "active employee" not in text and "Details: filed under ticket" in text

    def test_the_subject_tags_are_settings(self, api: Api, smtp: SmtpSink) -> None:
        api.patch("/api/v1/connector", {"forward_tag_unrecognized": "[New sender]",
                                        "from_name": "Acme IT Support"})
        api.deliver(make_email(sender="Eve <eve@elsewhere.example>", subject="Hello"))
        mail = parsed(smtp.wait_for(1)[0].data)
        assert mail["Subject"] == "[New sender] Hello"
        assert parseaddr(mail["From"])[0] == "Eve via Acme IT Support"

    def test_a_message_with_no_to_gives_no_empty_to_line_and_a_hostile_name_stays_one_line(
            self, api: Api, smtp: SmtpSink) -> None:
        name = "=?utf-8?b?" + base64.b64encode(("Evil\r\nBcc: x@y.example " + "A" * 300)
                                               .encode()).decode() + "?="
        api.deliver(outlook_reply("Bcc only", sender=f"{name} <eve@elsewhere.example>", to=None))
        forward = smtp.wait_for(1)[0]
        assert forward.rcpt_tos == [TEAM]
        mail = parsed(forward.data)
        assert mail["To"] == TEAM and mail["Bcc"] is None
        shown = parseaddr(mail["From"])[0]
        assert "\n" not in shown and len(shown) <= 64 + len(" via Email Connector")
        body = mail.get_body(("plain",)).get_content()
        assert "\nTo:" not in body and "\nTo: \n" not in body
