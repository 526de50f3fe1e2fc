"""Automated-email rules (SPEC §2 step 2): detect, skip and account rules, in position order."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from sqlalchemy import case, func, select
from sqlmodel import Session

from adapters.persistence import records
from adapters.persistence.tables import AutomationRule
from adapters.persistence.types import utcnow
from api.deps import ContainerDep
from api.routes.common import AUTH, Limit, Offset, body_errors, errors
from api.schemas import (
    MAX_ID,
    AutomationRuleCreate,
    AutomationRulePublic,
    AutomationRuleUpdate,
    Page,
    RuleKind,
)
from domain import model
from domain.automation import rule_problem
from domain.errors import InvalidInput

router = APIRouter(prefix="/api/v1/automation-rules", tags=["automation rules"], dependencies=AUTH,
                   responses=errors())
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
_RUN_ORDER = case({"detect": 0, "skip": 1, "account": 2}, value=AutomationRule.kind, else_=3)


@router.get("", response_model=Page[AutomationRulePublic], responses=errors(422))
def list_rules(container: ContainerDep, limit: Limit = 100, offset: Offset = 0,
               kind: RuleKind | None = None) -> dict[str, object]:
    """The rules in the order they run (detect, skip, account; each by position), not newest first."""
    query = select(AutomationRule).order_by(_RUN_ORDER, AutomationRule.position, AutomationRule.id)
    if kind is not None:
        query = query.where(AutomationRule.kind == kind)
    with container.db.reading() as session:
        items, total = records.page(session, query, limit=limit, offset=offset)
    return {"items": items, "total": total}


@router.post("", status_code=201, response_model=AutomationRulePublic, responses=body_errors(422))
def create_rule(body: AutomationRuleCreate, container: ContainerDep) -> AutomationRule:
    """Add a rule; without a position it runs after the other rules of its kind."""
    values = body.model_dump()
    with container.db.writing() as session:
        if values["position"] is None:
            values["position"] = _next_position(session, body.kind)
        _check(values)
        return records.create(session, AutomationRule, values, utcnow())


@router.get("/{rule_id}", response_model=AutomationRulePublic, responses=errors(404))
def get_rule(rule_id: Id, container: ContainerDep) -> AutomationRule:
    """Read one rule."""
    with container.db.reading() as session:
        return records.get(session, AutomationRule, rule_id)


@router.patch("/{rule_id}", response_model=AutomationRulePublic, responses=body_errors(404, 422))
def update_rule(rule_id: Id, body: AutomationRuleUpdate, container: ContainerDep) -> AutomationRule:
    """Change a rule (its position, `enabled: false`, its phrases); it takes effect at once."""
    changes = body.model_dump(exclude_unset=True)
    with container.db.writing() as session:
        rule = records.get(session, AutomationRule, rule_id)
        _check({**rule.model_dump(), **changes})
        return records.patch(session, rule, changes, utcnow())


@router.delete("/{rule_id}", status_code=204, responses=errors(404))
def delete_rule(rule_id: Id, container: ContainerDep) -> Response:
    """Delete a rule."""
    with container.db.writing() as session:
        records.remove(session, records.get(session, AutomationRule, rule_id))
    return Response(status_code=204)


def _check(values: dict[str, Any]) -> None:
    fields = {name: values.get(name) for name in ("kind", "position", "enabled", "sender",
                                                  "subject_contains", "account_field", "marker")}
    problem = rule_problem(model.AutomationRule(id=0, location=values.get("location") or "anywhere",
                                                **fields))
    if problem:
        raise InvalidInput(problem)


def _next_position(session: Session, kind: str) -> int:
    highest = session.execute(
        select(func.max(AutomationRule.position)).where(AutomationRule.kind == kind)
    ).scalar_one()
    return 1 if highest is None else int(highest) + 1
