"""The POP3 poller against a real Dovecot and a real database: every message stored once,
nothing taken again across restarts, deleted from the server only when configured to, and
only after it is stored."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.mailbox.pop3 import Pop3Connector
from api.application.mailboxes import pop3_server
from api.entrypoints.bootstrap import Settings, build_pop3_poller, build_process
from domain.messages import InboundDelivery, Stored
from tests.mailbox.conftest import Dovecot


@pytest.fixture
def connector(dovecot: Dovecot, database_url: str, tmp_path: Path) -> Iterator[Any]:
    made: list[Any] = []

    def make(**settings: Any) -> Any:
        values = dict(database_url=database_url, data_dir=tmp_path / "data", inline_worker=False,
                      api_keys="k", inbound_username="u", inbound_password="p",
                      pop3_host="127.0.0.1", pop3_port=dovecot.pop3_port, pop3_security="none",
                      pop3_username=dovecot.user, pop3_password=dovecot.password, **settings)
        process = build_process(Settings(_env_file=None, **values))
        made.append(process)
        return process

    yield make
    for process in made:
        process.stop()


def take(process: Any, store: Any = None) -> int:
    poller = build_pop3_poller(process)
    if store is not None:
        poller._store = store  # noqa: SLF001 (a store that looks at the server first)
    server = pop3_server(process.services.settings.current(max_age=0))
    with Pop3Connector().connect(server) as client:
        return int(poller.take(client, server))


def on_server(dovecot: Dovecot) -> int:
    client = dovecot.client()
    try:
        return len(client.select_folder("INBOX") and client.search(["ALL"]))
    finally:
        client.logout()


def unique_inbound(process: Any) -> list[str]:
    with process.services.storage.reading() as uow:
        items, _ = uow.inbox.page(status=None, outcome=None, limit=1000, offset=0)
    return sorted(m.message_id for m in items if m.outcome != "duplicate")


def mails(count: int, start: int = 0) -> list[bytes]:
    # A line that starts with a dot (dot-stuffed on the wire, RFC 1939 §3) and one far above
    # poplib's own 2048-byte line limit.
    return [(f"From: u{i}@acme.example\r\nTo: support@msp.example\r\nSubject: s{i}\r\n"
             f"Message-ID: <pop-{i}@acme.example>\r\n\r\n.a dot line\r\n{'x' * 3000}\r\n"
             ).encode() for i in range(start, start + count)]


def test_pop3_mail_is_stored_once_and_kept_on_the_server_by_default(
        dovecot: Dovecot, connector: Any) -> None:
    dovecot.append(*mails(3))
    first = connector()
    assert take(first) == 3
    assert take(first) == 0
    dovecot.append(*mails(1, start=3))
    assert take(connector()) == 1  # after a restart: only the new one
    assert unique_inbound(first) == [f"pop-{i}@acme.example" for i in range(4)]
    assert on_server(dovecot) == 4
    with first.services.storage.reading() as uow:
        [raw] = uow.inbox.raw_bytes([1]).values()
    assert raw == mails(1)[0]  # byte for byte


def test_with_delete_on_messages_leave_the_server_only_after_they_are_stored(
        dovecot: Dovecot, connector: Any) -> None:
    dovecot.append(*mails(2))
    process = connector(pop3_delete=True)
    counts: list[int] = []

    def store(delivery: InboundDelivery) -> Stored:
        counts.append(len(unique_inbound(process)))
        return process.services.ingest.store(delivery)

    assert take(process, store) == 2
    assert counts == [0, 1] and on_server(dovecot) == 0
    assert take(process) == 0
    assert unique_inbound(process) == ["pop-0@acme.example", "pop-1@acme.example"]
