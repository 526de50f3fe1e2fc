"""The POP3 poller process (Procfile `pop3`, `make pop3`): takes mail from the mailbox of the
CONNECTOR_POP3_* settings and stores it; the web or worker processes process it.

Run one per maildrop: a POP3 server lets one session at a time hold it (RFC 1939 §8).
"""

from __future__ import annotations

import logging
import signal

from api.application.observability import configure_logging
from api.entrypoints.bootstrap import Settings, build_pop3_poller, build_process

log = logging.getLogger("api.entrypoints.pop3")


def main() -> None:
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    process = build_process(settings)
    poller = build_pop3_poller(process)
    # The ingest writer's thread: polled mail gets the backup copy and the counters of
    # api/application/ingest.py like webhook mail (processing stays with web and worker).
    process.start(ingest=True, workers=False)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: poller.stop())
    log.info("pop3 poller started")
    try:
        poller.run()
    finally:
        log.info("pop3 poller stopping")
        process.stop()


if __name__ == "__main__":
    main()
