"""The web process: `uvicorn --factory api.entrypoints.web:create_app`.

Settings are read here, at start-up, never at import.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from adapters.inbound.base import ProviderPorts
from adapters.inbound.providers import PROVIDERS
from api.application.observability import configure_logging
from api.entrypoints.bootstrap import SPECS, Settings, build_process
from api.http.app import build_app


def create_app(settings: Any = None, *, start_workers: bool | None = None,
               start_pollers: bool | None = None,
               provider_ports: ProviderPorts | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(settings.log_level, settings.log_format)
    # The worker threads are CPU-bound; a shorter GIL switch interval (default 5 ms) lets the
    # event loop answer a webhook without waiting out a worker's whole time slice.
    sys.setswitchinterval(0.001)
    process = build_process(settings, provider_ports=provider_ports, admin_console=True,
                            worker_child=settings.inline_worker_process)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # `make run`'s one process polls the configured mailboxes too (CONNECTOR_INLINE_POLLERS).
        process.start(workers=start_workers,
                      pollers=settings.inline_pollers if start_pollers is None else start_pollers)
        try:
            yield
        finally:
            process.stop()

    app = build_app(process.services, providers=PROVIDERS, specs=SPECS, lifespan=lifespan)
    app.state.process = process
    return app
