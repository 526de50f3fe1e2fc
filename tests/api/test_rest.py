"""The REST API: credentials, records, validation, pagination, error bodies."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api


@pytest.mark.parametrize("path", ["/api/v1/accounts", "/api/v1/tickets", "/api/v1/inbound-messages",
                                  "/api/v1/outbound-messages", "/api/v1/connector", "/api/v1/employees"])
def test_every_endpoint_needs_an_api_key(api: Api, path: str) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic eDp5"}):
        response = api.client.get(path, headers=headers)
        assert response.status_code == 401
        assert "detail" in response.json()


def test_accounts_are_created_read_filtered_changed_and_deleted(api: Api) -> None:
    acme = api.account("Acme", email="acme.example", account_number="A-1", external_id="ext-9")
    other = api.account("Other", email="boss@other.example")
    api.post(f"/api/v1/accounts/{other['id']}/contacts", {"name": "Bob", "email": "bob@acme.example"})

    assert api.get(f"/api/v1/accounts/{acme['id']}")["account_number"] == "A-1"
    listed = api.get("/api/v1/accounts")
    assert listed["total"] == 2 and [a["id"] for a in listed["items"]] == [other["id"], acme["id"]]
    found = api.get("/api/v1/accounts", params={"email": "Bob@acme.example"})
    assert {a["name"] for a in found["items"]} == {"Acme", "Other"}  # domain and contact
    assert api.get("/api/v1/accounts", params={"email": "acme.example"})["total"] == 1

    changed = api.patch(f"/api/v1/accounts/{acme['id']}", {"notes": "VIP", "email2": "acme.test"})
    assert (changed["notes"], changed["email"], changed["email2"]) == ("VIP", "acme.example", "acme.test")
    assert api.client.delete(f"/api/v1/accounts/{acme['id']}", headers=api.headers).status_code == 204
    assert api.client.get(f"/api/v1/accounts/{acme['id']}", headers=api.headers).status_code == 404


def test_pagination_is_newest_first_with_a_total(api: Api) -> None:
    for i in range(5):
        api.account(f"Account {i}")
    page = api.get("/api/v1/accounts", params={"limit": 2, "offset": 1})
    assert page["total"] == 5
    assert [a["name"] for a in page["items"]] == ["Account 3", "Account 2"]
    assert api.client.get("/api/v1/accounts", params={"limit": 1001}, headers=api.headers).status_code == 422


@pytest.mark.parametrize("body", [
    {}, {"name": ""}, {"name": "x", "email": "not an address"}, {"name": "x", "unknown": 1},
    {"name": "x", "email": "a@b@c"},
])
def test_invalid_accounts_are_refused_with_422(api: Api, body: dict[str, object]) -> None:
    response = api.client.post("/api/v1/accounts", json=body, headers=api.headers)
    assert response.status_code == 422


def test_required_fields_cannot_be_patched_to_null(api: Api) -> None:
    acme = api.account("Acme")
    response = api.client.patch(f"/api/v1/accounts/{acme['id']}", json={"name": None}, headers=api.headers)
    assert response.status_code == 422


def test_contacts_belong_to_an_existing_account(api: Api) -> None:
    response = api.client.post("/api/v1/accounts/999/contacts", json={"name": "x", "email": "x@y.example"},
                               headers=api.headers)
    assert response.status_code == 404
    acme = api.account("Acme")
    contact = api.post(f"/api/v1/accounts/{acme['id']}/contacts", {"name": "Ann", "email": "ann@acme.example"})
    assert contact == {"id": contact["id"], "account_id": acme["id"], "name": "Ann",
                       "email": "ann@acme.example", "created_at": contact["created_at"],
                       "updated_at": contact["created_at"]}
    patched = api.patch(f"/api/v1/contacts/{contact['id']}", {"email": "ann2@acme.example"})
    assert patched["email"] == "ann2@acme.example"
    assert api.get(f"/api/v1/accounts/{acme['id']}/contacts")["total"] == 1
    assert api.client.delete(f"/api/v1/contacts/{contact['id']}", headers=api.headers).status_code == 204


def test_employees_can_be_deactivated(api: Api) -> None:
    tina = api.post("/api/v1/employees", {"name": "Tina", "email1": "tina@msp.example"})
    assert tina["active"] is True
    assert api.patch(f"/api/v1/employees/{tina['id']}", {"active": False})["active"] is False
    bad = api.client.post("/api/v1/employees", json={"name": "x", "email1": "msp.example"}, headers=api.headers)
    assert bad.status_code == 422


def test_a_ticket_created_through_the_api_is_numbered_and_documented(api: Api) -> None:
    acme = api.account("Acme")
    ticket = api.post("/api/v1/tickets", {"account_id": acme["id"], "subject": "Server down",
                                         "description": "Since 9:00", "priority": 10})
    assert ticket["number"] == f"{ticket['id']:07d}" and ticket["source"] == "api"
    assert api.get(f"/api/v1/tickets/{int(ticket['number'])}")["id"] == ticket["id"]
    documents = api.get(f"/api/v1/tickets/{ticket['number']}/documents")["items"]
    assert [(d["kind"], d["text"]) for d in documents] == [("api", "Since 9:00")]
    assert api.get("/api/v1/tickets", params={"account_id": acme["id"], "status": "open"})["total"] == 1
    assert api.get("/api/v1/tickets", params={"status": "closed"})["total"] == 0


def test_a_ticket_needs_an_existing_account_and_a_contact_of_that_account(api: Api) -> None:
    acme, other = api.account("Acme"), api.account("Other")
    stranger = api.post(f"/api/v1/accounts/{other['id']}/contacts", {"name": "S", "email": "s@o.example"})
    for body in ({"account_id": 999, "subject": "x"},
                 {"account_id": acme["id"], "contact_id": stranger["id"], "subject": "x"}):
        assert api.client.post("/api/v1/tickets", json=body, headers=api.headers).status_code == 422


def test_an_account_with_tickets_cannot_be_deleted(api: Api) -> None:
    acme = api.account("Acme")
    api.post("/api/v1/tickets", {"account_id": acme["id"], "subject": "x"})
    response = api.client.delete(f"/api/v1/accounts/{acme['id']}", headers=api.headers)
    assert response.status_code == 409 and "ticket" in response.json()["detail"]


@pytest.mark.parametrize("path", ["/api/v1/tickets/abc", "/api/v1/tickets/99999999",
                                  "/api/v1/attachments/5", "/api/v1/inbound-messages/5",
                                  "/api/v1/inbound-messages/5/raw", "/api/v1/contacts/5"])
def test_missing_records_are_404_with_a_detail(api: Api, path: str) -> None:
    response = api.client.get(path, headers=api.headers)
    assert response.status_code == 404
    assert response.json()["detail"]


def test_the_processing_log_filters_by_status_and_outcome(api: Api) -> None:
    from tests.mail import email as make_email

    api.deliver(make_email(sender="x@nowhere.example"))
    assert api.get("/api/v1/inbound-messages", params={"outcome": "forwarded_unrecognized"})["total"] == 1
    assert api.get("/api/v1/inbound-messages", params={"status": "queued"})["total"] == 0
    assert api.client.get("/api/v1/inbound-messages", params={"outcome": "nonsense"},
                          headers=api.headers).status_code == 422


def test_a_body_value_must_have_its_documented_json_type(api: Api) -> None:
    """0 is no `false` and "2" no 2: what the schema does not allow is refused, not guessed."""
    account = api.account("Acme")["id"]
    for path, body in (("/api/v1/employees", {"name": "Tina", "email1": "t@msp.example",
                                              "active": 0}),
                       ("/api/v1/tickets", {"account_id": account, "subject": "x", "priority": "2"}),
                       ("/api/v1/tickets", {"account_id": str(account), "subject": "x"})):
        response = api.client.post(path, json=body, headers=api.headers)
        assert (response.status_code, response.json()["code"]) == (422, "request_invalid"), body
    assert api.get("/api/v1/employees")["total"] == 0 and api.get("/api/v1/tickets")["total"] == 0
    assert api.post("/api/v1/tickets", {"account_id": account, "subject": "x", "priority": 2})
