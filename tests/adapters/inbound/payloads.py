"""Realistic provider payloads, all derived from one reference message.

Each builder takes the parts of a raw message (as a provider's parser would see them) and lays
them out the way that provider posts them (docs/providers.md), so a test can check that the
payload becomes the same message as the raw bytes.
"""

from __future__ import annotations

import base64
import email
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage, Message
from email.policy import compat32, default
from urllib.parse import urlencode

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from adapters.inbound.base import WebhookRequest
from adapters.inbound.sns import string_to_sign
from adapters.mail.documents import extract_document
from adapters.mail.headers import parse_message

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
PDF = b"%PDF-1.4\n" + secrets.token_bytes(3000) + b"\n%%EOF\n"
CRLF_POLICY = default.clone(linesep="\r\n")


def reference_message(*, sender: str = "Bob Jones <bob@acme.example>",
                      message_id: str = "<ref-1@acme.example>", pdf: bytes = PDF) -> bytes:
    """A support request as it travels over SMTP: CRLF, Latin-1 text, HTML, inline image, PDF."""
    msg = EmailMessage()
    msg["Return-Path"] = "<bounce@acme.example>"
    msg["Received"] = "from mail.acme.example by mx.provider.example; Fri, 27 Nov 2026 10:00:01 +0000"
    msg["From"] = sender
    msg["To"] = "Support <support@msp.example>"
    msg["Subject"] = "Imprimante hors ligne – étage 2"
    msg["Date"] = "Fri, 27 Nov 2026 10:00:00 +0000"
    msg["Message-ID"] = message_id
    msg.set_content("Bonjour,\n\nl'imprimante de l'étage 2 est hors ligne. Voir la pièce "
                    "jointe.\n\nBob\n", charset="iso-8859-1", cte="quoted-printable")
    msg.add_alternative('<p>Bonjour,</p><p>l\'imprimante de l\'étage 2 est hors ligne.</p>'
                        '<img src="cid:logo@acme.example"></p>', subtype="html")
    msg.get_payload()[1].add_related(PNG, maintype="image", subtype="png",
                                     cid="<logo@acme.example>", filename="logo.png",
                                     disposition="inline")
    msg.add_attachment(pdf, maintype="application", subtype="pdf", filename="rapport-étage.pdf")
    return msg.as_bytes(policy=CRLF_POLICY)


@dataclass
class Parts:
    """A raw message as a parsing provider sees it."""

    raw: bytes
    headers: list[tuple[str, str]]
    text: bytes | None = None
    text_charset: str = "utf-8"
    html: bytes | None = None
    html_charset: str = "utf-8"
    files: list[dict[str, object]] = field(default_factory=list)

    def header(self, name: str) -> str:
        return next(v for n, v in self.headers if n.lower() == name.lower())

    @property
    def text_str(self) -> str:
        return (self.text or b"").decode(self.text_charset)

    @property
    def html_str(self) -> str:
        return (self.html or b"").decode(self.html_charset)


def split(raw: bytes) -> Parts:
    msg = email.message_from_bytes(raw, policy=compat32)
    decoded = email.message_from_bytes(raw, policy=default)
    headers = [(n, str(v)) for n, v in decoded.items()]  # decoded values, as providers post
    parts = Parts(raw, headers)
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        filename = part.get_filename()
        payload = part.get_payload(decode=True)
        if ctype == "text/plain" and not filename and parts.text is None:
            parts.text, parts.text_charset = payload, part.get_content_charset() or "utf-8"
        elif ctype == "text/html" and not filename and parts.html is None:
            parts.html, parts.html_charset = payload, part.get_content_charset() or "utf-8"
        else:
            cid = part.get("content-id")
            parts.files.append({"filename": _decoded_filename(part), "type": ctype,
                                "data": payload, "cid": cid.strip("<>") if cid else None})
    return parts


def _decoded_filename(part: Message) -> str | None:
    name = part.get_filename()
    return str(email.header.make_header(email.header.decode_header(name))) if name else None


