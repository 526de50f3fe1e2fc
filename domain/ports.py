"""Ports: what the rules need from the outside world, implemented by adapters."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

from domain.mailbox_ports import (  # noqa: F401  (the mailbox ports, named here too)
    AccessTokens,
    MailboxClient,
    MailboxConnector,
    Pop3Client,
    Pop3Connector,
)
from domain.messages import (
    Claimed,
    DueMail,
    FiledDocument,
    Finished,
    InboundFilter,
    MailboxHealth,
    MailboxPosition,
    Origin,
    OutgoingMail,
    PreparedDelivery,
    QueuedMail,
    ReadJob,
    ReadMessage,
    SmtpServer,
    Stored,
    StoredApiKey,
)
from domain.model import (
    AccountMatch,
    AutomationRule,
    EmployeeRef,
    FieldMatch,
    RecordRef,
    TicketRef,
)
from domain.xml_model import XmlError


class Directory(Protocol):
    """Lookups the rules make. Each one is an index lookup in the persistence adapter."""

    def accounts_holding(self, keys: Sequence[str]) -> Sequence[AccountMatch]:
        """Accounts whose Email/Email2, or one of whose contacts' email, equals one of `keys`

        (full addresses or bare domains, already lower-case; each match names its key).
        One lookup for the address and its domain: the rules pick the exact match first.
        """
        ...

    def active_employee(self, address: str) -> EmployeeRef | None:
        """The active employee whose Email1 or Email2 is `address`."""
        ...

    def ticket_by_number(self, number: int) -> TicketRef | None: ...

    def ticket_by_own_message_ids(self, message_ids: Sequence[str]) -> TicketRef | None:
        """The ticket of the first of these Message-IDs that we sent out ourselves."""
        ...

    def is_own_message_id(self, message_id: str) -> bool:
        """True when we sent a message with this Message-ID."""
        ...

    def prefetch_own_message_ids(self, message_ids: Sequence[str]) -> None:
        """These will be asked of is_own_message_id in this unit of work: an adapter may look
        them all up at once. (Mail queued meanwhile has Message-IDs of our own making, which
        no message already received can carry, so the answers stay true.)"""
        ...

    def ticket_correspondent(self, ticket_id: int, address: str) -> bool:
        """True when `address` (lower-case) wrote a document filed on the ticket, or was sent
        mail about it by us."""
        ...

    def outbound_recipients(self, message_id: str) -> tuple[str, ...] | None:
        """The addresses (To and Bcc, lower-case) our outbound message with this Message-ID was
        sent to, or None when we sent no message with this Message-ID."""
        ...

    def acknowledgements_since(self, address: str, since: datetime) -> int:
        """How many acknowledgements were queued to `address` since `since`."""
        ...

    def forwards_since(self, address: str, since: datetime) -> int:
        """How many mails from `address` were forwarded to the support team since `since`."""
        ...

    def undeliverable(self, address: str, now: datetime) -> str | None:
        """Why mail to `address` is not sent now (a recent permanent bounce), or None."""
        ...

    def accounts_by_field(self, field: str, keys: Sequence[str]) -> Sequence[FieldMatch]:
        """Accounts whose `field` (name, account_number, external_id or id) equals one of `keys`

        (compared case-folded, whitespace collapsed: see domain.automation.field_key).
        """
        ...

    def xml_record(self, kind: str, record_id: int) -> RecordRef | None:
        """The record of this XML data kind (or EMPLOYEE) with this id, and its account."""
        ...

    def automation_rules(self) -> tuple[AutomationRule, ...]:
        """The enabled automated-email rules in position order (read once per batch)."""
        ...


# --- the application layer's ports (api/application), implemented by the adapters ---------------

class Inbox(Protocol):
    """The inbound queue: durable ingest, claims with a lease, each message's final state."""

    def store(self, items: list[PreparedDelivery], now: datetime) -> list[Stored]: ...
    def has_claimable(self, now: datetime) -> bool:
        """Whether a claim now would find anything: a read, so that an idle worker does not
        take the write lock (ingest waits for it) only to find the queue empty."""
        ...
    def claim(self, *, limit: int, token: str, now: datetime, lease_seconds: float,
              max_attempts: int) -> tuple[list[Claimed], list[int]]: ...
    def release(self, claims: list[Claimed]) -> None: ...
    def raw_bytes(self, inbound_ids: list[int]) -> dict[int, bytes]: ...
    def finish(self, done: Sequence[Finished], *, now: datetime) -> bool:
        """Record the outcomes (one statement for them all). False when a claim no longer held
        (its lease ran out and another worker took the message): the caller then undoes the
        whole unit of work."""
        ...
    def fail(self, claimed: Claimed, *, error: str, now: datetime) -> None: ...
    def requeue(self, inbound_id: int) -> bool: ...
    def queue_depth(self) -> int: ...
    def get(self, inbound_id: int) -> Any: ...
    def page(self, *, status: str | None, outcome: str | None, limit: int, offset: int,
             where: InboundFilter | None = None, sort: str = "-id") -> tuple[list[Any], int]: ...
    def outcome_counts(self, since: datetime) -> dict[str, int]:
        """Messages received since then, by outcome ("" for those without one yet)."""
        ...
    def sources(self) -> dict[str, datetime]:
        """Each source's (provider's, mailbox's) last message: when it was received."""
        ...


