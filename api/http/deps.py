"""Dependencies shared by the routes: the application services and the credential checks."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import (
    HTTPAuthorizationCredentials,
    HTTPBasic,
    HTTPBasicCredentials,
    HTTPBearer,
)

from api.application.services import Services
from domain.errors import Unauthorized

_bearer = HTTPBearer(auto_error=False, description="A REST API key (CONNECTOR_API_KEYS, or "
                     "named keys made with `email-connector api-key create`)")
_metrics_bearer = HTTPBearer(auto_error=False, scheme_name="MetricsBearer",
                             description="CONNECTOR_METRICS_TOKEN (read-only), or an API key")
_basic = HTTPBasic(auto_error=False, description="CONNECTOR_INBOUND_USERNAME / _PASSWORD")


# These are `async def` on purpose: FastAPI runs a plain `def` dependency in a worker thread,
# two thread hops per request that cost more than the whole check (measured on /inbound/raw).
async def get_services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


ServicesDep = Annotated[Services, Depends(get_services)]


async def require_api_key(
    app: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
) -> None:
    if credentials is None or not app.credentials.api_key_valid(credentials.credentials):
        raise Unauthorized("a valid API key is required (Authorization: Bearer <key>)")


async def require_inbound_basic(
    app: ServicesDep,
    credentials: Annotated[HTTPBasicCredentials | None, Security(_basic)],
) -> None:
    if credentials is None or not app.credentials.inbound_pair_valid(
        credentials.username, credentials.password
    ):
        raise Unauthorized("valid inbound credentials are required (HTTP Basic)")


async def require_metrics_reader(
    app: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_metrics_bearer)],
) -> None:
    if credentials is None or not app.credentials.metrics_reader_valid(credentials.credentials):
        raise Unauthorized("a metrics token or an API key is required (Authorization: Bearer)")
