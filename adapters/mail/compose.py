"""Building the messages we send: forwards of the untouched original, acknowledgements, tests.

Outbound rows store what to say (recipients, subject, body, extra headers); the bytes are built
at delivery time, so the original is read once, when it is actually sent.
"""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass, field
from email.message import EmailMessage, MIMEPart
from email.policy import SMTP
from email.utils import format_datetime, formataddr

from adapters.persistence.types import utcnow

_LINE_ENDINGS = re.compile(rb"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class OutgoingMail:
    mail_from: str
    to: list[str]
    subject: str
    body: str
    message_id: str
    headers: dict[str, str] = field(default_factory=dict)
    from_name: str = "Email Connector"


def new_message_id(domain: str, hint: str = "") -> str:
    """A Message-ID of ours (without brackets): random, and recognizable by its domain."""
    token = secrets.token_hex(12)
    return f"{hint}.{token}@{domain}" if hint else f"{token}@{domain}"


def compose(mail: OutgoingMail, *, original: bytes | None = None, allow_8bit: bool = True) -> bytes:
    """The message as bytes (CRLF line endings), with the original attached when given.

    The original is attached byte for byte as message/rfc822 (RFC 2046 §5.2.1 allows only
    7bit/8bit/binary there, so it is never re-encoded). When it cannot travel that way (bare
    8-bit to a server without 8BITMIME, NUL bytes, lines over 998 octets) it is attached as
    base64 application/octet-stream "original.eml", which decodes to the very same bytes.
    """
    # 7bit only for ASCII in lines SMTP carries (998 octets); quoted-printable wraps them: an
    # acknowledgement quoting a 998-character subject was refused ("500 Line too long").
    short = all(len(line) <= 998 for line in mail.body.splitlines())
    cte = "7bit" if mail.body.isascii() and short else "quoted-printable"
    if original is None:
        single = EmailMessage(policy=SMTP)
        single.set_content(mail.body, cte=cte)
        _set_headers(single, mail)
        return single.as_bytes(policy=SMTP)

    text = MIMEPart(policy=SMTP)
    text.set_content(mail.body, cte=cte)
    outer = EmailMessage(policy=SMTP)
    _set_headers(outer, mail)
    boundary = f"=_ec_{secrets.token_hex(16)}"
    outer["MIME-Version"] = "1.0"
    outer["Content-Type"] = f'multipart/mixed; boundary="{boundary}"'
    head = b"".join(SMTP.fold_binary(name, value) for name, value in outer.items())
    body_part = text.as_bytes(policy=SMTP)
    attached = _attach_original(original, allow_8bit)
    b = boundary.encode()
    return b"".join([
        head, b"\r\n",
        b"This is a multi-part message in MIME format.\r\n",
        b"--", b, b"\r\n", body_part, b"\r\n",
        b"--", b, b"\r\n", attached, b"\r\n",
        b"--", b, b"--\r\n",
    ])


def _attach_original(original: bytes, allow_8bit: bool) -> bytes:
    # SMTP carries CRLF line endings (RFC 5321 §2.3.8): that is the one change allowed.
    data = _LINE_ENDINGS.sub(b"\r\n", original)
    longest = max((len(line) for line in data.split(b"\r\n")), default=0)
    seven_bit = data.isascii() and b"\x00" not in data
    if longest <= 998 and (seven_bit or (allow_8bit and b"\x00" not in data)):
        encoding = b"7bit" if seven_bit else b"8bit"
        return (b"Content-Type: message/rfc822\r\n"
                b"Content-Disposition: attachment; filename=\"original.eml\"\r\n"
                b"Content-Transfer-Encoding: " + encoding + b"\r\n\r\n" + data)
    encoded = base64.encodebytes(original).replace(b"\n", b"\r\n")
    return (b"Content-Type: application/octet-stream; name=\"original.eml\"\r\n"
            b"Content-Disposition: attachment; filename=\"original.eml\"\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" + encoded)


def _set_headers(msg: EmailMessage, mail: OutgoingMail) -> None:
    msg["From"] = formataddr((mail.from_name, mail.mail_from))
    msg["To"] = ", ".join(mail.to)
    msg["Subject"] = mail.subject
    msg["Date"] = format_datetime(utcnow())
    msg["Message-ID"] = f"<{mail.message_id}>"
    for name, value in mail.headers.items():
        msg[name] = value
