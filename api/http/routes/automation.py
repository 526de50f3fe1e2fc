"""Automated-email rules (SPEC §2 step 2): detect, skip and account rules, in position order."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from api.application import records
from api.http.deps import ServicesDep
from api.http.routes.common import AUTH, Limit, Offset, UpdatedSince, body_errors, errors
from api.http.schemas import (
    MAX_ID,
    AutomationRuleCreate,
    AutomationRulePublic,
    AutomationRuleUpdate,
    Page,
    RuleKind,
)

router = APIRouter(prefix="/api/v1/automation-rules", tags=["automation rules"], dependencies=AUTH,
                   responses=errors())
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("", response_model=Page[AutomationRulePublic], responses=errors(422))
def list_rules(app: ServicesDep, limit: Limit = 100, offset: Offset = 0,
               kind: RuleKind | None = None, updated_since: UpdatedSince = None
               ) -> dict[str, object]:
    """The rules in the order they run (detect, skip, account; each by position), not newest
    first; there is no other order, as that is the one that matters."""
    items, total = records.list_rules(app, kind=kind, limit=limit, offset=offset,
                                      updated_since=updated_since)
    return {"items": items, "total": total}


@router.post("", status_code=201, response_model=AutomationRulePublic, responses=body_errors(422))
def create_rule(body: AutomationRuleCreate, app: ServicesDep) -> Any:
    """Add a rule; without a position it runs after the other rules of its kind."""
    return records.create_rule(app, values=body.model_dump())


@router.get("/{rule_id}", response_model=AutomationRulePublic, responses=errors(404))
def get_rule(rule_id: Id, app: ServicesDep) -> Any:
    """Read one rule."""
    return records.get_record(app, kind="automation_rule", record_id=rule_id)


@router.patch("/{rule_id}", response_model=AutomationRulePublic, responses=body_errors(404, 422))
def update_rule(rule_id: Id, body: AutomationRuleUpdate, app: ServicesDep) -> Any:
    """Change a rule (its position, `enabled: false`, its phrases); it takes effect at once."""
    return records.update_rule(app, rule_id=rule_id, changes=body.model_dump(exclude_unset=True))


@router.delete("/{rule_id}", status_code=204, responses=errors(404))
def delete_rule(rule_id: Id, app: ServicesDep) -> Response:
    """Delete a rule."""
    records.delete_record(app, kind="automation_rule", record_id=rule_id)
    return Response(status_code=204)
