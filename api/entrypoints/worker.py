"""The worker process (Procfile `worker`): processing and outbox delivery, no HTTP.

Run several, on several machines, against PostgreSQL: each message is claimed by one of them.
"""

from __future__ import annotations

import logging
import signal
import threading

from prometheus_client import start_http_server

from api.application.observability import configure_logging
from api.entrypoints.bootstrap import Settings, build_process

log = logging.getLogger("api.entrypoints.worker")


def main() -> None:
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    process = build_process(settings)
    if settings.worker_metrics_port:  # no HTTP here otherwise: Prometheus scrapes this port
        start_http_server(settings.worker_metrics_port, addr="127.0.0.1",
                          registry=process.services.metrics.registry)
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    process.start(ingest=False, workers=True)
    log.info("worker %s started", process.services.processor.worker_id)
    stopping.wait()
    log.info("worker stopping")
    process.stop()


if __name__ == "__main__":
    main()