def document(raw: bytes) -> dict[str, object]:
    """What processing keeps of a message (the core's own extraction), for comparisons."""
    doc = extract_document(parse_message(raw))
    return {"text": doc.text, "html": doc.html, "date": doc.date,
            "attachments": sorted((a.filename, a.content_type, a.content_id, a.inline, a.data)
                                  for a in doc.attachments)}


def request(body: bytes, content_type: str, *, url: str = "https://connector.example/inbound/x",
            headers: dict[str, str] | None = None) -> WebhookRequest:
    return WebhookRequest.build("POST", url, [("Content-Type", content_type),
                                              *(headers or {}).items()], body)


# --- form bodies ---------------------------------------------------------------------------------

def multipart(fields: list[tuple[str, bytes | str | tuple[str, str, bytes]]]) -> tuple[bytes, str]:
    """multipart/form-data: (name, value) or (name, (filename, content type, bytes))."""
    boundary = "xYzZY" + secrets.token_hex(8)
    out = bytearray()
    for name, value in fields:
        out += f"--{boundary}\r\n".encode()
        if isinstance(value, tuple):
            filename, ctype, data = value
            out += (f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                    f"Content-Type: {ctype}\r\n\r\n").encode()
        else:
            out += f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            data = value.encode("utf-8") if isinstance(value, str) else value
        out += data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


def urlencoded(fields: list[tuple[str, str | bytes]]) -> tuple[bytes, str]:
    return urlencode(fields).encode(), "application/x-www-form-urlencoded"


# --- provider payloads ---------------------------------------------------------------------------

def mailgun_fields(parts: Parts, *, recipient: str = "support@msp.example") -> list:
    fields: list = [
        ("recipient", recipient), ("sender", "bounce@acme.example"),
        ("from", parts.header("From")), ("subject", parts.header("Subject")),
        ("body-plain", (parts.text or b"").decode(parts.text_charset).encode("utf-8")),
        ("body-html", (parts.html or b"").decode(parts.html_charset).encode("utf-8")),
        ("stripped-text", "Bonjour"),
        ("message-headers", json.dumps([[n, v] for n, v in parts.headers]
                                       + [["X-Mailgun-Sflag", "No"], ["X-Mailgun-Sscore", "0.3"]])),
        ("attachment-count", str(len(parts.files))),
    ]
    cids = {}
    for i, f in enumerate(parts.files, 1):
        fields.append((f"attachment-{i}", (f["filename"], f["type"], f["data"])))
        if f["cid"]:
            cids[f"<{f['cid']}>"] = f"attachment-{i}"
    fields.append(("content-id-map", json.dumps(cids)))
    return fields


def sendgrid_fields(parts: Parts) -> list:
    head = parts.raw.split(b"\r\n\r\n", 1)[0]
    info = {f"attachment{i}": {"filename": f["filename"], "name": f["filename"], "type": f["type"],
                               **({"content-id": f["cid"]} if f["cid"] else {})}
            for i, f in enumerate(parts.files, 1)}
    fields: list = [
        ("headers", head), ("dkim", "{@acme.example : pass}"),
        ("to", parts.header("To")), ("from", parts.header("From")),
        ("subject", parts.header("Subject")), ("text", parts.text), ("html", parts.html),
        ("sender_ip", "192.0.2.10"), ("spam_score", "2.597"), ("spam_report", "Spam detection..."),
        ("envelope", json.dumps({"to": ["support@msp.example"], "from": "bounce@acme.example"})),
        ("attachments", str(len(parts.files))), ("attachment-info", json.dumps(info)),
        ("charsets", json.dumps({"to": "UTF-8", "from": "UTF-8", "subject": "UTF-8",
                                 "text": parts.text_charset, "html": parts.html_charset})),
        ("SPF", "pass"),
    ]
    fields += [(f"attachment{i}", (f["filename"], f["type"], f["data"]))
               for i, f in enumerate(parts.files, 1)]
    return fields