class Outbox(Protocol):
    """Mail decided on, written with the decision, delivered later (claims with a lease)."""

    def add(self, queued: QueuedMail, now: datetime) -> int: ...
    def mark_bounced(self, message_id: str, now: datetime, diagnostic: str) -> None: ...
    def mark_undeliverable(self, addresses: tuple[str, ...], *, until: datetime, reason: str,
                           message_id: str | None) -> None: ...
    def has_due(self, now: datetime) -> bool:
        """Whether claim_due would find (or settle) anything now: a read, as has_claimable."""
        ...
    def claim_due(self, *, limit: int, now: datetime, lease_seconds: float) -> list[DueMail]: ...
    def mark_handed_over(self, mails: Sequence[DueMail]) -> bool:
        """All of them with the server but for the final dot; False: one was no longer ours
        (its lease ran out and another worker claimed it)."""
        ...
    def mark_sent(self, sent: Sequence[tuple[DueMail, str | None]], now: datetime) -> None:
        """Each mail accepted by the server, with its note (recipients refused, unconfirmed)."""
        ...
    def mark_retry(self, mail: DueMail, error: str, next_attempt_at: datetime) -> bool: ...
    def mark_failed(self, mail: DueMail, error: str) -> bool: ...
    def backlog(self) -> int: ...
    def oldest_pending(self) -> datetime | None: ...
    def retry(self, mail_id: int, now: datetime) -> bool:
        """A failed mail back to pending, due now, with its attempts counted afresh."""
        ...
    def page(self, *, status: str | None, kind: str | None, inbound_message_id: int | None,
             limit: int, offset: int, updated_since: datetime | None = None,
             sort: str = "-id") -> tuple[list[Any], int]: ...


class Records(Protocol):
    """Records by kind (account, contact, employee, ticket, asset, charge, history_note,
    automation_rule, attachment); lookups that find nothing raise NotFound."""

    def get(self, kind: str, record_id: int) -> Any: ...
    def create(self, kind: str, values: dict[str, Any], now: datetime) -> Any: ...
    def patch(self, kind: str, record_id: int, values: dict[str, Any], now: datetime) -> Any: ...
    def remove(self, kind: str, record_id: int) -> None: ...
    def page(self, kind: str, *, limit: int, offset: int, updated_since: datetime | None = None,
             sort: str = "-id", **equal: Any) -> tuple[list[Any], int]: ...
    def accounts_page(self, *, email: str | None, limit: int, offset: int,
                      updated_since: datetime | None = None, sort: str = "-id") -> tuple[list[Any], int]: ...
    def rules_page(self, *, kind: str | None, limit: int, offset: int,
                   updated_since: datetime | None = None) -> tuple[list[Any], int]: ...
    def next_rule_position(self, kind: str) -> int: ...
    def ticket_by_number(self, number: str) -> Any: ...
    def check_ticket_links(self, account_id: int | None, contact_id: int | None) -> None: ...
    def open_ticket(self, values: dict[str, Any], document: FiledDocument,
                    now: datetime) -> int: ...
    def ticket_request(self, idempotency_key: str) -> tuple[bytes, int] | None: ...  # digest, id
    def remember_ticket_request(self, idempotency_key: str, request_digest: bytes,
                                ticket_id: int, now: datetime) -> None: ...
    def touch_ticket(self, ticket_id: int, now: datetime, *, reopen: bool) -> None: ...
    def add_document(self, ticket_id: int, document: FiledDocument, now: datetime) -> int: ...
    def documents_of_message(self, inbound_id: int
                             ) -> list[tuple[Any, list[tuple[int, str, str, int, str | None, bool]]]]:
        """The documents an inbound message was filed as, with their attachments' metadata."""
        ...
    def documents_of(self, ticket_id: int, *, limit: int,
                     offset: int) -> tuple[list[tuple[Any, list[Any]]], int]: ...


class SettingsStore(Protocol):
    """Settings changed at runtime (they win over the environment's values)."""

    def load(self) -> dict[str, Any]: ...
    def save(self, values: dict[str, Any]) -> None: ...


