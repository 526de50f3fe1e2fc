"""POST /api/v1/tickets with an Idempotency-Key: a client that retries after a lost answer gets
the ticket of its first try, never a second ticket."""

from __future__ import annotations

import threading
from typing import Any

from tests.api.conftest import Api


def post(api: Api, body: dict[str, Any], key: str | None) -> Any:
    headers = dict(api.headers)
    if key is not None:
        headers["Idempotency-Key"] = key
    return api.client.post("/api/v1/tickets", json=body, headers=headers)


def tickets(api: Api) -> int:
    return int(api.get("/api/v1/tickets")["total"])


def test_the_same_request_again_answers_the_first_ticket(api: Api) -> None:
    body = {"account_id": api.account("Acme")["id"], "subject": "Printer on fire"}
    first = post(api, body, "7c1e1f0a-retry-me")
    again = post(api, body, "7c1e1f0a-retry-me")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true"
    assert tickets(api) == 1


def test_without_a_key_or_with_another_key_each_request_makes_a_ticket(api: Api) -> None:
    body = {"account_id": api.account("Acme")["id"], "subject": "Two of them"}
    post(api, body, None)
    post(api, body, None)
    post(api, body, "key-a")
    post(api, body, "key-b")
    assert tickets(api) == 4


def test_the_same_key_with_another_body_is_refused(api: Api) -> None:
    account = api.account("Acme")["id"]
    assert post(api, {"account_id": account, "subject": "One"}, "key-1").status_code == 201
    other = post(api, {"account_id": account, "subject": "Another"}, "key-1")
    assert other.status_code == 422 and other.json()["code"] == "invalid_input"
    assert "Idempotency-Key" in other.json()["detail"]
    assert tickets(api) == 1


def test_a_refused_request_does_not_use_up_its_key(api: Api) -> None:
    body = {"account_id": 999999, "subject": "No such account"}
    assert post(api, body, "key-x").status_code == 422  # an account that does not exist
    body["account_id"] = api.account("Acme")["id"]
    assert post(api, body, "key-x").status_code == 201


def test_a_key_that_is_not_a_visible_ascii_token_is_refused(api: Api) -> None:
    body = {"account_id": api.account("Acme")["id"], "subject": "x"}
    assert post(api, body, "has space").json()["code"] == "request_invalid"
    assert post(api, body, "x" * 256).status_code == 422
    assert tickets(api) == 0


def test_the_same_key_sent_at_once_makes_one_ticket(api: Api) -> None:
    body = {"account_id": api.account("Acme")["id"], "subject": "Clicked twice"}
    answers: list[Any] = []
    threads = [threading.Thread(target=lambda: answers.append(post(api, body, "double")))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [201] * 4
    assert len({a.json()["number"] for a in answers}) == 1
    assert tickets(api) == 1
