"""Assets, charges and history notes: written by XML transactions (docs/xml-api.md), read here."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from sqlalchemy import Select, select
from sqlmodel import SQLModel

from adapters.persistence import records
from adapters.persistence.tables import Asset, Charge, HistoryNote
from api.deps import ContainerDep
from api.routes.common import AUTH, Limit, Offset, errors
from api.schemas import MAX_ID, AssetPublic, ChargePublic, HistoryNotePublic, Page

router = APIRouter(prefix="/api/v1", tags=["assets, charges and notes"], dependencies=AUTH,
                   responses=errors())
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
AccountFilter = Annotated[int | None, Query(ge=1, le=MAX_ID, description="Only this account's")]
TicketFilter = Annotated[int | None, Query(ge=1, le=MAX_ID,
                                           description="Only those of this ticket (its number)")]


def _filtered(model: type[SQLModel], **filters: int | None) -> Select[Any]:
    query = select(model).order_by(model.id.desc())  # type: ignore[attr-defined]
    for column, value in filters.items():
        if value is not None:
            query = query.where(getattr(model, column) == value)
    return query


def _page(container: ContainerDep, query: Select[Any], limit: int, offset: int) -> dict[str, object]:
    with container.db.reading() as session:
        items, total = records.page(session, query, limit=limit, offset=offset)
    return {"items": items, "total": total}


@router.get("/assets", response_model=Page[AssetPublic], responses=errors(422))
def list_assets(container: ContainerDep, limit: Limit = 100, offset: Offset = 0,
                account_id: AccountFilter = None) -> dict[str, object]:
    """List assets, newest first."""
    return _page(container, _filtered(Asset, account_id=account_id), limit, offset)


@router.get("/assets/{asset_id}", response_model=AssetPublic, responses=errors(404))
def get_asset(asset_id: Id, container: ContainerDep) -> Asset:
    """Read one asset."""
    with container.db.reading() as session:
        return records.get(session, Asset, asset_id)


@router.get("/charges", response_model=Page[ChargePublic], responses=errors(422))
def list_charges(container: ContainerDep, limit: Limit = 100, offset: Offset = 0,
                 account_id: AccountFilter = None,
                 ticket_id: TicketFilter = None) -> dict[str, object]:
    """List charges, newest first."""
    return _page(container, _filtered(Charge, account_id=account_id, ticket_id=ticket_id),
                 limit, offset)


@router.get("/charges/{charge_id}", response_model=ChargePublic, responses=errors(404))
def get_charge(charge_id: Id, container: ContainerDep) -> Charge:
    """Read one charge."""
    with container.db.reading() as session:
        return records.get(session, Charge, charge_id)


@router.get("/history-notes", response_model=Page[HistoryNotePublic], responses=errors(422))
def list_history_notes(container: ContainerDep, limit: Limit = 100, offset: Offset = 0,
                       account_id: AccountFilter = None,
                       ticket_id: TicketFilter = None) -> dict[str, object]:
    """List history notes, newest first."""
    return _page(container, _filtered(HistoryNote, account_id=account_id, ticket_id=ticket_id),
                 limit, offset)


@router.get("/history-notes/{note_id}", response_model=HistoryNotePublic, responses=errors(404))
def get_history_note(note_id: Id, container: ContainerDep) -> HistoryNote:
    """Read one history note."""
    with container.db.reading() as session:
        return records.get(session, HistoryNote, note_id)
