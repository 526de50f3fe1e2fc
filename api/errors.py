"""The one table from domain errors to HTTP statuses, registered on the app in create_app()."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

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
    errors.StorageUnavailable: 503,  # providers retry on 5xx: the message is not lost
    errors.UpstreamUnavailable: 502,  # a provider's API we call was down: the provider retries
}

# Where a provider reads a status differently, its own code (providers.md §4.3), by route tag.
PROVIDER_STATUS: dict[tuple[str, type[errors.DomainError]], int] = {
    ("mailgun", errors.MalformedPayload): 406,  # the only code that stops Mailgun retrying
    ("mailgun", errors.Conflict): 406,  # a replayed token: already accepted, or an attack
    ("postmark", errors.MalformedPayload): 403,  # the only code that stops Postmark retrying
    ("mandrill", errors.MalformedPayload): 422,
}


def status_for(error: errors.DomainError, provider: str | None = None) -> int:
    for cls in type(error).__mro__:
        if provider and (provider, cls) in PROVIDER_STATUS:
            return PROVIDER_STATUS[(provider, cls)]
        if cls in STATUS_FOR:
            return STATUS_FOR[cls]  # type: ignore[index]
    return 500


def register_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(errors.DomainError)
    async def _domain_error(request: Request, exc: errors.DomainError) -> JSONResponse:
        provider = getattr(request.state, "provider", None)
        status = status_for(exc, provider)
        headers = {}
        if isinstance(exc, errors.Unauthorized):
            scheme = "Basic" if request.url.path.startswith("/inbound") else "Bearer"
            headers["WWW-Authenticate"] = f'{scheme} realm="email-connector"'
        if status >= 500:
            log.error("%s %s: %s", request.method, request.url.path, exc)
        return JSONResponse({"detail": str(exc)}, status_code=status, headers=headers)
