"""The hot statements run on SQLite's cursor (adapters/persistence/prepared.py) must bind and
return exactly what SQLAlchemy's Connection.execute does, and fall back to it where they
cannot (expanding lists, converted result columns); errors keep SQLAlchemy's types."""

from __future__ import annotations

import gc
import tracemalloc
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import DateTime, String, bindparam, cast, event, insert, literal, select
from sqlalchemy.exc import IntegrityError

from adapters.persistence.db import Database
from adapters.persistence.migrate import upgrade
from adapters.persistence.prepared import Prepared
from adapters.persistence.tables import OutboundMessage
from adapters.persistence.types import UTCDateTime
from domain.errors import StorageConflict

T = OutboundMessage.__table__  # type: ignore[attr-defined]
WHEN = datetime(2026, 12, 2, 4, 30, 15, 123456, tzinfo=UTC)


def _row(message_id: str) -> dict[str, object]:
    return {"kind": "forward", "mail_from": "support@msp.example", "to_addresses": ["a@b.example"],
            "bcc_addresses": [], "subject": "é ünïcode", "body": "b", "headers": {"X-A": "1"},
            "message_id": message_id, "status": "pending", "attempts": 0,
            "next_attempt_at": WHEN, "created_at": WHEN, "attach_original": False}


def test_a_prepared_insert_stores_what_a_core_insert_stores(db: Database) -> None:
    add = Prepared(insert(T).returning(T.c.id))
    with db.writing() as session:
        connection = session.connection()
        fast = add.execute(connection, _row("<fast@x>")).scalar_one()
        core = connection.execute(insert(T).returning(T.c.id), _row("<core@x>")).scalar_one()
    with db.reading() as session:
        rows = {r.message_id: r for r in session.connection().execute(select(T))}
    fields = ("to_addresses", "headers", "subject", "next_attempt_at", "created_at", "status")
    assert fast != core
    assert [getattr(rows["<fast@x>"], f) for f in fields] == \
        [getattr(rows["<core@x>"], f) for f in fields]
    assert rows["<fast@x>"].next_attempt_at == WHEN  # the datetime bound as Core binds it


def test_a_prepared_select_binds_datetimes_and_literals_as_core_does(db: Database) -> None:
    with db.writing() as session:
        session.connection().execute(insert(T), _row("<m@x>"))
    due = Prepared(select(T.c.message_id).where(
        T.c.next_attempt_at <= bindparam("now", type_=UTCDateTime())).limit(1))
    with db.reading() as session:
        connection = session.connection()
        assert list(due.execute(connection, {"now": WHEN}).scalars()) == ["<m@x>"]
        assert due.execute(connection, {"now": datetime(2026, 12, 2, tzinfo=UTC)}).all() == []
        assert Prepared(select(literal(1))).execute(connection, {}).scalar_one() == 1


def test_a_datetime_bound_again_gets_its_own_zones_value(db: Database) -> None:
    """Bound datetimes' processed values are kept for the next time (prepared._processed): two
    datetimes of one instant in two zones are equal, but a plain DateTime stores each one's
    wall time, so each must get its own."""
    if not db.is_sqlite:
        pytest.skip("psycopg binds a datetime as it is: no processor, nothing kept")
    echo = Prepared(select(cast(bindparam("when", type_=DateTime()), String)))  # text back
    paris = timezone(timedelta(hours=1))
    with db.reading() as session:
        connection = session.connection()
        texts = [echo.execute(connection, {"when": when}).scalar_one()
                 for when in (WHEN, WHEN.astimezone(paris), WHEN, WHEN.replace(tzinfo=None))]
    assert WHEN.astimezone(paris) == WHEN  # equal: one key, were the zone not part of it
    assert texts[0] == texts[2] == texts[3] == "2026-12-02 04:30:15.123456"
    assert texts[1] == "2026-12-02 05:30:15.123456"


