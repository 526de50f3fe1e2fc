"""Large raw messages through the durable store: byte for byte, in the transaction, without
the whole-blob copies of SQLite's bound parameters (adapters/persistence/blobs.py)."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from adapters.mail.headers import summarize
from adapters.persistence.blobs import LARGE
from adapters.persistence.db import Database
from adapters.persistence.storage import SqlStorage
from adapters.persistence.types import utcnow
from api.application.ingest import IngestWriter, prepare
from domain.messages import InboundDelivery


def large_delivery(size: int, message_id: str = "<big@acme.example>") -> InboundDelivery:
    raw = (b"From: bob@acme.example\r\nMessage-ID: " + message_id.encode() + b"\r\n\r\n"
           + os.urandom(size))
    return InboundDelivery(raw=raw, source="raw", envelope_to=("support@msp.example",))


def test_large_and_small_raw_messages_come_back_byte_for_byte(db: Database) -> None:
    writer = IngestWriter(SqlStorage(db), summarize)
    big, small, edge = (large_delivery(5 * LARGE, "<a@x>"), large_delivery(100, "<b@x>"),
                        large_delivery(LARGE, "<c@x>"))
    stored = [writer.store(d) for d in (big, small, edge)]
    with SqlStorage(db).reading() as uow:
        raws = uow.inbox.raw_bytes([s.id for s in stored] + [999_999])
    assert raws == {stored[0].id: big.raw, stored[1].id: small.raw, stored[2].id: edge.raw}


def test_a_large_message_in_a_rolled_back_unit_of_work_leaves_nothing(db: Database) -> None:
    item = prepare(large_delivery(3 * LARGE), summarize)
    with pytest.raises(RuntimeError), SqlStorage(db).writing() as uow:
        uow.inbox.store([item], utcnow())
        raise RuntimeError("the commit never happens")
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM raw_message")).scalar_one() == 0
    stored = IngestWriter(SqlStorage(db), summarize).store(item.delivery)  # and again, whole
    with SqlStorage(db).reading() as uow:
        assert uow.inbox.raw_bytes([stored.id]) == {stored.id: item.delivery.raw}
