"""Shared fixtures: a real SMTP server on loopback, settings on a temp SQLite file, the app."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.harness import Process

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
# `CONNECTOR_TEST_DATABASE=postgres` runs every database test on a real PostgreSQL server
# that the suite starts itself (make test-postgres); the default is SQLite files.
BACKEND = os.environ.get("CONNECTOR_TEST_DATABASE", "sqlite")


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes


@dataclass
class SmtpSink:
    """What a real SMTP server on 127.0.0.1 received."""

    host: str
    port: int
    messages: list[ReceivedMail] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    refuse_with: str | None = None  # e.g. "451 try later" or "550 no such user"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if self.refuse_with:
            return self.refuse_with
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        with self.lock:
            self.messages.append(ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos),
                                              bytes(envelope.original_content or envelope.content)))
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedMail]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.02)
        with self.lock:
            raise AssertionError(f"expected {count} mail(s), got {len(self.messages)}")

    def to(self, address: str) -> list[ReceivedMail]:
        with self.lock:
            return [m for m in self.messages if address in m.rcpt_tos]


@contextmanager
def smtp_server() -> Iterator[SmtpSink]:
    """A real SMTP server (aiosmtpd) on a free loopback port, for as long as the block runs."""
    sink = SmtpSink("127.0.0.1", free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port, decode_data=False)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    with smtp_server() as sink:
        yield sink


@pytest.fixture
def spawned() -> Iterator[list[Process]]:
    """Every process a test starts; all are killed at the end, whatever happened."""
    processes: list[Process] = []
    yield processes
    for process in processes:
        process.kill()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(predicate: Callable[[], object], timeout: float = 10.0, interval: float = 0.02) -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The PostgreSQL run keeps the tests that use a database (through `database_url`, which
    is the only way to it): the others (domain rules, use cases on fakes, MIME parsing, the
    container files) do not depend on the backend and ran in `make test` already."""
    if BACKEND != "postgres":
        return
    kept, left = [], []
    for item in items:
        uses = "postgres_template" in getattr(item, "fixturenames", ())
        (kept if uses else left).append(item)
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[tuple[object, str] | None]:
    """One PostgreSQL server per test session, with a migrated template database."""
    if BACKEND != "postgres":
        yield None
        return
    from adapters.persistence.db import Database
    from adapters.persistence.migrate import upgrade
    from tests.pg import PostgresCluster

    cluster = PostgresCluster(free_port()).start()
    try:
        template = cluster.create_database()
        database = Database(cluster.url(template))
        upgrade(database)
        database.dispose()
        yield cluster, template
    finally:
        cluster.stop()


@pytest.fixture
def database_url(tmp_path: Path, postgres_template: tuple[object, str] | None) -> str:
    """A fresh, migrated database for one test: a SQLite file, or a PostgreSQL database."""
    if postgres_template is None:
        return f"sqlite:///{tmp_path}/connector.db"
    cluster, template = postgres_template
    return cluster.url(cluster.create_database(template))  # type: ignore[attr-defined]
