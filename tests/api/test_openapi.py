"""The committed OpenAPI document is the app's; a change to the interface shows up here."""

from __future__ import annotations

import json
from pathlib import Path

from api.entrypoints.openapi import openapi_document, render

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
