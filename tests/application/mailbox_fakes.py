"""An in-memory IMAP server and its client, for the poller's use-case tests (the real one is
Dovecot, in tests/mailbox/)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from domain.messages import MailboxServer


@dataclass
class FakeFolder:
    uidvalidity: int = 1
    next_uid: int = 1
    messages: dict[int, bytes] = field(default_factory=dict)
    flags: dict[int, set[str]] = field(default_factory=dict)


@dataclass
class FakeImapServer:
    folders: dict[str, FakeFolder] = field(default_factory=lambda: {"INBOX": FakeFolder()})
    events: list[str] = field(default_factory=list)  # what the clients did, in order
    refuse_login: bool = False
    idle: bool = True
    fail_fetch_at: int | None = None  # this UID's FETCH loses the connection

    def append(self, raw: bytes, folder: str = "INBOX") -> int:
        box = self.folders.setdefault(folder, FakeFolder())
        uid = box.next_uid
        box.next_uid += 1
        box.messages[uid] = raw
        box.flags[uid] = set()
        return uid

    def recreate(self, folder: str = "INBOX") -> None:
        """Delete and create the folder again: a new UIDVALIDITY, UIDs from 1."""
        old = self.folders[folder]
        self.folders[folder] = FakeFolder(uidvalidity=old.uidvalidity + 1)


class FakeImapClient:
    def __init__(self, server: FakeImapServer) -> None:
        self.server = server
        self.folder = ""

    @property
    def box(self) -> FakeFolder:
        return self.server.folders[self.folder]

    def select(self, folder: str) -> int:
        self.folder = folder
        return self.box.uidvalidity

    def uids_after(self, uid: int) -> list[int]:
        # list() copies the keys in one step: the test thread may append meanwhile (a
        # generator over the dict itself raised "dictionary changed size" under load).
        return sorted(u for u in list(self.box.messages) if u > uid)

    def sizes(self, uids: Sequence[int]) -> dict[int, int]:
        return {u: len(self.box.messages[u]) for u in uids if u in self.box.messages}

    def fetch(self, uid: int) -> bytes | None:
        if uid == self.server.fail_fetch_at:
            self.server.fail_fetch_at = None
            raise ConnectionResetError("connection lost")
        self.server.events.append(f"fetch {uid}")
        return self.box.messages.get(uid)

    def mark_taken(self, uids: Sequence[int], processed_folder: str | None) -> None:
        for uid in uids:
            self.server.events.append(f"mark {uid}")
            if processed_folder is None:
                self.box.flags[uid] |= {"\\Seen", "$EmailConnectorTaken"}
            else:
                raw = self.box.messages.pop(uid)
                self.box.flags.pop(uid)
                self.server.append(raw, processed_folder)

    def can_idle(self) -> bool:
        return self.server.idle

    def idle(self, seconds: float, stopping: Callable[[], bool]) -> bool:
        self.server.events.append("idle")
        return False


@dataclass
class FakeImapConnector:
    server: FakeImapServer
    connections: int = 0

    @contextmanager
    def connect(self, server: MailboxServer) -> Iterator[FakeImapClient]:
        if self.server.refuse_login:
            raise ConnectionRefusedError("login refused")
        self.connections += 1
        yield FakeImapClient(self.server)

    def check(self, server: MailboxServer) -> tuple[bool, str]:
        if self.server.refuse_login:
            return False, "login refused"
        return True, f"logged in to {server.host}"
