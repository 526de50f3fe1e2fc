"""The committed OpenAPI document is the app's; a change to the interface shows up here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema_rs

from api.entrypoints.openapi import openapi_document, render
from api.http.errors import PROBLEM

COMMITTED = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"


def test_the_committed_openapi_document_matches_the_app() -> None:
    assert COMMITTED.read_text() == render(openapi_document()), (
        "openapi/openapi.json is out of date: run `make openapi` and commit it"
    )


def test_the_api_is_documented_with_its_security_schemes() -> None:
    document = json.loads(COMMITTED.read_text())
    schemes = document["components"]["securitySchemes"]
    assert {"HTTPBearer", "HTTPBasic"} <= set(schemes)
    assert "/inbound/raw" in document["paths"] and "/api/v1/tickets/{number}" in document["paths"]


def test_docs_are_served(api) -> None:  # type: ignore[no-untyped-def]
    assert api.client.get("/docs").status_code == 200
    assert api.client.get("/openapi.json").json()["info"]["title"] == "Email Connector"


def test_every_operation_has_its_own_name_and_a_summary_in_words() -> None:
    document = json.loads(COMMITTED.read_text())
    operations = [op for methods in document["paths"].values() for op in methods.values()]
    ids = [op["operationId"] for op in operations]
    assert len(ids) == len(set(ids))
    assert "list_tickets" in ids and "inbound_raw" in ids
    for op in operations:  # not FastAPI's title-cased function name
        assert op["summary"] != op["operationId"].replace("_", " ").title(), op["operationId"]


def operations(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(f"{method.upper()} {path}", op) for path, methods in document["paths"].items()
            for method, op in methods.items()]


def media_types(operation: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(where, media type, media object) of the request body and of every response."""
    found = [("request", kind, media) for kind, media in
             operation.get("requestBody", {}).get("content", {}).items()]
    return found + [(status, kind, media) for status, response in operation["responses"].items()
                    for kind, media in response.get("content", {}).items()]


def examples_of(media: dict[str, Any]) -> list[Any]:
    return ([media["example"]] if "example" in media else []) + \
        [e["value"] for e in media.get("examples", {}).values()]


def test_every_request_and_answer_of_every_operation_shows_an_example() -> None:
    document = json.loads(COMMITTED.read_text())
    for name, operation in operations(document):
        if "requestBody" in operation:
            assert operation["requestBody"]["content"], name
        successes = [s for s in operation["responses"] if s.startswith("2")]
        assert successes, name
        for status in successes:  # 204: No Content, nothing to show
            assert operation["responses"][status].get("content") or status == "204", (name, status)
        for where, kind, media in media_types(operation):
            assert examples_of(media), f"{name}: {where} {kind} has no example"


def test_every_error_answer_is_a_problem_with_an_example_of_that_status() -> None:
    document = json.loads(COMMITTED.read_text())
    own_bodies = {("GET /readyz", "503"), ("POST /api/v1/xml-transactions", "422")}
    for name, operation in operations(document):
        for status, response in operation["responses"].items():
            if status[0] not in "45" or (name, status) in own_bodies:
                continue
            assert list(response["content"]) == [PROBLEM], (name, status)
            shown = examples_of(response["content"][PROBLEM])
            assert shown and all(e["status"] == int(status) and e["code"] for e in shown), \
                (name, status)
    refusals = document["paths"]["/inbound/mailgun"]["post"]["responses"]["406"]
    assert {"malformed_payload", "conflict"} <= set(refusals["content"][PROBLEM]["examples"])


def test_every_json_example_matches_its_schema() -> None:
    document = json.loads(COMMITTED.read_text())
    checked = 0
    for name, operation in operations(document):
        for where, kind, media in media_types(operation):
            if not kind.endswith("json") or "schema" not in media:
                continue
            schema = {**media["schema"], "components": document["components"]}
            validator = jsonschema_rs.Draft202012Validator(schema)
            for example in examples_of(media):
                errors = [e.message for e in validator.iter_errors(example)]
                assert not errors, f"{name}: {where} {kind}: {errors}"
                checked += 1
    assert checked > 100


def test_every_tag_is_described_and_every_operation_is_listed_under_one() -> None:
    document = json.loads(COMMITTED.read_text())
    described = {t["name"]: t.get("description") for t in document["tags"]}
    used = set()
    for name, operation in operations(document):
        assert len(operation["tags"]) == 1, f"{name} is listed under {operation['tags']}"
        used.add(operation["tags"][0])
    assert used == set(described) and all(described.values())


def test_each_provider_webhook_describes_its_payload_and_credential() -> None:
    document = json.loads(COMMITTED.read_text())
    for path in ("/inbound/mailgun", "/inbound/sendgrid", "/inbound/ses", "/inbound/resend"):
        description = document["paths"][path]["post"]["description"]
        assert "**Payload**" in description and "**Credential**" in description, path
    assert "X-Mandrill-Signature" in document["paths"]["/inbound/mandrill"]["post"]["description"]
    assert "svix-signature" in document["paths"]["/inbound/resend"]["post"]["description"]
    ses = document["paths"]["/inbound/ses"]["post"]["requestBody"]["content"]
    assert json.loads(ses["text/plain"]["example"]) == ses["application/json"]["example"]
