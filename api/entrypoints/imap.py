"""The IMAP poller process (Procfile `imap`, `make imap`): takes mail from the mailbox of the
CONNECTOR_IMAP_* settings and stores it; the web or worker processes process it.

Run one per mailbox: two pollers of one mailbox would not lose mail, but would fetch it twice
(the second copy is recognized as a duplicate).
"""

from __future__ import annotations

import logging
import signal

from api.application.observability import configure_logging
from api.entrypoints.bootstrap import Settings, build_imap_poller, build_process

log = logging.getLogger("api.entrypoints.imap")


def main() -> None:
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    process = build_process(settings)
    poller = build_imap_poller(process)
    # The ingest writer's thread: polled mail gets the backup copy and the counters of
    # api/application/ingest.py like webhook mail (processing stays with web and worker).
    process.start(ingest=True, workers=False)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: poller.stop())
    log.info("imap poller started")
    try:
        poller.run()
    finally:
        log.info("imap poller stopping")
        process.stop()


if __name__ == "__main__":
    main()
