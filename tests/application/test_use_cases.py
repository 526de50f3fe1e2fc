"""The use cases against fakes of their ports: processing, apply, delivery, settings, ingest.

No HTTP, no database, no threads: a bug in processing or delivery fails here as an assertion
in milliseconds. The wiring to real adapters is tested in tests/api and tests/adapters.
"""

from __future__ import annotations

from typing import Any

import pytest

from api.application.clock import utcnow
from api.application.delivery import OutboxSender
from api.application.ingest import IngestWriter
from api.application.processing import Processor
from api.application.runtime_settings import RuntimeSettings, settings_model, startup_values
from api.application.settings import CORE
from domain.errors import InvalidInput, SendFailed
from domain.messages import (
    ExtractedDocument,
    HeaderSummary,
    InboundDelivery,
    ReadMessage,
)
from domain.model import MessageView, OutboxKind, OutboxStatus
from tests.application.fakes import FakeMailer, FakeReader, FakeStorage

Settings = settings_model(CORE)


def runtime(storage: FakeStorage, **values: Any) -> RuntimeSettings:
    startup = Settings(_env_file=None, public_address="support@msp.example",  # type: ignore[call-arg]
                       support_team_address="team@msp.example", smtp_host="mail-a.example",
                       **values)
    return RuntimeSettings(CORE, startup_values(startup, CORE), storage)


def message(subject: str, sender: str = "bob@acme.example") -> tuple[bytes, ReadMessage]:
    raw = f"Subject: {subject}\r\nFrom: {sender}\r\n\r\nbody".encode()
    view = MessageView(from_address=sender, from_name="Bob", subject=subject,
                       message_id=f"{subject}@acme.example", to=("support@msp.example",))
    return raw, ReadMessage(view, ExtractedDocument(text="body", reply_text="body"))


class World:
    def __init__(self, **settings: Any) -> None:
        self.storage = FakeStorage()
        self.settings = runtime(self.storage, **settings)
        self.reads: dict[bytes, ReadMessage | str] = {}
        self.processor = Processor(
            self.storage, self.settings, FakeReader(lambda raw: self.reads[raw]), batch_size=8,
            lease_seconds=60, max_attempts=3, render_xml=lambda result: "<xml/>")
        self.mailer = FakeMailer()
        self.outbox = OutboxSender(self.storage, self.mailer, self.settings, lease_seconds=60,
                                   max_attempts=3, retry_base_seconds=30)
        self.ingest = IngestWriter(self.storage, lambda raw: HeaderSummary(
            message_id=raw.decode(errors="replace")[:40], from_address=None))

    def receive(self, subject: str, sender: str = "bob@acme.example") -> int:
        raw, read = message(subject, sender)
        self.reads[raw] = read
        return self.ingest.store(InboundDelivery(raw=raw, source="raw")).id

    def process(self) -> None:
        while self.processor.run_once():
            pass

    @property
    def state(self) -> Any:
        return self.storage.state


class TestProcessing:
    def test_a_known_customer_gets_a_ticket_its_document_and_an_acknowledgement(self) -> None:
        world = World()
        world.state.directory.add_account(7, "Acme", "acme.example")
        inbound = world.receive("Printer offline")
        world.process()
        row = world.state.inbound[inbound]
        assert (row.status, row.outcome, row.ticket_id) == ("done", "ticket_created", 1)
        assert world.state.tickets[1]["account_id"] == 7
        [(ticket_id, document)] = world.state.documents
        assert ticket_id == 1 and document.inbound_message_id == inbound
        [ack] = world.state.outbound.values()
        assert ack.kind == OutboxKind.ACKNOWLEDGEMENT and ack.mail.to == ["bob@acme.example"]
        assert ack.mail.subject == "[Ticket #0000001] Printer offline"

    def test_an_unknown_sender_is_forwarded_with_the_original_attached(self) -> None:
        world = World()
        inbound = world.receive("Quote?", sender="stranger@elsewhere.example")
        world.process()
        assert world.state.inbound[inbound].outcome == "forwarded_unrecognized"
        [forward] = world.state.outbound.values()
        assert forward.mail.to == ["team@msp.example"] and forward.attach_original
        assert forward.mail.headers["Reply-To"] == "stranger@elsewhere.example"

    def test_a_message_that_fails_to_apply_fails_alone_and_its_writes_are_undone(
            self, monkeypatch: pytest.MonkeyPatch) -> None:
        world = World()
        world.state.directory.add_account(7, "Acme", "acme.example")
        from tests.application import fakes

        real = fakes.FakeRecords.open_ticket

        def failing(self: Any, values: dict[str, Any], document: Any, now: Any) -> int:
            ticket_id = real(self, values, document, now)
            if values["subject"] == "poison":
                raise RuntimeError("simulated bug while filing")
            return ticket_id

        monkeypatch.setattr(fakes.FakeRecords, "open_ticket", failing)
        ids = [world.receive(subject) for subject in ("before", "poison", "after")]
        world.process()
        before, poison, after = (world.state.inbound[i] for i in ids)
        assert (before.outcome, after.outcome) == ("ticket_created", "ticket_created")
        assert poison.status == "failed" and "simulated bug while filing" in poison.error
        assert sorted(t["subject"] for t in world.state.tickets.values()) == ["after", "before"]

    def test_a_message_another_worker_took_over_is_left_to_it_and_the_rest_filed_once(
            self) -> None:
        """The batch's outcomes are recorded together: one lost claim undoes the batch, which
        runs again message by message, the lost one undone alone."""
        world = World()
        world.state.directory.add_account(7, "Acme", "acme.example")
        ids = [world.receive(subject) for subject in ("before", "taken", "after")]
        assert world.processor.run_once() == 3  # claimed, being read
        world.state.inbound[ids[1]].token = "other-worker"  # its lease ran out meanwhile
        world.process()
        before, taken, after = (world.state.inbound[i] for i in ids)
        assert (before.outcome, after.outcome) == ("ticket_created", "ticket_created")
        assert (taken.status, taken.outcome) == ("processing", None)
        assert sorted(t["subject"] for t in world.state.tickets.values()) == ["after", "before"]
        assert len(world.state.outbound) == 2  # the two acknowledgements, once each

    def test_unreadable_mail_is_recorded_failed_with_the_reason(self) -> None:
        world = World()
        raw = b"garbage"
        world.reads[raw] = "ValueError: unreadable at reading.py:1"
        inbound = world.ingest.store(InboundDelivery(raw=raw, source="raw")).id
        world.process()
        assert world.state.inbound[inbound].status == "failed"
        assert "unreadable" in world.state.inbound[inbound].error

    def test_while_off_nothing_is_processed_and_it_waits_in_arrival_order(self) -> None:
        world = World()
        world.settings.update({"status": "off"})
        inbound = world.receive("waiting")
        world.process()
        assert world.state.inbound[inbound].status == "queued"
        world.settings.update({"status": "on"})
        world.process()
        assert world.state.inbound[inbound].status == "done"


