"""The one table from domain errors to HTTP statuses, registered on the app in create_app().

Every error is answered the same way: RFC 9457 `application/problem+json` (schemas.Problem),
with `detail` for people and a stable `code` for programs: the snake_case name of the domain
error the table maps (not_found, conflict, invalid_input, ...), `request_invalid` when the
request does not match its schema (with `errors`, one per field), else the status's own name.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from api.application.observability import refused
from domain import errors

log = logging.getLogger(__name__)

STATUS_FOR: dict[type[errors.DomainError], int] = {
    errors.MalformedPayload: 400,
    errors.Unauthorized: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.PayloadTooLarge: 413,
    errors.UnsupportedMediaType: 415,
    errors.InvalidInput: 422,
    errors.TooManyAttempts: 429,  # the admin console's failed sign-ins
    errors.StorageUnavailable: 503,  # providers retry on 5xx: the message is not lost
    errors.UpstreamUnavailable: 502,  # a provider's API we call was down: the provider retries
}



def status_for(error: errors.DomainError,
               refusals: Mapping[type[errors.DomainError], int] | None = None) -> int:
    """The status of an error: the provider's own where it reads one differently (each
    provider's registration declares its `refusals`, docs/providers.md), else the table's."""
    for cls in type(error).__mro__:
        if refusals and cls in refusals:
            return refusals[cls]  # type: ignore[index]
        if cls in STATUS_FOR:
            return STATUS_FOR[cls]  # type: ignore[index]
    return 500


PROBLEM = "application/problem+json"


def code_for(error: errors.DomainError) -> str:
    for cls in type(error).__mro__:
        if cls in STATUS_FOR:
            return error_code(cls)
    return "internal_error"


def error_code(kind: type[errors.DomainError]) -> str:
    """The `code` of an error of the table: its class's name in snake_case (not_found)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", kind.__name__).lower()


def problem_body(status: int, detail: str, code: str | None = None,
                 **extra: Any) -> dict[str, Any]:
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    default = HTTPStatus(status).name.lower() if status in HTTPStatus._value2member_map_ \
        else "error"
    return {"type": "about:blank", "title": phrase, "status": status, "detail": detail,
            "code": code or default, **extra}


def problem(status: int, detail: str, code: str | None = None,
            headers: Mapping[str, str] | None = None, **extra: Any) -> JSONResponse:
    return JSONResponse(problem_body(status, detail, code, **extra), status_code=status,
                        headers=dict(headers or {}), media_type=PROBLEM)


def request_invalid(exc: RequestValidationError) -> JSONResponse:
    """A request that does not match its schema: one sentence, and each field in `errors`."""
    issues = jsonable_encoder(exc.errors())
    first = issues[0] if issues else {}
    where = ".".join(str(part) for part in first.get("loc", ()))
    detail = f"{where}: {first.get('msg', 'invalid')}" if where else "the request is invalid"
    if len(issues) > 1:
        detail += f" (and {len(issues) - 1} more)"
    return problem(422, detail, "request_invalid", errors=issues)


def register_error_handlers(app: FastAPI, providers: Sequence[Any]) -> None:
    refusals = {p.name: p.refusals for p in providers}

    @app.exception_handler(errors.DomainError)
    async def _domain_error(request: Request, exc: errors.DomainError) -> JSONResponse:
        provider = getattr(request.state, "provider", None)
        status = status_for(exc, refusals.get(provider) if provider else None)
        headers = {}
        if isinstance(exc, errors.Unauthorized):
            scheme = "Basic" if request.url.path.startswith("/inbound") else "Bearer"
            headers["WWW-Authenticate"] = f'{scheme} realm="email-connector"'
        if request.url.path.startswith("/inbound/"):
            refused(request.app.state.services.metrics, provider or "raw", status, exc)
        elif status >= 500:
            log.error("%s %s: %s", request.method, request.url.path, exc)
        return problem(status, str(exc), code_for(exc), headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        return request_invalid(exc)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return problem(exc.status_code, str(exc.detail), None, exc.headers)