def postmark_payload(parts: Parts, *, raw: bool = False, message_id: str | None = None) -> dict:
    def person(value: str) -> dict:
        name, addr = email.utils.parseaddr(value)
        return {"Email": addr, "Name": name, "MailboxHash": ""}

    skip = {"from", "to", "cc", "subject", "date", "reply-to", "return-path", "mime-version",
            "content-type"}
    payload = {
        "FromName": person(parts.header("From"))["Name"], "MessageStream": "inbound",
        "From": person(parts.header("From"))["Email"], "FromFull": person(parts.header("From")),
        "To": parts.header("To"),
        "ToFull": [person(parts.header("To"))],
        "Cc": "", "CcFull": [], "Bcc": "", "BccFull": [],
        "OriginalRecipient": "support+4711@msp.example", "ReplyTo": "",
        "Subject": parts.header("Subject"),
        "MessageID": message_id or "b7bc2f4a-e38e-4336-af7d-e6c392c2f817",
        "Date": parts.header("Date"), "MailboxHash": "4711",
        "TextBody": parts.text_str, "HtmlBody": parts.html_str,
        "StrippedTextReply": "Bonjour", "Tag": "",
        "Headers": [{"Name": "Return-Path", "Value": "<bounce@acme.example>"},
                    {"Name": "X-Spam-Status", "Value": "No"},
                    {"Name": "X-Spam-Score", "Value": "-0.1"}]
                   + [{"Name": n, "Value": v} for n, v in parts.headers if n.lower() not in skip],
        "Attachments": [{"Name": f["filename"], "ContentType": f["type"],
                         "Content": base64.b64encode(f["data"]).decode(),  # type: ignore[arg-type]
                         "ContentLength": len(f["data"]),  # type: ignore[arg-type]
                         "ContentID": f["cid"] or ""} for f in parts.files],
    }
    if raw:
        payload["RawEmail"] = parts.raw.decode("utf-8", "surrogateescape")
    return payload


def mailjet_payload(parts: Parts) -> dict:
    headers: dict[str, object] = {}
    single = {"date", "from", "sender", "reply-to", "to", "cc", "bcc", "message-id",
              "in-reply-to", "references", "subject"}
    for name, value in parts.headers:
        if name.lower() in single:
            headers[name] = value
        else:
            headers.setdefault(name, []).append(value)  # type: ignore[union-attr]
    payload: dict[str, object] = {
        "Sender": "bounce@acme.example", "Recipient": "support@msp.example",
        "Date": "20261127T100000", "From": parts.header("From"), "Subject": parts.header("Subject"),
        "Headers": headers, "Text-part": parts.text_str, "Html-part": parts.html_str,
        "SpamAssassinScore": "0.602",
        "Parts": [{"Headers": {"Content-Type": f"text/plain; charset={parts.text_charset}"},
                   "ContentRef": "Text-part"},
                  {"Headers": {"Content-Type": "text/html; charset=utf-8"},
                   "ContentRef": "Html-part"}],
    }
    for i, f in enumerate(parts.files, 1):
        ref = f"InlineAttachment{i}" if f["cid"] else f"Attachment{i}"
        part_headers = {"Content-Type": f'{f["type"]}; name="{f["filename"]}"',
                        "Content-Transfer-Encoding": "base64",
                        "Content-Disposition": ("inline" if f["cid"] else "attachment")
                        + f'; filename="{f["filename"]}"'}
        if f["cid"]:
            part_headers["Content-ID"] = f"<{f['cid']}>"
        payload["Parts"].append({"Headers": part_headers, "ContentRef": ref})  # type: ignore[union-attr]
        payload[ref] = base64.b64encode(f["data"]).decode()  # type: ignore[arg-type]
    return payload


