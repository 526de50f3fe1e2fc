"""What the IMAP and POP3 poller processes share: settings, logging, the ingest writer, and a
clean stop on SIGTERM/SIGINT."""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from typing import Any

from api.application.observability import configure_logging
from api.entrypoints.bootstrap import Process, Settings, build_process


def serve(kind: str, build_poller: Callable[[Process], Any]) -> None:
    log = logging.getLogger(f"api.entrypoints.{kind}")
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    process = build_process(settings)
    poller = build_poller(process)
    # The ingest writer's thread: polled mail gets the backup copy and the counters of
    # api/application/ingest.py like webhook mail (processing stays with web and worker).
    process.start(ingest=True, workers=False)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: poller.stop())
    log.info("%s poller started", kind)
    try:
        poller.run()
    finally:
        log.info("%s poller stopping", kind)
        process.stop()
