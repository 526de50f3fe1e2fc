"""Ports of the polled mailboxes (IMAP, POP3) and their OAuth2 tokens, implemented by
adapters/mailbox; domain/ports.py names them too, so either import works."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from domain.messages import MailboxServer, OAuth2Grant


class MailboxClient(Protocol):
    """One logged-in IMAP connection (adapters/mailbox/imap.py)."""

    def select(self, folder: str) -> int:
        """Open the folder; its UIDVALIDITY."""
        ...

    def uids_after(self, uid: int) -> list[int]:
        """Every message UID above `uid` in the open folder, ascending (read or unread)."""
        ...

    def sizes(self, uids: Sequence[int]) -> dict[int, int]:
        """Each message's size in bytes (RFC822.SIZE), before its bytes are fetched."""
        ...

    def fetch(self, uid: int) -> bytes | None:
        """The raw message (None when it was expunged meanwhile); the flags stay as they are."""
        ...

    def mark_taken(self, uids: Sequence[int], processed_folder: str | None) -> None:
        """Move the messages to `processed_folder`, or flag them when it is None."""
        ...

    def can_idle(self) -> bool:
        """Whether the server announces new mail (IMAP IDLE, RFC 2177)."""
        ...

    def idle(self, seconds: float, stopping: Callable[[], bool]) -> bool:
        """Wait up to `seconds`, or until `stopping()`, for the server to announce changes."""
        ...


class MailboxConnector(Protocol):
    def connect(self, server: MailboxServer) -> AbstractContextManager[MailboxClient]: ...
    def check(self, server: MailboxServer) -> tuple[bool, str]: ...


class Pop3Client(Protocol):
    """One POP3 session in the TRANSACTION state (adapters/mailbox/pop3.py)."""

    def listing(self) -> list[tuple[int, str, int]]:
        """(message number, unique-id, size) of every message in the maildrop."""
        ...

    def retrieve(self, number: int) -> bytes: ...

    def delete(self, number: int) -> None:
        """Mark for deletion: the server deletes at QUIT (RFC 1939 §6), when the session ends."""
        ...


class Pop3Connector(Protocol):
    def connect(self, server: MailboxServer) -> AbstractContextManager[Pop3Client]: ...
    def check(self, server: MailboxServer) -> tuple[bool, str]: ...


class AccessTokens(Protocol):
    """OAuth2 access tokens for XOAUTH2 logins, cached and renewed before they expire."""

    def token(self, grant: OAuth2Grant) -> str:
        """A valid access token (raises with the token service's reason when there is none)."""
        ...

    def forget(self, grant: OAuth2Grant) -> None:
        """Drop the cached token: the server refused it (revoked before its expiry)."""
        ...