class TestDelivery:
    def queued(self, world: World) -> None:
        world.receive("Quote?", sender="stranger@elsewhere.example")
        world.process()

    def test_mail_goes_to_the_server_the_settings_name_at_the_time_of_delivery(self) -> None:
        world = World()
        self.queued(world)
        world.outbox.run_once()
        world.settings.update({"smtp_host": "mail-b.example", "smtp_port": 2525})
        world.receive("Another", sender="other@elsewhere.example")
        world.process()
        world.outbox.run_once()
        servers = [(server.host, server.port) for server, _, _ in world.mailer.sent]
        assert servers == [("mail-a.example", 25), ("mail-b.example", 2525)]
        assert all(o.status == OutboxStatus.SENT for o in world.state.outbound.values())

    def test_the_forward_carries_the_original_bytes(self) -> None:
        world = World()
        self.queued(world)
        world.outbox.run_once()
        [(_, mail, original)] = world.mailer.sent
        assert original is not None and original.startswith(b"Subject: Quote?")

    def test_a_temporary_refusal_is_retried_later_and_a_permanent_one_fails(self) -> None:
        world = World()
        self.queued(world)
        world.mailer.refuse = SendFailed("451 try later", permanent=False)
        world.outbox.run_once()
        [mail] = world.state.outbound.values()
        assert mail.status == OutboxStatus.PENDING and mail.due > utcnow()
        mail.due = utcnow()
        world.mailer.refuse = SendFailed("550 no such user", permanent=True)
        world.outbox.run_once()
        assert mail.status == OutboxStatus.FAILED and "550" in mail.last_error


class TestSettings:
    def test_a_change_is_validated_stored_and_seen_at_once(self) -> None:
        world = World()
        world.settings.update({"acknowledgements_per_hour": 2})
        assert world.state.settings == {"acknowledgements_per_hour": 2}
        assert world.settings.current().acknowledgements_per_hour == 2

    @pytest.mark.parametrize("changes, complaint", [
        ({"database_url": "sqlite://"}, "not changeable at runtime"),
        ({"support_team_address": "support@msp.example"}, "must differ from the public"),
        ({"public_address": "nobody"}, "not an email address"),
        ({"acknowledgements_per_hour": -1}, "0 or more"),
        ({"acknowledgement_subject": "{ticket}"}, "unknown placeholder"),
        ({"status": None}, "cannot be null"),
    ])
    def test_a_bad_change_is_refused_and_nothing_is_stored(self, changes: dict[str, Any],
                                                           complaint: str) -> None:
        world = World()
        with pytest.raises(InvalidInput, match=complaint):
            world.settings.update(changes)
        assert world.state.settings == {}

    def test_a_secret_never_shows_in_a_repr(self) -> None:
        world = World()
        world.settings.update({"smtp_password": "hunter2"})
        value = world.settings.current().smtp_password
        assert value == "hunter2" and "hunter2" not in repr(value)


class TestIngest:
    def test_the_same_delivery_twice_is_stored_once_and_answered_duplicate(self) -> None:
        world = World()
        first = world.ingest.store(InboundDelivery(raw=b"Subject: a\r\n\r\nx", source="raw"))
        again = world.ingest.store(InboundDelivery(raw=b"Subject: a\r\n\r\nx", source="raw"))
        assert (first.status, again.status, again.duplicate_of) == ("queued", "duplicate", first.id)
        assert list(world.state.raw) == [first.id]


class TestReadiness:
    def test_placeholder_addresses_and_an_open_xml_api_are_named(self) -> None:
        from api.application.settings import warnings

        world = World(xml_api_enabled=True)
        found = warnings({**world.settings.current().as_dict(),
                          "public_address": "support@example.com"})
        assert any("public_address is a placeholder" in w for w in found)
        assert any("XML API is on without a password" in w for w in found)
        assert warnings({"public_address": "help@msp.co", "support_team_address": "t@msp.co"}) == []
