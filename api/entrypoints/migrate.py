"""`python -m api.entrypoints.migrate`: apply the database migrations (the Procfile's release)."""

from __future__ import annotations

from adapters.persistence.db import Database
from adapters.persistence.migrate import upgrade
from api.entrypoints.bootstrap import Settings


def main() -> None:
    database = Database(Settings().database_url)
    try:
        upgrade(database)
    finally:
        database.dispose()


if __name__ == "__main__":
    main()
