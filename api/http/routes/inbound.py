"""POST /inbound/raw: one raw RFC 822 message from any relay (Postfix pipe, Cloudflare Worker,
scripts), stored durably before the answer.

Served by this ASGI application in front of FastAPI, its one implementation: FastAPI's routing
and dependency resolution cost more than the ingest itself (measured per request on this
machine: see README, Performance). Its OpenAPI entry is OPENAPI below, merged into the
document by the app factory.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import AsyncIterator
from http import HTTPStatus
from typing import Any

from api.application.observability import refused
from api.application.services import Services
from api.http.body import read_limited
from api.http.documentation import EXAMPLE_MESSAGE, problem_examples
from api.http.errors import PROBLEM, code_for, problem_body, status_for
from domain.addresses import envelope_recipients, envelope_sender
from domain.errors import DomainError, MalformedPayload, Unauthorized, UnsupportedMediaType
from domain.messages import InboundDelivery, Stored

log = logging.getLogger(__name__)
_RAW_TYPES = ("message/rfc822", "application/octet-stream")
PATH = "/inbound/raw"
OPENAPI: dict[str, Any] = {"post": {
    "tags": ["inbound"], "summary": "Accept one raw RFC 822 message",
    "operationId": "inbound_raw",
    "description": "Accept one raw RFC 822 message; answered 200 only once it is durably "
                   "stored.\n\nOptional `X-Envelope-From` / `X-Envelope-To` carry the SMTP "
                   "envelope.",
    "security": [{"HTTPBasic": []}],
    "parameters": [
        {"name": "x-envelope-from", "in": "header", "required": False,
         "schema": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "X-Envelope-From"}},
        {"name": "x-envelope-to", "in": "header", "required": False,
         "schema": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "X-Envelope-To"}},
    ],
    "requestBody": {"required": True, "content": {
        media: {"schema": {"type": "string", "format": "binary"}, "example": EXAMPLE_MESSAGE}
        for media in _RAW_TYPES}},
    "responses": {
        "200": {"description": "Successful Response", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/IngestResponse"}}}},
        **{str(code): {"description": HTTPStatus(code).phrase, "content": {PROBLEM: {
            "schema": {"$ref": "#/components/schemas/Problem"},
            "examples": problem_examples(code, details={
                Unauthorized: "valid inbound credentials are required (HTTP Basic)",
                MalformedPayload: "the message is empty"})}}}
           for code in (400, 401, 413, 415, 503)},
    },
}}


async def accept_raw(app: Services, *, content_type: str | None, content_length: str | None,
                     envelope_from: str | None, envelope_to: str | None,
                     chunks: AsyncIterator[bytes]) -> Stored:
    if (content_type or "").split(";")[0].strip().lower() not in _RAW_TYPES:
        raise UnsupportedMediaType("send the message as Content-Type: message/rfc822")
    raw = await read_limited(chunks, content_length, app.settings.current().max_message_bytes)
    if not raw or raw.isspace():  # (no strip(): it would copy a 30 MB message)
        raise MalformedPayload("the message is empty")
    delivery = InboundDelivery(
        raw=raw, source="raw", envelope_from=envelope_sender(envelope_from),
        envelope_to=envelope_recipients([envelope_to]),
    )
    return await app.ingest.submit(delivery)


class RawIngest:
    """Pure ASGI middleware answering POST /inbound/raw itself; everything else passes on."""

    def __init__(self, app: Any, services: Services) -> None:
        self.app = app
        self.services = services

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != PATH:
            await self.app(scope, receive, send)
            return
        if scope["method"] != "POST":
            await _respond(send, 405, problem_body(405, "Method Not Allowed"), [(b"allow", b"POST")])
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            self._authenticate(headers.get("authorization"))
            stored = await accept_raw(
                self.services, content_type=headers.get("content-type"),
                content_length=headers.get("content-length"),
                envelope_from=headers.get("x-envelope-from"),
                envelope_to=headers.get("x-envelope-to"), chunks=_body(receive))
        except DomainError as exc:
            status = status_for(exc)
            refused(self.services.metrics, "raw", status, exc)
            extra = [(b"www-authenticate", b'Basic realm="email-connector"')] \
                if isinstance(exc, Unauthorized) else []
            await _respond(send, status, problem_body(status, str(exc), code_for(exc)), extra)
            return
        except Exception:  # a bug: logged with its traceback, answered 500 (the relay retries)
            log.exception("POST %s failed", PATH)
            await _respond(send, 500, problem_body(500, "Internal Server Error"))
            return
        await _respond(send, 200, {"id": stored.id, "status": stored.status,
                                   "duplicate_of": stored.duplicate_of})

    def _authenticate(self, authorization: str | None) -> None:
        scheme, _, data = (authorization or "").partition(" ")
        try:
            pair = base64.b64decode(data.strip(), validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            pair = ""
        username, colon, password = pair.partition(":")
        if scheme.lower() != "basic" or not colon or not self.services.credentials.inbound_pair_valid(
                username, password):
            raise Unauthorized("valid inbound credentials are required (HTTP Basic)")


async def _body(receive: Any) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise MalformedPayload("the client went away before sending the whole message")
        yield message.get("body", b"")
        if not message.get("more_body", False):
            return


async def _respond(send: Any, status: int, body: dict[str, Any],
                   extra: list[tuple[bytes, bytes]] | None = None) -> None:
    payload = json.dumps(body).encode()
    media_type = b"application/json" if status < 400 else PROBLEM.encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", media_type), (b"content-length", str(len(payload)).encode()),
        *(extra or [])]})
    await send({"type": "http.response.body", "body": payload})
