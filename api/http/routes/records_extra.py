"""Assets, charges and history notes: written by XML transactions (docs/xml-api.md), read here."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from api.application import records
from api.http.deps import ServicesDep
from api.http.routes.common import AUTH, Limit, Offset, Sort, UpdatedSince, errors
from api.http.schemas import MAX_ID, AssetPublic, ChargePublic, HistoryNotePublic, Page

router = APIRouter(prefix="/api/v1", tags=["assets, charges and notes"], dependencies=AUTH,
                   responses=errors())
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
AccountFilter = Annotated[int | None, Query(ge=1, le=MAX_ID, description="Only this account's")]
TicketFilter = Annotated[int | None, Query(ge=1, le=MAX_ID,
                                           description="Only those of this ticket (its number)")]


def _page(app: ServicesDep, kind: str, limit: int, offset: int,
          **equal: Any) -> dict[str, object]:
    items, total = records.list_records(app, kind=kind, limit=limit, offset=offset, **equal)
    return {"items": items, "total": total}


@router.get("/assets", response_model=Page[AssetPublic], responses=errors(422))
def list_assets(app: ServicesDep, limit: Limit = 100, offset: Offset = 0,
                account_id: AccountFilter = None, updated_since: UpdatedSince = None,
                sort: Sort = "-id") -> dict[str, object]:
    """List assets, newest first (or in the `sort` order)."""
    return _page(app, "asset", limit, offset, account_id=account_id,
                 updated_since=updated_since, sort=sort)


@router.get("/assets/{asset_id}", response_model=AssetPublic, responses=errors(404))
def get_asset(asset_id: Id, app: ServicesDep) -> Any:
    """Read one asset."""
    return records.get_record(app, kind="asset", record_id=asset_id)


@router.get("/charges", response_model=Page[ChargePublic], responses=errors(422))
def list_charges(app: ServicesDep, limit: Limit = 100, offset: Offset = 0,
                 account_id: AccountFilter = None,
                 ticket_id: TicketFilter = None, updated_since: UpdatedSince = None,
                 sort: Sort = "-id") -> dict[str, object]:
    """List charges, newest first (or in the `sort` order)."""
    return _page(app, "charge", limit, offset, account_id=account_id, ticket_id=ticket_id,
                 updated_since=updated_since, sort=sort)


@router.get("/charges/{charge_id}", response_model=ChargePublic, responses=errors(404))
def get_charge(charge_id: Id, app: ServicesDep) -> Any:
    """Read one charge."""
    return records.get_record(app, kind="charge", record_id=charge_id)


@router.get("/history-notes", response_model=Page[HistoryNotePublic], responses=errors(422))
def list_history_notes(app: ServicesDep, limit: Limit = 100, offset: Offset = 0,
                       account_id: AccountFilter = None,
                       ticket_id: TicketFilter = None, updated_since: UpdatedSince = None,
                       sort: Sort = "-id") -> dict[str, object]:
    """List history notes, newest first (or in the `sort` order)."""
    return _page(app, "history_note", limit, offset, account_id=account_id,
                 ticket_id=ticket_id, updated_since=updated_since, sort=sort)


@router.get("/history-notes/{note_id}", response_model=HistoryNotePublic, responses=errors(404))
def get_history_note(note_id: Id, app: ServicesDep) -> Any:
    """Read one history note."""
    return records.get_record(app, kind="history_note", record_id=note_id)
