"""The worker process (Procfile `worker`): processing and outbox delivery, no HTTP.

Run several, on several machines, against PostgreSQL: each message is claimed by one of them.
"""

from __future__ import annotations

import logging
import signal
import threading

from adapters.settings import Settings
from api.container import build_container

log = logging.getLogger("api.worker")


def main() -> None:
    settings = Settings()
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    container = build_container(settings)
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    container.start(ingest=False, workers=True)
    log.info("worker %s started", container.processor.worker_id)
    stopping.wait()
    log.info("worker stopping")
    container.stop()


if __name__ == "__main__":
    main()
