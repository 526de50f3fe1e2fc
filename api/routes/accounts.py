"""Accounts, their contacts, and employees."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy import select

from adapters.persistence import records
from adapters.persistence.tables import Account, Contact, Employee
from adapters.persistence.types import utcnow
from api.deps import ContainerDep
from api.routes.common import AUTH, NO_NUL, Limit, Offset, body_errors, errors
from api.schemas import (
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
from domain.addresses import address_key

router = APIRouter(prefix="/api/v1", tags=["accounts"], dependencies=AUTH, responses=errors())
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post("/accounts", status_code=201, response_model=AccountPublic, responses=body_errors(422))
def create_account(body: AccountCreate, container: ContainerDep) -> Account:
    """Create an account. Its email fields may hold an address or a bare domain (acme.com)."""
    with container.db.writing() as session:
        return records.create(session, Account, body.model_dump(), utcnow())


@router.get("/accounts", response_model=Page[AccountPublic], responses=errors(422))
def list_accounts(container: ContainerDep, limit: Limit = 100, offset: Offset = 0,
                  email: Annotated[str | None, Query(max_length=320, pattern=NO_NUL)] = None) -> dict[str, object]:
    """List accounts, newest first; `email` finds those holding an address or its domain."""
    if email is not None and address_key(email) is None:
        # Blank, or no address or domain at all: it matches nothing. Answered here, because the
        # query's "matches nothing" key is a NUL, which PostgreSQL refuses (a 500 before).
        return {"items": [], "total": 0}
    with container.db.reading() as session:
        items, total = records.page(session, records.accounts_query(email), limit=limit, offset=offset)
    return {"items": items, "total": total}


@router.get("/accounts/{account_id}", response_model=AccountPublic, responses=errors(404))
def get_account(account_id: Id, container: ContainerDep) -> Account:
    """Read one account."""
    with container.db.reading() as session:
        return records.get(session, Account, account_id)


@router.patch("/accounts/{account_id}", response_model=AccountPublic,
              responses=body_errors(404, 422))
def update_account(account_id: Id, body: AccountUpdate, container: ContainerDep) -> Account:
    """Change an account's fields."""
    with container.db.writing() as session:
        account = records.get(session, Account, account_id)
        return records.patch(session, account, body.model_dump(exclude_unset=True), utcnow())


@router.delete("/accounts/{account_id}", status_code=204, responses=errors(404, 409))
def delete_account(account_id: Id, container: ContainerDep) -> Response:
    """Delete an account and its contacts (refused while it has tickets)."""
    with container.db.writing() as session:
        records.delete_account(session, records.get(session, Account, account_id))
    return Response(status_code=204)


@router.post("/accounts/{account_id}/contacts", status_code=201, response_model=ContactPublic,
             responses=body_errors(404, 422))
def create_contact(account_id: Id, body: ContactCreate, container: ContainerDep) -> Contact:
    """Add a contact (a secondary address, or a bare domain) to an account."""
    with container.db.writing() as session:
        records.get(session, Account, account_id)
        return records.create(session, Contact, {**body.model_dump(), "account_id": account_id},
                              utcnow())


@router.get("/accounts/{account_id}/contacts", response_model=Page[ContactPublic],
            responses=errors(404))
def list_contacts(account_id: Id, container: ContainerDep, limit: Limit = 100,
                  offset: Offset = 0) -> dict[str, object]:
    """List an account's contacts, newest first."""
    with container.db.reading() as session:
        records.get(session, Account, account_id)
        query = select(Contact).where(Contact.account_id == account_id).order_by(Contact.id.desc())
        items, total = records.page(session, query, limit=limit, offset=offset)
    return {"items": items, "total": total}


@router.get("/contacts/{contact_id}", response_model=ContactPublic, responses=errors(404))
def get_contact(contact_id: Id, container: ContainerDep) -> Contact:
    """Read one contact."""
    with container.db.reading() as session:
        return records.get(session, Contact, contact_id)


@router.patch("/contacts/{contact_id}", response_model=ContactPublic,
              responses=body_errors(404, 422))
def update_contact(contact_id: Id, body: ContactUpdate, container: ContainerDep) -> Contact:
    """Change a contact."""
    with container.db.writing() as session:
        contact = records.get(session, Contact, contact_id)
        return records.patch(session, contact, body.model_dump(exclude_unset=True), utcnow())


@router.delete("/contacts/{contact_id}", status_code=204, responses=errors(404))
def delete_contact(contact_id: Id, container: ContainerDep) -> Response:
    """Delete a contact."""
    with container.db.writing() as session:
        records.remove(session, records.get(session, Contact, contact_id))
    return Response(status_code=204)


@router.post("/employees", status_code=201, response_model=EmployeePublic,
             responses=body_errors(422), tags=["employees"])
def create_employee(body: EmployeeCreate, container: ContainerDep) -> Employee:
    """Create an employee; an active one's replies are filed without a forward."""
    with container.db.writing() as session:
        return records.create(session, Employee, body.model_dump(), utcnow())


@router.get("/employees", response_model=Page[EmployeePublic], tags=["employees"])
def list_employees(container: ContainerDep, limit: Limit = 100, offset: Offset = 0) -> dict[str, object]:
    """List employees, newest first."""
    with container.db.reading() as session:
        items, total = records.page(session, select(Employee).order_by(Employee.id.desc()),
                                    limit=limit, offset=offset)
    return {"items": items, "total": total}


@router.get("/employees/{employee_id}", response_model=EmployeePublic, responses=errors(404),
            tags=["employees"])
def get_employee(employee_id: Id, container: ContainerDep) -> Employee:
    """Read one employee."""
    with container.db.reading() as session:
        return records.get(session, Employee, employee_id)


@router.patch("/employees/{employee_id}", response_model=EmployeePublic,
              responses=body_errors(404, 422), tags=["employees"])
def update_employee(employee_id: Id, body: EmployeeUpdate, container: ContainerDep) -> Employee:
    """Change an employee (for example `active: false`)."""
    with container.db.writing() as session:
        employee = records.get(session, Employee, employee_id)
        return records.patch(session, employee, body.model_dump(exclude_unset=True), utcnow())


@router.delete("/employees/{employee_id}", status_code=204, responses=errors(404),
               tags=["employees"])
def delete_employee(employee_id: Id, container: ContainerDep) -> Response:
    """Delete an employee."""
    with container.db.writing() as session:
        records.remove(session, records.get(session, Employee, employee_id))
    return Response(status_code=204)
