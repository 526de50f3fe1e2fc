"""The XML API over HTTP: the same transactions as by email, answered in the response body."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from adapters.persistence.types import utcnow
from adapters.xml.parse import MAX_BYTES, parse_transaction
from adapters.xml.render import render_response
from api.body import read_body
from api.deps import ContainerDep
from api.routes.common import AUTH, errors
from api.services.xml_transactions import XmlOptions, run_transactions
from domain.errors import Forbidden, UnsupportedMediaType
from domain.xml_api import TransactionResult

router = APIRouter(prefix="/api/v1", tags=["xml api"], dependencies=AUTH, responses=errors())
_XML_TYPES = ("application/xml", "text/xml")


@router.post(
    "/xml-transactions",
    responses={
        **errors(403, 413, 415),
        200: {"content": {"application/xml": {}}, "description": "Status OK: every record written"},
        422: {"content": {"application/xml": {}},
              "description": "Status ERROR: the response names what was refused (and lists "
                             "any records that were written)"},
    },
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/xml": {"schema": {"type": "string"}}}}},
)
async def post_xml_transaction(request: Request, container: ContainerDep) -> Response:
    """Carry out one XML transaction (docs/xml-api.md); the body of the answer is its response."""
    if not container.settings.xml_api_enabled:
        raise Forbidden("the XML API is turned off (CONNECTOR_XML_API_ENABLED)")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in _XML_TYPES:
        raise UnsupportedMediaType("send the transaction as Content-Type: application/xml")
    body = await read_body(request, MAX_BYTES)
    result = await run_in_threadpool(_carry_out, container, body)
    return Response(render_response(result), status_code=200 if result.ok else 422,
                    media_type="application/xml")


def _carry_out(container: ContainerDep, body: bytes) -> TransactionResult:
    transaction = parse_transaction(body)
    with container.db.writing() as session:
        [result] = run_transactions(session, [transaction], now=utcnow(),
                                    options=XmlOptions.from_settings(container.settings))
    return result
