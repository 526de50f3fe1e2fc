"""The MailboxConnector port on IMAP, with imapclient.

Messages are read with BODY.PEEK[] so that reading sets no flag (RFC 9051 §6.4.5): a message
is marked only by `mark_taken`, which the poller calls once the message is stored. One message
is fetched at a time, so a 20 MB message is held once (imaplib reads the literal into one bytes
object, imapclient hands that object on) and never next to its neighbours.
"""

from __future__ import annotations

import imaplib
import socket
import ssl
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from adapters.mailbox.oauth2 import OAuth2Error, log_in_with_token
from domain.messages import MailboxServer
from domain.ports import AccessTokens

SEEN = b"\\Seen"
DELETED = b"\\Deleted"
# A keyword (RFC 9051 §2.3.2) that says "the connector has stored this message", next to \Seen,
# so a person looking at the mailbox can tell taken mail from mail a colleague merely read.
TAKEN = b"$EmailConnectorTaken"
# RFC 2177 §3: a client should leave IDLE and re-issue it at least every 29 minutes.
IDLE_SLICE_SECONDS = 1.0
CONNECTION_ERRORS = (IMAPClientError, imaplib.IMAP4.error, OSError, socket.timeout, ssl.SSLError)


class ImapMailbox:
    """One logged-in connection (domain.ports.MailboxClient)."""

    def __init__(self, client: IMAPClient) -> None:
        self._client = client
        self._known_folders: set[str] = set()

    def select(self, folder: str) -> int:
        info = self._client.select_folder(folder)
        return int(info[b"UIDVALIDITY"])

    def uids_after(self, uid: int) -> list[int]:
        # "n:*" names the highest UID even when it is below n (RFC 9051 §6.4.8: "*" is the
        # largest UID in use and a range may be given either way round): filter again.
        found = self._client.search(["UID", f"{uid + 1}:*"])
        return sorted(u for u in found if u > uid)

    def sizes(self, uids: Sequence[int]) -> dict[int, int]:
        if not uids:
            return {}
        answer = self._client.fetch(list(uids), ["RFC822.SIZE"])
        return {uid: int(data[b"RFC822.SIZE"]) for uid, data in answer.items()
                if b"RFC822.SIZE" in data}

    def fetch(self, uid: int) -> bytes | None:
        answer = self._client.fetch([uid], ["BODY.PEEK[]"])
        data = answer.get(uid)
        if data is None:
            return None  # expunged by someone else since the search
        raw = data.get(b"BODY[]")
        return raw if isinstance(raw, bytes) else None

    def mark_taken(self, uids: Sequence[int], processed_folder: str | None) -> None:
        if not uids:
            return
        client = self._client
        if processed_folder is None:
            client.add_flags(list(uids), [SEEN, TAKEN], silent=True)
            return
        self._ensure_folder(processed_folder)
        client.add_flags(list(uids), [SEEN, TAKEN], silent=True)  # they arrive there marked
        if client.has_capability("MOVE"):  # RFC 6851
            client.move(list(uids), processed_folder)
            return
        # Without MOVE: copy, then remove only these UIDs (RFC 4315 UID EXPUNGE), or all
        # \Deleted messages when the server has no UIDPLUS either.
        client.copy(list(uids), processed_folder)
        client.add_flags(list(uids), [DELETED], silent=True)
        if client.has_capability("UIDPLUS"):
            client.uid_expunge(list(uids))
        else:
            client.expunge()

    def can_idle(self) -> bool:
        return bool(self._client.has_capability("IDLE"))  # RFC 2177

    def idle(self, seconds: float, stopping: Callable[[], bool]) -> bool:
        client = self._client
        deadline = time.monotonic() + seconds
        client.idle()
        try:
            while not stopping():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                if client.idle_check(timeout=min(left, IDLE_SLICE_SECONDS)):
                    return True
            return False
        finally:
            client.idle_done()

    def _ensure_folder(self, folder: str) -> None:
        if folder in self._known_folders:
            return
        if not self._client.folder_exists(folder):
            self._client.create_folder(folder)
        self._known_folders.add(folder)


class ImapConnector:
    """Connects and logs in (domain.ports.MailboxConnector)."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None, *,
                 tokens: AccessTokens | None = None) -> None:
        self._ssl_context = ssl_context
        self._tokens = tokens

    @contextmanager
    def connect(self, server: MailboxServer) -> Iterator[ImapMailbox]:
        client = self._login(server)
        try:
            yield ImapMailbox(client)
        finally:
            try:
                client.logout()
            except CONNECTION_ERRORS:  # the connection is gone already: close the socket
                _shutdown(client)

    def check(self, server: MailboxServer) -> tuple[bool, str]:
        where = f"{server.host}:{server.port}"
        try:
            with self.connect(server) as mailbox:
                uidvalidity = mailbox.select(server.folder)
                count = len(mailbox.uids_after(0))
        except LoginError as exc:
            how = " (XOAUTH2)" if server.oauth2 is not None else ""
            return False, f"{where}: login refused{how}: {_text(exc)}"
        except OAuth2Error as exc:
            return False, f"{where}: no OAuth2 access token: {exc}"
        except CONNECTION_ERRORS as exc:
            return False, f"{where}: {type(exc).__name__}: {_text(exc)}"
        who = f" as {server.username}" if server.username else ""
        return True, (f"logged in to {where}{who}; folder {server.folder} holds {count} "
                      f"messages (UIDVALIDITY {uidvalidity})")

    def _login(self, server: MailboxServer) -> IMAPClient:
        context = self._ssl_context or ssl.create_default_context()
        client = IMAPClient(server.host, port=server.port, ssl=server.security == "tls",
                            ssl_context=context if server.security == "tls" else None,
                            timeout=server.timeout)
        try:
            if server.security == "starttls":
                client.starttls(context)  # RFC 9051 §6.2.1
            if server.oauth2 is not None:
                self._xoauth2(client, server)
            elif server.username:
                client.login(server.username, server.password or "")
        except BaseException:
            _shutdown(client)
            raise
        return client

    def _xoauth2(self, client: IMAPClient, server: MailboxServer) -> None:
        """SASL XOAUTH2, Google's and Microsoft's IMAP OAuth2 mechanism."""
        grant, tokens, user = server.oauth2, self._tokens, server.username
        if grant is None or tokens is None or not user:
            raise OAuth2Error("XOAUTH2 needs a user name and a token service")
        log_in_with_token(tokens, grant, lambda token: client.oauth2_login(user, token),
                          LoginError)


def _text(exc: BaseException) -> str:
    text = str(exc)
    if isinstance(exc.args[0] if exc.args else None, bytes):
        text = exc.args[0].decode("utf-8", "replace")
    return text.strip() or type(exc).__name__


def _shutdown(client: IMAPClient) -> None:
    try:
        client.shutdown()
    except CONNECTION_ERRORS:
        pass
