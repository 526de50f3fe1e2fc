"""Every error is one shape (RFC 9457 application/problem+json): type, title, status, a
`detail` for people and a stable `code` for programs; the OpenAPI document says so too."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from tests.api.conftest import Api

COMMITTED = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "about:blank" and body["status"] == status and body["code"] == code
    assert isinstance(body["title"], str) and isinstance(body["detail"], str) and body["detail"]
    return body  # type: ignore[no-any-return]


def test_a_missing_record_a_missing_key_and_a_conflict_are_problems(api: Api) -> None:
    body = problem(api.client.get("/api/v1/tickets/9999999", headers=api.headers), 404,
                   "not_found")
    assert body["title"] == "Not Found"
    unauthorized = api.client.get("/api/v1/tickets")
    problem(unauthorized, 401, "unauthorized")
    assert unauthorized.headers["www-authenticate"].startswith("Bearer")


def test_a_request_not_matching_its_schema_names_each_field(api: Api) -> None:
    response = api.client.post("/api/v1/accounts", json={"name": 5, "email": []},
                               headers=api.headers)
    body = problem(response, 422, "request_invalid")
    fields = {issue["loc"][-1] for issue in body["errors"]}
    assert {"name", "email"} <= fields
    assert "(and " in body["detail"]  # one sentence, counting the rest


def test_a_rule_of_ours_refusing_values_is_invalid_input(api: Api) -> None:
    response = api.client.post("/api/v1/automation-rules", json={"kind": "detect"},
                               headers=api.headers)
    body = problem(response, 422, "invalid_input")
    assert "needs a sender" in body["detail"] and "errors" not in body


def test_unknown_paths_and_methods_are_problems_too(api: Api) -> None:
    problem(api.client.get("/api/v1/nothing-here", headers=api.headers), 404, "not_found")
    problem(api.client.delete("/healthz"), 405, "method_not_allowed")
    problem(api.client.get("/inbound/raw"), 405, "method_not_allowed")


def test_the_raw_ingest_path_refuses_with_a_problem(api: Api) -> None:
    response = api.client.post("/inbound/raw", content=b"Subject: x\r\n\r\nhi",
                               headers={"Content-Type": "message/rfc822"})
    problem(response, 401, "unauthorized")


def test_the_document_gives_every_error_response_the_one_problem_schema() -> None:
    document = json.loads(COMMITTED.read_text())
    seen = 0
    own_bodies = {("/readyz", "503"), ("/api/v1/xml-transactions", "422")}  # not errors: answers
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status[0] in "45" and (path, status) not in own_bodies:
                    seen += 1
                    assert list(response["content"]) == ["application/problem+json"]
                    assert response["content"]["application/problem+json"]["schema"] == {
                        "$ref": "#/components/schemas/Problem"}, (path, method, status)
    assert seen > 50
    assert not {"HTTPValidationError", "ValidationError", "ErrorBody"} & set(
        document["components"]["schemas"])
