"""Use cases on the records: accounts, contacts, employees, tickets and their documents,
automation rules, and the records XML transactions write (assets, charges, notes)."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from api.application.clock import utcnow
from api.application.services import Services
from domain import model
from domain.addresses import address_key
from domain.automation import rule_problem
from domain.errors import InvalidInput, StorageConflict
from domain.messages import FiledDocument
from domain.model import DocumentKind, TicketStatus

Page = tuple[list[Any], int]


def create_record(app: Services, *, kind: str, values: dict[str, Any],
                  parent: tuple[str, int] | None = None) -> Any:
    """A new account, contact (under its account: `parent`), employee or other record."""
    with app.storage.writing() as uow:
        if parent is not None:
            uow.records.get(parent[0], parent[1])
            values = {**values, f"{parent[0]}_id": parent[1]}
        return uow.records.create(kind, values, utcnow())


def get_record(app: Services, *, kind: str, record_id: int) -> Any:
    with app.storage.reading() as uow:
        return uow.records.get(kind, record_id)


def update_record(app: Services, *, kind: str, record_id: int, changes: dict[str, Any]) -> Any:
    with app.storage.writing() as uow:
        return uow.records.patch(kind, record_id, changes, utcnow())


def delete_record(app: Services, *, kind: str, record_id: int) -> None:
    """Delete a record (an account with its contacts; refused while it has tickets)."""
    with app.storage.writing() as uow:
        uow.records.remove(kind, record_id)


def list_records(app: Services, *, kind: str, limit: int, offset: int,
                 parent: tuple[str, int] | None = None, **equal: Any) -> Page:
    """Records of a kind, newest first, filtered by equal columns."""
    with app.storage.reading() as uow:
        if parent is not None:
            uow.records.get(parent[0], parent[1])
            equal[f"{parent[0]}_id"] = parent[1]
        return uow.records.page(kind, limit=limit, offset=offset, **equal)


def list_accounts(app: Services, *, email: str | None, limit: int, offset: int,
                  updated_since: Any = None, sort: str = "-id") -> Page:
    """Accounts holding an address or its domain; a filter holding neither matches nothing."""
    if email is not None and address_key(email) is None:
        return [], 0
    with app.storage.reading() as uow:
        return uow.records.accounts_page(email=email, limit=limit, offset=offset,
                                         updated_since=updated_since, sort=sort)


def create_ticket(app: Services, *, account_id: int, subject: str, contact_id: int | None = None,
                  description: str | None = None, priority: int | None = None) -> Any:
    """A ticket created directly; its description is filed as its first document (kind api)."""
    with app.storage.writing() as uow:
        return _open_ticket(uow, account_id=account_id, subject=subject, contact_id=contact_id,
                            description=description, priority=priority)


def create_ticket_once(app: Services, *, idempotency_key: str, **values: Any) -> tuple[Any, bool]:
    """create_ticket under an Idempotency-Key: the first request makes the ticket; the same
    request again gets that ticket back (True: a replay), never a second one; the same key
    with another request is refused (draft-ietf-httpapi-idempotency-key-header §2.7)."""
    request = hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).digest()
    for attempt in range(2):
        try:
            with app.storage.writing() as uow:
                earlier = uow.records.ticket_request(idempotency_key)
                if earlier is not None:
                    if not hmac.compare_digest(earlier[0], request):
                        raise InvalidInput("this Idempotency-Key was sent with another request")
                    return uow.records.get("ticket", earlier[1]), True
                ticket = _open_ticket(uow, **values)
                uow.records.remember_ticket_request(idempotency_key, request, ticket.id,
                                                    utcnow())
                return ticket, False
        except StorageConflict:  # the same key at the same moment: the other one's row wins
            if attempt:
                raise
    raise AssertionError("unreachable")


def _open_ticket(uow: Any, *, account_id: int, subject: str, contact_id: int | None = None,
                 description: str | None = None, priority: int | None = None) -> Any:
    now = utcnow()
    uow.records.check_ticket_links(account_id, contact_id)
    text = description or ""
    ticket_id = uow.records.open_ticket(
        {"account_id": account_id, "contact_id": contact_id, "subject": subject,
         "description": description, "priority": priority, "source": "api",
         "status": TicketStatus.OPEN},
        FiledDocument(kind=DocumentKind.API, subject=subject, text=text, reply_text=text,
                      date=now), now)
    return uow.records.get("ticket", ticket_id)


def get_ticket(app: Services, *, number: str) -> Any:
    with app.storage.reading() as uow:
        return uow.records.ticket_by_number(number)


def update_ticket(app: Services, *, number: str, changes: dict[str, Any]) -> Any:
    with app.storage.writing() as uow:
        ticket = uow.records.ticket_by_number(number)
        if changes.get("contact_id") is not None:
            uow.records.check_ticket_links(ticket.account_id, changes["contact_id"])
        return uow.records.patch("ticket", ticket.id, changes, utcnow())


def ticket_documents(app: Services, *, number: str, limit: int, offset: int) -> Page:
    with app.storage.reading() as uow:
        ticket = uow.records.ticket_by_number(number)
        return uow.records.documents_of(ticket.id, limit=limit, offset=offset)


def list_rules(app: Services, *, kind: str | None, limit: int, offset: int,
               updated_since: Any = None) -> Page:
    """The automation rules in the order they run (detect, skip, account; each by position)."""
    with app.storage.reading() as uow:
        return uow.records.rules_page(kind=kind, limit=limit, offset=offset,
                                      updated_since=updated_since)


def create_rule(app: Services, *, values: dict[str, Any]) -> Any:
    """A rule; without a position it runs after the other rules of its kind."""
    with app.storage.writing() as uow:
        if values.get("position") is None:
            values = {**values, "position": uow.records.next_rule_position(values["kind"])}
        _check_rule(values)
        return uow.records.create("automation_rule", values, utcnow())


def update_rule(app: Services, *, rule_id: int, changes: dict[str, Any]) -> Any:
    with app.storage.writing() as uow:
        rule = uow.records.get("automation_rule", rule_id)
        _check_rule({**rule.model_dump(), **changes})
        return uow.records.patch("automation_rule", rule_id, changes, utcnow())


def _check_rule(values: dict[str, Any]) -> None:
    fields: dict[str, Any] = {name: values.get(name) for name in ("kind", "position", "enabled", "sender",
                                                  "subject_contains", "account_field", "marker")}
    problem = rule_problem(model.AutomationRule(id=0, location=values.get("location") or "anywhere",
                                                **fields))
    if problem:
        raise InvalidInput(problem)


def move_rule(app: Services, *, rule_id: int, step: int) -> Any:
    """Move a rule `step` places earlier (-1) or later (+1) among the rules of its kind; the
    kind's positions are numbered afresh (0, 10, 20, ...) so that ties cannot hide a move."""
    with app.storage.writing() as uow:
        rule = uow.records.get("automation_rule", rule_id)
        rules, _ = uow.records.rules_page(kind=rule.kind, limit=10_000, offset=0)
        order = [r.id for r in rules]
        index = order.index(rule_id)
        target = min(max(index + step, 0), len(order) - 1)
        order.insert(target, order.pop(index))
        now = utcnow()
        for position, other in enumerate(order):
            uow.records.patch("automation_rule", other, {"position": position * 10}, now)
        return uow.records.get("automation_rule", rule_id)
