"""Named API keys and the inbound password: the use cases and the credential checks against
the in-memory storage fake; the cache's clock is a fake too (no sleeping, no timing)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from api.application import api_keys
from api.application.credentials import Credentials, digest, load_credentials
from domain.errors import Conflict, InvalidInput, NotFound, StorageUnavailable
from tests.application.fakes import FakeStorage


class Clock:
    """The cache's monotonic seconds, and the wall clock they stand for (grace periods)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def wall(self) -> datetime:
        return datetime(2026, 12, 2, tzinfo=UTC) + timedelta(seconds=self.now)


def credentials(storage: FakeStorage, clock: Clock, *, env_keys: tuple[str, ...] = ("env-key",),
                inbound_from_environment: bool = False) -> Credentials:
    return Credentials(tuple(digest(k) for k in env_keys), "inbound", digest("generated-password"),
                       storage, inbound_from_environment=inbound_from_environment, clock=clock,
                       in_background=lambda work: work(), wall_clock=clock.wall)


@pytest.fixture
def storage() -> FakeStorage:
    return FakeStorage()


def test_a_created_key_is_accepted_and_only_its_digest_is_stored(storage: FakeStorage) -> None:
    clock = Clock()
    check = credentials(storage, clock)
    key = api_keys.create_api_key(storage, "billing-sync")
    assert key.startswith("ec_") and len(key) > 40
    assert check.api_key_valid(key)
    assert check.api_key_valid("env-key")  # the environment's keys keep working
    stored = storage.state.api_keys["billing-sync"]
    assert stored.digest == digest(key) and key.encode() not in repr(stored).encode()
    assert [k.name for k in api_keys.list_api_keys(storage)] == ["billing-sync"]


def test_two_keys_get_two_different_secrets(storage: FakeStorage) -> None:
    assert api_keys.create_api_key(storage, "a") != api_keys.create_api_key(storage, "b")


def test_a_name_is_taken_once_and_must_be_a_plain_word(storage: FakeStorage) -> None:
    api_keys.create_api_key(storage, "ci")
    with pytest.raises(Conflict):
        api_keys.create_api_key(storage, "ci")
    for bad in ("", "has space", "-dash-first", "x" * 65, "semi;colon"):
        with pytest.raises(InvalidInput):
            api_keys.create_api_key(storage, bad)
    assert list(storage.state.api_keys) == ["ci"]


def test_a_revoked_key_is_refused_once_the_cache_is_a_second_old(storage: FakeStorage) -> None:
    clock = Clock()
    check = credentials(storage, clock)
    key = api_keys.create_api_key(storage, "ci")
    assert check.api_key_valid(key)
    api_keys.revoke_api_key(storage, "ci")
    clock.now += 1.0
    assert not check.api_key_valid(key)
    assert check.api_key_valid("env-key")
    with pytest.raises(NotFound):
        api_keys.revoke_api_key(storage, "ci")


def test_a_key_created_elsewhere_is_accepted_without_a_restart(storage: FakeStorage) -> None:
    clock = Clock()
    check = credentials(storage, clock)
    assert not check.api_key_valid("ec_not-yet")  # the (empty) stored keys are now cached
    key = api_keys.create_api_key(storage, "later")
    clock.now += 1.0
    assert check.api_key_valid(key)


def test_rotating_without_grace_replaces_the_key_of_that_name(storage: FakeStorage) -> None:
    clock = Clock()
    check = credentials(storage, clock)
    old = api_keys.create_api_key(storage, "ci")
    new = api_keys.rotate_api_key(storage, "ci", grace_seconds=0, now=clock.wall())
    clock.now += 1.0
    assert check.api_key_valid(new) and not check.api_key_valid(old)
    assert [k.name for k in api_keys.list_api_keys(storage, now=clock.wall())] == ["ci"]
    with pytest.raises(NotFound):
        api_keys.rotate_api_key(storage, "nobody")


def test_a_rotated_key_keeps_working_until_its_grace_period_ends(storage: FakeStorage) -> None:
    clock = Clock()
    check = credentials(storage, clock)
    old = api_keys.create_api_key(storage, "ci")
    rotated_at = clock.wall()
    new = api_keys.rotate_api_key(storage, "ci", grace_seconds=3600, now=rotated_at)
    clock.now += 1.0
    assert check.api_key_valid(new) and check.api_key_valid(old)
    listed = api_keys.list_api_keys(storage, now=clock.wall())
    assert [(k.name, k.expires_at) for k in listed] == [
        ("ci", None), ("ci", rotated_at + timedelta(hours=1))]
    clock.now += 3598.0  # one second before the end
    assert check.api_key_valid(old)
    clock.now += 1.0  # the end: refused from then on, the new key unaffected
    assert not check.api_key_valid(old) and check.api_key_valid(new)
    assert [k.expires_at for k in api_keys.list_api_keys(storage, now=clock.wall())] == [None]


def test_the_default_grace_is_a_day_and_a_second_rotation_ends_the_first_ones(
        storage: FakeStorage) -> None:
    clock = Clock()
    check = credentials(storage, clock)
    first = api_keys.create_api_key(storage, "ci")
    second = api_keys.rotate_api_key(storage, "ci", now=clock.wall())
    assert storage.state.retiring_api_keys["ci"].expires_at == clock.wall() + timedelta(days=1)
    third = api_keys.rotate_api_key(storage, "ci", now=clock.wall())
    clock.now += 1.0
    assert not check.api_key_valid(first)
    assert check.api_key_valid(second) and check.api_key_valid(third)


