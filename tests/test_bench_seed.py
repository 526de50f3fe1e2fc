"""The bench seeds its databases with hand-written bulk inserts (bench/seed.py): when the
schema gains a required column, this fails here and not half way through `make bench`."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from bench.seed import seed


def test_the_bench_seed_fills_a_freshly_migrated_database(database_url: str) -> None:
    seed(database_url, accounts=3, tickets=5)
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            counts = {t: connection.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                      for t in ("account", "contact", "ticket")}
    finally:
        engine.dispose()
    assert counts == {"account": 3, "contact": 3, "ticket": 5}
