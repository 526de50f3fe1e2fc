"""The values a message carries through the pipeline, between the ports.

Inbound adapters produce `InboundDelivery`s, ingest stores `PreparedDelivery`s and answers
`Stored`, the worker claims `Claimed` messages, the reader turns raw bytes into a `ReadMessage`
(the rules' view and the document a filing keeps), and mail we send is an `OutgoingMail` in the
outbox until it is delivered as a `DueMail`. Plain dataclasses: every adapter and the
application layer share them through this one module (adapters never import each other).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime

from domain.model import MessageView


@dataclass(frozen=True, slots=True)
class InboundDelivery:
    """One message as a provider (or relay, or mailbox) handed it over."""

    raw: bytes
    source: str
    envelope_from: str | None = None
    envelope_to: tuple[str, ...] = ()
    provider_event_id: str | None = None
    spam_score: float | None = None
    spam_verdict: str | None = None


# The spam verdicts recorded on inbound messages; None when the provider gives no yes/no answer.
SPAM = "spam"
NOT_SPAM = "not_spam"


@dataclass(frozen=True, slots=True)
class HeaderSummary:
    """What ingest records from the headers: enough for dedupe keys and the processing log."""

    message_id: str | None
    from_address: str | None
    to: list[str] = field(default_factory=list)
    subject: str = ""


@dataclass(frozen=True, slots=True)
class ReplayToken:
    """A signed token a provider must never present twice (Mailgun), kept until it expires."""

    provider: str
    token: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class PreparedDelivery:
    delivery: InboundDelivery
    summary: HeaderSummary
    sha256: str
    keys: list[str]
    replay: ReplayToken | None = None


@dataclass(frozen=True, slots=True)
class Stored:
    id: int
    status: str  # "queued" | "duplicate" | "replayed" (nothing stored: the token was used)
    duplicate_of: int | None = None


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    token: str
    generation: int
    source: str
    envelope_from: str | None
    envelope_to: tuple[str, ...]
    received_at: datetime


@dataclass(frozen=True, slots=True)
class Finished:
    """A processed message's outcome, to be recorded while its claim holds."""

    claimed: Claimed
    outcome: str
    reason: str
    ticket_id: int | None


@dataclass(frozen=True, slots=True)
class ExtractedAttachment:
    """`data` is bytes, except in a reader child, where a large file is a view of the message
    it was decoded in (adapters/mail/transfer.py); the child hands it over as bytes."""

    filename: str
    content_type: str
    data: bytes | memoryview
    content_id: str | None = None
    inline: bool = False


@dataclass(slots=True)
class ExtractedDocument:
    text: str = ""
    html: str | None = None
    reply_text: str = ""
    date: datetime | None = None
    attachments: list[ExtractedAttachment] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ReadMessage:
    view: MessageView
    document: ExtractedDocument


@dataclass(frozen=True, slots=True)
class OutgoingMail:
    """A mail we send, as authored: what the outbox stores and the mailer composes."""

    mail_from: str
    to: list[str]
    subject: str
    body: str
    message_id: str
    headers: dict[str, str] = field(default_factory=dict)
    from_name: str = "Email Connector"
    bcc: list[str] = field(default_factory=list)
    html: str | None = None  # an HTML alternative of the body (acknowledgements, when set)


@dataclass(frozen=True, slots=True)
class QueuedMail:
    """An OutgoingMail with what the outbox keeps about it."""

    kind: str  # OutboxKind
    mail: OutgoingMail
    purpose_key: str | None = None  # unique per (inbound message, generation, purpose)
    inbound_message_id: int | None = None
    ticket_id: int | None = None
    attach_original: bool = False
    origin: str | None = None  # the sender a forward was about (the per-sender forward cap)


@dataclass(frozen=True, slots=True)
class DueMail:
    id: int
    kind: str
    mail: OutgoingMail
    attach_original: bool
    inbound_message_id: int | None
    attempts: int


def new_message_id(domain: str, hint: str = "") -> str:
    """A Message-ID of ours (without brackets): random, and recognizable by its domain."""
    token = secrets.token_hex(12)
    return f"{hint}.{token}@{domain}" if hint else f"{token}@{domain}"


