"""The list endpoints' `updated_since` and `sort`: an integrator follows changes page by page
(updated_since=<last seen>&sort=updated_at) instead of reading everything again."""

from __future__ import annotations

from urllib.parse import quote

from tests.api.conftest import Api
from tests.conftest import SmtpSink, wait_until
from tests.mail import email


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


def test_the_processing_log_follows_each_message_through_its_changes(api: Api) -> None:
    first, second = (api.deliver(email(subject=s)) for s in ("first", "second"))
    assert first["updated_at"] >= first["processed_at"] >= first["received_at"]
    api.post(f"/api/v1/inbound-messages/{first['id']}/reprocess", status=200)
    again = api.processed(first["id"])
    log = "/api/v1/inbound-messages"
    assert [m["subject"] for m in api.get(log)["items"]] == ["second", "first"]  # as before
    assert [m["subject"] for m in api.get(f"{log}?sort=-updated_at")["items"]] == \
        ["first", "second"]
    assert [m["subject"] for m in api.get(f"{log}?sort=updated_at")["items"]] == \
        ["second", "first"]
    assert again["updated_at"] > second["updated_at"]
    since = quote(again["updated_at"])
    assert [m["id"] for m in api.get(f"{log}?updated_since={since}")["items"]] == [first["id"]]
    bad = api.client.get(f"{log}?updated_since=yesterday", headers=api.headers)
    assert bad.status_code == 422 and bad.json()["code"] == "request_invalid"


def test_the_outbox_list_follows_each_mail_until_it_is_sent(api: Api, smtp: SmtpSink) -> None:
    for sent, subject in enumerate(("first", "second"), start=1):
        api.deliver(email(subject=subject))  # unrecognized: each forwarded to the team
        wait_until(lambda n=sent: api.get("/api/v1/outbound-messages?status=sent")["total"] == n)
    mails = api.get("/api/v1/outbound-messages?sort=updated_at")["items"]
    assert [m["subject"].rsplit(" ", 1)[-1] for m in mails] == ["first", "second"]
    assert all(m["updated_at"] == m["sent_at"] > m["created_at"] for m in mails)
    since = quote(mails[1]["updated_at"])
    assert [m["id"] for m in api.get(f"/api/v1/outbound-messages?updated_since={since}")[
        "items"]] == [mails[1]["id"]]
    assert [m["id"] for m in api.get("/api/v1/outbound-messages?sort=-updated_at")["items"]] == \
        [mails[1]["id"], mails[0]["id"]]