def test_what_needs_converting_or_expanding_falls_back_to_core(db: Database) -> None:
    with db.writing() as session:
        session.connection().execute(insert(T), _row("<m@x>"))
    dated = Prepared(select(T.c.created_at).where(T.c.message_id == bindparam("id")))
    listed = Prepared(select(T.c.id).where(T.c.message_id.in_(bindparam("ids", expanding=True))))
    with db.reading() as session:
        connection = session.connection()
        assert dated.execute(connection, {"id": "<m@x>"}).scalar_one() == WHEN  # not text
        assert len(listed.execute(connection, {"ids": ["<m@x>", "<n@x>"]}).all()) == 1


def test_a_unique_key_violation_is_a_storage_conflict_as_through_core(db: Database) -> None:
    add = Prepared(insert(T))
    with pytest.raises(StorageConflict) as raised, db.writing() as session:
        add.execute(session.connection(), _row("<twice@x>"))
        add.execute(session.connection(), _row("<twice@x>"))
    assert isinstance(raised.value.__cause__, IntegrityError)  # SQLAlchemy's, mapped by db.py


def test_several_rows_of_parameters_are_one_executemany_with_the_same_result(db: Database) -> None:
    add = Prepared(insert(T))
    with db.writing() as session:
        add.execute(session.connection(), [_row("<one@x>"), _row("<two@x>")])
    with db.reading() as session:
        stored = session.connection().execute(select(T.c.message_id, T.c.to_addresses)).all()
    assert sorted(stored) == [("<one@x>", ["a@b.example"]), ("<two@x>", ["a@b.example"])]


def test_on_sqlite_and_postgresql_the_hot_statements_skip_core_s_execute(db: Database) -> None:
    through_core: list[str] = []
    event.listen(db.engine, "before_execute", lambda _, clause, *rest: through_core.append(str(clause)))
    add, one = Prepared(insert(T)), Prepared(insert(T).returning(T.c.id))
    due = Prepared(select(T.c.message_id).where(T.c.message_id == bindparam("id")).limit(1))

    def full(message_id: str) -> dict[str, object]:  # no Python-side default left to fill
        return {**_row(message_id), "updated_at": WHEN}

    with db.writing() as session:
        connection = session.connection()
        add.execute(connection, [full("<a@x>"), full("<b@x>")])
        assert one.execute(connection, full("<c@x>")).scalar_one() > 0
        assert due.execute(connection, {"id": "<b@x>"}).scalars() == ["<b@x>"]
    assert through_core == []


def test_a_result_stays_readable_after_the_next_statement_on_the_same_connection(
        db: Database) -> None:
    with db.writing() as session:
        session.connection().execute(insert(T), [_row("<m@x>"), _row("<n@x>")])
    by_id = Prepared(select(T.c.message_id).where(T.c.message_id == bindparam("id")))
    with db.reading() as session:
        connection = session.connection()
        first = by_id.execute(connection, {"id": "<m@x>"})
        second = by_id.execute(connection, {"id": "<n@x>"})  # the driver's cursor is reused
        assert (first.scalars(), second.scalars()) == (["<m@x>"], ["<n@x>"])


def test_one_statement_runs_on_sqlite_and_on_the_suite_s_database_in_one_process(
        db: Database, tmp_path) -> None:
    other = Database(f"sqlite:///{tmp_path}/other.db")
    upgrade(other)
    by_id = Prepared(select(T.c.message_id).where(T.c.message_id == bindparam("id")))
    try:
        for database in (db, other, db):  # each its own dialect's SQL, not the first one's
            with database.writing() as session:
                session.connection().execute(insert(T), _row("<m@x>"))
                assert by_id.execute(session.connection(), {"id": "<m@x>"}).scalars() == ["<m@x>"]
                session.connection().execute(T.delete())
    finally:
        other.dispose()


def test_a_large_value_is_let_go_once_its_statement_has_run(db: Database) -> None:
    add = Prepared(insert(T))
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        body = "é" * (4 * 1024 * 1024)  # 8 MB as UTF-8
        with db.writing() as session:
            add.execute(session.connection(), {**_row("<big@x>"), "updated_at": WHEN,
                                               "body": body})
        del body
        gc.collect()
        # the connection idles in the pool now: nothing of the value may stay with it
        assert tracemalloc.get_traced_memory()[0] - baseline < 1024 * 1024
    finally:
        tracemalloc.stop()
