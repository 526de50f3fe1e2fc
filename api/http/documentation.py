"""What the OpenAPI document shows besides the routes: the tags' descriptions, and examples.

Every example comes from one place: a request or success answer shows its schema's example
(each model's `examples`, api/http/schemas), and every error answer shows the Problem the
error table (api/http/errors.py) makes for its status, one example per error code. The app
factory runs `add_examples` once over the finished document; tests/api/test_openapi.py
checks that no operation is left without them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from pydantic import BaseModel

from api.http.errors import PROBLEM, STATUS_FOR, error_code, problem_body
from domain import errors

TAGS: list[dict[str, str]] = [
    {"name": "inbound", "description": "Mail in: each provider's webhook and the raw RFC 822 "
     "relay. Every message is durably stored before the answer; statuses follow each "
     "provider's retry rules."},
    {"name": "tickets", "description": "Tickets, their documents (filed emails, API and XML "
     "entries) and attachments."},
    {"name": "accounts", "description": "Accounts (matched by their email fields and their "
     "contacts' addresses or domains) and their contacts."},
    {"name": "employees", "description": "Employees: an active employee's replies are filed "
     "without a forward."},
    {"name": "processing log", "description": "Every inbound message with its outcome and the "
     "reason for it; the outbox of mail sent or to be sent."},
    {"name": "connector", "description": "The connector's runtime settings (processing on or "
     "off, addresses, SMTP, acknowledgements, caps) and checks of the mail servers."},
    {"name": "automation rules", "description": "Rules for automated email (monitoring "
     "alerts): detect, skip, and find its account."},
    {"name": "assets, charges and notes", "description": "Records written by XML "
     "transactions, read here."},
    {"name": "xml api", "description": "XML transactions over HTTP (the same ones as by "
     "email), answered in the response body."},
    {"name": "operations", "description": "Liveness, readiness and Prometheus metrics."},
]

EXAMPLE_MESSAGE = ("From: Bob Jones <bob@acme.example>\r\nTo: support@msp.example\r\n"
                   "Subject: Printer on floor 2 is offline\r\n"
                   "Date: Wed, 02 Dec 2026 09:30:00 +0000\r\n"
                   "Message-ID: <printer-2@acme.example>\r\n\r\n"
                   "Hello,\r\n\r\nthe printer on floor 2 is offline again.\r\n\r\nBob\r\n")

# For each error of the table: what it means, and a detail like the real ones (which name
# the record, the field, the limit).
DETAILS: dict[type[errors.DomainError], tuple[str, str]] = {
    errors.MalformedPayload: ("Not the format expected", "the payload is not valid JSON"),
    errors.Unauthorized: ("The credential is missing or wrong",
                          "a valid API key is required (Authorization: Bearer <key>)"),
    errors.Forbidden: ("Refused", "the XML API is turned off (CONNECTOR_XML_API_ENABLED)"),
    errors.NotFound: ("No such record", "ticket 0000123 not found"),
    errors.Conflict: ("Refused in the record's present state",
                      "account 7 has 3 ticket(s); it cannot be deleted"),
    errors.PayloadTooLarge: ("Too large", "the body exceeds the limit of 31457280 bytes"),
    errors.UnsupportedMediaType: ("The wrong Content-Type",
                                  "send the message as Content-Type: message/rfc822"),
    errors.InvalidInput: ("Well-formed, but against a rule",
                          "this Idempotency-Key was sent with another request"),
    errors.TooManyAttempts: ("Too many failed attempts", "too many failed sign-ins: try later"),
    errors.StorageUnavailable: ("The database did not answer: retry",
                                "database unavailable: nothing was stored"),
    errors.UpstreamUnavailable: ("A provider's API did not answer: retry",
                                 "the Resend API could not be reached (ConnectError)"),
}
REQUEST_INVALID = problem_body(422, "body.subject: Field required", "request_invalid", errors=[
    {"loc": ["body", "subject"], "msg": "Field required", "type": "missing", "input": {}}])
# What FastAPI itself answers 400 for: a JSON body that is not even text (not UTF-8).
BODY_UNREADABLE = problem_body(400, "There was an error parsing the body")


def problem_examples(status: int, refusals: Mapping[type[errors.DomainError], int] | None = None,
                     *, details: Mapping[type[errors.DomainError], str] | None = None
                     ) -> dict[str, dict[str, Any]]:
    """One example per error code answered with `status` (a provider's `refusals` first);
    `details`: the words of some errors where the usual ones do not fit (a webhook's 401)."""
    refusals = refusals or {}
    kinds = [k for k, s in refusals.items() if s == status]
    kinds += [k for k, s in STATUS_FOR.items() if s == status and k not in refusals]
    details = {**{k: d for k, (_, d) in DETAILS.items()}, **(details or {})}
    found = {error_code(k): {"summary": DETAILS[k][0],
                             "value": problem_body(status, details[k], error_code(k))}
             for k in kinds}
    if status == 422:
        found["request_invalid"] = {"summary": "The request does not match its schema",
                                    "value": REQUEST_INVALID}
    if status == 400:
        found["bad_request"] = {"summary": "The body cannot be read", "value": BODY_UNREADABLE}
    if not found:
        phrase = HTTPStatus(status).phrase
        found[HTTPStatus(status).name.lower()] = {"summary": phrase,
                                                  "value": problem_body(status, phrase)}
    return found


def problem_responses(document: dict[str, Any]) -> None:
    """Every error response is a Problem, with its examples; a route that declares a body
    of its own for an error status, with its example (/readyz's 503, the XML API's 422
    answer), answers that body instead."""
    schema = {"$ref": "#/components/schemas/Problem"}
    for operation in _operations(document):
        for status, response in operation.get("responses", {}).items():
            content = response.get("content", {})
            own = any("example" in media for kind, media in content.items() if kind != PROBLEM)
            if status[0] not in "45" or own:
                continue
            examples = content.get(PROBLEM, {}).get("examples") or problem_examples(int(status))
            response["content"] = {PROBLEM: {"schema": schema, "examples": examples}}
    components = document.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)


def add_examples(document: dict[str, Any]) -> None:
    """Each request body and success answer without an example gets its schema's."""
    schemas = document.get("components", {}).get("schemas", {})
    for name, shown in _model_examples().items():
        if name in schemas:
            schemas[name]["examples"] = shown
    for operation in _operations(document):
        bodies = [operation.get("requestBody", {})]
        bodies += [r for s, r in operation.get("responses", {}).items() if s.startswith("2")]
        for body in bodies:
            for media in body.get("content", {}).values():
                if "example" not in media and "examples" not in media:
                    _from_schema(media, media.get("schema", {}), schemas)


def _from_schema(media: dict[str, Any], schema: dict[str, Any],
                 schemas: dict[str, Any]) -> None:
    choices = schema.get("anyOf") or schema.get("oneOf") or [schema]
    found = {}
    for choice in choices:
        name = choice.get("$ref", "").rsplit("/", 1)[-1]
        shown = schemas.get(name, choice).get("examples")
        if shown:
            found[name or "example"] = shown[0]
    if len(found) == 1:
        media["example"] = next(iter(found.values()))
    elif found:
        media["examples"] = {name: {"value": value} for name, value in found.items()}


def _model_examples() -> dict[str, list[Any]]:
    """The API models' examples by their schemas' names, nulls included: FastAPI leaves every
    null out of its document (exclude_none), and an example would then miss its fields."""
    found: dict[str, list[Any]] = {}
    models = list(BaseModel.__subclasses__())
    while models:
        model = models.pop()
        models.extend(model.__subclasses__())
        if model.__module__.startswith("api.") and model.model_config.get("json_schema_extra"):
            shown = model.model_json_schema().get("examples")
            if shown:  # Page[AccountPublic] is Page_AccountPublic_ in the document
                found[re.sub(r"[^A-Za-z0-9._-]", "_", model.__name__)] = shown
    return found


def _operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [op for methods in document.get("paths", {}).values() for op in methods.values()]
