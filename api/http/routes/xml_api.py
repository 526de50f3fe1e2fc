"""The XML API over HTTP: the same transactions as by email, answered in the response body."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from api.application import connector
from api.http.body import read_body
from api.http.deps import ServicesDep
from api.http.routes.common import AUTH, errors
from domain.errors import Forbidden, UnsupportedMediaType

router = APIRouter(prefix="/api/v1", tags=["xml api"], dependencies=AUTH, responses=errors())
_XML_TYPES = ("application/xml", "text/xml")
# docs/xml-api.md's example transaction and its answer.
TRANSACTION = """<?xml version="1.0" encoding="utf-8"?>
<CommitCRMTransaction>
  <ExternalApplicationName>Website contact form</ExternalApplicationName>
  <Password>secret</Password>
  <ReturnTransactionID>form-4711</ReturnTransactionID>
  <DataKind>TICKET</DataKind>
  <RecordData>
    <FLDTKTCARDID>12</FLDTKTCARDID>
    <FLDTKTPROBLEM>Printer on floor 2 is offline</FLDTKTPROBLEM>
  </RecordData>
</CommitCRMTransaction>
"""
ANSWER = """<?xml version="1.0" encoding="utf-8"?>
<CommitCRMTransactionResponse>
  <ExternalApplicationName>Website contact form</ExternalApplicationName>
  <ReturnTransactionID>form-4711</ReturnTransactionID>
  <Status>{status}</Status>
  <Code>{code}</Code>
  <Message>{message}</Message>
  <DataKind>TICKET</DataKind>{records}
</CommitCRMTransactionResponse>
"""
WRITTEN = ANSWER.format(status="OK", code=0, message="Ticket 0000124 created", records="""
  <RecordData Index="1" Status="OK" Code="0" Message="Ticket 0000124 created">
    <FLDTKTRECID>124</FLDTKTRECID>
    <FLDTKTTICKETNO>0000124</FLDTKTTICKETNO>
  </RecordData>""")
REFUSED = ANSWER.format(status="ERROR", code=200, message="the password is wrong", records="")


@router.post(
    "/xml-transactions",
    response_class=Response,
    responses={
        **errors(403, 413, 415),
        200: {"content": {"application/xml": {"example": WRITTEN}},
              "description": "Status OK: every record written"},
        422: {"content": {"application/xml": {"example": REFUSED}},
              "description": "Status ERROR: the response names what was refused (and lists "
                             "any records that were written)"},
    },
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/xml": {"schema": {"type": "string"}, "example": TRANSACTION}}}},
)
async def post_xml_transaction(request: Request, app: ServicesDep) -> Response:
    """Carry out one XML transaction (docs/xml-api.md); the body of the answer is its response."""
    if not app.settings.current().xml_api_enabled:  # before reading a byte of the body
        raise Forbidden("the XML API is turned off (CONNECTOR_XML_API_ENABLED)")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in _XML_TYPES:
        raise UnsupportedMediaType("send the transaction as Content-Type: application/xml")
    body = await read_body(request, app.xml.max_bytes)
    ok, response = await run_in_threadpool(lambda: connector.xml_over_http(app, body=body))
    return Response(response, status_code=200 if ok else 422, media_type="application/xml")
