"""Accounts, their contacts, and employees."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from api.application import records
from api.http.deps import ServicesDep
from api.http.routes.common import (
    AUTH,
    NO_NUL,
    Limit,
    Offset,
    Sort,
    UpdatedSince,
    body_errors,
    errors,
)
from api.http.schemas import (
    MAX_ID,
    AccountCreate,
    AccountPublic,
    AccountUpdate,
    ContactCreate,
    ContactPublic,
    ContactUpdate,
    EmployeeCreate,
    EmployeePublic,
    EmployeeUpdate,
    Page,
)

# Each route names its one tag (a router-wide tag would list the employees under accounts too).
router = APIRouter(prefix="/api/v1", dependencies=AUTH, responses=errors())
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post("/accounts", status_code=201, response_model=AccountPublic, responses=body_errors(422),
             tags=["accounts"])
def create_account(body: AccountCreate, app: ServicesDep) -> Any:
    """Create an account. Its email fields may hold an address or a bare domain (acme.com)."""
    return records.create_record(app, kind="account", values=body.model_dump())


@router.get("/accounts", response_model=Page[AccountPublic], responses=errors(422),
            tags=["accounts"])
def list_accounts(app: ServicesDep, limit: Limit = 100, offset: Offset = 0,
                  email: Annotated[str | None, Query(max_length=320, pattern=NO_NUL)] = None,
                  updated_since: UpdatedSince = None, sort: Sort = "-id") -> dict[str, object]:
    """List accounts, newest first (or in the `sort` order); `email` finds those holding an
    address or its domain."""
    items, total = records.list_accounts(app, email=email, limit=limit, offset=offset,
                                         updated_since=updated_since, sort=sort)
    return {"items": items, "total": total}


@router.get("/accounts/{account_id}", response_model=AccountPublic, responses=errors(404),
            tags=["accounts"])
def get_account(account_id: Id, app: ServicesDep) -> Any:
    """Read one account."""
    return records.get_record(app, kind="account", record_id=account_id)


@router.patch("/accounts/{account_id}", response_model=AccountPublic,
              responses=body_errors(404, 422), tags=["accounts"])
def update_account(account_id: Id, body: AccountUpdate, app: ServicesDep) -> Any:
    """Change an account's fields."""
    return records.update_record(app, kind="account", record_id=account_id,
                                 changes=body.model_dump(exclude_unset=True))


@router.delete("/accounts/{account_id}", status_code=204, responses=errors(404, 409),
               tags=["accounts"])
def delete_account(account_id: Id, app: ServicesDep) -> Response:
    """Delete an account and its contacts (refused while it has tickets)."""
    records.delete_record(app, kind="account", record_id=account_id)
    return Response(status_code=204)


@router.post("/accounts/{account_id}/contacts", status_code=201, response_model=ContactPublic,
             responses=body_errors(404, 422), tags=["accounts"])
def create_contact(account_id: Id, body: ContactCreate, app: ServicesDep) -> Any:
    """Add a contact (a secondary address, or a bare domain) to an account."""
    return records.create_record(app, kind="contact", values=body.model_dump(),
                                 parent=("account", account_id))


@router.get("/accounts/{account_id}/contacts", response_model=Page[ContactPublic],
            responses=errors(404, 422), tags=["accounts"])
def list_contacts(account_id: Id, app: ServicesDep, limit: Limit = 100, offset: Offset = 0,
                  updated_since: UpdatedSince = None, sort: Sort = "-id") -> dict[str, object]:
    """List an account's contacts, newest first (or in the `sort` order)."""
    items, total = records.list_records(app, kind="contact", limit=limit, offset=offset,
                                        parent=("account", account_id),
                                        updated_since=updated_since, sort=sort)
    return {"items": items, "total": total}


@router.get("/contacts/{contact_id}", response_model=ContactPublic, responses=errors(404),
            tags=["accounts"])
def get_contact(contact_id: Id, app: ServicesDep) -> Any:
    """Read one contact."""
    return records.get_record(app, kind="contact", record_id=contact_id)


@router.patch("/contacts/{contact_id}", response_model=ContactPublic,
              responses=body_errors(404, 422), tags=["accounts"])
def update_contact(contact_id: Id, body: ContactUpdate, app: ServicesDep) -> Any:
    """Change a contact."""
    return records.update_record(app, kind="contact", record_id=contact_id,
                                 changes=body.model_dump(exclude_unset=True))


@router.delete("/contacts/{contact_id}", status_code=204, responses=errors(404), tags=["accounts"])
def delete_contact(contact_id: Id, app: ServicesDep) -> Response:
    """Delete a contact."""
    records.delete_record(app, kind="contact", record_id=contact_id)
    return Response(status_code=204)


@router.post("/employees", status_code=201, response_model=EmployeePublic,
             responses=body_errors(422), tags=["employees"])
def create_employee(body: EmployeeCreate, app: ServicesDep) -> Any:
    """Create an employee; an active one's replies are filed without a forward."""
    return records.create_record(app, kind="employee", values=body.model_dump())


@router.get("/employees", response_model=Page[EmployeePublic], responses=errors(422),
            tags=["employees"])
def list_employees(app: ServicesDep, limit: Limit = 100, offset: Offset = 0,
                   updated_since: UpdatedSince = None, sort: Sort = "-id") -> dict[str, object]:
    """List employees, newest first (or in the `sort` order)."""
    items, total = records.list_records(app, kind="employee", limit=limit, offset=offset,
                                        updated_since=updated_since, sort=sort)
    return {"items": items, "total": total}


@router.get("/employees/{employee_id}", response_model=EmployeePublic, responses=errors(404),
            tags=["employees"])
def get_employee(employee_id: Id, app: ServicesDep) -> Any:
    """Read one employee."""
    return records.get_record(app, kind="employee", record_id=employee_id)


@router.patch("/employees/{employee_id}", response_model=EmployeePublic,
              responses=body_errors(404, 422), tags=["employees"])
def update_employee(employee_id: Id, body: EmployeeUpdate, app: ServicesDep) -> Any:
    """Change an employee (for example `active: false`)."""
    return records.update_record(app, kind="employee", record_id=employee_id,
                                 changes=body.model_dump(exclude_unset=True))


@router.delete("/employees/{employee_id}", status_code=204, responses=errors(404),
               tags=["employees"])
def delete_employee(employee_id: Id, app: ServicesDep) -> Response:
    """Delete an employee."""
    records.delete_record(app, kind="employee", record_id=employee_id)
    return Response(status_code=204)
