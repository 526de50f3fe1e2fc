"""Building test messages with the standard library."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid


def email(
    *,
    sender: str = "Bob Jones <bob@acme.example>",
    to: str = "support@msp.example",
    subject: str = "Printer is offline",
    body: str = "Hello,\n\nthe printer on floor 2 is offline.\n\nBob\n",
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, str, bytes]] | None = None,
    html: str | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = message_id or make_msgid(domain="acme.example")
    msg["Date"] = "Fri, 27 Nov 2026 10:00:00 +0000"
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    if html:
        msg.add_alternative(html, subtype="html")
    for filename, ctype, data in attachments or []:
        maintype, subtype = ctype.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()
