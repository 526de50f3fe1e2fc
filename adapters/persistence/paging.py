"""One page of a query and the total it pages through (the list endpoints' shape)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlmodel import Session


def page(session: Session, query: Select[Any], *, limit: int, offset: int) -> tuple[list[Any], int]:
    total = session.execute(
        select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    items = list(session.execute(query.limit(limit).offset(offset)).scalars())
    return items, int(total)
