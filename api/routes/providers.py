"""Provider webhooks (SPEC §3): each provider's request becomes raw bytes and goes to ingest.

The routes are thin: read the body (byte-exact, with a size limit), let the provider's adapter
authenticate and parse it (in a thread: parsing 30 MB or fetching an SNS certificate must not
stall the event loop), store every message it carries, and answer only once all are durable.
Statuses follow providers.md §4.3 through api/errors.py (`request.state.provider`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request, Response, Security
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from pydantic import BaseModel

from adapters.inbound.base import InboundWebhook, WebhookRequest, WebhookResult
from adapters.persistence.inbox import Stored
from api.body import read_body
from api.deps import ContainerDep, require_inbound_basic
from api.routes.providers_kit import ProviderKit, provider_kit
from api.schemas import ErrorBody, IngestResponse
from domain.errors import PayloadTooLarge

log = logging.getLogger(__name__)
router = APIRouter(tags=["inbound"])
KitDep = Annotated[ProviderKit, Depends(provider_kit)]
_basic = HTTPBasic(auto_error=False, description="CONNECTOR_INBOUND_USERNAME / _PASSWORD")


class IngestBatch(BaseModel):
    """A batch (Mandrill, SparkPost, Brevo): one entry per message, all durably stored."""

    items: list[IngestResponse]


class WebhookNote(BaseModel):
    """A request that carried no message (an SNS subscription confirmation, a ping)."""

    status: Literal["confirmed", "ignored"]
    detail: str


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorBody} for code in (*codes, 413, 502, 503)}


def _provider(name: str) -> Callable[[Request], Awaitable[None]]:
    async def tag(request: Request) -> None:
        request.state.provider = name  # read by the error handler (PROVIDER_STATUS)
    return tag


def _form(*types: str) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {
        t: {"schema": {"type": "object", "additionalProperties": True}} for t in types}}}


_FORMS = _form("multipart/form-data", "application/x-www-form-urlencoded")
_JSON = _form("application/json")


async def _receive(request: Request, container: ContainerDep,
                   adapter: InboundWebhook[Any]) -> tuple[WebhookResult, list[Stored]]:
    body = await read_body(request, container.settings.inbound_max_request_bytes)
    hook = WebhookRequest.build(request.method, str(request.url), request.headers.items(), body)
    result = await asyncio.to_thread(adapter.receive, hook)
    limit = container.settings.max_message_bytes
    for delivery in result.deliveries:
        if len(delivery.raw) > limit:
            raise PayloadTooLarge(f"a message of {len(delivery.raw)} bytes exceeds the limit "
                                  f"of {limit} (CONNECTOR_MAX_MESSAGE_BYTES)")
    try:
        stored = await asyncio.gather(*(container.ingest.submit(d) for d in result.deliveries))
    except Exception:
        if result.on_store_failed is not None:
            with contextlib.suppress(Exception):  # storage is down: the undo may fail too
                await asyncio.to_thread(result.on_store_failed)
        raise
    return result, list(stored)


def _one(stored: list[Stored]) -> IngestResponse:
    s = stored[0]
    return IngestResponse(id=s.id, status=s.status,  # type: ignore[arg-type]
                          duplicate_of=s.duplicate_of)


def _batch(stored: list[Stored]) -> IngestBatch:
    return IngestBatch(items=[_one([s]) for s in stored])


# --- Mailgun: HMAC signature, timestamp window, replay cache --------------------------------------

@router.post("/inbound/mailgun", response_model=IngestResponse, responses=_errors(401, 406),
             dependencies=[Depends(_provider("mailgun"))], openapi_extra=_FORMS)
async def inbound_mailgun(request: Request, container: ContainerDep,
                          kit: KitDep) -> IngestResponse:
    """Mailgun Routes forward(), parsed form (raw MIME in body-mime is accepted too)."""
    return _one((await _receive(request, container, kit.mailgun))[1])


@router.post("/inbound/mailgun/mime", response_model=IngestResponse, responses=_errors(401, 406),
             dependencies=[Depends(_provider("mailgun"))], openapi_extra=_FORMS)
async def inbound_mailgun_mime(request: Request, container: ContainerDep,
                               kit: KitDep) -> IngestResponse:
    """Mailgun Routes forward() to a URL ending in `mime`: the raw message in body-mime."""
    return _one((await _receive(request, container, kit.mailgun))[1])


# --- HTTP Basic providers -------------------------------------------------------------------------

@router.post("/inbound/sendgrid", response_model=IngestResponse, responses=_errors(400, 401),
             dependencies=[Depends(_provider("sendgrid")), Depends(require_inbound_basic)],
             openapi_extra=_form("multipart/form-data"))
async def inbound_sendgrid(request: Request, container: ContainerDep,
                           kit: KitDep) -> IngestResponse:
    """SendGrid Inbound Parse, default (parsed) mode or Send Raw."""
    return _one((await _receive(request, container, kit.sendgrid))[1])


@router.post("/inbound/postmark", response_model=IngestResponse, responses=_errors(401, 403),
             dependencies=[Depends(_provider("postmark")), Depends(require_inbound_basic)],
             openapi_extra=_JSON)
async def inbound_postmark(request: Request, container: ContainerDep,
                           kit: KitDep) -> IngestResponse:
    """Postmark inbound webhook, with RawEmail or without."""
    return _one((await _receive(request, container, kit.postmark))[1])


@router.post("/inbound/mailjet", response_model=IngestResponse, responses=_errors(400, 401),
             dependencies=[Depends(_provider("mailjet")), Depends(require_inbound_basic)],
             openapi_extra=_JSON)
async def inbound_mailjet(request: Request, container: ContainerDep,
                          kit: KitDep) -> IngestResponse:
    """Mailjet Parse API."""
    return _one((await _receive(request, container, kit.mailjet))[1])


@router.post("/inbound/brevo", response_model=IngestBatch, responses=_errors(400, 401),
             dependencies=[Depends(_provider("brevo")), Depends(require_inbound_basic)],
             openapi_extra=_JSON)
async def inbound_brevo(request: Request, container: ContainerDep, kit: KitDep) -> IngestBatch:
    """Brevo inbound parsing: every item of the batch is stored before the answer."""
    return _batch((await _receive(request, container, kit.brevo))[1])


# --- SparkPost: the relay webhook's auth_token, else HTTP Basic -----------------------------------

async def _sparkpost_auth(container: ContainerDep,
                          credentials: Annotated[HTTPBasicCredentials | None, Security(_basic)]) -> None:
    if not container.settings.sparkpost_webhook_token:
        await require_inbound_basic(container, credentials)


@router.post("/inbound/sparkpost", response_model=IngestBatch, responses=_errors(400, 401),
             dependencies=[Depends(_provider("sparkpost")), Depends(_sparkpost_auth)],
             openapi_extra=_JSON)
async def inbound_sparkpost(request: Request, container: ContainerDep, kit: KitDep) -> IngestBatch:
    """SparkPost relay webhook (X-MessageSystems-Webhook-Token, or HTTP Basic)."""
    return _batch((await _receive(request, container, kit.sparkpost))[1])


# --- Amazon SES through SNS: SNS signature and topic allow-list -----------------------------------

@router.post("/inbound/ses", response_model=IngestResponse | WebhookNote,
             responses=_errors(400, 403), dependencies=[Depends(_provider("ses"))],
             openapi_extra=_form("text/plain", "application/json"))
async def inbound_ses(request: Request, container: ContainerDep,
                      kit: KitDep) -> IngestResponse | WebhookNote:
    """Amazon SES receipt rule (SNS action) through an SNS HTTPS subscription."""
    result, stored = await _receive(request, container, kit.ses)
    if stored:
        return _one(stored)
    note = result.note or "nothing to store"
    return WebhookNote(status="confirmed" if "confirmed" in note else "ignored", detail=note)


# --- Mandrill: X-Mandrill-Signature; HEAD to verify the URL ---------------------------------------

@router.head("/inbound/mandrill", include_in_schema=False)
async def inbound_mandrill_check() -> Response:
    """Mandrill checks that the URL exists with HEAD before it creates the webhook."""
    return Response(status_code=200)


@router.post("/inbound/mandrill", response_model=IngestBatch, responses=_errors(401, 422),
             dependencies=[Depends(_provider("mandrill"))],
             openapi_extra=_form("application/x-www-form-urlencoded"))
async def inbound_mandrill(request: Request, container: ContainerDep, kit: KitDep) -> IngestBatch:
    """Mandrill inbound route: every event of the batch is stored before the answer."""
    return _batch((await _receive(request, container, kit.mandrill))[1])


# --- Resend: Svix signature; the message fetched through Resend's API -----------------------------

@router.post("/inbound/resend", response_model=IngestResponse, responses=_errors(400, 401),
             dependencies=[Depends(_provider("resend"))], openapi_extra=_JSON)
async def inbound_resend(request: Request, container: ContainerDep,
                         kit: KitDep) -> IngestResponse:
    """Resend email.received webhook (Svix-signed); the raw message is fetched from the API."""
    return _one((await _receive(request, container, kit.resend))[1])
