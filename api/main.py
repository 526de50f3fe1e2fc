"""The application factory: `uvicorn --factory api.main:create_app`.

Settings are read here, at start-up, never at import.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from adapters.settings import Settings
from api.container import Container, build_container
from api.errors import register_error_handlers
from api.observability import configure_logging
from api.routes import (
    accounts,
    automation,
    connector,
    inbound,
    messages,
    ops,
    providers,
    records_extra,
    tickets,
    xml_api,
)

DESCRIPTION = """Turns a support mailbox into tickets.

Mail providers POST inbound mail to `/inbound/...` (each with its own authentication); the
REST API under `/api/v1` (Bearer API key) manages accounts, contacts, employees and tickets and
reads the processing log: every inbound message with its outcome and the reason for it.
"""


def create_app(settings: Settings | None = None, *, start_workers: bool | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(settings.log_level, settings.log_format)
    # The worker threads are CPU-bound; a shorter GIL switch interval (default 5 ms) lets the
    # event loop answer a webhook without waiting out a worker's whole time slice.
    sys.setswitchinterval(0.001)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        container: Container = app.state.container
        container.start(workers=start_workers)
        try:
            yield
        finally:
            container.stop()

    app = FastAPI(title="Email Connector", version="0.1.0", description=DESCRIPTION,
                  lifespan=lifespan)
    app.state.container = build_container(settings)
    register_error_handlers(app)
    for module in (inbound, providers, accounts, tickets, messages, connector,
                   xml_api, automation, records_extra):
        app.include_router(module.router)
    app.include_router(ops.router)
    if settings.inbound_fast_path:
        app.add_middleware(inbound.RawIngestFastPath, container=app.state.container)
    return app
