"""The IMAP poller's loop (the `imap` process, api/entrypoints/imap.py).

Each pass takes every message above the mailbox's stored position, read or unread: it stores
the message durably (IngestWriter.store returns after the commit), and only then marks it on
the server (moved or flagged) and moves the position on. A crash at any point loses nothing:
what was stored but not yet marked is fetched again and recognized as a duplicate (its
delivery's event id is the message's IMAP URL with UIDVALIDITY and UID, RFC 5092, and its
Message-ID per recipient is a dedupe key too). When UIDVALIDITY changes, the old UIDs mean
nothing any more (RFC 9051 §2.3.1.1): everything in the folder is taken again and the dedupe
keys keep what was stored from being stored twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from api.application.clock import utcnow
from api.application.mailboxes import envelope_address, imap_server
from api.application.runtime_settings import RuntimeSettings
from domain.messages import InboundDelivery, MailboxHealth, MailboxPosition, MailboxServer, Stored
from domain.ports import MailboxClient, MailboxConnector, Storage

log = logging.getLogger(__name__)
BACKOFF_MAX_SECONDS = 300.0


class HealthBoard:
    """A poller's view of its mailbox, kept in memory and reported to the database, so that
    /readyz and /metrics of every process show it (the poller runs in a process of its own)."""

    def __init__(self, storage: Storage) -> None:
        self._storage = storage
        self._lock = threading.Lock()
        self._health: MailboxHealth | None = None

    def current(self) -> MailboxHealth | None:
        with self._lock:
            return self._health

    def note(self, server: MailboxServer, *, taken: int = 0, **changes: Any) -> None:
        with self._lock:
            health = self._health
            if health is None or health.name != server.name:
                health = MailboxHealth(server.name)
            health = self._health = replace(health, taken=health.taken + taken, **changes)
        try:
            with self._storage.writing(durable=False) as uow:
                uow.mailboxes.report(server.state_key, health, taken)
        except Exception as exc:  # the database is down: the poller's own retry says so
            log.debug("mailbox %s: health not recorded: %s", server.name, exc)


def backoff_seconds(failures: int) -> float:
    """1, 2, 4 … seconds after consecutive failures, at most five minutes."""
    return min(float(2 ** max(failures - 1, 0)), BACKOFF_MAX_SECONDS)


class ImapPoller:
    def __init__(self, storage: Storage, settings: RuntimeSettings, connector: MailboxConnector,
                 store: Callable[[InboundDelivery], Stored], *, batch_size: int = 25,
                 metrics: Any = None) -> None:
        self._storage = storage
        self._settings = settings
        self._connector = connector
        self._store = store
        self._batch_size = batch_size
        self._metrics = metrics
        self._stopping = threading.Event()
        self._board = HealthBoard(storage)
        self._note = self._board.note

    # --- the loop ---------------------------------------------------------------------------

    def run(self) -> None:
        """Poll until stop(): connect, take, wait (IDLE or sleep), reconnect with backoff."""
        failures = 0
        while not self._stopping.is_set():
            values = self._settings.current(max_age=0)
            server = imap_server(values)
            if server is None:
                self._stopping.wait(values.imap_poll_seconds)
                continue
            try:
                with self._connector.connect(server) as client:
                    self._note(server, connected=True)
                    failures = 0
                    self._serve(client, server)
                self._note(server, connected=False)
            except Exception as exc:  # the server, the network or the database: retry later
                failures += 1
                delay = backoff_seconds(failures)
                self._note(server, connected=False, last_error=describe(exc))
                log.warning("mailbox %s: %s; trying again in %.0f s", server.name,
                            describe(exc), delay)
                self._stopping.wait(delay)

    def stop(self) -> None:
        self._stopping.set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def health(self) -> MailboxHealth | None:
        return self._board.current()

    def _serve(self, client: MailboxClient, server: MailboxServer) -> None:
        while not self._stopping.is_set():
            self.take(client, server)
            values = self._settings.current(max_age=0)
            if imap_server(values) != server:
                log.info("mailbox %s: settings changed, connecting again", server.name)
                return
            seconds = values.imap_poll_seconds
            if client.can_idle():
                client.idle(seconds, self._stopping.is_set)
            else:
                self._stopping.wait(seconds)

    # --- one pass ---------------------------------------------------------------------------

    def take(self, client: MailboxClient, server: MailboxServer) -> int:
        """Store every message above the stored position; how many were new."""
        uidvalidity = client.select(server.folder)
        key = server.state_key
        with self._storage.reading() as uow:
            position = uow.mailboxes.get(key)
        after = 0
        if position is not None and position.uidvalidity == uidvalidity:
            after = position.last_uid
        elif position is not None:
            log.warning("mailbox %s: UIDVALIDITY changed (%s to %s): taking the whole folder "
                        "again; what was stored already is recognized as a duplicate",
                        server.name, position.uidvalidity, uidvalidity)
        uids = client.uids_after(after)
        new = 0
        for start in range(0, len(uids), self._batch_size):
            if self._stopping.is_set():
                break
            chunk = uids[start:start + self._batch_size]
            new += self._take_chunk(client, server, uidvalidity, chunk)
            with self._storage.writing() as uow:
                uow.mailboxes.save(key, MailboxPosition(uidvalidity, chunk[-1]))
        self._note(server, connected=True, last_success=utcnow(), last_error=None, taken=new)
        return new

    def _take_chunk(self, client: MailboxClient, server: MailboxServer, uidvalidity: int,
                    chunk: list[int]) -> int:
        values = self._settings.current()
        limit = values.max_message_bytes
        recipient = envelope_address(server, values)
        sizes = client.sizes(chunk)
        stored_uids: list[int] = []
        new = 0
        for uid in chunk:
            if sizes.get(uid, 0) > limit:
                # Left on the server unmarked, for a person: the same limit as the webhooks' 413.
                log.error("mailbox %s: UID %s is %s bytes, above CONNECTOR_MAX_MESSAGE_BYTES "
                          "(%s): left in the mailbox, not taken", server.name, uid, sizes[uid],
                          limit)
                continue
            raw = client.fetch(uid)
            if raw is None:
                continue  # expunged by someone else meanwhile
            stored = self._store(InboundDelivery(
                raw=raw, source=f"imap:{server.name}", envelope_to=(recipient,),
                provider_event_id=f"{server.state_key};UIDVALIDITY={uidvalidity}/;UID={uid}"))
            del raw  # one message in memory at a time
            stored_uids.append(uid)
            new += stored.status == "queued"
        # Only now, with every one of them committed, does the server hear that they are taken.
        client.mark_taken(stored_uids, server.processed_folder)
        return new

def describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
