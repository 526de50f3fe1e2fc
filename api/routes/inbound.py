"""POST /inbound/raw: one raw RFC 822 message from any relay (Postfix pipe, Cloudflare Worker,
scripts), stored durably before the answer.

The route below documents and serves it; RawIngestFastPath serves the same requests without
FastAPI's routing and dependency resolution, which cost more than the ingest itself (measured
per request on this machine: see README, Performance). Both call accept_raw().
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request

from adapters.inbound.base import InboundDelivery, envelope_recipients, envelope_sender
from adapters.persistence.inbox import Stored
from api.body import read_limited
from api.container import Container
from api.deps import ContainerDep, require_inbound_basic
from api.errors import status_for
from api.schemas import ErrorBody, IngestResponse
from domain.errors import (
    DomainError,
    MalformedPayload,
    Unauthorized,
    UnsupportedMediaType,
)

router = APIRouter(tags=["inbound"])

_ERRORS = {code: {"model": ErrorBody} for code in (400, 401, 413, 415, 503)}
_RAW_TYPES = ("message/rfc822", "application/octet-stream")
PATH = "/inbound/raw"


@router.post(
    PATH,
    response_model=IngestResponse,
    responses=_ERRORS,  # type: ignore[arg-type]
    dependencies=[Depends(require_inbound_basic)],
    openapi_extra={"requestBody": {"required": True, "content": {
        "message/rfc822": {"schema": {"type": "string", "format": "binary"}}}}},
)
async def inbound_raw(
    request: Request,
    container: ContainerDep,
    x_envelope_from: Annotated[str | None, Header()] = None,
    x_envelope_to: Annotated[str | None, Header()] = None,
) -> IngestResponse:
    """Accept one raw RFC 822 message; answered 200 only once it is durably stored.

    Optional `X-Envelope-From` / `X-Envelope-To` carry the SMTP envelope.
    """
    stored = await accept_raw(
        container, content_type=request.headers.get("content-type"),
        content_length=request.headers.get("content-length"), envelope_from=x_envelope_from,
        envelope_to=x_envelope_to, chunks=request.stream())
    return IngestResponse(id=stored.id, status=stored.status, duplicate_of=stored.duplicate_of)  # type: ignore[arg-type]


async def accept_raw(container: Container, *, content_type: str | None, content_length: str | None,
                     envelope_from: str | None, envelope_to: str | None,
                     chunks: AsyncIterator[bytes]) -> Stored:
    if (content_type or "").split(";")[0].strip().lower() not in _RAW_TYPES:
        raise UnsupportedMediaType("send the message as Content-Type: message/rfc822")
    raw = await read_limited(chunks, content_length, container.settings.max_message_bytes)
    if not raw or raw.isspace():  # (no strip(): it would copy a 30 MB message)
        raise MalformedPayload("the message is empty")
    delivery = InboundDelivery(
        raw=raw, source="raw", envelope_from=envelope_sender(envelope_from),
        envelope_to=envelope_recipients([envelope_to]),
    )
    return await container.ingest.submit(delivery)


class RawIngestFastPath:
    """Pure ASGI middleware answering POST /inbound/raw itself; everything else passes on."""

    def __init__(self, app: Any, container: Container) -> None:
        self.app = app
        self.container = container

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            self._authenticate(headers.get("authorization"))
            stored = await accept_raw(
                self.container, content_type=headers.get("content-type"),
                content_length=headers.get("content-length"),
                envelope_from=headers.get("x-envelope-from"),
                envelope_to=headers.get("x-envelope-to"), chunks=_body(receive))
        except DomainError as exc:
            extra = [(b"www-authenticate", b'Basic realm="email-connector"')] \
                if isinstance(exc, Unauthorized) else []
            await _respond(send, status_for(exc), {"detail": str(exc)}, extra)
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
        if scheme.lower() != "basic" or not colon or not self.container.credentials.inbound_pair_valid(
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
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
        *(extra or [])]})
    await send({"type": "http.response.body", "body": payload})
