"""One page of a query and the total it pages through (the list endpoints' shape)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlmodel import Session


def page(session: Session, query: Select[Any], *, limit: int, offset: int) -> tuple[list[Any], int]:
    total = session.execute(
        select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    items = list(session.execute(query.limit(limit).offset(offset)).scalars())
    return items, int(total)


def ordered(query: Select[Any], model: Any, updated_since: datetime | None,
            sort: str) -> Select[Any]:
    """The list endpoints' filter on the last change and their order (the id breaks ties, so
    pages do not overlap)."""
    if updated_since is not None:
        query = query.where(model.updated_at >= updated_since)
    column, descending = getattr(model, sort.lstrip("-")), sort.startswith("-")
    columns = [column] if column is model.id else [column, model.id]
    return query.order_by(None).order_by(*(c.desc() if descending else c.asc() for c in columns))
