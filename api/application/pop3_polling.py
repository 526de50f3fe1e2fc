"""The POP3 poller's loop (the `pop3` process, api/entrypoints/pop3.py).

POP3 has no folders, flags or ordered UIDs, only each message's unique-id (UIDL, RFC 1939 §7):
the unique-ids of stored messages are kept in the database, and a message whose unique-id is
not among them is retrieved, stored durably, and only then remembered and (when
CONNECTOR_POP3_DELETE is true) marked for deletion, which the server carries out at QUIT. A
crash before that leaves it on the server, and its next retrieval is recognized as a duplicate
(the delivery's event id is the mailbox and the unique-id). Unique-ids no longer on the server
are forgotten: RFC 1939 lets a server reuse one once its message is gone.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from api.application.clock import utcnow
from api.application.mailboxes import envelope_address, pop3_server
from api.application.polling import HealthBoard, backoff_seconds, describe
from api.application.runtime_settings import RuntimeSettings
from domain.messages import InboundDelivery, MailboxHealth, MailboxServer, Stored
from domain.ports import Pop3Client, Pop3Connector, Storage

log = logging.getLogger(__name__)


class Pop3Poller:
    def __init__(self, storage: Storage, settings: RuntimeSettings, connector: Pop3Connector,
                 store: Callable[[InboundDelivery], Stored]) -> None:
        self._storage = storage
        self._settings = settings
        self._connector = connector
        self._store = store
        self._stopping = threading.Event()
        self._board = HealthBoard(storage)
        self._note = self._board.note

    def run(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            values = self._settings.current(max_age=0)
            server = pop3_server(values)
            delay = values.pop3_poll_seconds
            if server is not None:
                try:
                    with self._connector.connect(server) as client:
                        self._note(server, connected=True)
                        self.take(client, server)
                    failures = 0
                except Exception as exc:  # the server, the network or the database
                    failures += 1
                    delay = backoff_seconds(failures)
                    self._note(server, connected=False, last_error=describe(exc))
                    log.warning("pop3 mailbox %s: %s; trying again in %.0f s", server.name,
                                describe(exc), delay)
            self._stopping.wait(delay)

    def stop(self) -> None:
        self._stopping.set()

    def health(self) -> MailboxHealth | None:
        return self._board.current()

    def take(self, client: Pop3Client, server: MailboxServer) -> int:
        """Store every message whose unique-id is not stored yet; how many were new."""
        key = server.state_key
        listing = client.listing()
        with self._storage.reading() as uow:
            seen = uow.mailboxes.seen(key)
        present = {uid for _, uid, _ in listing}
        values = self._settings.current()
        recipient = envelope_address(server, values)
        new = 0
        for number, uid, size in listing:
            if self._stopping.is_set():
                break
            if uid in seen:
                if server.delete:  # stored before, its deletion did not happen (a crash)
                    client.delete(number)
                continue
            if size > values.max_message_bytes:
                log.error("pop3 mailbox %s: message %s is %s bytes, above "
                          "CONNECTOR_MAX_MESSAGE_BYTES (%s): left on the server, not taken",
                          server.name, uid, size, values.max_message_bytes)
                continue
            raw = client.retrieve(number)
            stored = self._store(InboundDelivery(
                raw=raw, source=f"pop3:{server.name}", envelope_to=(recipient,),
                provider_event_id=f"{key};UIDL={uid}"))
            del raw
            new += stored.status == "queued"
            with self._storage.writing() as uow:  # only once it is stored
                uow.mailboxes.remember(key, [uid])
            if server.delete:
                client.delete(number)
        gone = sorted(seen - present)
        if gone:
            with self._storage.writing() as uow:
                uow.mailboxes.forget(key, gone)
        self._note(server, connected=True, last_success=utcnow(), last_error=None, taken=new)
        return new