@dataclass(frozen=True, slots=True)
class FiledDocument:
    """A document of a ticket: a filed email, an API or an XML entry."""

    kind: str  # DocumentKind
    subject: str | None
    text: str
    reply_text: str
    html: str | None = None
    date: datetime | None = None
    from_address: str | None = None
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    message_id: str | None = None
    inbound_message_id: int | None = None
    attachments: tuple[ExtractedAttachment, ...] | list[ExtractedAttachment] = ()


@dataclass(frozen=True, slots=True)
class Origin:
    """Where an XML transaction came from, for the documents of the tickets it writes."""

    inbound_message_id: int | None = None
    from_address: str | None = None
    message_id: str | None = None


@dataclass(frozen=True, slots=True)
class ReadJob:
    key: int
    raw: bytes
    envelope_from: str | None
    xml_enabled: bool = False


@dataclass(frozen=True, slots=True)
class SmtpServer:
    """The outgoing mail server, as the settings say at the moment of use."""

    host: str
    port: int
    security: str = "none"  # none | starttls | tls
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # never in a log or traceback
    timeout: float = 30.0


@dataclass(frozen=True, slots=True)
class OAuth2Grant:
    """How a polled mailbox obtains OAuth2 access tokens for XOAUTH2 logins (the settings'
    CONNECTOR_IMAP_OAUTH2_* / CONNECTOR_POP3_OAUTH2_*; adapters/mailbox/oauth2.py uses it)."""

    # microsoft_app (client credentials) | microsoft_refresh_token | google_refresh_token |
    # google_service_account | refresh_token (any RFC 6749 §6 token endpoint)
    flow: str | None
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    tenant: str | None = None  # Microsoft: the directory (tenant) ID or a verified domain
    token_url: str | None = None  # the token endpoint; for Microsoft the authority
    scope: str | None = None  # None: the flow's default
    service_account_file: str | None = None  # Google: the key file (JSON)
    subject: str | None = None  # the mailbox user (a Google service account acts as it)


@dataclass(frozen=True, slots=True)
class MailboxServer:
    """A mailbox the pollers take mail from, as the settings say at the moment of use."""

    name: str  # in the source of its deliveries ("imap:<name>") and its health
    host: str
    port: int
    security: str = "tls"  # tls | starttls | none
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # never in a log or traceback
    folder: str = "INBOX"
    processed_folder: str | None = None  # None: flag instead of moving
    timeout: float = 60.0
    protocol: str = "imap"  # imap | pop3 (POP3 has no folders: folder is "")
    delete: bool = False  # POP3: delete from the server once stored
    poll_seconds: float = 30.0  # how long to wait between looks (IMAP IDLE wakes sooner)
    oauth2: OAuth2Grant | None = None  # set: log in with XOAUTH2 instead of the password

    @property
    def state_key(self) -> str:
        """What its stored position is kept under: another server or folder starts afresh."""
        return f"{self.protocol}://{self.username or ''}@{self.host}:{self.port}/{self.folder}"


@dataclass(frozen=True, slots=True)
class MailboxHealth:
    """A polled mailbox's state as its poller last saw it (/readyz, the metrics)."""

    name: str
    connected: bool = False
    last_success: datetime | None = None
    last_error: str | None = None
    taken: int = 0  # messages stored (not counting duplicates)


@dataclass(frozen=True, slots=True)
class MailboxPosition:
    """How far a mailbox was taken: every UID up to `last_uid` of this UIDVALIDITY is stored
    (RFC 9051 §2.3.1.1: UIDs only mean the same messages while UIDVALIDITY stays)."""

    uidvalidity: int
    last_uid: int


@dataclass(frozen=True, slots=True)
class InboundFilter:
    """Which processing-log entries to list (GET /api/v1/inbound-messages, the console's log).

    `sender` and `subject` match a part, case-insensitively; `source` is exact (a provider's
    name, `raw`, `imap:<user>`, ...); the dates bound `received_at` (from inclusive, to not)."""

    status: str | None = None
    outcome: str | None = None
    source: str | None = None
    sender: str | None = None
    subject: str | None = None
    ticket_id: int | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None
    updated_since: datetime | None = None  # changed (received, claimed, finished) at or after


@dataclass(frozen=True, slots=True)
class StoredApiKey:
    """A named REST API key as stored: the SHA-256 digest of the key, never the key itself."""

    name: str
    digest: bytes
    created_at: datetime
    last_used_at: datetime | None = None
    expires_at: datetime | None = None  # the key a rotation replaced: accepted until then
