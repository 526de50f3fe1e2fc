"""Carrying out XML transactions, by email (the worker) or over HTTP, in the caller's transaction.

The rules are the domain's (domain/xml_api.py); this wires them to the SQL directory and store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from adapters.persistence.directory import SqlDirectory
from adapters.settings import Settings
from adapters.xml.store import Origin, XmlStore
from domain.xml_api import TransactionResult, carry_out
from domain.xml_model import XmlTransaction


@dataclass(frozen=True, slots=True)
class XmlOptions:
    # Not in repr: options may end up in a log line or a traceback.
    password: str | None = field(default=None, repr=False)
    response_bcc: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> XmlOptions:
        password = settings.xml_api_password
        return cls(password=password.get_secret_value() if password else None,
                   response_bcc=settings.xml_api_response_bcc)


def run_transactions(session: Session, transactions: Sequence[XmlTransaction], *,
                     options: XmlOptions, now: datetime,
                     origin: Origin | None = None) -> list[TransactionResult]:
    """Each transaction in order, each record in its own savepoint; never commits."""
    directory = SqlDirectory(session)
    store = XmlStore(session, now, origin or Origin())
    return [carry_out(tx, password=options.password, directory=directory, write=store)
            for tx in transactions]
