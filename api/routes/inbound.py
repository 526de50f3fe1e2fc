"""Inbound endpoints: each provider's request becomes raw bytes and goes to durable ingest."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request

from adapters.inbound.base import InboundDelivery
from api.body import read_body
from api.deps import ContainerDep, require_inbound_basic
from api.schemas import ErrorBody, IngestResponse
from domain.addresses import address_key
from domain.errors import MalformedPayload, UnsupportedMediaType

router = APIRouter(tags=["inbound"])

_ERRORS = {code: {"model": ErrorBody} for code in (400, 401, 413, 415, 503)}
_RAW_TYPES = ("message/rfc822", "application/octet-stream")


@router.post(
    "/inbound/raw",
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
    """Accept one raw RFC 822 message (Postfix pipe, Cloudflare Worker, scripts).

    Answered 200 only once the message is durably stored.
    """
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in _RAW_TYPES:
        raise UnsupportedMediaType("send the message as Content-Type: message/rfc822")
    raw = await read_body(request, container.settings.max_message_bytes)
    if not raw.strip():
        raise MalformedPayload("the message is empty")
    delivery = InboundDelivery(
        raw=raw,
        source="raw",
        envelope_from=_envelope_sender(x_envelope_from),
        envelope_to=tuple(
            key for key in (address_key(a) for a in (x_envelope_to or "").split(",")) if key
        ),
    )
    stored = await container.ingest.submit(delivery)
    return IngestResponse(id=stored.id, status=stored.status, duplicate_of=stored.duplicate_of)  # type: ignore[arg-type]


def _envelope_sender(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if value in ("", "<>"):
        return ""  # the null reverse-path of bounces and auto-replies (RFC 5321 §4.5.5)
    return address_key(value) or value[:320]
