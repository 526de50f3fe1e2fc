"""What the IMAP and POP3 poller processes share: settings, logging, the ingest writer, one loop
per configured mailbox of the protocol (api/application/mailbox_loop.Pollers), and a clean stop
on SIGTERM/SIGINT."""

from __future__ import annotations

import logging
import signal

from api.application.observability import configure_logging
from api.entrypoints.bootstrap import Settings, build_pollers, build_process


def serve(kind: str) -> None:
    log = logging.getLogger(f"api.entrypoints.{kind}")
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    process = build_process(settings)
    poller = build_pollers(process, (kind,))
    # The ingest writer's thread: polled mail gets the backup copy and the counters of
    # api/application/ingest.py like webhook mail (processing stays with web and worker).
    process.start(ingest=True, workers=False)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: poller.stop())
    log.info("%s pollers started", kind)
    try:
        poller.run()
    finally:
        log.info("%s poller stopping", kind)
        process.stop()
