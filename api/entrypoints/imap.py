"""The IMAP poller process (Procfile `imap`, `make imap`): takes mail from the mailbox of the
CONNECTOR_IMAP_* settings and stores it; the web or worker processes process it.

Run one per mailbox: two pollers of one mailbox would not lose mail, but would fetch it twice
(the second copy is recognized as a duplicate).
"""

from __future__ import annotations

from api.entrypoints.bootstrap import build_imap_poller
from api.entrypoints.poller import serve


def main() -> None:
    serve("imap", build_imap_poller)


if __name__ == "__main__":
    main()
