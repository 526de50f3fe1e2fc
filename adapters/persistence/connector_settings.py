"""Connector settings changed at runtime, stored as key/value rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from adapters.persistence.tables import ConnectorSetting


def load(session: Session) -> dict[str, Any]:
    return {k: v for k, v in session.execute(select(ConnectorSetting.key, ConnectorSetting.value))}


def save(session: Session, values: dict[str, Any]) -> None:
    for key, value in values.items():
        session.merge(ConnectorSetting(key=key, value=value))
    session.flush()