class MailboxStates(Protocol):
    """Each polled mailbox's position (UIDVALIDITY and the highest stored UID)."""

    def get(self, key: str) -> MailboxPosition | None: ...
    def save(self, key: str, position: MailboxPosition) -> None: ...
    def seen(self, key: str) -> set[str]:
        """The POP3 unique-ids (UIDL, RFC 1939 §7) of this mailbox that are stored."""
        ...

    def remember(self, key: str, uids: Sequence[str]) -> None: ...
    def forget(self, key: str, uids: Sequence[str]) -> None: ...
    def report(self, key: str, health: MailboxHealth, added: int) -> None:
        """Record the poller's view of the mailbox; `added` more messages were taken."""
        ...

    def refresh_token(self, grant_key: str) -> str | None:
        """The refresh token an OAuth2 grant was last rotated to (None: never rotated)."""
        ...

    def keep_refresh_token(self, grant_key: str, token: str) -> None: ...
    def health(self) -> list[MailboxHealth]:
        """Every polled mailbox's last reported state (`taken`: since it was first polled)."""
        ...


class RefreshTokenKeeper(Protocol):
    """Where an OAuth2 grant's rotated refresh token outlives the process (by grant key)."""

    def get(self, grant_key: str) -> str | None: ...
    def keep(self, grant_key: str, token: str) -> None: ...


class CredentialStore(Protocol):  # named REST API keys and the inbound password, as digests
    def api_keys(self) -> list[StoredApiKey]: ...
    # api_keys: the current keys, and the retiring ones (expires_at set) a rotation replaced
    def save_api_key(self, key: StoredApiKey) -> None: ...  # replaces the name's (retiring) key
    def remove_api_key(self, name: str) -> bool: ...  # and its retiring key
    def mark_used(self, names: Sequence[str], now: datetime, *, retiring: bool = False) -> None: ...
    def inbound_password_digest(self) -> bytes | None: ...
    def save_inbound_password_digest(self, digest: bytes, now: datetime) -> None: ...
    # the admin console's failed sign-ins (by key digest) and signed-out sessions (by nonce)
    def sign_in_failures(self, key_digests: Sequence[str], since: datetime) -> int:
        """The most failures any one of these keys had since then."""
        ...

    def add_sign_in_failure(self, key_digests: Sequence[str], at: datetime,
                            forget_before: datetime) -> None: ...
    def sign_out(self, nonce: str, until: datetime, now: datetime) -> None: ...
    def signed_out(self, nonce: str, now: datetime) -> bool: ...


class UnitOfWork(Protocol):
    """One transaction's repositories; committed by Storage.writing when the block ends."""

    inbox: Inbox
    outbox: Outbox
    records: Records
    settings: SettingsStore
    mailboxes: MailboxStates
    credentials: CredentialStore

    @property
    def directory(self) -> Directory: ...
    def savepoint(self) -> AbstractContextManager[None]: ...
    def xml_writer(self, now: datetime, origin: Origin) -> Callable[[Any], int | XmlError]:
        """The writer of XML records (domain.xml_api.Writer: a RecordPlan in, an id out)."""
        ...


class Storage(Protocol):
    def reading(self) -> AbstractContextManager[UnitOfWork]: ...
    def writing(self, *, durable: bool = True) -> AbstractContextManager[UnitOfWork]: ...
    def ping(self) -> None: ...
    def close(self) -> None: ...


class PendingMail(Protocol):
    """A mail the server has whole but for its final dot (RFC 5321 §4.1.1.4)."""

    refused: list[str]  # recipients the server refused (some, not all)

    def finish(self) -> list[str]:
        """Send the final dot: the server accepts the mail. Returns the refused recipients;
        SendFailed(unconfirmed=True) when the answer was lost (it may have been accepted)."""
        ...

    def abort(self) -> None:
        """Never send the dot: the server discards the transaction."""
        ...


class MailConnection(Protocol):
    @property
    def supports_8bit(self) -> bool: ...
    def prepare(self, mail: OutgoingMail, original: bytes | None) -> PendingMail:
        """Send one mail but for its final dot. The caller records the hand-over durably,
        then finishes it, so a crash can never send the mail twice."""
        ...


class Mailer(Protocol):
    def connect(self, server: SmtpServer) -> AbstractContextManager[MailConnection]: ...
    def check(self, server: SmtpServer) -> tuple[bool, str]: ...


class Reader(Protocol):
    """Reads raw messages into ReadMessages, a batch at a time (maybe in another process)."""

    def submit(self, jobs: list[ReadJob]) -> None: ...
    def collect(self) -> dict[int, ReadMessage | str]: ...
    def close(self) -> None: ...
