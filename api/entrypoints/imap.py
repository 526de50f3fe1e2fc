"""The IMAP poller process (Procfile `imap`, `make imap`): takes mail from every IMAP mailbox
(the CONNECTOR_IMAP_* one and those of CONNECTOR_MAILBOXES_FILE), a thread each, and stores it;
the web or worker processes process it.

Run one such process (and set CONNECTOR_INLINE_POLLERS=false for the web process): two pollers
of one mailbox would not lose mail, but would fetch it twice (the second copy is recognized as
a duplicate).
"""

from __future__ import annotations

from api.entrypoints.poller import serve


def main() -> None:
    serve("imap")


if __name__ == "__main__":
    main()
