"""What every polled mailbox's loop shares, IMAP or POP3: connect, take, wait, reconnect with
backoff, and report its health; and the group that runs one loop (one thread) per configured
mailbox in one process, starting and stopping loops as mailboxes are added and removed.

A protocol's poller (api/application/polling.py, pop3_polling.py) only says what one session
does (`_session`) and how a pass takes mail (`take`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from api.application.clock import utcnow
from api.application.mailboxes import first_server, mailbox_servers
from api.application.runtime_settings import RuntimeSettings
from domain.messages import InboundDelivery, MailboxHealth, MailboxServer, Stored
from domain.ports import Storage

log = logging.getLogger(__name__)
BACKOFF_MAX_SECONDS = 300.0
NO_MAILBOX_SECONDS = 30.0  # how often a loop without a configured mailbox looks again
RECONCILE_SECONDS = 5.0  # how often the group looks for added and removed mailboxes


class HealthBoard:
    """A poller's view of its mailbox, kept in memory and reported to the database, so that
    /readyz and /metrics of every process show it (the poller may run in a process of its own)."""

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


def describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class MailboxLoop:
    """One mailbox's loop. `name` None: the mailbox of the CONNECTOR_<PROTOCOL>_* settings."""

    protocol = ""

    def __init__(self, storage: Storage, settings: RuntimeSettings, connector: Any,
                 store: Callable[[InboundDelivery], Stored], *, name: str | None = None) -> None:
        self._storage = storage
        self._settings = settings
        self._connector = connector
        self._store = store
        self._name = name
        self._stopping = threading.Event()
        self._board = HealthBoard(storage)
        self._note = self._board.note
        self._failures = 0

    def run(self) -> None:
        """Until stop(), or until a named mailbox is no longer configured."""
        server: MailboxServer | None = None
        while not self._stopping.is_set():
            try:
                server = self.server()
            except ValueError as exc:  # the mailboxes file is wrong: it says so in the log
                log.error("%s mailbox %s: %s", self.protocol, self._name, exc)
                self._stopping.wait(NO_MAILBOX_SECONDS)
                continue
            if server is None:
                if self._name is not None:
                    return  # removed from the configuration
                self._stopping.wait(NO_MAILBOX_SECONDS)
                continue
            try:
                with self._connector.connect(server) as client:
                    self._note(server, connected=True)
                    delay = self._session(client, server)
            except Exception as exc:  # the server, the network, a token service, the database
                self._failures += 1
                delay = backoff_seconds(self._failures)
                self._note(server, connected=False, last_error=describe(exc))
                log.warning("%s mailbox %s: %s; trying again in %.0f s", self.protocol,
                            server.name, describe(exc), delay)
            self._stopping.wait(delay)
        if server is not None:
            self._note(server, connected=False)

    def stop(self) -> None:
        self._stopping.set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def health(self) -> MailboxHealth | None:
        return self._board.current()

    def server(self) -> MailboxServer | None:
        """This loop's mailbox as the settings say now (None: not configured)."""
        values = self._settings.current(max_age=0)
        first = first_server(values, self.protocol)
        if self._name is None or (first is not None and first.name == self._name):
            return first
        return next((s for s in mailbox_servers(values, self.protocol)
                     if s.name == self._name), None)

    def _session(self, client: Any, server: MailboxServer) -> float:
        """One connection's work; how long to wait before the next connection."""
        raise NotImplementedError

    def _took(self, server: MailboxServer, new: int) -> None:
        """A pass succeeded: the backoff starts again from one second."""
        self._failures = 0
        self._note(server, connected=True, last_success=utcnow(), last_error=None, taken=new)


class Pollers:
    """Every configured mailbox of the given protocols, each in a thread of its own."""

    def __init__(self, settings: RuntimeSettings, make: Callable[[str, str], MailboxLoop],
                 protocols: tuple[str, ...]) -> None:
        self._settings = settings
        self._make = make
        self._protocols = protocols
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._running: dict[tuple[str, str], tuple[MailboxLoop, threading.Thread]] = {}

    def run(self) -> None:
        try:
            while not self._stopping.is_set():
                self.reconcile()
                self._stopping.wait(RECONCILE_SECONDS)
        finally:
            self._stop_all()

    def reconcile(self) -> None:
        """Start a loop for each mailbox that has none; stop those of removed mailboxes."""
        values = self._settings.current(max_age=0)
        with self._lock:
            if self._stopping.is_set():
                return
            for key, (_loop, thread) in list(self._running.items()):
                if not thread.is_alive():
                    del self._running[key]
            wanted: set[tuple[str, str]] = set()
            for protocol in self._protocols:
                try:
                    wanted |= {(protocol, s.name) for s in mailbox_servers(values, protocol)}
                except ValueError as exc:  # keep what runs; the file is read again later
                    log.error("%s mailboxes: %s", protocol, exc)
                    wanted |= {key for key in self._running if key[0] == protocol}
            for key in wanted - self._running.keys():
                loop = self._make(*key)
                thread = threading.Thread(target=loop.run, name=f"{key[0]}:{key[1]}",
                                          daemon=True)
                self._running[key] = (loop, thread)
                thread.start()
                log.info("%s mailbox %s: poller started", *key)
            for key in self._running.keys() - wanted:
                self._running[key][0].stop()

    def stop(self) -> None:
        self._stopping.set()
        self._stop_all()

    def _stop_all(self) -> None:
        with self._lock:
            running = list(self._running.values())
        for loop, _ in running:
            loop.stop()
        for _, thread in running:
            thread.join(timeout=30)

    def loops(self) -> list[MailboxLoop]:
        with self._lock:
            return [loop for loop, _ in self._running.values()]


class KeptRefreshTokens:
    """domain.ports.RefreshTokenKeeper on the database: a refresh token the token endpoint
    rotated is used by every process and after a restart (adapters/mailbox/oauth2.py)."""

    def __init__(self, storage: Storage) -> None:
        self._storage = storage

    def get(self, grant_key: str) -> str | None:
        with self._storage.reading() as uow:
            return uow.mailboxes.refresh_token(grant_key)

    def keep(self, grant_key: str, token: str) -> None:
        with self._storage.writing() as uow:
            uow.mailboxes.keep_refresh_token(grant_key, token)
