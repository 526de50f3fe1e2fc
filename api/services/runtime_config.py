"""The connector's settings as data: the environment gives the initial values, values changed
through PATCH /api/v1/connector are stored and win, and every reader goes through this service."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from adapters.persistence import connector_settings
from adapters.persistence.db import Database
from adapters.settings import Settings
from domain.errors import InvalidInput
from domain.model import Policy
from domain.ticket_threading import compile_ticket_pattern

EDITABLE = ("status", "public_address", "support_team_address", "from_address",
            "acknowledge_new_tickets", "acknowledgements_per_hour", "forwards_per_sender_per_hour",
            "undeliverable_days")


@dataclass(frozen=True, slots=True)
class ConnectorState:
    status: str
    public_address: str
    support_team_address: str
    from_address: str
    acknowledge_new_tickets: bool
    acknowledgements_per_hour: int
    forwards_per_sender_per_hour: int
    undeliverable_days: int

    @property
    def message_id_domain(self) -> str:
        return self.from_address.rpartition("@")[2] or "localhost"


class RuntimeConfig:
    def __init__(self, settings: Settings, db: Database, *, refresh_seconds: float = 1.0) -> None:
        self._settings = settings
        self._db = db
        self._refresh_seconds = refresh_seconds
        self._pattern: re.Pattern[str] = compile_ticket_pattern(settings.ticket_subject_pattern)
        self._lock = threading.Lock()
        self._state: ConnectorState | None = None
        self._loaded_at = 0.0

    def _defaults(self) -> ConnectorState:
        s = self._settings
        return ConnectorState(
            status=s.status, public_address=s.public_address,
            support_team_address=s.support_team_address, from_address=s.effective_from_address,
            acknowledge_new_tickets=s.acknowledge_new_tickets,
            acknowledgements_per_hour=s.acknowledgements_per_hour,
            forwards_per_sender_per_hour=s.forwards_per_sender_per_hour,
            undeliverable_days=s.undeliverable_days,
        )

    def state(self) -> ConnectorState:
        """Current values; re-read from the database at most once a second (other processes)."""
        with self._lock:
            if self._state is None or time.monotonic() - self._loaded_at > self._refresh_seconds:
                with self._db.reading() as session:
                    stored = connector_settings.load(session)
                self._state = _merge(self._defaults(), stored)
                self._loaded_at = time.monotonic()
            return self._state

    def update(self, changes: dict[str, Any]) -> ConnectorState:
        unknown = set(changes) - set(EDITABLE)
        if unknown:
            raise InvalidInput(f"not editable: {', '.join(sorted(unknown))}")
        candidate = replace(self.state(), **changes)
        _validate(candidate)
        with self._db.writing() as session:
            connector_settings.save(session, changes)
        with self._lock:
            self._state = None  # the next read sees the change at once
        return self.state()

    def policy(self, now: datetime) -> Policy:
        state = self.state()
        return Policy(
            public_address=state.public_address,
            support_team_address=state.support_team_address,
            from_address=state.from_address,
            ticket_pattern=self._pattern,
            acknowledge_new_tickets=state.acknowledge_new_tickets,
            acknowledgements_per_hour=state.acknowledgements_per_hour,
            forwards_per_sender_per_hour=state.forwards_per_sender_per_hour,
            now=now,
        )


def _merge(defaults: ConnectorState, stored: dict[str, Any]) -> ConnectorState:
    values = asdict(defaults)
    values.update({k: v for k, v in stored.items() if k in EDITABLE and v is not None})
    return ConnectorState(**values)


def _validate(state: ConnectorState) -> None:
    if state.status not in ("on", "off"):
        raise InvalidInput("status must be 'on' or 'off'")
    for name in ("public_address", "support_team_address", "from_address"):
        if "@" not in getattr(state, name):
            raise InvalidInput(f"{name} must be an email address")
    if state.public_address.lower() == state.support_team_address.lower():
        raise InvalidInput("the support team address must differ from the public address "
                           "(forwards would come back as new mail)")
    if state.acknowledgements_per_hour < 0:
        raise InvalidInput("acknowledgements_per_hour must be 0 or more")
