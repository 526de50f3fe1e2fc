"""Credentials: REST API keys (Bearer) and the inbound endpoints' HTTP Basic pair.

API keys come from CONNECTOR_API_KEYS and from the named keys stored by `email-connector
api-key` (digests only). Without CONNECTOR_API_KEYS, a key is also generated on first start,
stored in the data directory (mode 0600) and printed once on standard output, never logged.
The inbound password is CONNECTOR_INBOUND_PASSWORD when set, else the one stored by
`email-connector inbound-password set`, else a generated one (data directory, as above).
Stored credentials are re-read at most once a second, so a key created, rotated or revoked in
another process counts here within a second, without a restart. A rotated key's old secret
stays valid until its grace period ends (`email-connector api-key rotate --grace`). Comparisons
run in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from api.application.clock import private_folder, utcnow
from domain.errors import StorageUnavailable
from domain.ports import Storage
from domain.settings import Secret

log = logging.getLogger(__name__)
USE_RECORDED_EVERY = 60.0  # seconds: a key's last use is kept to about the minute


@dataclass(frozen=True)
class StoredCredentials:
    """The stored credentials as last read: named keys (name, digest, and for a retiring key
    the end of its grace period), the inbound password."""

    api_keys: tuple[tuple[str, bytes, datetime | None], ...] = ()
    inbound_password: bytes | None = None


class Credentials:
    """The valid credentials: the environment's (or generated) ones and the stored ones."""

    def __init__(self, api_key_digests: tuple[bytes, ...], inbound_username: str,
                 inbound_password_digest: bytes | None, storage: Storage | None = None, *,
                 inbound_from_environment: bool = True, refresh_seconds: float = 1.0,
                 clock: Callable[[], float] = time.monotonic,
                 in_background: Callable[[Callable[[], None]], None] | None = None,
                 metrics_token_digest: bytes | None = None,
                 wall_clock: Callable[[], datetime] = utcnow) -> None:
        self.api_key_digests = api_key_digests
        self._metrics_digest = metrics_token_digest
        self.inbound_username = inbound_username
        self._username_digest = digest(inbound_username)
        self._inbound_digest = inbound_password_digest
        self._inbound_from_environment = inbound_from_environment
        self._storage = storage
        self._refresh_seconds = refresh_seconds
        self._clock = clock
        self._wall_clock = wall_clock
        self._in_background = in_background or _thread
        self._lock = threading.Lock()
        self._stored = StoredCredentials()
        self._loaded_at: float | None = None
        self._used: set[tuple[str, bool]] = set()  # (name, retiring)
        self._used_flushed_at = clock()

    def api_key_valid(self, presented: str | None) -> bool:
        if not presented:
            return False
        presented_digest = digest(presented)
        # Check every key (no early exit) so timing says nothing about which one matched.
        matched = False
        for known in self.api_key_digests:
            matched |= hmac.compare_digest(presented_digest, known)
        used = None
        now = self._wall_clock()
        for name, known, expires_at in self.stored().api_keys:
            in_force = expires_at is None or now < expires_at
            if hmac.compare_digest(presented_digest, known) and in_force:
                matched, used = True, (name, expires_at is not None)
        if used is not None:
            self._note_use(used)
        return matched

    def metrics_reader_valid(self, presented: str | None) -> bool:
        """/metrics takes CONNECTOR_METRICS_TOKEN (good for nothing else) or an API key."""
        if presented and self._metrics_digest is not None and hmac.compare_digest(
                digest(presented), self._metrics_digest):
            return True
        return self.api_key_valid(presented)

    def inbound_pair_valid(self, username: str, password: str) -> bool:
        expected = self._inbound_digest
        if not self._inbound_from_environment:
            expected = self.stored().inbound_password or expected
        user_ok = hmac.compare_digest(digest(username), self._username_digest)
        password_ok = expected is not None and hmac.compare_digest(digest(password), expected)
        return user_ok & password_ok

    def stored(self, *, max_age: float | None = None) -> StoredCredentials:
        """The stored credentials, re-read when older than `max_age` seconds (default: one
        second). While the database does not answer, the last ones read stay in use."""
        if self._storage is None:
            return self._stored
        limit = self._refresh_seconds if max_age is None else max_age
        with self._lock:
            now = self._clock()
            if self._loaded_at is not None and now - self._loaded_at < limit:
                return self._stored
            self._loaded_at = now
            try:
                self._stored = _read(self._storage)
            except StorageUnavailable as exc:
                log.warning("stored credentials not re-read (the last ones stay in use): %s", exc)
                return self._stored
            if self._used and now - self._used_flushed_at >= USE_RECORDED_EVERY:
                used, self._used, self._used_flushed_at = sorted(self._used), set(), now
                self._in_background(lambda: self._record_use(used))
            return self._stored

    def _note_use(self, key: tuple[str, bool]) -> None:
        with self._lock:
            self._used.add(key)

    def _record_use(self, used: list[tuple[str, bool]]) -> None:
        assert self._storage is not None
        try:
            with self._storage.writing(durable=False) as uow:
                for retiring in (False, True):
                    names = [name for name, of_retiring in used if of_retiring == retiring]
                    uow.credentials.mark_used(names, utcnow(), retiring=retiring)
        except StorageUnavailable as exc:  # a missed "last used" is no reason to fail anything
            log.warning("API keys' last use not recorded: %s", exc)


