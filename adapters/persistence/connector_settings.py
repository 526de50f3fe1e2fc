"""Connector settings changed at runtime, stored as key/value rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from adapters.persistence.tables import ConnectorSetting

_T = ConnectorSetting.__table__  # type: ignore[attr-defined]
_LOAD = select(_T.c.key, _T.c.value)  # Core, built once: the workers read it every batch


class SqlSettingsStore:
    """Settings changed at runtime, as key/value rows."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def load(self) -> dict[str, Any]:
        session = self.session
        rows = session.connection().execute(_LOAD)
        # not dict(rows): a Result has .keys() (its columns), so dict() takes it for a mapping
        return {k: v for k, v in rows}  # noqa: C416

    def save(self, values: dict[str, Any]) -> None:
        session = self.session
        for key, value in values.items():
            session.merge(ConnectorSetting(key=key, value=value))
        session.flush()
