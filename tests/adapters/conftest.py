"""Fixtures shared by the adapter tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from adapters.persistence.db import Database
from adapters.persistence.migrate import upgrade


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """A migrated database on the suite's backend (SQLite, or PostgreSQL when chosen)."""
    database = Database(database_url)
    upgrade(database)
    yield database
    database.dispose()
