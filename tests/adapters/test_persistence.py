"""Persistence on a real SQLite file: migrations, durable ingest, claims and leases."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect, text
from sqlmodel import SQLModel

from adapters.mail.headers import summarize
from adapters.persistence.db import Database
from adapters.persistence.migrate import upgrade
from adapters.persistence.storage import SqlStorage
from adapters.persistence.types import utcnow
from api.application.ingest import IngestWriter, prepare
from domain.messages import Finished, InboundDelivery, OutgoingMail, QueuedMail
from tests.conftest import BACKEND


def writer_for(db: Database, **kw: object) -> IngestWriter:
    return IngestWriter(SqlStorage(db), summarize, **kw)  # type: ignore[arg-type]


def delivery(body: bytes = b"hello", message_id: str = "<m1@x>") -> InboundDelivery:
    raw = b"From: bob@acme.example\r\nMessage-ID: " + message_id.encode() + b"\r\n\r\n" + body
    return InboundDelivery(raw=raw, source="raw", envelope_to=("support@msp.example",))


def test_the_migrations_build_exactly_the_tables_the_code_declares(db: Database) -> None:
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert diff == []


@pytest.mark.skipif(BACKEND != "sqlite", reason="SQLite's journal settings")
def test_the_database_runs_in_wal_mode_with_full_sync(db: Database) -> None:
    with db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL


@pytest.mark.skipif(BACKEND != "postgres", reason="PostgreSQL's TOAST compression")
def test_on_postgresql_raw_messages_and_attachments_compress_with_lz4(db: Database) -> None:
    query = text("SELECT attrelid::regclass::text, attname, attcompression FROM pg_attribute "
                 "WHERE (attrelid::regclass::text, attname) IN (('raw_message', 'data'), "
                 "('attachment', 'data'), ('document', 'text'), ('document', 'html'))")
    with db.engine.connect() as connection:
        offered = connection.execute(text("SELECT enumvals FROM pg_settings "
                                          "WHERE name = 'default_toast_compression'")).scalar()
        if "lz4" not in offered:
            pytest.skip("this PostgreSQL server was built without lz4")
        methods = {(table, column): method for table, column, method in connection.execute(query)}
    assert methods == {("raw_message", "data"): "l", ("attachment", "data"): "l",
                       ("document", "text"): "l", ("document", "html"): "l"}


def test_migrating_twice_changes_nothing(db: Database) -> None:
    before = sorted(inspect(db.engine).get_table_names())
    upgrade(db)
    assert sorted(inspect(db.engine).get_table_names()) == before


def test_stored_raw_bytes_are_byte_exact_and_a_second_delivery_is_a_duplicate(db: Database) -> None:
    writer = writer_for(db)
    odd = delivery(b"\x00\xff\r\n\xe4 not utf-8\r\n")
    first = writer.store(odd)
    second = writer.store(odd)
    assert (first.status, second.status, second.duplicate_of) == ("queued", "duplicate", first.id)
    with SqlStorage(db).reading() as uow:
        assert uow.inbox.raw_bytes([first.id]) == {first.id: odd.raw}


def test_duplicates_within_one_batch_are_caught(db: Database) -> None:
    with SqlStorage(db).writing() as uow:
        results = uow.inbox.store([prepare(delivery(), summarize), prepare(delivery(), summarize)],
                                  utcnow())
    assert [r.status for r in results] == ["queued", "duplicate"]


def test_a_backup_copy_is_written_for_each_accepted_message(db: Database, tmp_path: Path) -> None:
    writer = writer_for(db, backup_dir=tmp_path / "backup")
    writer.start()
    try:
        stored = writer.store(delivery())
        writer.store(delivery())  # the duplicate gets no second copy
    finally:
        writer.stop()
    copies = list((tmp_path / "backup").rglob("*.eml"))
    assert [p.name for p in copies] == [f"{stored.id:010d}.eml"]
    assert copies[0].read_bytes() == delivery().raw


def claim(db: Database, token: str, now_offset: float = 0, lease: float = 60, max_attempts: int = 3):
    with SqlStorage(db).writing() as uow:
        return uow.inbox.claim(limit=10, token=token, now=utcnow() + timedelta(seconds=now_offset),
                               lease_seconds=lease, max_attempts=max_attempts)


def test_a_claimed_message_is_not_claimed_again_until_its_lease_runs_out(db: Database) -> None:
    writer_for(db).store(delivery())
    first, _ = claim(db, "worker-a")
    assert [c.token for c in first] == ["worker-a"]
    assert claim(db, "worker-b")[0] == []
    taken_over, _ = claim(db, "worker-b", now_offset=120)
    assert [c.id for c in taken_over] == [first[0].id]
    with SqlStorage(db).writing() as uow:  # the first worker finishing late must not win
        assert not uow.inbox.finish([Finished(first[0], "bounce", "x", None)], now=utcnow())
        assert uow.inbox.finish([Finished(taken_over[0], "bounce", "x", None)], now=utcnow())


def test_a_batch_of_outcomes_is_recorded_only_where_every_claim_still_holds(db: Database) -> None:
    """One statement for a batch (an executemany): its row count tells a lost claim."""
    writer = writer_for(db)
    for n in (1, 2):
        writer.store(delivery(message_id=f"<batch{n}@x>"))
    first, _ = claim(db, "worker-a")
    taken_over, _ = claim(db, "worker-b", now_offset=120)
    assert len(first) == len(taken_over) == 2
    with SqlStorage(db).writing() as uow:
        assert not uow.inbox.finish([Finished(c, "bounce", "x", None) for c in first], now=utcnow())
        assert uow.inbox.finish([Finished(c, "bounce", "x", None) for c in taken_over],
                                now=utcnow())


def test_a_message_interrupted_too_often_is_failed_not_retried_forever(db: Database) -> None:
    stored = writer_for(db).store(delivery())
    for attempt in range(2):
        claimed, given_up = claim(db, f"w{attempt}", now_offset=attempt * 120, max_attempts=2)
        assert [c.id for c in claimed] == [stored.id] and given_up == []
    claimed, given_up = claim(db, "w9", now_offset=400, max_attempts=2)
    assert claimed == [] and given_up == [stored.id]
    with db.reading() as session:
        status, error = session.execute(
            text("SELECT status, error FROM inbound_message WHERE id = :i"), {"i": stored.id}).one()
    assert status == "failed" and "interrupted 2 times" in error


def test_an_idle_worker_sees_claimable_work_only_when_a_claim_would_take_it(db: Database) -> None:
    def claimable(offset: float = 0) -> bool:
        with SqlStorage(db).reading() as uow:
            return uow.inbox.has_claimable(utcnow() + timedelta(seconds=offset))

    assert not claimable()
    writer_for(db).store(delivery())
    assert claimable()
    claim(db, "worker-a")
    assert not claimable()  # claimed, its lease running
    assert claimable(offset=120)  # the lease ran out: another worker may take it over


def test_the_outbox_has_due_mail_only_when_claim_due_would_take_or_settle_some(db: Database) -> None:
    storage = SqlStorage(db)

    def due(offset: float = 0) -> bool:
        with storage.reading() as uow:
            return uow.outbox.has_due(utcnow() + timedelta(seconds=offset))

    mail = OutgoingMail(mail_from="support@msp.example", to=["bob@acme.example"], subject="s",
                        body="b", message_id="<out-1@msp.example>")
    with storage.writing() as uow:
        uow.outbox.add(QueuedMail(kind="acknowledgement", mail=mail), utcnow())
    assert due()
    with storage.writing() as uow:
        [claimed] = uow.outbox.claim_due(limit=10, now=utcnow(), lease_seconds=60)
        assert uow.outbox.mark_handed_over([claimed])
    assert not due()  # being sent, its lease running
    assert due(offset=120)  # its sender died after the hand-over: claim_due settles it
    with storage.writing() as uow:
        assert uow.outbox.claim_due(limit=10, now=utcnow() + timedelta(seconds=120),
                                    lease_seconds=60) == []
        later = replace(mail, message_id="<out-2@msp.example>")
        uow.outbox.add(QueuedMail(kind="acknowledgement", mail=later), utcnow() + timedelta(hours=1))
    assert not due()  # settled, and the new one is not due yet


def test_a_group_is_handed_over_only_while_every_mail_of_it_is_still_this_claim_s(
        db: Database) -> None:
    storage = SqlStorage(db)
    with storage.writing() as uow:
        for n in range(3):
            mail = OutgoingMail(mail_from="support@msp.example", to=["bob@acme.example"],
                                subject="s", body="b", message_id=f"<out-{n}@msp.example>")
            uow.outbox.add(QueuedMail(kind="acknowledgement", mail=mail), utcnow())
    with storage.writing() as uow:
        one, two, three = uow.outbox.claim_due(limit=10, now=utcnow(), lease_seconds=60)
    taken_since = replace(three, attempts=three.attempts + 1)  # another worker claimed it since
    with pytest.raises(LookupError), storage.writing() as uow:  # the sender rolls back
        assert not uow.outbox.mark_handed_over([one, two, taken_since])
        raise LookupError
    with storage.writing() as uow:
        assert uow.outbox.mark_handed_over([one, two])
        uow.outbox.mark_sent([(one, None), (two, "sent, but refused for: x@y.example")], utcnow())
    with storage.reading() as uow:
        rows, _ = uow.outbox.page(status=None, kind=None, inbound_message_id=None, limit=10,
                                  offset=0)
    assert sorted((r.message_id, r.status, r.last_error) for r in rows) == [
        ("<out-0@msp.example>", "sent", None),
        ("<out-1@msp.example>", "sent", "sent, but refused for: x@y.example"),
        ("<out-2@msp.example>", "pending", None)]


@contextmanager
def at_revision(database: Database, revision: str) -> Iterator[Connection]:
    """A connection to the database migrated to `revision` exactly (rows written in it, then
    committed), for a test of the migrations after it."""
    from alembic import command

    from adapters.persistence.migrate import alembic_config

    config = alembic_config(database.url)
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        if inspect(connection).has_table("alembic_version"):  # PostgreSQL's is migrated
            command.downgrade(config, revision)
        else:
            command.upgrade(config, revision)
        yield connection


def test_contacts_and_employees_from_before_0009_were_last_changed_when_created(
        database_url: str) -> None:
    database = Database(database_url)
    created = "2026-01-02 03:04:05.000006"
    try:
        with at_revision(database, "0008") as connection:
            connection.execute(text("INSERT INTO account (id, name, created_at, updated_at) "
                                    "VALUES (1, 'Acme', :t, :t)"), {"t": created})
            connection.execute(text("INSERT INTO contact (account_id, name, created_at) "
                                    "VALUES (1, 'Bob', :t)"), {"t": created})
            connection.execute(text("INSERT INTO employee (name, email1, active, created_at) "
                                    "VALUES ('Eve', 'eve@msp.example', true, :t)"), {"t": created})
        upgrade(database)
        with database.engine.connect() as connection:
            for table in ("contact", "employee"):
                row = connection.execute(text(f"SELECT created_at, updated_at FROM {table}")).one()
                assert row[0] == row[1] and str(row[1]).startswith("2026-01-02 03:04:05")
    finally:
        database.dispose()


def test_messages_from_before_0010_were_last_changed_when_last_processed_or_sent(
        database_url: str) -> None:
    database = Database(database_url)
    received, processed, sent = ("2026-01-02 03:04:05.000006", "2026-01-02 03:04:07.000000",
                                 "2026-01-02 03:04:09.000000")
    try:
        with at_revision(database, "0009") as connection:
            for processed_at in (processed, None):  # one finished, one still queued
                connection.execute(text(
                    "INSERT INTO inbound_message (source, received_at, to_addresses, envelope_to,"
                    " size, sha256, status, attempts, generation, processed_at) VALUES ('raw', "
                    ":r, '[]', '[]', 1, '', 'done', 1, 0, :p)"), {"r": received, "p": processed_at})
            for n, sent_at in enumerate((sent, None)):
                connection.execute(text(
                    "INSERT INTO outbound_message (kind, mail_from, to_addresses, bcc_addresses,"
                    " subject, body, headers, attach_original, message_id, status, attempts, "
                    "next_attempt_at, created_at, sent_at) VALUES ('forward', 'a@b.example', "
                    "'[]', '[]', 's', '', '{}', false, :m, 'sent', 1, :c, :c, :s)"),
                    {"m": f"<{n}@b.example>", "c": received, "s": sent_at})
        upgrade(database)
        with database.engine.connect() as connection:
            inbound = connection.execute(text(
                "SELECT updated_at FROM inbound_message ORDER BY id")).scalars().all()
            outbound = connection.execute(text(
                "SELECT updated_at FROM outbound_message ORDER BY id")).scalars().all()
        assert [str(t)[:19] for t in inbound] == [processed[:19], received[:19]]
        assert [str(t)[:19] for t in outbound] == [sent[:19], received[:19]]
    finally:
        database.dispose()
