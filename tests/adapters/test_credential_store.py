"""Named API keys and the inbound password on the real database (SQLite, or PostgreSQL with
CONNECTOR_TEST_DATABASE=postgres): digests kept, replaced, removed, last use recorded."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import text

from adapters.persistence.db import Database
from adapters.persistence.migrate import upgrade
from adapters.persistence.storage import SqlStorage
from adapters.persistence.types import utcnow
from api.application import api_keys
from api.application.admin import FAILURES_ALLOWED, AdminConsole, SharedSignInLimiter
from api.application.credentials import Credentials, digest
from domain.errors import TooManyAttempts, Unauthorized
from domain.messages import StoredApiKey


@pytest.fixture
def storage(database_url: str) -> Iterator[SqlStorage]:
    database = Database(database_url)
    upgrade(database)
    yield SqlStorage(database)
    database.dispose()


def test_keys_are_kept_by_name_with_their_digest_and_times(storage: SqlStorage) -> None:
    created = utcnow().replace(microsecond=0)
    with storage.writing() as uow:
        uow.credentials.save_api_key(StoredApiKey("zeta", digest("z"), created))
        uow.credentials.save_api_key(StoredApiKey("alpha", digest("a"), created))
    with storage.reading() as uow:
        keys = uow.credentials.api_keys()
    assert [(k.name, k.digest, k.created_at, k.last_used_at) for k in keys] == [
        ("alpha", digest("a"), created, None), ("zeta", digest("z"), created, None)]


def test_saving_a_name_again_replaces_its_digest(storage: SqlStorage) -> None:
    now = utcnow()
    with storage.writing() as uow:
        uow.credentials.save_api_key(StoredApiKey("ci", digest("old"), now))
    with storage.writing() as uow:
        uow.credentials.save_api_key(StoredApiKey("ci", digest("new"), now + timedelta(days=1)))
    with storage.reading() as uow:
        assert [k.digest for k in uow.credentials.api_keys()] == [digest("new")]


def test_removing_a_key_says_whether_there_was_one(storage: SqlStorage) -> None:
    with storage.writing() as uow:
        uow.credentials.save_api_key(StoredApiKey("ci", digest("k"), utcnow()))
    with storage.writing() as uow:
        assert uow.credentials.remove_api_key("ci") is True
        assert uow.credentials.remove_api_key("ci") is False
    with storage.reading() as uow:
        assert uow.credentials.api_keys() == []


def test_last_use_is_set_on_the_named_keys_only(storage: SqlStorage) -> None:
    now = utcnow().replace(microsecond=0)
    with storage.writing() as uow:
        for name in ("used", "idle"):
            uow.credentials.save_api_key(StoredApiKey(name, digest(name), now))
    with storage.writing() as uow:
        uow.credentials.mark_used(["used", "gone"], now + timedelta(minutes=5))
    with storage.reading() as uow:
        used = {k.name: k.last_used_at for k in uow.credentials.api_keys()}
    assert used == {"idle": None, "used": now + timedelta(minutes=5)}


def test_the_inbound_password_is_one_row_replaced_when_set_again(storage: SqlStorage) -> None:
    with storage.reading() as uow:
        assert uow.credentials.inbound_password_digest() is None
    for password in ("first-password", "second-password"):
        with storage.writing() as uow:
            uow.credentials.save_inbound_password_digest(digest(password), utcnow())
    with storage.reading() as uow:
        assert uow.credentials.inbound_password_digest() == digest("second-password")
        assert uow.credentials.api_keys() == []  # not an API key


def test_the_database_holds_no_key_only_its_digest(storage: SqlStorage) -> None:
    key = api_keys.create_api_key(storage, "ci")
    check = Credentials((), "inbound", None, storage)
    assert check.api_key_valid(key) and not check.api_key_valid(key + "x")
    with storage.db.engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM credential")).all()
    assert len(rows) == 1 and key not in repr(rows) and key.encode() not in repr(rows).encode()


def test_a_rotated_key_is_kept_beside_the_new_one_until_it_expires(storage: SqlStorage) -> None:
    now = utcnow().replace(microsecond=0)
    old = api_keys.create_api_key(storage, "ci")
    new = api_keys.rotate_api_key(storage, "ci", grace_seconds=600, now=now)
    with storage.reading() as uow:
        keys = [(k.name, k.digest, k.expires_at) for k in uow.credentials.api_keys()]
    assert keys == [("ci", digest(new), None), ("ci", digest(old), now + timedelta(minutes=10))]
    with storage.writing() as uow:
        uow.credentials.mark_used(["ci"], now + timedelta(minutes=1), retiring=True)
    with storage.reading() as uow:
        used = [k.last_used_at for k in uow.credentials.api_keys()]
    assert used == [None, now + timedelta(minutes=1)]
    for before, valid in ((timedelta(minutes=9), True), (timedelta(minutes=10), False)):
        check = Credentials((), "inbound", None, storage, wall_clock=lambda b=before: now + b)
        assert check.api_key_valid(old) is valid and check.api_key_valid(new)
    with storage.writing() as uow:
        assert uow.credentials.remove_api_key("ci") is True
    with storage.reading() as uow:
        assert uow.credentials.api_keys() == []


def console(storage: SqlStorage) -> Any:
    """The admin console of one web process (each its own memory; one database)."""
    hashed = PasswordHasher().hash("right-password")
    return AdminConsole("admin", lambda: hashed, "shared-session-key", storage=storage)


def test_failed_console_sign_ins_count_in_every_web_process(storage: SqlStorage) -> None:
    one, other = console(storage), console(storage)
    for attempt in range(FAILURES_ALLOWED):
        with pytest.raises(Unauthorized):
            (one if attempt % 2 else other).sign_in("admin", f"guess-{attempt}", client="c1")
    with pytest.raises(TooManyAttempts):  # the right password too, from either process
        other.sign_in("admin", "right-password", client="c2")
    with pytest.raises(TooManyAttempts):
        one.sign_in("someone", "x", client="c1")  # the client address is counted as well
    with storage.reading() as uow:
        rows = uow.credentials.session.execute(  # type: ignore[attr-defined]
            text("SELECT key_digest FROM console_sign_in_failure")).scalars().all()
    # user name and client address of each failure, as digests only (a password typed into the
    # name field is not stored)
    assert len(rows) == 2 * FAILURES_ALLOWED
    assert all(len(r) == 64 and set(r) <= set("0123456789abcdef") for r in rows)


def test_failures_are_forgotten_after_the_window(storage: SqlStorage) -> None:
    now = [utcnow()]
    limiter = SharedSignInLimiter(storage, allowed=2, window_seconds=60, clock=lambda: now[0])
    limiter.failed([("user", "admin")])
    limiter.failed([("user", "admin")])
    assert limiter.blocked([("user", "admin")]) and not limiter.blocked([("user", "eve")])
    now[0] += timedelta(seconds=61)
    assert not limiter.blocked([("user", "admin")])
    limiter.failed([("user", "eve")])  # and the expired rows go with the next failure
    with storage.reading() as uow:
        left = uow.credentials.session.execute(  # type: ignore[attr-defined]
            text("SELECT count(*) FROM console_sign_in_failure")).scalar_one()
    assert left == 1


def test_a_session_signed_out_in_one_web_process_is_refused_by_every_other(
        storage: SqlStorage) -> None:
    one, other = console(storage), console(storage)
    cookie = one.sign_in("admin", "right-password", client="c")
    assert other.session(cookie) is not None
    one.sign_out(one.session(cookie))
    assert other.session(cookie) is None and one.session(cookie) is None
    assert other.session(other.sign_in("admin", "right-password", client="c")) is not None
