"""Provider webhooks (SPEC §3): one factory mounts every provider's registration.

Each route is thin: check HTTP Basic first where the provider uses it (before a byte of the
body is read), read the body with a size limit, and hand the request to the webhooks use case,
which parses, verifies and stores every message before the answer. Statuses follow each
provider's own table (its registration's `refusals`, through api/http/errors.py).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request, Response, Security
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from pydantic import BaseModel, ConfigDict

from api.application.webhooks import Received
from api.http.body import LargeBodies, read_body, read_pieces
from api.http.deps import ServicesDep, require_inbound_basic
from api.http.documentation import problem_examples
from api.http.errors import PROBLEM, error_code
from api.http.schemas import ErrorBody, IngestResponse
from domain.errors import Conflict, DomainError, MalformedPayload, Unauthorized
from domain.messages import Stored
from domain.webhook_requests import WebhookRequest

_basic = HTTPBasic(auto_error=False, description="CONNECTOR_INBOUND_USERNAME / _PASSWORD")


class IngestBatch(BaseModel):
    """A batch (Mandrill, SparkPost, Brevo): one entry per message, all durably stored."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [
        {"id": 4711, "status": "queued", "duplicate_of": None},
        {"id": 4712, "status": "duplicate", "duplicate_of": 4690}]}]})
    items: list[IngestResponse]


class WebhookNote(BaseModel):
    """A request that carried no message (an SNS subscription confirmation, a ping)."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"status": "confirmed", "detail": "subscription confirmed"}]})
    status: Literal["confirmed", "ignored"]
    detail: str


def _one(stored: Stored) -> IngestResponse:
    return IngestResponse(id=stored.id, status=stored.status,  # type: ignore[arg-type]
                          duplicate_of=stored.duplicate_of)


_ANSWERS: dict[str, tuple[Any, Callable[[Received], Any]]] = {
    "one": (IngestResponse, lambda r: _one(r.stored[0])),
    "batch": (IngestBatch, lambda r: IngestBatch(items=[_one(s) for s in r.stored])),
    "one_or_note": (IngestResponse | WebhookNote, lambda r: _one(r.stored[0]) if r.stored else
                    WebhookNote(status="confirmed" if "confirmed" in (r.note or "") else "ignored",
                                detail=r.note or "nothing to store")),
}


def _tag(name: str) -> Callable[[Request], Awaitable[None]]:
    async def tag(request: Request) -> None:
        request.state.provider = name  # read by the error handler (the provider's refusals)
    return tag


def _token_or_basic(name: str) -> Callable[..., Awaitable[None]]:
    async def check(app: ServicesDep, credentials: Annotated[HTTPBasicCredentials | None,
                                                             Security(_basic)]) -> None:
        if not app.webhooks.token_required(name):
            await require_inbound_basic(app, credentials)
    return check


def large_bodies(request: Request) -> LargeBodies:
    bodies = getattr(request.app.state, "large_bodies", None)
    if bodies is None:  # one per app, made on first use (inside its event loop)
        bodies = request.app.state.large_bodies = LargeBodies()
    return bodies  # type: ignore[no-any-return]


def provider_router(providers: Sequence[Any]) -> APIRouter:
    router = APIRouter(tags=["inbound"])
    for provider in providers:
        _mount(router, provider)
    return router


def _mount(router: APIRouter, provider: Any) -> None:
    model, answer = _ANSWERS[provider.answer]
    checks = [Depends(_tag(provider.name))]
    if provider.auth == "basic":
        checks.append(Depends(require_inbound_basic))
    elif provider.auth == "token_or_basic":
        checks.append(Depends(_token_or_basic(provider.name)))
    shape = {"type": "array", "items": {"type": "object"}} if isinstance(provider.example, list) \
        else {"type": "object", "additionalProperties": True}
    body = {"requestBody": {"required": True, "content": {
        t: {"schema": {"type": "string"}, "example": json.dumps(provider.example)}
        if t == "text/plain" else {"schema": shape, "example": provider.example}
        for t in provider.media_types}}}
    errors = {code: {"model": ErrorBody, "content": {PROBLEM: {"examples": problem_examples(
        code, provider.refusals, details=refusal_details(provider))}}}
        for code in (*provider.errors, 413, 502, 503)}

    async def endpoint(request: Request, app: ServicesDep) -> Any:
        limit = app.webhooks.precheck(provider.name, request.headers.items())
        async with large_bodies(request).admitted(request.headers.get("content-length")):
            # No name of its own for the body: the request holds the only reference, which a
            # provider takes out and frees as it decodes it (load_json_body, take_pieces).
            hook = WebhookRequest.build(request.method, str(request.url), request.headers.items(),
                                        await _read(request, provider, limit))
            return answer(await app.webhooks.receive(provider.name, hook))

    for path in provider.paths:
        name = "inbound_" + path.removeprefix("/inbound/").replace("/", "_")
        router.add_api_route(path, endpoint, methods=["POST"], name=name, response_model=model,
                             responses=errors, dependencies=checks, openapi_extra=body,
                             description=describe(provider, path), summary=provider.summary)
        if provider.head_check:
            router.add_api_route(path, _head_ok, methods=["HEAD"], include_in_schema=False,
                                 name=f"{name}_check")


async def _read(request: Request, provider: Any, limit: int) -> bytes | list[bytes]:
    if provider.reads_pieces:
        return await read_pieces(request.stream(), request.headers.get("content-length"), limit)
    return await read_body(request, limit)


def refusal_details(provider: Any) -> dict[type[DomainError], str]:
    """The words of a webhook's refusals in its examples (api/application/webhooks.py's)."""
    return {Unauthorized: "valid inbound credentials are required (HTTP Basic)"
            if provider.auth != "signature" else f"the {provider.name} signature does not match",
            Conflict: f"this {provider.name} token was already used (a replayed request)",
            MalformedPayload: f"not a {provider.name} inbound payload"}


def describe(provider: Any, path: str) -> str:
    """The operation's description (under its summary), all of it from the provider's
    registration."""
    if provider.auth == "basic":
        credential = ("HTTP Basic: CONNECTOR_INBOUND_USERNAME and the inbound password "
                      "(CONNECTOR_INBOUND_PASSWORD, or `email-connector inbound-password set`), "
                      f"given in the URL entered at the provider: https://inbound:...@host{path}.")
    else:
        credential = provider.credential
    settings = ", ".join(f"CONNECTOR_{s.name.upper()}" for s in provider.settings)
    answers = "200 once every message it carries is durably stored (again: `duplicate`)"
    if provider.refusals:
        answers += "; " + ", ".join(f"`{error_code(kind)}` is answered {status}"
                                    for kind, status in provider.refusals.items())
    parts = [f"**Payload**: {provider.payload}",
             f"**Credential**: {credential}", f"**Answers**: {answers}."]
    if settings:
        parts.append(f"**Settings**: {settings}.")
    return "\n\n".join(parts)


async def _head_ok() -> Response:
    """The provider checks that the URL exists before it saves the webhook."""
    return Response(status_code=200)