def _read(storage: Storage) -> StoredCredentials:
    with storage.reading() as uow:
        keys = uow.credentials.api_keys()
        inbound = uow.credentials.inbound_password_digest()
    return StoredCredentials(tuple((k.name, k.digest, k.expires_at) for k in keys), inbound)


def _thread(work: Callable[[], None]) -> None:
    threading.Thread(target=work, name="api-key-use", daemon=True).start()


def load_credentials(settings: Any, storage: Storage | None = None) -> Credentials:
    """The credentials of a process. Without CONNECTOR_API_KEYS, the generated key file is
    read (or made, unless named keys exist: deleting the file once named keys are there
    retires the generated key at the next start)."""
    try:
        stored = _read(storage) if storage is not None else StoredCredentials()
    except StorageUnavailable:  # not migrated yet, or down: the generated files serve
        stored = StoredCredentials()
    generated_key = settings.data_dir / "api-key"
    keys: list[str] = []
    if settings.api_keys is not None:
        keys = [k.strip() for k in settings.api_keys.get_secret_value().split(",") if k.strip()]
    elif generated_key.exists() or not stored.api_keys:
        keys = [_stored_secret(generated_key, "REST API key (Bearer)")]
    username = settings.inbound_username or "inbound"
    password: str | None = None
    if settings.inbound_password is not None:
        password = settings.inbound_password.get_secret_value()
    elif stored.inbound_password is None:  # else: set by the CLI, no file needed
        password = _stored_secret(settings.data_dir / "inbound-password",
                                  f"inbound HTTP Basic password for user '{username}'")
    metrics_token = settings.metrics_token
    return Credentials(tuple(digest(k) for k in keys), username,
                       None if password is None else digest(password), storage,
                       inbound_from_environment=settings.inbound_password is not None,
                       metrics_token_digest=None if metrics_token is None
                       else digest(metrics_token.get_secret_value()))


def reply_reference_key(settings: Any) -> Secret:
    """The key of the signed reply reference (domain/reply_reference.py): the setting, else one
    generated on first start and kept in the data directory (never shown: nobody types it).
    Every process of one installation reads the same file, so all sign alike."""
    if settings.reply_reference_key is not None:
        return Secret(settings.reply_reference_key.get_secret_value())
    return Secret(_stored_secret(settings.data_dir / "reply-reference-key",
                                 "reply reference key", announce=False))


def _stored_secret(path: Path, label: str, *, kept: Callable[[str], str] = lambda s: s,
                   announce: bool = True) -> str:
    """The secret stored at `path`, generated (and printed once, if `announce`) when missing.
    What is stored, and returned, is `kept(secret)`: e.g. only a password's hash."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    private_folder(path.parent)
    secret = secrets.token_urlsafe(32)
    stored = kept(secret)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(stored + "\n")
    try:
        os.link(temporary, path)  # atomic, and fails if another process got there first
    except FileExistsError:
        return path.read_text().strip()
    finally:
        temporary.unlink(missing_ok=True)
    if announce:
        where = "stored in" if stored == secret else "only its hash stored in"
        print(f"Email Connector: generated {label}: {secret}\n  ({where} {path}; shown once)",
              file=sys.stdout, flush=True)
    return stored


def digest(value: str) -> bytes:
    return hashlib.sha256(value.encode("utf-8")).digest()
