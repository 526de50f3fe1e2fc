"""Webhook tokens already seen (Mailgun's replay protection), shared through the database.

A token is remembered until its signed timestamp leaves the accepted window; after that the
timestamp check refuses it anyway, so expired rows are purged, at most once a minute per process.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Protocol

from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError

from adapters.persistence.db import Database
from adapters.persistence.tables import ReplayToken
from adapters.persistence.types import utcnow

_PURGE_EVERY_SECONDS = 60.0


class ReplayCache(Protocol):
    def remember(self, provider: str, token: str, expires_at: datetime) -> bool:
        """Record a token; False when it was already recorded (a replay)."""

    def forget(self, provider: str, token: str) -> None:
        """Drop a token again (its request could not be stored; the provider will retry)."""


class DatabaseReplayCache:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._lock = threading.Lock()
        self._last_purge = 0.0

    def remember(self, provider: str, token: str, expires_at: datetime) -> bool:
        key = _key(provider, token)
        try:
            with self._db.writing() as session:
                if self._purge_due():
                    session.execute(delete(ReplayToken).where(ReplayToken.expires_at < utcnow()))
                session.execute(insert(ReplayToken).values(
                    token=key, provider=provider, expires_at=expires_at))
        except IntegrityError:  # the primary key: another request (or process) had it first
            return False
        return True

    def forget(self, provider: str, token: str) -> None:
        with self._db.writing() as session:
            session.execute(delete(ReplayToken).where(ReplayToken.token == _key(provider, token)))

    def _purge_due(self) -> bool:
        with self._lock:
            now = time.monotonic()
            if now - self._last_purge < _PURGE_EVERY_SECONDS:
                return False
            self._last_purge = now
            return True


class MemoryReplayCache:
    """For tests and single-process tools."""

    def __init__(self) -> None:
        self.tokens: dict[str, datetime] = {}

    def remember(self, provider: str, token: str, expires_at: datetime) -> bool:
        key = _key(provider, token)
        if key in self.tokens:
            return False
        self.tokens[key] = expires_at
        return True

    def forget(self, provider: str, token: str) -> None:
        self.tokens.pop(_key(provider, token), None)


def _key(provider: str, token: str) -> str:
    return f"{provider}:{token}"[:400]