def brevo_item(parts: Parts) -> tuple[dict, dict[str, tuple[bytes, str]]]:
    """A Brevo item, and the attachments its API serves by DownloadToken."""
    headers: dict[str, object] = {}
    for name, value in parts.headers:
        if name in headers:
            previous = headers[name]
            headers[name] = (previous if isinstance(previous, list) else [previous]) + [value]
        else:
            headers[name] = value
    files = {f"token-{i}": (f["data"], str(f["type"])) for i, f in enumerate(parts.files)}
    item = {"Uuid": [f"uuid-{secrets.token_hex(4)}"], "MessageId": parts.header("Message-ID"),
            "Subject": parts.header("Subject"), "Headers": headers, "SpamScore": 1.5,
            "RawTextBody": parts.text_str, "RawHtmlBody": parts.html_str,
            "Attachments": [{"Name": f["filename"], "ContentType": f["type"],
                             "ContentLength": len(f["data"]),  # type: ignore[arg-type]
                             "ContentID": f["cid"], "DownloadToken": f"token-{i}"}
                            for i, f in enumerate(parts.files)]}
    return item, files


# --- Amazon SNS ----------------------------------------------------------------------------------

TOPIC = "arn:aws:sns:us-east-1:111111111111:SES_Inbound"
CERT_URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem"


@dataclass
class SnsSigner:
    """A self-made signing certificate standing in for SNS's."""

    key: rsa.RSAPrivateKey
    pem: bytes

    @classmethod
    def create(cls) -> SnsSigner:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
        now = datetime.now(UTC)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
                .sign(key, hashes.SHA256()))
        return cls(key, cert.public_bytes(serialization.Encoding.PEM))

    def sign(self, message: dict, version: str = "1") -> dict:
        signed = {**message, "SignatureVersion": version, "SigningCertURL": CERT_URL}
        algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()
        signature = self.key.sign(string_to_sign(signed), padding.PKCS1v15(), algorithm)
        return {**signed, "Signature": base64.b64encode(signature).decode()}


def ses_notification(raw: bytes, *, encoding: str = "BASE64", message_id: str = "jili9m351il3",
                     spam: str = "PASS", with_content: bool = True) -> dict:
    action = ({"type": "SNS", "topicArn": TOPIC, "encoding": encoding} if with_content else
              {"type": "S3", "topicArn": TOPIC, "bucketName": "mail", "objectKey": message_id})
    notification = {
        "notificationType": "Received",
        "mail": {"timestamp": "2026-11-27T10:00:02.000Z", "source": "bounce@acme.example",
                 "messageId": message_id, "destination": ["support@msp.example"],
                 "headersTruncated": False, "headers": [], "commonHeaders": {}},
        "receipt": {"timestamp": "2026-11-27T10:00:02.000Z", "processingTimeMillis": 357,
                    "recipients": ["support@msp.example"], "spamVerdict": {"status": spam},
                    "virusVerdict": {"status": "PASS"}, "spfVerdict": {"status": "PASS"},
                    "dkimVerdict": {"status": "PASS"}, "dmarcVerdict": {"status": "PASS"},
                    "action": action},
    }
    if with_content:
        notification["content"] = (base64.b64encode(raw).decode() if encoding.upper() == "BASE64"
                                   else raw.decode("utf-8"))
    return {"Type": "Notification", "MessageId": "8f6dee70-c885-558a-be7d-bd48bbf5335e",
            "TopicArn": TOPIC, "Subject": "Amazon SES Email Receipt Notification",
            "Message": json.dumps(notification),
            # Now: SesWebhook refuses notifications older than SNS's retry window (1 h).
            "Timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe"}


def subscription_confirmation(topic: str = TOPIC) -> dict:
    return {"Type": "SubscriptionConfirmation", "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
            "Token": "2336412f37f", "TopicArn": topic,
            "Message": "You have chosen to subscribe to the topic.\nTo confirm, visit the "
                       "SubscribeURL included in this message.",
            "SubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription"
                            f"&TopicArn={topic}&Token=2336412f37f",
            "Timestamp": "2026-11-27T10:00:00.751Z"}


class FakeSns:
    """The SnsHttp port: serves the test certificate and records every GET."""

    def __init__(self, pem: bytes) -> None:
        self.pem = pem
        self.fetched: list[str] = []

    def get(self, url: str) -> bytes:
        self.fetched.append(url)
        return self.pem if url.endswith(".pem") else b"<ConfirmSubscriptionResponse/>"
