"""The IMAP poller's use case against an in-memory mailbox: every message stored once, marked
on the server only after it is stored, and nothing taken twice across restarts, failures and a
UIDVALIDITY change."""

from __future__ import annotations

import threading
from typing import Any

from api.application.ingest import IngestWriter
from api.application.mailbox_loop import backoff_seconds
from api.application.mailboxes import MAILBOX_SETTINGS, imap_server
from api.application.polling import ImapPoller
from api.application.runtime_settings import RuntimeSettings, settings_model, startup_values
from api.application.settings import CORE
from domain.messages import HeaderSummary, InboundDelivery, Stored
from tests.application.fakes import FakeStorage
from tests.application.mailbox_fakes import FakeImapConnector, FakeImapServer

SPECS = (*CORE, *MAILBOX_SETTINGS)
Settings = settings_model(SPECS)


def mail(n: int) -> bytes:
    return f"Message-ID: <m{n}@acme.example>\r\nSubject: s{n}\r\n\r\nbody {n}".encode()


def summary(raw: bytes) -> HeaderSummary:
    first = raw.split(b"\r\n", 1)[0].decode()
    mid = first.removeprefix("Message-ID: ") if first.startswith("Message-ID") else None
    return HeaderSummary(message_id=mid, from_address=None)


class World:
    def __init__(self, **settings: Any) -> None:
        self.storage = FakeStorage()
        values = {"imap_host": "imap.example", "imap_username": "support@msp.example",
                  "imap_password": "pw", "public_address": "support@msp.example",
                  "support_team_address": "team@msp.example", **settings}
        startup = Settings(_env_file=None, **values)  # type: ignore[call-arg]
        self.settings = RuntimeSettings(SPECS, startup_values(startup, SPECS), self.storage)
        self.server = FakeImapServer()
        self.connector = FakeImapConnector(self.server)
        self.ingest = IngestWriter(self.storage, summary)
        self.deliveries: list[InboundDelivery] = []
        self.fail_store = False

    def store(self, delivery: InboundDelivery) -> Stored:
        if self.fail_store:
            raise OSError("database unavailable")
        self.deliveries.append(delivery)
        stored = self.ingest.store(delivery)
        uid = int(delivery.provider_event_id.rpartition("UID=")[2])  # type: ignore[union-attr]
        self.server.events.append(f"stored {uid}")
        return stored

    def poller(self) -> ImapPoller:
        return ImapPoller(self.storage, self.settings, self.connector, self.store, batch_size=3)

    def take(self, poller: ImapPoller | None = None) -> int:
        server = imap_server(self.settings.current())
        assert server is not None
        with self.connector.connect(server) as client:
            return (poller or self.poller()).take(client, server)

    def queued(self) -> list[bytes]:
        state = self.storage.state
        return [state.raw[i] for i, m in state.inbound.items() if m.status == "queued"]


def test_every_message_is_stored_once_and_marked_only_after_it_is_stored() -> None:
    world = World()
    for n in range(5):
        world.server.append(mail(n))
    assert world.take() == 5
    assert world.queued() == [mail(n) for n in range(5)]
    events = world.server.events
    for uid in range(1, 6):
        assert events.index(f"stored {uid}") < events.index(f"mark {uid}")
    assert all("$EmailConnectorTaken" in f for f in world.server.folders["INBOX"].flags.values())


def test_the_delivery_names_the_mailbox_its_recipient_and_the_message_url() -> None:
    world = World()
    world.server.append(mail(1))
    world.take()
    [delivery] = world.deliveries
    assert delivery.source == "imap:support@msp.example"
    assert delivery.envelope_to == ("support@msp.example",)
    assert delivery.provider_event_id == (
        "imap://support@msp.example@imap.example:993/INBOX;UIDVALIDITY=1/;UID=1")


def test_read_mail_is_taken_too_and_a_second_pass_takes_nothing_again() -> None:
    world = World()
    uid = world.server.append(mail(1))
    world.server.folders["INBOX"].flags[uid].add("\\Seen")  # a colleague opened it
    assert world.take() == 1
    assert world.take() == 0
    assert world.server.events.count("fetch 1") == 1


def test_after_a_restart_only_mail_above_the_stored_position_is_fetched() -> None:
    world = World()
    world.server.append(mail(1))
    world.take()
    world.server.append(mail(2))
    world.server.append(mail(3))  # arrived while the poller was down
    assert world.take(world.poller()) == 2
    assert [e for e in world.server.events if e.startswith("fetch")] == [
        "fetch 1", "fetch 2", "fetch 3"]


def test_a_uidvalidity_change_takes_the_folder_again_without_duplicates() -> None:
    world = World()
    for n in range(3):
        world.server.append(mail(n))
    world.take()
    world.server.recreate()
    for n in range(4):  # the same three again, and one new
        world.server.append(mail(n))
    assert world.take() == 1
    assert world.queued() == [mail(n) for n in range(4)]


def test_a_failed_store_marks_nothing_and_the_next_pass_takes_the_message() -> None:
    world = World()
    world.server.append(mail(1))
    world.fail_store = True
    try:
        world.take()
    except OSError:
        pass
    assert not any(e.startswith("mark") for e in world.server.events)
    assert not any(k.startswith("imap://") for k in world.storage.state.mailboxes)
    world.fail_store = False
    assert world.take() == 1


def test_a_connection_lost_mid_batch_loses_nothing_and_duplicates_nothing() -> None:
    world = World()
    for n in range(5):
        world.server.append(mail(n))
    world.server.fail_fetch_at = 2
    try:
        world.take()
    except ConnectionResetError:
        pass
    world.take()
    assert world.queued() == [mail(n) for n in range(5)]


def test_with_a_processed_folder_taken_mail_is_moved_there() -> None:
    world = World(imap_processed_folder="Done")
    world.server.append(mail(1))
    world.take()
    assert world.server.folders["INBOX"].messages == {}
    assert list(world.server.folders["Done"].messages.values()) == [mail(1)]


def test_a_message_above_the_size_limit_is_left_unmarked_and_the_rest_is_taken() -> None:
    world = World(max_message_bytes=100)
    world.server.append(mail(1) + b"x" * 200)
    world.server.append(mail(2))
    assert world.take() == 1
    assert world.server.folders["INBOX"].flags[1] == set()
    assert world.take() == 0  # not fetched again and again


def test_the_loop_reports_a_refused_login_and_backs_off() -> None:
    world = World()
    world.server.refuse_login = True
    poller = world.poller()
    thread = threading.Thread(target=poller.run)
    thread.start()
    try:
        for _ in range(200):
            health = poller.health()
            if health is not None and health.last_error:
                break
            threading.Event().wait(0.01)
    finally:
        poller.stop()
        thread.join(timeout=5)
    assert not thread.is_alive()
    health = poller.health()
    assert health is not None and not health.connected and "login refused" in health.last_error
    assert [backoff_seconds(n) for n in (1, 2, 3, 20)] == [1, 2, 4, 300]


def test_the_loop_takes_new_mail_and_stops_when_asked() -> None:
    world = World(imap_poll_seconds=1)
    world.server.idle = False
    world.server.append(mail(1))
    poller = world.poller()
    thread = threading.Thread(target=poller.run)
    thread.start()
    try:
        for _ in range(300):
            if world.queued():
                break
            threading.Event().wait(0.01)
    finally:
        poller.stop()
        thread.join(timeout=5)
    assert world.queued() == [mail(1)]
    health = poller.health()
    assert health is not None and health.taken == 1 and health.last_success is not None
