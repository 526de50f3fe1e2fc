"""Automated-email rules (SPEC §2 step 2): the ordered list, add, edit, move, enable/disable,
delete, through the same use cases as /api/v1/automation-rules."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from api.application import records
from api.http.console.web import CheckedForm, SignedIn, field, redirect, render, services
from api.http.schemas import AutomationRuleCreate
from domain.errors import InvalidInput, NotFound

router = APIRouter(prefix="/admin/rules", include_in_schema=False)
KINDS = (("detect", "Detect: mail from these senders (with this subject) is an automated alert "
                    "that opens a ticket"),
         ("skip", "Skip: automated mail that is recorded but files nothing"),
         ("account", "Account: which account an automated alert belongs to"))
TEXT_FIELDS = ("sender", "subject_contains", "marker")


def _values(form: Any) -> dict[str, Any]:
    values: dict[str, Any] = {"kind": field(form, "kind"), "enabled": field(form, "enabled") == "true",
                              "location": field(form, "location") or "anywhere",
                              "account_field": field(form, "account_field") or None}
    for name in TEXT_FIELDS:
        values[name] = field(form, name) or None
    return values


def _problem(exc: ValidationError) -> str:
    first = exc.errors()[0]
    return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"


@router.get("")
def rules_page(request: Request, session: SignedIn, edit: int | None = None) -> Response:
    items, _ = records.list_rules(services(request), kind=None, limit=1000, offset=0)
    editing = next((r for r in items if r.id == edit), None)
    return render(request, "rules.html", rules=items, kinds=KINDS, editing=editing)


@router.post("")
def add_rule(request: Request, session: SignedIn, form: CheckedForm) -> Response:
    try:
        values = AutomationRuleCreate(**_values(form)).model_dump()
        rule = records.create_rule(services(request), values=values)
    except ValidationError as exc:
        return redirect(request, "/admin/rules", f"!Not added: {_problem(exc)}")
    except InvalidInput as exc:
        return redirect(request, "/admin/rules", f"!Not added: {exc}")
    return redirect(request, "/admin/rules", f"Rule {rule.id} added ({rule.kind}).")


@router.post("/{rule_id}")
def change_rule(request: Request, rule_id: int, session: SignedIn, form: CheckedForm
                ) -> Response:
    action, app = field(form, "action"), services(request)
    try:
        if action in ("up", "down"):
            records.move_rule(app, rule_id=rule_id, step=-1 if action == "up" else 1)
            note = f"Rule {rule_id} moved {action}."
        elif action in ("enable", "disable"):
            records.update_rule(app, rule_id=rule_id, changes={"enabled": action == "enable"})
            note = f"Rule {rule_id} {action}d."
        elif action == "delete":
            records.delete_record(app, kind="automation_rule", record_id=rule_id)
            note = f"Rule {rule_id} deleted."
        else:
            values = AutomationRuleCreate(**_values(form)).model_dump(exclude={"position"})
            records.update_rule(app, rule_id=rule_id, changes=values)
            note = f"Rule {rule_id} saved."
    except ValidationError as exc:
        return redirect(request, f"/admin/rules?edit={rule_id}", f"!Not saved: {_problem(exc)}")
    except (InvalidInput, NotFound) as exc:
        return redirect(request, "/admin/rules", f"!Not changed: {exc}")
    return redirect(request, "/admin/rules", note)
