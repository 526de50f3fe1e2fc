"""Named REST API keys and the inbound password: the operator's use cases (the CLI's
`api-key` and `inbound-password` commands). Only digests are stored; a new key is returned
once, to be shown once, and cannot be read back."""

from __future__ import annotations

import re
import secrets
from dataclasses import replace
from datetime import datetime, timedelta

from api.application.clock import utcnow
from api.application.credentials import digest
from domain.errors import Conflict, InvalidInput, NotFound
from domain.messages import StoredApiKey
from domain.ports import Storage

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
PREFIX = "ec_"  # recognisable in a leaked file or a secret scanner's report
MIN_PASSWORD = 12
GRACE_SECONDS = 24 * 3600  # a rotated key's old secret keeps working this long by default
MAX_GRACE_SECONDS = 90 * 86400


def new_key() -> str:
    return PREFIX + secrets.token_urlsafe(32)  # 256 random bits


def create_api_key(storage: Storage, name: str) -> str:
    """A new key under a new name; the key itself is returned, only its digest is stored."""
    _check_name(name)
    key = new_key()
    with storage.writing() as uow:
        if any(k.name == name and k.expires_at is None for k in uow.credentials.api_keys()):
            raise Conflict(f"an API key named {name!r} exists: rotate or revoke it")
        uow.credentials.save_api_key(StoredApiKey(name, digest(key), utcnow()))
    return key


def rotate_api_key(storage: Storage, name: str, *, grace_seconds: int = GRACE_SECONDS,
                   now: datetime | None = None) -> str:
    """A new key for this name. The old one keeps working for `grace_seconds` (0: refused at
    once), so that the clients using it can be changed one by one without an outage. A key
    still in its grace from an earlier rotation is replaced: it is refused from then on."""
    if not 0 <= grace_seconds <= MAX_GRACE_SECONDS:
        raise InvalidInput(f"the grace period is 0 to {MAX_GRACE_SECONDS} seconds")
    now = now or utcnow()
    key = new_key()
    with storage.writing() as uow:
        current = next((k for k in uow.credentials.api_keys()
                        if k.name == name and k.expires_at is None), None)
        if current is None:
            raise NotFound(f"no API key named {name!r}")
        uow.credentials.save_api_key(replace(current, expires_at=now + timedelta(
            seconds=grace_seconds)))
        uow.credentials.save_api_key(StoredApiKey(name, digest(key), now))
    return key


def revoke_api_key(storage: Storage, name: str) -> None:
    with storage.writing() as uow:
        if not uow.credentials.remove_api_key(name):
            raise NotFound(f"no API key named {name!r}")


def list_api_keys(storage: Storage, *, now: datetime | None = None) -> list[StoredApiKey]:
    """The named keys, each followed by its retiring key while that is still accepted."""
    now = now or utcnow()
    with storage.reading() as uow:
        return [k for k in uow.credentials.api_keys() if k.expires_at is None or k.expires_at > now]


def set_inbound_password(storage: Storage, password: str) -> None:
    """The inbound endpoints' HTTP Basic password from now on (unless
    CONNECTOR_INBOUND_PASSWORD is set, which wins: the caller says so)."""
    if len(password) < MIN_PASSWORD or password != password.strip():
        raise InvalidInput(f"the password needs {MIN_PASSWORD} characters or more, "
                           "without leading or trailing spaces")
    with storage.writing() as uow:
        uow.credentials.save_inbound_password_digest(digest(password), utcnow())


def _check_name(name: str) -> None:
    if not NAME.fullmatch(name):
        raise InvalidInput("a key's name is 1 to 64 letters, digits, '.', '_' or '-', "
                           "starting with a letter or digit")
