"""In-memory fakes of the application layer's ports (domain/ports.py): no database, no SMTP,
no threads. A unit of work is a transaction: its changes are kept only when its block ends
without an exception, as on the real storage."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from domain.errors import NotFound, SendFailed
from domain.messages import (
    Claimed,
    DueMail,
    FiledDocument,
    Finished,
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
from domain.model import MessageStatus, OutboxStatus
from tests.domain.record_fakes import FakeRecordDirectory


@dataclass
class State:
    inbound: dict[int, SimpleNamespace] = field(default_factory=dict)
    raw: dict[int, bytes] = field(default_factory=dict)
    keys: dict[str, int] = field(default_factory=dict)
    outbound: dict[int, SimpleNamespace] = field(default_factory=dict)
    tickets: dict[int, dict[str, Any]] = field(default_factory=dict)
    documents: list[tuple[int, FiledDocument]] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    mailboxes: dict[str, Any] = field(default_factory=dict)  # key -> MailboxPosition
    api_keys: dict[str, StoredApiKey] = field(default_factory=dict)
    retiring_api_keys: dict[str, StoredApiKey] = field(default_factory=dict)
    inbound_password: bytes | None = None
    directory: FakeRecordDirectory = field(default_factory=FakeRecordDirectory)
    commits: int = 0
    durable_commits: int = 0


class FakeInbox:
    def __init__(self, state: State) -> None:
        self.s = state

    def store(self, items: list[PreparedDelivery], now: datetime) -> list[Stored]:
        results = []
        for item in items:
            new_id = len(self.s.inbound) + 1
            original = next((self.s.keys[k] for k in item.keys if k in self.s.keys), None)
            self.s.inbound[new_id] = SimpleNamespace(
                id=new_id, status=MessageStatus.DONE if original else MessageStatus.QUEUED,
                outcome="duplicate" if original else None, reason=None, ticket_id=None,
                source=item.delivery.source, envelope_from=item.delivery.envelope_from,
                envelope_to=item.delivery.envelope_to, received_at=now, generation=0, token=None,
                attempts=0, error=None,
                duplicate_of_id=original)
            if original:
                results.append(Stored(new_id, "duplicate", original))
                continue
            self.s.raw[new_id] = item.delivery.raw
            self.s.keys.update(dict.fromkeys(item.keys, new_id))
            results.append(Stored(new_id, "queued"))
        return results

    def has_claimable(self, now: datetime) -> bool:
        return any(m.status == MessageStatus.QUEUED for m in self.s.inbound.values())

    def claim(self, *, limit: int, token: str, now: datetime, lease_seconds: float,
              max_attempts: int) -> tuple[list[Claimed], list[int]]:
        claimed = []
        for m in self.s.inbound.values():
            if m.status == MessageStatus.QUEUED and len(claimed) < limit:
                m.status, m.token, m.attempts = MessageStatus.PROCESSING, token, m.attempts + 1
                claimed.append(Claimed(m.id, token, m.generation, m.source, m.envelope_from,
                                       m.envelope_to, m.received_at))
        return claimed, []

    def release(self, claims: list[Claimed]) -> None:
        for c in claims:
            self.s.inbound[c.id].status = MessageStatus.QUEUED

    def raw_bytes(self, inbound_ids: list[int]) -> dict[int, bytes]:
        return {i: self.s.raw[i] for i in inbound_ids if i in self.s.raw}

    def finish(self, done: Sequence[Finished], *, now: datetime) -> bool:
        held = 0
        for f in done:
            m = self.s.inbound[f.claimed.id]
            if m.token != f.claimed.token or m.status != MessageStatus.PROCESSING:
                continue
            m.status, m.outcome, m.reason, m.ticket_id = (MessageStatus.DONE, f.outcome, f.reason,
                                                          f.ticket_id)
            held += 1
        return held == len(done)

    def fail(self, claimed: Claimed, *, error: str, now: datetime) -> None:
        m = self.s.inbound[claimed.id]
        m.status, m.error = MessageStatus.FAILED, error

    def requeue(self, inbound_id: int) -> bool:
        m = self.s.inbound[inbound_id]
        if m.status not in (MessageStatus.DONE, MessageStatus.FAILED) or m.ticket_id:
            return False
        m.status, m.outcome, m.generation = MessageStatus.QUEUED, None, m.generation + 1
        return True

    def queue_depth(self) -> int:
        return sum(m.status == MessageStatus.QUEUED for m in self.s.inbound.values())

    def get(self, inbound_id: int) -> Any:
        if inbound_id not in self.s.inbound:
            raise NotFound(f"inbound message {inbound_id} not found")
        return self.s.inbound[inbound_id]


class FakeOutbox:
    def __init__(self, state: State) -> None:
        self.s = state

    def add(self, queued: QueuedMail, now: datetime) -> int:
        if queued.purpose_key and any(o.purpose_key == queued.purpose_key
                                      for o in self.s.outbound.values()):
            raise AssertionError(f"the same mail queued twice: {queued.purpose_key}")
        mail_id = len(self.s.outbound) + 1
        self.s.outbound[mail_id] = SimpleNamespace(
            id=mail_id, kind=queued.kind, mail=queued.mail, purpose_key=queued.purpose_key,
            inbound_message_id=queued.inbound_message_id, attach_original=queued.attach_original,
            status=OutboxStatus.PENDING, attempts=0, last_error=None, due=now)
        return mail_id

    def has_due(self, now: datetime) -> bool:
        return any(o.status == OutboxStatus.PENDING and o.due <= now
                   for o in self.s.outbound.values())

    def claim_due(self, *, limit: int, now: datetime, lease_seconds: float) -> list[DueMail]:
        due = [o for o in self.s.outbound.values()
               if o.status == OutboxStatus.PENDING and o.due <= now][:limit]
        for o in due:
            o.attempts += 1
        return [DueMail(o.id, o.kind, o.mail, o.attach_original, o.inbound_message_id, o.attempts)
                for o in due]

    def mark_handed_over(self, mails: Sequence[DueMail]) -> bool:
        for mail in mails:
            self.s.outbound[mail.id].status = OutboxStatus.SENDING
        return True

    def mark_sent(self, sent: Sequence[tuple[DueMail, str | None]], now: datetime) -> None:
        for mail, note in sent:
            o = self.s.outbound[mail.id]
            o.status, o.last_error = OutboxStatus.SENT, note

    def mark_retry(self, mail: DueMail, error: str, next_attempt_at: datetime) -> bool:
        o = self.s.outbound[mail.id]
        o.status, o.last_error, o.due = OutboxStatus.PENDING, error, next_attempt_at
        return True

    def mark_failed(self, mail: DueMail, error: str) -> bool:
        o = self.s.outbound[mail.id]
        o.status, o.last_error = OutboxStatus.FAILED, error
        return True

    def mark_bounced(self, message_id: str, now: datetime, diagnostic: str) -> None:
        pass

    def mark_undeliverable(self, addresses: tuple[str, ...], **_: Any) -> None:
        pass

    def backlog(self) -> int:
        return sum(o.status in (OutboxStatus.PENDING, OutboxStatus.SENDING)
                   for o in self.s.outbound.values())


class FakeRecords:
    def __init__(self, state: State) -> None:
        self.s = state

    def open_ticket(self, values: dict[str, Any], document: FiledDocument, now: datetime) -> int:
        ticket_id = len(self.s.tickets) + 1
        self.s.tickets[ticket_id] = dict(values)
        self.add_document(ticket_id, document, now)
        return ticket_id

    def add_document(self, ticket_id: int, document: FiledDocument, now: datetime) -> int:
        self.s.documents.append((ticket_id, document))
        return len(self.s.documents)

    def touch_ticket(self, ticket_id: int, now: datetime, *, reopen: bool) -> None:
        if reopen:
            self.s.tickets[ticket_id]["status"] = "open"


class FakeSettingsStore:
    def __init__(self, state: State) -> None:
        self.s = state

    def load(self) -> dict[str, Any]:
        return dict(self.s.settings)

    def save(self, values: dict[str, Any]) -> None:
        self.s.settings.update(values)


class FakeMailboxStates:
    def __init__(self, state: State) -> None:
        self.s = state

    def get(self, key: str) -> Any:
        return self.s.mailboxes.get(key)

    def save(self, key: str, position: Any) -> None:
        self.s.mailboxes[key] = position

    def seen(self, key: str) -> set[str]:
        return {k.partition("#")[2] for k in self.s.mailboxes if k.startswith(f"{key}#")}

    def remember(self, key: str, uids: Any) -> None:
        self.s.mailboxes.update({f"{key}#{uid}": None for uid in uids})

    def forget(self, key: str, uids: Any) -> None:
        for uid in uids:
            self.s.mailboxes.pop(f"{key}#{uid}", None)

    def report(self, key: str, health: Any, added: int) -> None:
        self.s.mailboxes[f"health:{key}"] = health

    def health(self) -> list[Any]:
        return [v for k, v in self.s.mailboxes.items() if k.startswith("health:")]


class FakeCredentialStore:
    def __init__(self, state: State) -> None:
        self.s = state

    def api_keys(self) -> list[StoredApiKey]:
        keys = [*self.s.api_keys.values(), *self.s.retiring_api_keys.values()]
        return sorted(keys, key=lambda k: (k.name, k.expires_at is not None))

    def save_api_key(self, key: StoredApiKey) -> None:
        slot = self.s.api_keys if key.expires_at is None else self.s.retiring_api_keys
        slot[key.name] = key

    def remove_api_key(self, name: str) -> bool:
        retired = self.s.retiring_api_keys.pop(name, None) is not None
        return (self.s.api_keys.pop(name, None) is not None) or retired

    def mark_used(self, names: Any, now: datetime, *, retiring: bool = False) -> None:
        slot = self.s.retiring_api_keys if retiring else self.s.api_keys
        for name in names:
            if name in slot:
                slot[name] = replace(slot[name], last_used_at=now)

    def inbound_password_digest(self) -> bytes | None:
        return self.s.inbound_password

    def save_inbound_password_digest(self, digest: bytes, now: datetime) -> None:
        self.s.inbound_password = digest


class FakeUnitOfWork:
    def __init__(self, state: State) -> None:
        self.inbox, self.outbox = FakeInbox(state), FakeOutbox(state)
        self.records, self.settings = FakeRecords(state), FakeSettingsStore(state)
        self.mailboxes = FakeMailboxStates(state)
        self.credentials = FakeCredentialStore(state)
        self.directory = state.directory
        self._state = state

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        before = copy.deepcopy(self._state.__dict__)
        try:
            yield
        except BaseException:
            self._state.__dict__.update(before)  # rolled back to the savepoint
            raise

    def xml_writer(self, now: datetime, origin: Origin) -> Callable[..., Any]:
        raise NotImplementedError


class FakeStorage:
    """One unit of work at a time, as a database isolates them: the pollers' tests run several
    threads on one storage (the rollback's deepcopy of a dict another thread was changing
    raised "dictionary changed size during iteration")."""

    def __init__(self) -> None:
        self.state = State()
        self._turn = threading.RLock()

    @contextmanager
    def reading(self) -> Iterator[FakeUnitOfWork]:
        with self._turn:
            yield FakeUnitOfWork(self.state)

    @contextmanager
    def writing(self, *, durable: bool = True) -> Iterator[FakeUnitOfWork]:
        with self._turn:
            before = copy.deepcopy(self.state.__dict__)
            try:
                yield FakeUnitOfWork(self.state)
            except BaseException:
                self.state.__dict__.update(before)  # rolled back
                raise
            self.state.commits += 1
            self.state.durable_commits += durable

    def ping(self) -> None:
        pass

    def close(self) -> None:
        pass


class FakeReader:
    """Reads in the calling thread with a given function (the real reader is an adapter)."""

    def __init__(self, read: Callable[[bytes], ReadMessage | str]) -> None:
        self._read = read
        self._jobs: list[ReadJob] = []

    def submit(self, jobs: list[ReadJob]) -> None:
        self._jobs = jobs

    def collect(self) -> dict[int, ReadMessage | str]:
        jobs, self._jobs = self._jobs, []
        return {j.key: self._read(j.raw) for j in jobs}

    def close(self) -> None:
        pass


@dataclass
class FakeMailer:
    """Records what it is given; `refuse` makes every mail fail with that error, `refusals`
    the next mails one each, and `max_connections` refuses connections beyond that many."""

    sent: list[tuple[SmtpServer, OutgoingMail, bytes | None]] = field(default_factory=list)
    refuse: SendFailed | None = None
    refusals: list[SendFailed] = field(default_factory=list)
    max_connections: int | None = None
    open_connections: int = 0
    most_connections: int = 0
    aborted: list[OutgoingMail] = field(default_factory=list)

    @contextmanager
    def connect(self, server: SmtpServer) -> Iterator[Any]:
        mailer = self
        if self.max_connections is not None and self.open_connections >= self.max_connections:
            raise SendFailed("421 too many connections", permanent=False)

        class Pending:
            refused: list[str] = []

            def __init__(self, mail: OutgoingMail, original: bytes | None) -> None:
                self.mail, self.original = mail, original

            def finish(self) -> list[str]:
                mailer.sent.append((server, self.mail, self.original))
                return []

            def abort(self) -> None:
                mailer.aborted.append(self.mail)

        class Connection:
            supports_8bit = True

            def prepare(self, mail: OutgoingMail, original: bytes | None) -> Pending:
                if mailer.refuse is not None:
                    raise mailer.refuse
                if mailer.refusals:
                    raise mailer.refusals.pop(0)
                return Pending(mail, original)

        self.open_connections += 1
        self.most_connections = max(self.most_connections, self.open_connections)
        try:
            yield Connection()
        finally:
            self.open_connections -= 1

    def check(self, server: SmtpServer) -> tuple[bool, str]:
        return True, f"connected to {server.host}:{server.port}"


def later(now: datetime, seconds: float) -> datetime:
    return now + timedelta(seconds=seconds)


__all__ = ["FakeMailer", "FakeReader", "FakeStorage", "later", "replace"]
