"""The list endpoints' `updated_since` and `sort`: an integrator follows changes page by page
(updated_since=<last seen>&sort=updated_at) instead of reading everything again."""

from __future__ import annotations

from urllib.parse import quote

from tests.api.conftest import Api


def subjects(api: Api, query: str) -> list[str]:
    return [t["subject"] for t in api.get(f"/api/v1/tickets?{query}")["items"]]


def test_tickets_follow_the_sort_order_and_the_last_change(api: Api) -> None:
    account = api.account("Acme")["id"]
    made = [api.post("/api/v1/tickets", {"account_id": account, "subject": s})
            for s in ("first", "second", "third")]
    changed = api.patch(f"/api/v1/tickets/{made[0]['number']}", {"priority": 5})
    assert subjects(api, "") == ["third", "second", "first"]  # newest first, as before
    assert subjects(api, "sort=id") == ["first", "second", "third"]
    assert subjects(api, "sort=-updated_at") == ["first", "third", "second"]
    assert subjects(api, "sort=updated_at") == ["second", "third", "first"]
    since = quote(changed["updated_at"])
    assert subjects(api, f"updated_since={since}&sort=updated_at") == ["first"]
    assert api.get(f"/api/v1/tickets?updated_since={since}")["total"] == 1


def test_pages_in_updated_order_neither_overlap_nor_skip(api: Api) -> None:
    account = api.account("Acme")["id"]
    for n in range(7):
        api.post("/api/v1/tickets", {"account_id": account, "subject": f"t{n}"})
    seen = []
    for offset in range(0, 7, 3):
        seen += subjects(api, f"sort=updated_at&limit=3&offset={offset}")
    assert seen == [f"t{n}" for n in range(7)]


def test_accounts_take_the_same_parameters(api: Api) -> None:
    old, new = api.account("Old"), api.account("New")
    changed = api.patch(f"/api/v1/accounts/{old['id']}", {"notes": "moved"})
    names = [a["name"] for a in api.get("/api/v1/accounts?sort=-updated_at")["items"]]
    assert names == ["Old", "New"]
    since = quote(changed["updated_at"])
    assert [a["name"] for a in api.get(f"/api/v1/accounts?updated_since={since}")["items"]] == \
        ["Old"]
    assert new["id"] > old["id"]


def test_a_time_is_rfc_3339_with_its_offset_and_a_bad_one_or_sort_is_refused(api: Api) -> None:
    api.post("/api/v1/tickets", {"account_id": api.account("Acme")["id"], "subject": "x"})
    assert api.get("/api/v1/tickets?updated_since=2000-01-01T00:00:00Z")["total"] == 1
    assert api.get("/api/v1/tickets?updated_since=2000-01-01T05:00:00%2B05:00")["total"] == 1
    assert api.get("/api/v1/tickets?updated_since=2999-01-01T00:00:00Z")["total"] == 0
    for query in ("updated_since=yesterday", "updated_since=0.5", "updated_since=2026-12-01",
                  "updated_since=2026-12-01T00:00:00", "sort=subject",
                  "updated_since=0001-01-01T00:00:00%2B05:00"):
        response = api.client.get(f"/api/v1/tickets?{query}", headers=api.headers)
        assert response.status_code == 422 and response.json()["code"] == "request_invalid"


def test_contacts_and_employees_take_the_same_parameters(api: Api) -> None:
    account = api.account("Acme")["id"]
    contacts = [api.post(f"/api/v1/accounts/{account}/contacts", {"name": n}) for n in ("A", "B")]
    changed = api.patch(f"/api/v1/contacts/{contacts[0]['id']}", {"email": "a@acme.example"})
    assert changed["updated_at"] > changed["created_at"] == contacts[0]["created_at"]
    listed = f"/api/v1/accounts/{account}/contacts"
    assert [c["name"] for c in api.get(listed)["items"]] == ["B", "A"]
    assert [c["name"] for c in api.get(f"{listed}?sort=-updated_at")["items"]] == ["A", "B"]
    since = quote(changed["updated_at"])
    assert [c["name"] for c in api.get(f"{listed}?updated_since={since}")["items"]] == ["A"]

    people = [api.post("/api/v1/employees", {"name": n, "email1": f"{n}@msp.example"})
              for n in ("eve", "max")]
    left = api.patch(f"/api/v1/employees/{people[0]['id']}", {"active": False})
    assert [e["name"] for e in api.get("/api/v1/employees?sort=updated_at")["items"]] == \
        ["max", "eve"]
    since = quote(left["updated_at"])
    found = api.get(f"/api/v1/employees?updated_since={since}")
    assert (found["total"], found["items"][0]["active"]) == (1, False)
    response = api.client.get("/api/v1/employees?sort=name", headers=api.headers)
    assert response.status_code == 422
