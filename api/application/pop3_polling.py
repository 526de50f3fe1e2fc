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

from api.application.mailbox_loop import MailboxLoop
from api.application.mailboxes import envelope_address
from domain.messages import InboundDelivery, MailboxServer
from domain.ports import Pop3Client

log = logging.getLogger(__name__)


class Pop3Poller(MailboxLoop):
    """A short session per look (RFC 1939 §8: one session holds the maildrop at a time)."""

    protocol = "pop3"

    def _session(self, client: Pop3Client, server: MailboxServer) -> float:
        self.take(client, server)
        return server.poll_seconds

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
        self._took(server, new)
        return new
