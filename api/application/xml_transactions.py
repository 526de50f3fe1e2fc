"""Carrying out XML transactions, by email (the worker) or over HTTP, in the caller's unit of
work. The rules are the domain's (domain/xml_api.py); this wires them to the ports."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.messages import Origin
from domain.ports import UnitOfWork
from domain.xml_api import TransactionResult, carry_out
from domain.xml_model import XmlTransaction


def _no_render(result: TransactionResult) -> str:
    raise RuntimeError("no XML renderer configured")


@dataclass(frozen=True, slots=True)
class XmlOptions:
    # Not in repr: options may end up in a log line or a traceback.
    password: str | None = field(default=None, repr=False)
    response_bcc: str | None = None
    render: Callable[[TransactionResult], str] = _no_render

    @classmethod
    def from_settings(cls, values: Any, render: Callable[[TransactionResult], str]) -> XmlOptions:
        return cls(password=values.xml_api_password or None,
                   response_bcc=values.xml_api_response_bcc, render=render)


def run_transactions(uow: UnitOfWork, transactions: Sequence[XmlTransaction], *,
                     options: XmlOptions, now: datetime,
                     origin: Origin | None = None) -> list[TransactionResult]:
    """Each transaction in order, each record in its own savepoint; never commits."""
    write = uow.xml_writer(now, origin or Origin())
    return [carry_out(tx, password=options.password, directory=uow.directory, write=write)
            for tx in transactions]
