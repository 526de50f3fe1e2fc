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
from collections.abc import Callable

from api.application.mailbox_loop import MailboxLoop
from api.application.mailboxes import envelope_address
from api.application.runtime_settings import RuntimeSettings
from domain.messages import InboundDelivery, MailboxPosition, MailboxServer, Stored
from domain.ports import MailboxClient, MailboxConnector, Storage

log = logging.getLogger(__name__)


class ImapPoller(MailboxLoop):
    protocol = "imap"

    def __init__(self, storage: Storage, settings: RuntimeSettings, connector: MailboxConnector,
                 store: Callable[[InboundDelivery], Stored], *, batch_size: int = 25,
                 name: str | None = None) -> None:
        super().__init__(storage, settings, connector, store, name=name)
        self._batch_size = batch_size

    def _session(self, client: MailboxClient, server: MailboxServer) -> float:
        """Take, then wait for news (IDLE, or a sleep), until the settings change."""
        while not self._stopping.is_set():
            self.take(client, server)
            if self.server() != server:
                log.info("mailbox %s: settings changed, connecting again", server.name)
                return 0.0
            if client.can_idle():
                client.idle(server.poll_seconds, self._stopping.is_set)
            else:
                self._stopping.wait(server.poll_seconds)
        return 0.0

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
        self._took(server, new)
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