def test_revoking_ends_the_grace_of_a_rotated_key_too_and_grace_is_bounded(
        storage: FakeStorage) -> None:
    clock = Clock()
    check = credentials(storage, clock)
    old = api_keys.create_api_key(storage, "ci")
    new = api_keys.rotate_api_key(storage, "ci", now=clock.wall())
    with pytest.raises(InvalidInput):
        api_keys.rotate_api_key(storage, "ci", grace_seconds=-1)
    with pytest.raises(InvalidInput):
        api_keys.rotate_api_key(storage, "ci", grace_seconds=api_keys.MAX_GRACE_SECONDS + 1)
    api_keys.revoke_api_key(storage, "ci")
    clock.now += 1.0
    assert not check.api_key_valid(old) and not check.api_key_valid(new)
    assert api_keys.list_api_keys(storage) == []


def test_a_retiring_keys_use_is_recorded_on_it_not_on_the_new_key(storage: FakeStorage) -> None:
    clock = Clock()
    check = credentials(storage, clock)
    old = api_keys.create_api_key(storage, "ci")
    api_keys.rotate_api_key(storage, "ci", now=clock.wall())
    clock.now += 1.0
    assert check.api_key_valid(old)
    clock.now += 61.0
    check.api_key_valid("anything")
    assert storage.state.retiring_api_keys["ci"].last_used_at is not None
    assert storage.state.api_keys["ci"].last_used_at is None


def test_a_keys_last_use_is_recorded_about_once_a_minute(storage: FakeStorage) -> None:
    clock = Clock()
    check = credentials(storage, clock)
    key = api_keys.create_api_key(storage, "ci")
    assert check.api_key_valid(key)
    assert storage.state.api_keys["ci"].last_used_at is None
    clock.now += 61.0
    check.api_key_valid("anything")  # the next re-read writes the uses seen since
    assert storage.state.api_keys["ci"].last_used_at is not None


def test_while_the_database_is_down_the_last_keys_read_stay_in_use(storage: FakeStorage,
                                                                   monkeypatch) -> None:  # type: ignore[no-untyped-def]
    clock = Clock()
    check = credentials(storage, clock)
    key = api_keys.create_api_key(storage, "ci")
    assert check.api_key_valid(key)

    def down(*_: object, **__: object) -> None:
        raise StorageUnavailable("database unavailable: gone")
    monkeypatch.setattr(storage, "reading", down)
    clock.now += 5.0
    assert check.api_key_valid(key) and check.api_key_valid("env-key")
    assert not check.api_key_valid("ec_other")


def test_a_stored_inbound_password_replaces_the_generated_one(storage: FakeStorage) -> None:
    clock = Clock()
    check = credentials(storage, clock)
    assert check.inbound_pair_valid("inbound", "generated-password")
    api_keys.set_inbound_password(storage, "a-new-long-password")
    clock.now += 1.0
    assert check.inbound_pair_valid("inbound", "a-new-long-password")
    assert not check.inbound_pair_valid("inbound", "generated-password")
    assert not check.inbound_pair_valid("someone", "a-new-long-password")


def test_the_environments_inbound_password_wins_over_a_stored_one(storage: FakeStorage) -> None:
    check = credentials(storage, Clock(), inbound_from_environment=True)
    api_keys.set_inbound_password(storage, "a-new-long-password")
    assert check.inbound_pair_valid("inbound", "generated-password")
    assert not check.inbound_pair_valid("inbound", "a-new-long-password")


def test_a_short_inbound_password_is_refused(storage: FakeStorage) -> None:
    for bad in ("short", " padded-password-here "):
        with pytest.raises(InvalidInput):
            api_keys.set_inbound_password(storage, bad)
    assert storage.state.inbound_password is None


def startup(data_dir: Path) -> SimpleNamespace:
    """The start-up settings load_credentials reads, none of them set."""
    return SimpleNamespace(api_keys=None, inbound_username=None, inbound_password=None,
                           metrics_token=None, data_dir=data_dir)


def test_without_keys_anywhere_a_key_is_generated_into_the_data_directory(
        storage: FakeStorage, tmp_path: Path) -> None:
    check = load_credentials(startup(tmp_path), storage)
    generated = (tmp_path / "api-key").read_text().strip()
    assert check.api_key_valid(generated)


def test_the_generated_key_is_retired_by_deleting_it_once_named_keys_exist(
        storage: FakeStorage, tmp_path: Path) -> None:
    load_credentials(startup(tmp_path), storage)
    generated = (tmp_path / "api-key").read_text().strip()
    named = api_keys.create_api_key(storage, "ci")
    assert load_credentials(startup(tmp_path), storage).api_key_valid(generated)  # still there
    (tmp_path / "api-key").unlink()
    check = load_credentials(startup(tmp_path), storage)  # the next start
    assert not (tmp_path / "api-key").exists()  # not generated again
    assert check.api_key_valid(named) and not check.api_key_valid(generated)


def test_a_stored_inbound_password_means_none_is_generated(storage: FakeStorage,
                                                          tmp_path: Path) -> None:
    api_keys.set_inbound_password(storage, "a-new-long-password")
    check = load_credentials(startup(tmp_path), storage)
    assert not (tmp_path / "inbound-password").exists()
    assert check.inbound_pair_valid("inbound", "a-new-long-password")
