"""The one table from domain errors to HTTP statuses, registered on the app in create_app()."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

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
        return JSONResponse({"detail": str(exc)}, status_code=status, headers=headers)
