"""A batch's Message-IDs looked up at once (SqlDirectory.prefetch_own_message_ids) give the
answers the one-at-a-time lookups give, without a statement each."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert

from adapters.persistence.db import Database
from adapters.persistence.directory import SqlDirectory
from adapters.persistence.tables import OutboundMessage
from tests.adapters.test_prepared import _row

OURS, THEIRS, OTHER = "<ours@msp.example>", "<theirs@acme.example>", "<other@acme.example>"


def test_prefetched_answers_are_the_lookups_answers_without_a_statement_each(db: Database) -> None:
    with db.writing() as session:
        session.connection().execute(insert(OutboundMessage.__table__), _row(OURS))  # type: ignore[attr-defined]
    with db.writing() as session:
        directory = SqlDirectory(session)
        one_by_one = {m: directory.is_own_message_id(m) for m in (OURS, THEIRS)}
    with db.writing() as session:
        directory = SqlDirectory(session)
        directory.prefetch_own_message_ids([OURS, THEIRS, "", OURS])
        statements: list[Any] = []
        rows = directory._rows
        directory._rows = lambda *a, **k: statements.append(a) or rows(*a, **k)  # type: ignore[method-assign]
        prefetched = {m: directory.is_own_message_id(m) for m in (OURS, THEIRS)}
        assert statements == []
        assert directory.is_own_message_id(OTHER) is False  # not prefetched: looked up
        assert len(statements) == 1
    assert prefetched == one_by_one == {OURS: True, THEIRS: False}
