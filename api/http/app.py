"""The FastAPI application: routes, the error table, the raw ingest path, the OpenAPI document.

Built by an entrypoint (api/entrypoints/web.py) around the application services; it holds no
state of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline

from api.application.services import Services
from api.http import console
from api.http.documentation import TAGS, add_examples, problem_responses
from api.http.errors import register_error_handlers
from api.http.routes import (
    accounts,
    automation,
    inbound,
    messages,
    ops,
    records_extra,
    tickets,
    xml_api,
)
from api.http.routes.connector import connector_router
from api.http.routes.providers import provider_router
from domain.settings import SettingSpec

DESCRIPTION = """Turns a support mailbox into tickets.

Mail providers POST inbound mail to `/inbound/...` (each with its own authentication); the
REST API under `/api/v1` (Bearer API key) manages accounts, contacts, employees and tickets and
reads the processing log: every inbound message with its outcome and the reason for it.
"""


def build_app(services: Services, *, providers: Sequence[Any], specs: Sequence[SettingSpec],
              lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None
              ) -> FastAPI:
    # /docs and /redoc with Swagger UI's and ReDoc's files from the package: no CDN, so the
    # API docs render on a machine without internet too.
    app = FastAPIOffline(title="Email Connector", version="0.1.0", description=DESCRIPTION,
                         lifespan=lifespan, generate_unique_id_function=_operation_id,
                         openapi_tags=TAGS)
    app.state.services = services
    register_error_handlers(app, providers)
    app.include_router(provider_router(providers))
    for module in (accounts, tickets, messages):
        app.include_router(module.router)
    app.include_router(connector_router(specs))
    for module in (xml_api, automation, records_extra, ops):
        app.include_router(module.router)
    console.install(app, specs=specs, providers=providers)
    app.add_middleware(inbound.RawIngest, services=services)
    _document_raw_ingest(app)
    return app


def _operation_id(route: APIRoute) -> str:
    """The route function's name (list_tickets, reprocess_inbound): what a generated client
    calls it. tests/api/test_openapi.py checks that no two operations share one."""
    return route.name


def summarize(document: dict[str, Any]) -> None:
    """An operation without a summary of its own (FastAPI then makes one of its function's
    name) is summed up by its description's first sentence, the route's docstring."""
    for methods in document["paths"].values():
        for operation in methods.values():
            generated = operation.get("operationId", "").replace("_", " ").title()
            description = operation.get("description", "").strip()
            if operation.get("summary") == generated and description:
                first = description.split("\n\n")[0].replace("\n", " ")
                sentence = first.split(". ")[0].rstrip(".")
                if len(sentence) > 100:
                    sentence = sentence[:100].rsplit(" ", 1)[0] + " ..."
                operation["summary"] = sentence



def _document_raw_ingest(app: FastAPI) -> None:
    """POST /inbound/raw is served in front of the router; its entry joins the document."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            document["paths"][inbound.PATH] = inbound.OPENAPI
            document.setdefault("components", {}).setdefault("securitySchemes", {}).setdefault(
                "HTTPBasic", {"type": "http", "scheme": "basic",
                              "description": "CONNECTOR_INBOUND_USERNAME / _PASSWORD"})
            problem_responses(document)
            add_examples(document)
            summarize(document)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
