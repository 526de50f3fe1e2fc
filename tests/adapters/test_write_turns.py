"""SQLite's writers in one process take turns, durable writers (a provider waiting for its
acknowledgement) first: adapters/persistence/db.py WriteTurns."""

from __future__ import annotations

import threading
import time

from adapters.persistence.write_turns import WriteTurns


def _waiting(turns: WriteTurns, order: list[str], name: str, *, first: bool) -> threading.Thread:
    def take() -> None:
        with turns.turn(first=first):
            order.append(name)

    thread = threading.Thread(target=take)
    thread.start()
    return thread


def test_a_durable_writer_goes_before_a_lazy_one_that_waited_longer() -> None:
    turns, order = WriteTurns(starving_after=30), []
    holder = turns.turn(first=False)
    holder.__enter__()
    lazy = _waiting(turns, order, "processing", first=False)
    time.sleep(0.05)  # the lazy writer waits first
    durable = _waiting(turns, order, "ingest", first=True)
    time.sleep(0.05)
    assert order == []  # neither writes while the turn is held
    holder.__exit__(None, None, None)
    lazy.join(5)
    durable.join(5)
    assert order == ["ingest", "processing"]


def test_a_lazy_writer_takes_the_next_turn_when_no_durable_writer_waits() -> None:
    turns, order = WriteTurns(), []
    with turns.turn(first=True):
        lazy = _waiting(turns, order, "outbox", first=False)
        time.sleep(0.05)
        assert order == []
    lazy.join(5)
    assert order == ["outbox"]


def test_across_processes_a_lazy_writer_coming_back_at_once_lets_a_waiting_durable_one_in(
        tmp_path) -> None:
    # Two WriteTurns on one file stand for two processes: flock(2) locks belong to the open
    # file, so the two exclude each other as two processes would.
    worker = WriteTurns(tmp_path / "c.db", starving_after=30)
    web = WriteTurns(tmp_path / "c.db", starving_after=30)
    order: list[str] = []
    released = threading.Event()

    def processing() -> None:
        with worker.turn(first=False):
            released.wait(5)
        with worker.turn(first=False):  # straight back, as the processing loop does
            order.append("processing")

    thread = threading.Thread(target=processing)
    thread.start()
    time.sleep(0.05)
    ingest = _waiting(web, order, "ingest", first=True)
    time.sleep(0.05)
    released.set()
    thread.join(5)
    ingest.join(5)
    assert order == ["ingest", "processing"]


def test_a_lazy_writer_that_waited_long_enough_goes_before_waiting_durable_ones() -> None:
    turns, order = WriteTurns(starving_after=0.05), []
    with turns.turn(first=True):  # ingest's commit, with more webhooks waiting behind it
        durable = _waiting(turns, order, "ingest again", first=True)
        lazy = _waiting(turns, order, "processing", first=False)
        time.sleep(0.15)  # the lazy writer is past its limit
    lazy.join(5)
    durable.join(5)
    assert order == ["processing", "ingest again"]  # processing is not starved


def test_a_lazy_writer_within_its_limit_still_lets_durable_ones_first() -> None:
    turns, order = WriteTurns(starving_after=30), []
    with turns.turn(first=True):
        lazy = _waiting(turns, order, "processing", first=False)
        durable = _waiting(turns, order, "ingest again", first=True)
        time.sleep(0.05)
    lazy.join(5)
    durable.join(5)
    assert order == ["ingest again", "processing"]
